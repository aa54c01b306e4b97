"""A batch run as the user sees it: sources found, progress shown, summary and report.

The work itself is in :mod:`engine.runner` (one source) and :mod:`engine.executors`
(where sources run); this module wires them to the terminal and the output folder.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import (BarColumn, Progress, TaskProgressColumn, TextColumn,
                           TimeElapsedColumn)
from rich.table import Table

from engine import atomic
from engine.errors import RemixerError
from engine.executors import run_jobs
from engine.graph import select
from engine.plugins import PluginConfig, Registry
from engine.recipe import Recipe
from engine.report import counts_line, write_report
from engine.runner import (PROGRESS, RunOptions, SourceJob, SourceResult, assign_slugs, expand_sources,
                           recipe_key)


@dataclass
class BatchSummary:
    results: list[SourceResult]
    report: Path

    @property
    def failed(self) -> list[SourceResult]:
        return [r for r in self.results if r.status != "ok"]


#: above this many sources the summary table lists only the failed ones
TABLE_ROWS = 40


def problems(result: SourceResult) -> list[str]:
    """One line for every step of ``result`` that failed (or for the source itself)."""
    lines = [f"step {s.id}: {(s.error.splitlines() or [''])[0]}"
             for s in result.steps if s.status == "failed"]
    if not lines and result.error:
        lines = [result.error.splitlines()[0]]
    return lines


def _summary_table(results: list[SourceResult]) -> Table:
    shown = results if len(results) <= TABLE_ROWS else [r for r in results if r.status != "ok"]
    table = Table(title="remixer run" if shown is results else "failed sources", show_lines=False)
    for column in ("source", "status", "ran", "cached", "seconds", "problem"):
        table.add_column(column, overflow="fold")
    for r in shown:
        status = "[green]ok[/]" if r.status == "ok" else "[red]failed[/]"
        table.add_row(Path(r.path).name, status, str(r.ran), str(r.cached), f"{r.seconds:.2f}",
                      "\n".join(problems(r)))
    return table


def run_batch(recipe: Recipe, recipe_origin: str, patterns: list[str], *, out_dir: Path,
              cache_dir: Path, plugin_config: PluginConfig, registry: Registry, jobs: int = 1,
              force: bool = False, only: tuple[str, ...] = (), executor: str = "local",
              scheduler: str | None = None, debug: bool = False, progress: bool = False,
              console: Console | None = None) -> BatchSummary:
    """Run a validated recipe over every source matched by ``patterns``."""
    started = time.perf_counter()
    console = console or Console(stderr=True)
    out = Console()
    paths = expand_sources(patterns, registry)
    if not paths:
        raise RemixerError("no sources found", hint="name files, folders or globs of "
                           "supported files: " + ", ".join(sorted(registry.extensions)))
    atomic.sweep_partials(out_dir)
    options = RunOptions(out_dir=out_dir, cache_dir=cache_dir, force=force, only=tuple(only),
                         debug=debug)
    key = recipe_key(recipe.raw)
    source_jobs = [SourceJob(path=p, slug=s, recipe_raw=recipe.raw, recipe_origin=recipe_origin,
                             plugin_config=plugin_config, options=options, recipe_key=key)
                   for p, s in zip(paths, assign_slugs(paths))]
    steps_per_source = len(select(recipe.nodes, only) if only else recipe.nodes)

    bars = Progress(TextColumn("{task.description:<8}"), BarColumn(), TaskProgressColumn(),
                    TimeElapsedColumn(), console=console, transient=False,
                    disable=not progress)
    with bars if progress else nullcontext():
        sources_task = bars.add_task("sources", total=len(source_jobs))
        steps_task = bars.add_task("steps", total=len(source_jobs) * steps_per_source)

        current_task = bars.add_task("", total=1.0, visible=False)

        def on_event(slug: str, node_id: str, status: str) -> None:
            if status.startswith(PROGRESS):
                bars.update(current_task, description=f"{slug}/{node_id}", visible=True,
                            completed=float(status[len(PROGRESS):]))
                return
            if node_id:
                bars.update(current_task, visible=False)
            bars.advance(steps_task if node_id else sources_task)

        step_events = executor != "dask"  # Dask reports per source only

        def on_result(result: SourceResult) -> None:
            reported = len(result.steps) if step_events else 0
            bars.advance(steps_task, steps_per_source - reported)

        results = run_jobs(source_jobs, workers=jobs, executor=executor, scheduler=scheduler,
                           on_event=on_event, on_result=on_result)
    registry.pm.hook.batch_finished(out_dir=out_dir, results=results)
    report = write_report(results, out_dir, recipe.name)
    failed = [r for r in results if r.status != "ok"]
    if len(results) <= TABLE_ROWS or failed:
        out.print(_summary_table(results))
    ran = sum(r.ran for r in results)
    cached = sum(r.cached for r in results)
    seconds = time.perf_counter() - started
    out.print(f"{counts_line(results)} ({ran} steps ran, {cached} from cache) in {seconds:.2f} s. "
              f"Report: {report}",
              highlight=False, soft_wrap=True)
    for r in failed:
        for line in problems(r):
            out.print(f"failed: {Path(r.path).name}: {line}", highlight=False,
                      soft_wrap=True, markup=False)
    return BatchSummary(results, report)
