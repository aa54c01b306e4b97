"""Progress of a batch as the user sees it: Rich bars on a terminal, plain lines elsewhere.

Both read the same runner events (``(slug, node id, status)``, see
:data:`engine.runner.EventSink`): a step's progress carries a fraction and a label
("synthesising 31/80 sentences"), a step or source that finishes carries its status.

* :class:`Bars`: a bar for sources (advancing per finished source), one for steps, and
  one row per running step whose description says what it is doing; each running step
  has its own task, so its elapsed time counts from when it started and keeps moving.
* :class:`Lines`: one plain line per event when the output is not a terminal (CI logs, a
  web page), at most one progress line per step every ``interval`` seconds unless the
  phase changes: ``[  12.3s] article/podcast  39%  synthesising 31/80 sentences``.
"""

from __future__ import annotations

import time
from typing import Callable

from engine.runner import progress_event


class Bars:
    """Rich progress bars fed by runner events."""

    def __init__(self, console, sources: int, steps: int, done_sources: int = 0,
                 done_steps: int = 0):
        from rich.progress import (BarColumn, Progress, TaskProgressColumn, TextColumn,
                                   TimeElapsedColumn)

        self.progress = Progress(TextColumn("{task.description:<8}"), BarColumn(),
                                 TaskProgressColumn(), TimeElapsedColumn(), console=console,
                                 transient=False)
        # sources found up to date before the run count as done from the start
        self.sources = self.progress.add_task("sources", total=sources, completed=done_sources)
        self.steps = self.progress.add_task("steps", total=steps, completed=done_steps)
        self.running: dict[tuple[str, str], int] = {}

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def event(self, slug: str, node_id: str, status: str) -> None:
        from rich.markup import escape

        update = progress_event(status)
        if update is not None:
            fraction, label = update
            key = (slug, node_id)
            if key not in self.running:
                self.running[key] = self.progress.add_task("", total=1.0)
            description = escape(f"{slug}/{node_id}" + (f": {label}" if label else ""))
            self.progress.update(self.running[key], description=description,
                                 completed=min(fraction, 0.999))
            return
        if node_id:
            task = self.running.pop((slug, node_id), None)
            if task is not None:
                self.progress.remove_task(task)
        self.progress.advance(self.steps if node_id else self.sources)

    def advance_steps(self, count: int) -> None:
        self.progress.advance(self.steps, count)


class Lines:
    """Plain progress lines, one per event, rate-limited per step."""

    def __init__(self, write: Callable[[str], None], sources: int, interval: float = 2.0,
                 clock: Callable[[], float] = time.monotonic, done_sources: int = 0):
        self.write, self.total, self.interval, self.clock = write, sources, interval, clock
        self.started = clock()
        self.finished = done_sources
        self.last: dict[tuple[str, str], tuple[float, str]] = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def _line(self, text: str) -> None:
        self.write(f"[{self.clock() - self.started:6.1f}s] {text}")

    def event(self, slug: str, node_id: str, status: str) -> None:
        update = progress_event(status)
        if update is not None:
            fraction, label = update
            phase = label.split(" ")[0]
            now = self.clock()
            seen = self.last.get((slug, node_id))
            if seen is not None and seen[1] == phase and now - seen[0] < self.interval:
                return
            self.last[(slug, node_id)] = (now, phase)
            self._line(f"{slug}/{node_id} {100 * fraction:3.0f}%" + (f"  {label}" if label else ""))
        elif node_id:
            self.last.pop((slug, node_id), None)
            self._line(f"{slug}/{node_id} {status}")
        else:
            self.finished += 1
            self._line(f"{slug} {status} ({self.finished}/{self.total} sources)")

    def advance_steps(self, count: int) -> None:
        pass
