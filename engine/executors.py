"""Where source jobs run: inline, in a local process pool, or on a Dask cluster.

All three run the same :func:`engine.runner.process_source`; only the transport differs.
Step-level progress events cross process boundaries through a queue (local pool) and are
per source on Dask, where workers may be other machines.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Callable

from engine.errors import RemixerError
from engine.plugins import DEFAULT_PLUGINS
from engine.runner import EventSink, SourceJob, SourceResult, process_source

EXECUTORS = ("local", "dask")

ResultSink = Callable[[SourceResult], None]


def _crashed(job: SourceJob, exc: BaseException) -> SourceResult:
    return SourceResult(path=str(job.path), slug=job.slug, status="failed",
                        error=f"worker died while processing it: {type(exc).__name__}: {exc}")


def run_inline(jobs: list[SourceJob], on_event: EventSink | None,
               on_result: ResultSink | None) -> list[SourceResult]:
    results = []
    for job in jobs:
        result = process_source(job, on_event)
        if on_result:
            on_result(result)
        results.append(result)
    return results


_EVENTS = None  # the parent's event queue, set in each pool worker


def _start_worker(events) -> None:
    """Pool worker start-up: keep the event queue; die with the parent (Linux).

    Without the death signal, a parent killed with SIGKILL leaves its workers blocked
    forever on a queue nobody will write to.
    """
    global _EVENTS
    _EVENTS = events
    if sys.platform.startswith("linux"):
        import ctypes
        import signal
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)


def worker_events():
    """In a pool worker: the queue its events go to (the parent reads it)."""
    return _EVENTS


def open_pool(workers: int) -> tuple[ProcessPoolExecutor, object]:
    """A long-lived pool of ``workers`` processes, started like :func:`run_pool`'s, and
    the queue its workers send events to (with :func:`worker_events`), for a server that
    feeds it sources as they arrive (the studio). The caller shuts it down."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["engine.runner", *DEFAULT_PLUGINS])
    events = context.SimpleQueue()
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                               initargs=(events,)), events


def _process_reporting(job: SourceJob) -> SourceResult:
    """Worker side of the pool: forward step events to the parent's queue."""
    return process_source(job, lambda *event: _EVENTS.put(event))


def run_pool(jobs: list[SourceJob], workers: int, on_event: EventSink | None,
             on_result: ResultSink | None) -> list[SourceResult]:
    """A pool of ``workers`` processes, forked from a clean server process that has
    already imported the engine and the built-in plugins (never from this process, which
    runs threads), so workers start in milliseconds instead of re-importing everything."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["engine.runner", *DEFAULT_PLUGINS])
    events = context.SimpleQueue()
    results: dict[int, SourceResult] = {}
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(events,)) as pool:
        pending: dict[Future, int] = {pool.submit(_process_reporting, job): i
                                      for i, job in enumerate(jobs)}
        while pending:
            done, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            _drain(events, on_event)
            for future in done:
                i = pending.pop(future)
                try:
                    results[i] = future.result()
                except Exception as exc:  # noqa: BLE001 - a dead worker fails its source only
                    results[i] = _crashed(jobs[i], exc)
                if on_result:
                    on_result(results[i])
        _drain(events, on_event)
    return [results[i] for i in range(len(jobs))]


def _drain(events, on_event: EventSink | None) -> None:
    while not events.empty():
        event = events.get()
        if on_event:
            on_event(*event)


def run_dask(jobs: list[SourceJob], workers: int, scheduler: str | None,
             on_event: EventSink | None, on_result: ResultSink | None) -> list[SourceResult]:
    """Send jobs to a Dask cluster (``scheduler`` address) or a local one of ``workers``.

    Workers must see the same paths for sources, output and cache (a shared disk).
    """
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise RemixerError("the dask executor needs the distributed package",
                           hint="pip install 'remixer[dask]'") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="5s")
        except (OSError, TimeoutError) as exc:
            raise RemixerError(f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                               hint="check the address and that the scheduler is running") from None
        cluster = None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        futures = client.map(process_source, jobs, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: dict[int, SourceResult] = {}
        for future in as_completed(futures):
            i = index[future.key]
            try:
                results[i] = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker fails its source only
                results[i] = _crashed(jobs[i], exc)
            if on_event:
                on_event(results[i].slug, "", results[i].status)
            if on_result:
                on_result(results[i])
        return [results[i] for i in range(len(jobs))]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_jobs(jobs: list[SourceJob], *, workers: int = 1, executor: str = "local",
             scheduler: str | None = None, on_event: EventSink | None = None,
             on_result: ResultSink | None = None) -> list[SourceResult]:
    if executor == "dask":
        return run_dask(jobs, workers, scheduler, on_event, on_result)
    if workers <= 1 or len(jobs) <= 1:
        return run_inline(jobs, on_event, on_result)
    return run_pool(jobs, min(workers, len(jobs)), on_event, on_result)
