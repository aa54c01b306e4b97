"""Where source jobs run: inline, in a local process pool, or on a Dask cluster.

All three run the same :func:`engine.runner.process_source`; only the transport differs.
Step-level progress events cross process boundaries through a queue (local pool) and are
per source on Dask, where workers may be other machines.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
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


#: sources in flight per worker: enough to keep every worker busy, few enough that the
#: coordinator's bookkeeping per completion stays constant however large the batch
WINDOW_PER_WORKER = 4


def _record(results: list, i: int, result: SourceResult, on_result: ResultSink | None) -> None:
    results[i] = result
    if on_result:
        on_result(result)


def run_inline(jobs: list[SourceJob], on_event: EventSink | None,
               on_result: ResultSink | None) -> list[SourceResult]:
    results: list = [None] * len(jobs)
    for i, job in enumerate(jobs):
        _record(results, i, process_source(job, on_event), on_result)
    return results


_EVENTS = None  # the parent's event queue, set in each pool worker
_BUFFER: list[tuple[str, str, str]] = []
_FLUSHED = [0.0]
#: a worker sends its events at most this often (and when a source ends): one queue
#: message per batch of events instead of one per event
FLUSH_SECONDS = 0.1


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


def _buffer_event(*event: str) -> None:
    _BUFFER.append(event)
    now = time.monotonic()
    if now - _FLUSHED[0] >= FLUSH_SECONDS:
        _flush_events(now)


def _flush_events(now: float) -> None:
    if _BUFFER:
        _EVENTS.put(list(_BUFFER))
        _BUFFER.clear()
    _FLUSHED[0] = now


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
    """Worker side of the pool: forward step events to the parent's queue, in batches."""
    try:
        return process_source(job, _buffer_event)
    finally:
        _flush_events(time.monotonic())


def run_pool(jobs: list[SourceJob], workers: int, on_event: EventSink | None,
             on_result: ResultSink | None) -> list[SourceResult]:
    """A pool of ``workers`` processes, forked from a clean server process that has
    already imported the engine and the built-in plugins (never from this process, which
    runs threads), so workers start in milliseconds instead of re-importing everything.

    At most ``WINDOW_PER_WORKER`` sources per worker are in flight: each completion costs
    the coordinator the same whatever the batch size, and a finished source's future is
    dropped as soon as its result is recorded."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["engine.runner", *DEFAULT_PLUGINS])
    events = context.SimpleQueue()
    results: list = [None] * len(jobs)
    todo = iter(enumerate(jobs))
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(events,)) as pool:
        pending: dict[Future, int] = {}

        def fill() -> None:
            while len(pending) < workers * WINDOW_PER_WORKER:
                item = next(todo, None)
                if item is None:
                    return
                pending[pool.submit(_process_reporting, item[1])] = item[0]

        fill()
        while pending:
            done, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            _drain(events, on_event)
            for future in done:
                i = pending.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - a dead worker fails its source only
                    result = _crashed(jobs[i], exc)
                _record(results, i, result, on_result)
            fill()
        _drain(events, on_event)
    return results


def _drain(events, on_event: EventSink | None) -> None:
    while not events.empty():
        for event in events.get():
            if on_event:
                on_event(*event)


def run_dask(jobs: list[SourceJob], workers: int, scheduler: str | None,
             on_event: EventSink | None, on_result: ResultSink | None) -> list[SourceResult]:
    """Send jobs to a Dask cluster (``scheduler`` address) or a local one of ``workers``.

    Workers must see the same paths for sources, output and cache (a shared disk). Jobs
    go out in a bounded window and each future is released once its result is recorded,
    so neither the client nor the workers hold the whole batch. A task that Dask runs
    twice (its worker was lost after finishing it) finds its own run's manifest and
    returns that record instead of overwriting it (see ``runner.process_source``).
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
        window = max(1, sum(client.nthreads().values()) or workers) * WINDOW_PER_WORKER
        results: list = [None] * len(jobs)
        index: dict[str, int] = {}
        todo = iter(enumerate(jobs))
        flow = as_completed()

        def submit_next() -> None:
            item = next(todo, None)
            if item is not None:
                i, job = item
                future = client.submit(process_source, job, pure=False,
                                       key=f"remixer-{job.run_id or 'run'}-{i}")
                index[future.key] = i
                flow.add(future)

        for _ in range(window):
            submit_next()
        for future in flow:
            i = index.pop(future.key)
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker fails its source only
                result = _crashed(jobs[i], exc)
            future.release()
            if on_event:
                on_event(result.slug, "", result.status)
            _record(results, i, result, on_result)
            submit_next()
        return results
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
