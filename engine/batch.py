"""A batch run as the user sees it: sources found, progress shown, summary and report.

The work itself is in :mod:`engine.runner` (one source) and :mod:`engine.executors`
(where sources run); this module wires them to the terminal and the output folder.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from engine import atomic
from engine.batch_index import BatchIndex, run_identity
from engine.errors import RemixerError, printable
from engine.executors import run_jobs
from engine.graph import select
from engine.plugins import PluginConfig, Registry
from engine.recipe import Recipe
from engine.report import counts_line, write_report
from engine.progress import Bars, Lines
from engine.runner import (RunOptions, SourceJob, SourceResult, assign_slugs, expand_all,
                           recipe_key, slug_basis, source_path)
from engine.sources import ExpandSettings


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
        # names and errors as Text, never markup: a file called "[/]x.md" is just a name
        table.add_row(Text(printable(Path(r.path).name)), status, str(r.ran), str(r.cached),
                      f"{r.seconds:.2f}", Text("\n".join(printable(line) for line in problems(r))))
    return table


def _compact(result: SourceResult) -> None:
    """A finished source as the batch keeps it until the report: each step's detail
    (parameters, digests, metrics) stays in the manifest, and the names every source
    repeats (step, transform, status) are stored once, not once per source."""
    for step in result.steps:
        step.detail = {}
        step.id, step.step, step.transform = (sys.intern(step.id), sys.intern(step.step),
                                               sys.intern(step.transform))
        step.status, step.cache = sys.intern(step.status), sys.intern(step.cache)


def run_batch(recipe: Recipe, recipe_origin: str, patterns: list[str], *, out_dir: Path,
              cache_dir: Path, plugin_config: PluginConfig, registry: Registry, jobs: int = 1,
              force: bool = False, only: tuple[str, ...] = (), executor: str = "local",
              scheduler: str | None = None, debug: bool = False, progress: bool | str = False,
              limit: int = 10,
              console: Console | None = None) -> BatchSummary:
    """Run a validated recipe over every source matched by ``patterns``. ``progress``:
    True or "bars" for Rich bars, "lines" for plain lines (not a terminal), False for
    none."""
    started = time.perf_counter()
    console = console or Console(stderr=True)
    out = Console()
    sources = expand_all(patterns, registry, ExpandSettings(cache_dir=cache_dir, limit=limit),
                         exclude=(out_dir, cache_dir))
    paths = [source_path(source) for source in sources]
    if not paths:
        raise RemixerError("no sources found", hint="name files, folders or globs of "
                           "supported files: " + ", ".join(sorted(registry.extensions)))
    atomic.sweep_partials(out_dir)
    # each source running at once gets its share of the cores for work inside a step
    threads = 1 if executor == "dask" else max(
        1, (os.cpu_count() or 1) // max(1, min(jobs, len(paths))))
    options = RunOptions(out_dir=out_dir, cache_dir=cache_dir, force=force, only=tuple(only),
                         debug=debug, threads=threads)
    key = recipe_key(recipe.raw, recipe.brand.digest if recipe.brand else "")
    run_id = uuid.uuid4().hex
    slugs = assign_slugs([slug_basis(source) for source in sources])
    source_jobs = [SourceJob(path=p, slug=s, recipe_raw=recipe.raw, recipe_origin=recipe_origin,
                             plugin_config=plugin_config, options=options, recipe_key=key,
                             run_id=run_id, origin=None if source.origin == str(p) else source,
                             refused=source.error if source.origin == str(p) else "")
                   for p, s, source in zip(paths, slugs, sources)]
    steps_per_source = len(select(recipe.nodes, only) if only else recipe.nodes)
    index = None if force or only else BatchIndex(out_dir, run_identity(recipe, registry))
    fresh, stale = index.split(source_jobs) if index else ([], list(enumerate(source_jobs)))
    results: list[SourceResult | None] = [None] * len(source_jobs)
    for i, result in fresh:
        results[i] = result
    job_of = {job.slug: job for _, job in stale}

    if progress == "lines":
        display = Lines(lambda line: console.print(line, markup=False, highlight=False,
                                                   soft_wrap=True), len(source_jobs),
                        done_sources=len(fresh))
    elif progress:
        display = Bars(console, len(source_jobs), len(source_jobs) * steps_per_source,
                       done_sources=len(fresh), done_steps=len(fresh) * steps_per_source)
    else:
        display = None
    with display or nullcontext():
        on_event = display.event if display else None
        step_events = executor != "dask"  # Dask reports per source only

        def on_result(result: SourceResult) -> None:
            reported = len(result.steps) if step_events else 0
            if display:
                display.advance_steps(steps_per_source - reported)
            if index:
                index.record(job_of[result.slug], result)
            _compact(result)

        try:
            ran = run_jobs([job for _, job in stale], workers=jobs, executor=executor,
                           scheduler=scheduler, on_event=on_event, on_result=on_result)
        finally:
            if index:
                index.close()
        for (i, _), result in zip(stale, ran):
            results[i] = result
    registry.pm.hook.batch_finished(out_dir=out_dir, results=results)
    report = write_report(results, out_dir, recipe.name)
    failed = [r for r in results if r.status != "ok"]
    if len(results) <= TABLE_ROWS or failed:
        out.print(_summary_table(results))
    ran = sum(r.ran for r in results)
    cached = sum(r.cached for r in results)
    seconds = time.perf_counter() - started
    out.print(f"{counts_line(results)} ({ran} step{'' if ran == 1 else 's'} ran, {cached} from "
              f"cache) in {seconds:.2f} s. Report: {printable(str(report))}",
              highlight=False, soft_wrap=True, markup=False)
    for r in failed:
        for line in problems(r):
            out.print(f"failed: {printable(Path(r.path).name)}: {printable(line)}",
                      highlight=False, soft_wrap=True, markup=False)
    return BatchSummary(results, report)
