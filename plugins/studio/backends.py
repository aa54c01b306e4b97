"""Where a studio job's sources run: a thread (``-j 1``), a process pool (``-j N``), or
a Dask cluster. The same :func:`engine.runner.process_source` as ``remixer run``; each
backend returns a ``concurrent.futures.Future`` per source and reports the engine's
progress events as ``(job id, slug, node id, status)``.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

from engine.errors import RemixerError
from engine.runner import SourceJob, process_source

#: called as (job id, slug, node id or "", status, ...), engine.runner.EventSink's
#: arguments after the job's id
TaggedSink = Callable[..., None]


class ThreadBackend:
    """One source at a time in a thread of the server process (``-j 1``)."""

    def __init__(self, sink: TaggedSink):
        self.sink = sink
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="remixer-job")

    def submit(self, tag: str, job: SourceJob) -> Future:
        return self.pool.submit(process_source, job, lambda *event: self.sink(tag, *event))

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


class PoolBackend:
    """``workers`` processes shared by every job (``engine.executors.open_pool``).

    A worker that dies (the OOM killer, a crash in native code) breaks a process pool
    for good: the sources it held fail with the reason, and the next submission starts
    a fresh pool, so one bad source never stops the server.
    """

    def __init__(self, sink: TaggedSink, workers: int):
        self.sink, self.workers = sink, workers
        self._open()

    def _open(self) -> None:
        from engine.executors import open_pool
        self.pool, self.events = open_pool(self.workers)
        threading.Thread(target=self._pump, args=(self.events,), daemon=True,
                         name="remixer-events").start()

    def _pump(self, events) -> None:
        while (event := events.get()) is not None:
            self.sink(*event)

    def submit(self, tag: str, job: SourceJob) -> Future:
        from concurrent.futures.process import BrokenProcessPool

        from plugins.studio.worker import process_tagged
        try:
            return self.pool.submit(process_tagged, tag, job)
        except BrokenProcessPool:
            self.close()
            self._open()
            return self.pool.submit(process_tagged, tag, job)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.events.put(None)


class DaskBackend:
    """A Dask cluster: yours (``--scheduler``) or a local one; progress per source only."""

    def __init__(self, sink: TaggedSink, workers: int, scheduler: str | None):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise RemixerError("the dask executor needs the distributed package",
                               hint="pip install 'remixer[dask]'") from None
        self.sink = sink
        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="5s")
            except (OSError, TimeoutError) as exc:
                raise RemixerError(f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                                   hint="check the address and that the scheduler is running") from None
        else:
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)

    def submit(self, tag: str, job: SourceJob) -> Future:
        done: Future = Future()
        remote = self.client.submit(process_source, job, pure=False)

        def settle(remote_future) -> None:
            try:
                result = remote_future.result()
            except BaseException as exc:  # noqa: BLE001 - a lost worker fails its source only
                if not done.cancelled():
                    done.set_exception(exc)
                return
            self.sink(tag, result.slug, "", result.status)
            if not done.cancelled():
                done.set_result(result)

        remote.add_done_callback(settle)
        done.add_done_callback(lambda f: remote.cancel() if f.cancelled() else None)
        return done

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_backend(sink: TaggedSink, workers: int, executor: str, scheduler: str | None):
    if executor == "dask":
        return DaskBackend(sink, workers, scheduler)
    if workers <= 1:
        return ThreadBackend(sink)
    return PoolBackend(sink, workers)
