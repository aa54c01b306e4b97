"""The function studio jobs run in pool worker processes; light, so workers import it fast."""

from __future__ import annotations

from engine.executors import worker_events
from engine.runner import SourceJob, SourceResult, process_source


def process_tagged(tag: str, job: SourceJob) -> SourceResult:
    """Process one source, sending its events tagged with the studio job they belong to
    (many jobs share the pool, and their sources may have the same slug)."""
    return process_source(job, lambda *event: worker_events().put((tag, *event)))
