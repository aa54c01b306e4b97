"""Studio jobs: a recipe over some sources, run by the engine while the server answers.

The :class:`JobManager` owns the job table, a dispatcher thread that feeds queued jobs'
sources to a backend (never the event loop), the live progress of each job built from
the engine's own events, edits, cancellation, recovery after a restart, and webhooks.
Every job has a folder ``DATA/jobs/<id>/`` with ``in/`` (its stored sources) and ``out/``
(exactly what ``remixer run -o out`` would write, report included).
"""

from __future__ import annotations

import logging
import queue
import re
import shutil
import threading
from concurrent.futures import CancelledError, Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine import atomic
from engine.cache import Cache
from engine.errors import RemixerError
from engine.plugins import PluginConfig, Registry
from engine.recipe import Recipe, read_recipe_file, validate_recipe
from engine.report import write_report
from engine.runner import (PROGRESS, RunOptions, SourceJob, SourceResult, StepRecord, recipe_key)
from plugins.studio import webhook
from plugins.studio.backends import make_backend
from plugins.studio.edits import EDITABLE_KINDS, apply_edit, editable_text
from plugins.studio.store import (CANCELLED, DONE, FAILED, INTERRUPTED, QUEUED, RUNNING, Job,
                                  JobStore)

log = logging.getLogger("remixer.studio")

_FRACTION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*[:|/ ]?\s*(.*)$")


@dataclass(frozen=True)
class Settings:
    """How ``remixer serve`` was started."""

    data: Path
    cache_dir: Path
    plugin_config: PluginConfig = PluginConfig()
    workers: int = 1
    executor: str = "local"
    scheduler: str | None = None
    recipes_dir: Path | None = None
    allow_root: Path | None = None
    token: str = ""
    max_upload: int = 200_000_000
    webhook_secret: str = ""
    resume: bool = True
    #: True when the server listens beyond this machine (then a token is required)
    public: bool = False


def parse_progress(status: str) -> tuple[float, str]:
    """``"progress:0.39"`` or one with a phase label after the fraction
    (``"progress:0.39 synthesising 31/80 sentences"``): (fraction, label)."""
    match = _FRACTION.match(status[len(PROGRESS):])
    if not match:
        return 0.0, status[len(PROGRESS):].strip()
    return min(max(float(match[1]), 0.0), 1.0), match[2].strip()


def result_from_dict(data: dict[str, Any]) -> SourceResult:
    steps = [StepRecord(**s) for s in data.get("steps", [])]
    return SourceResult(**{**data, "steps": steps})


@dataclass
class Live:
    """What the server knows of a job in flight, beyond the table."""

    node_ids: list[str] = field(default_factory=list)
    steps: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    source_status: dict[str, str] = field(default_factory=dict)
    futures: dict[str, Future] = field(default_factory=dict)
    remaining: int = 0
    cancelled: bool = False
    version: int = 0


class JobManager:
    def __init__(self, settings: Settings, registry: Registry):
        self.settings = settings
        self.registry = registry
        self.store = JobStore(settings.data / "studio.sqlite3")
        self.cache = Cache(settings.cache_dir)
        self.live: dict[str, Live] = {}
        self._recipes: dict[tuple, Recipe] = {}
        #: progress streams waiting for a job to change, and the event loop they run on
        self.watchers: dict[str, set] = {}
        self.loop = None
        self.lock = threading.RLock()
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.slots = threading.Semaphore(max(2, 2 * settings.workers))
        self.backend = None
        self.done: queue.Queue[tuple | None] = queue.Queue()
        self.dispatcher = threading.Thread(target=self._dispatch, daemon=True,
                                           name="remixer-dispatch")
        self.collector = threading.Thread(target=self._collect, daemon=True,
                                          name="remixer-results")

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        self.backend = make_backend(self._on_event, self.settings.workers,
                                    self.settings.executor, self.settings.scheduler)
        for job in self.store.in_states(RUNNING, QUEUED):
            if job.state == RUNNING and not self.settings.resume:
                self.store.update(job.id, state=INTERRUPTED,
                                  error="the server stopped while this job ran; resume it")
            else:
                self.enqueue(job.id)
        self.dispatcher.start()
        self.collector.start()

    def stop(self) -> None:
        self.queue.put(None)
        self.done.put(None)
        if self.backend is not None:
            self.backend.close()

    # ------------------------------------------------------------------ folders, recipes

    def job_dir(self, job_id: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{12}", job_id):
            raise RemixerError(f"no job {job_id!r}", hint="list jobs at /api/jobs")
        return self.settings.data / "jobs" / job_id

    def out_dir(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "out"

    def recipe_from(self, path: Path, overrides: list[str]) -> Recipe:
        """Read and validate a recipe as ``remixer run --set ...`` does (once per file
        version and overrides: many jobs share a recipe)."""
        key = (str(path), Path(path).stat().st_mtime_ns, tuple(overrides))
        if key not in self._recipes:
            if len(self._recipes) > 64:
                self._recipes.clear()
            self._recipes[key] = validate_recipe(read_recipe_file(Path(path)), self.registry,
                                                 origin=str(path), overrides=overrides)
        return self._recipes[key]

    def recipe_of(self, job: Job) -> Recipe:
        return self.recipe_from(Path(job.recipe_path), job.overrides)

    # ------------------------------------------------------------------ submitting

    def create(self, *, recipe_name: str, recipe_path: Path, overrides: list[str],
               sources: list[dict[str, str]], webhook_url: str = "", job_id: str) -> Job:
        job = self.store.create(job_id=job_id, recipe_name=recipe_name,
                                recipe_path=str(recipe_path), overrides=overrides,
                                sources=sources, webhook=webhook_url)
        self.enqueue(job.id)
        return job

    def enqueue(self, job_id: str) -> None:
        with self.lock:
            self.live[job_id] = Live()
        self.store.update(job_id, state=QUEUED, error="")
        self._wake(job_id)
        self.queue.put(job_id)

    def _dispatch(self) -> None:
        while (job_id := self.queue.get()) is not None:
            try:
                self._start(job_id)
            except Exception as exc:  # noqa: BLE001 - one bad job must not stop the server
                log.exception("job %s", job_id)
                self._fail(job_id, f"internal error {type(exc).__name__}: {exc}")

    def _fail(self, job_id: str, error: str) -> None:
        self.store.update(job_id, state=FAILED, error=error)
        self._touch(job_id)

    def _start(self, job_id: str) -> None:
        job = self.store.get(job_id)
        live = self.live.get(job_id)
        if job is None or live is None:
            return
        if live.cancelled:
            self.store.update(job_id, state=CANCELLED)
            return
        try:
            recipe = self.recipe_of(job)
        except RemixerError as exc:
            return self._fail(job_id, str(exc))
        out = self.out_dir(job_id)
        out.mkdir(parents=True, exist_ok=True)
        atomic.sweep_partials(out)
        with self.lock:
            live.node_ids = [n.id for n in recipe.nodes]
            live.remaining = len(job.sources)
            live.steps = {s["slug"]: {} for s in job.sources}
            live.source_status = {s["slug"]: "queued" for s in job.sources}
        self.store.update(job_id, state=RUNNING, results={}, error="")
        self._touch(job_id)
        key = recipe_key(recipe.raw, recipe.brand.digest if recipe.brand else "")
        for number, source in enumerate(job.sources):
            self.slots.acquire()
            if live.cancelled:
                self.slots.release()
                for unsent in job.sources[number:]:
                    self._record(job_id, SourceResult(path=unsent["path"], slug=unsent["slug"],
                                                      status="cancelled", error="cancelled"))
                return
            options = RunOptions(out_dir=out, cache_dir=self.settings.cache_dir,
                                 edits=tuple(job.edits.get(source["slug"], {}).items()))
            source_job = SourceJob(path=Path(source["path"]), slug=source["slug"],
                                   recipe_raw=recipe.raw, recipe_origin=job.recipe_path,
                                   plugin_config=self.settings.plugin_config, options=options,
                                   recipe_key=key)
            try:
                future = self.backend.submit(job_id, source_job)
            except Exception as exc:  # noqa: BLE001 - the backend refused: this source fails
                self.slots.release()
                self._record(job_id, SourceResult(
                    path=source["path"], slug=source["slug"], status="failed",
                    error=f"could not start it: {type(exc).__name__}: {exc}"))
                continue
            live.futures[source["slug"]] = future
            future.add_done_callback(
                lambda f, slug=source["slug"], path=source["path"]: self._settle(job_id, slug, path, f))

    def _on_event(self, job_id: str, slug: str, node_id: str, status: str, *more: Any) -> None:
        """The engine's progress events, whatever their status says: a phase label after
        the fraction, or in further fields, shows up beside the step's bar."""
        with self.lock:
            live = self.live.get(job_id)
            if live is None:
                return
            if not node_id:
                live.source_status[slug] = status
            else:
                if live.source_status.get(slug) == "queued":
                    live.source_status[slug] = "running"
                step = live.steps.setdefault(slug, {}).setdefault(node_id, {})
                if status.startswith(PROGRESS):
                    fraction, label = parse_progress(status)
                    label = " ".join([label, *(str(m) for m in more if m)]).strip()
                    step.update(status="running", fraction=fraction, label=label)
                else:
                    step.update(status=status, fraction=1.0)
            live.version += 1
        self._wake(job_id)

    def _settle(self, job_id: str, slug: str, path: str, future: Future) -> None:
        """A source's future is done. Runs in the executor's own thread, so it only frees
        a slot and hands the result on: the pool keeps being fed meanwhile."""
        self.slots.release()
        self.done.put((job_id, slug, path, future))

    def _collect(self) -> None:
        while (item := self.done.get()) is not None:
            try:
                self._source_done(*item)
            except Exception:  # noqa: BLE001 - one bad result must not stop the server
                log.exception("job %s", item[0])

    def _source_done(self, job_id: str, slug: str, path: str, future: Future) -> None:
        try:
            result = future.result()
        except CancelledError:
            result = SourceResult(path=path, slug=slug, status="cancelled", error="cancelled")
        except Exception as exc:  # noqa: BLE001 - a dead worker fails its source only
            result = SourceResult(path=path, slug=slug, status="failed",
                                  error=f"worker died while processing it: {type(exc).__name__}: {exc}")
        self._record(job_id, result)

    def _record(self, job_id: str, result: SourceResult) -> None:
        """Keep one source's result; the last one finishes the job."""
        slug = result.slug
        self.store.put_result(job_id, slug, asdict(result))
        with self.lock:
            live = self.live[job_id]
            live.source_status[slug] = result.status
            live.remaining -= 1
            live.version += 1
            last = live.remaining == 0
        self._wake(job_id)
        if last:
            self._finish(job_id)

    def _finish(self, job_id: str) -> None:
        """Batch-wide outputs and the report, as ``remixer run`` writes them; the webhook."""
        job = self.store.get(job_id)
        if job is None:
            return
        live = self.live[job_id]
        results = [result_from_dict(job.results[s["slug"]]) for s in job.sources
                   if s["slug"] in job.results]
        out = self.out_dir(job_id)
        try:
            self.registry.pm.hook.batch_finished(out_dir=out, results=results)
            write_report(results, out, job.recipe_name)
        except Exception as exc:  # noqa: BLE001 - the outputs exist; say what went wrong
            log.exception("job %s: report", job_id)
            job.error = f"the report could not be written: {exc}"
        if live.cancelled:
            state = CANCELLED
        else:
            state = DONE if results and all(r.status == "ok" for r in results) else FAILED
        error = job.error or next((f"{r.slug}: {r.error.splitlines()[0]}" for r in results
                                   if r.error and r.status != "cancelled"), "")
        self.store.update(job_id, state=state, error=error)
        self._touch(job_id)
        self._notify(job)

    def _notify(self, job: Job) -> None:
        """Send the finished job's summary to its webhook, in the background."""
        if job.webhook:
            threading.Thread(target=webhook.deliver, daemon=True, name="remixer-webhook",
                             args=(job.webhook, self.summary(job.id),
                                   self.settings.webhook_secret)).start()

    def _touch(self, job_id: str) -> None:
        with self.lock:
            if job_id in self.live:
                self.live[job_id].version += 1
        self._wake(job_id)

    # ------------------------------------------------------------------ watching

    def watch(self, job_id: str, event) -> None:
        """Have ``event`` (an ``asyncio.Event`` of ``self.loop``) set on every change."""
        with self.lock:
            self.watchers.setdefault(job_id, set()).add(event)

    def unwatch(self, job_id: str, event) -> None:
        with self.lock:
            self.watchers.get(job_id, set()).discard(event)

    def _wake(self, job_id: str) -> None:
        with self.lock:
            events = list(self.watchers.get(job_id, ()))
        for event in events:
            try:
                self.loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the loop has closed: the server is stopping
                return

    # ------------------------------------------------------------------ actions

    def cancel(self, job_id: str) -> Job:
        job = self._existing(job_id)
        if job.finished:
            return job
        with self.lock:
            live = self.live.setdefault(job_id, Live())
            live.cancelled = True
            futures = list(live.futures.values())
        for future in futures:
            future.cancel()  # a source already running finishes; the others never start
        if job.state == QUEUED:  # never started: finished now
            self.store.update(job_id, state=CANCELLED)
            self._notify(job)
        self._touch(job_id)
        return self.store.get(job_id)

    def resume(self, job_id: str) -> Job:
        self._finished(job_id)
        self.enqueue(job_id)
        return self.store.get(job_id)

    def delete(self, job_id: str) -> None:
        self._finished(job_id, hint="cancel it first")
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)
        self.store.delete(job_id)
        with self.lock:
            self.live.pop(job_id, None)

    def _finished(self, job_id: str, hint: str = "wait for it to finish") -> Job:
        """The job, refused (in one line) while it is queued or running."""
        job = self._existing(job_id)
        if not job.finished:
            raise RemixerError(f"job {job_id} is {job.state}", hint=hint)
        return job

    def _existing(self, job_id: str) -> Job:
        job = self.store.get(job_id) if re.fullmatch(r"[0-9a-f]{12}", job_id) else None
        if job is None:
            raise LookupError(job_id)
        return job

    # ------------------------------------------------------------------ edits

    def _step(self, job: Job, slug: str, node_id: str) -> dict[str, Any]:
        result = job.results.get(slug)
        step = next((s for s in (result or {}).get("steps", []) if s["id"] == node_id), None)
        if step is None or step["status"] != "ok":
            raise LookupError(f"{slug}/{node_id}")
        return step

    def artifact(self, job: Job, slug: str, node_id: str):
        """The artifact a step of this job made (or the edit that replaced it)."""
        step = self._step(job, slug, node_id)
        cached = self.cache.get(step["detail"].get("cache_key", ""))
        if cached is None:
            raise RemixerError(f"the cached result of {node_id} is gone",
                               hint="run the job again (resume), then edit")
        return cached.artifact

    def editable(self, job: Job, slug: str, node_id: str) -> str | None:
        """The text an editor shows for a step, or None when its output is not editable."""
        if self.registry.transform(self._step(job, slug, node_id)["transform"]).produces \
                not in EDITABLE_KINDS:
            return None
        return editable_text(self.artifact(job, slug, node_id))

    def edit(self, job_id: str, slug: str, node_id: str, text: str) -> Job:
        """Replace a step's output with edited text and run again what depends on it."""
        job = self._finished(job_id)
        edited = apply_edit(self.artifact(job, slug, node_id), text)
        job.edits.setdefault(slug, {})[node_id] = edited.model_dump_json()
        self.store.update(job_id, edits=job.edits)
        return self.resume(job_id)

    def revert(self, job_id: str, slug: str, node_id: str) -> Job:
        job = self._finished(job_id)
        job.edits.get(slug, {}).pop(node_id, None)
        self.store.update(job_id, edits=job.edits)
        return self.resume(job_id)

    # ------------------------------------------------------------------ views

    def version(self, job_id: str) -> tuple:
        job = self.store.get(job_id)
        live = self.live.get(job_id)
        return (job.state if job else None, job.updated if job else None,
                live.version if live else 0)

    def summary(self, job_id: str) -> dict[str, Any]:
        """A job as the API and the progress stream show it."""
        job = self._existing(job_id)
        with self.lock:
            live = self.live.get(job_id) or Live()
            sources = []
            for source in job.sources:
                slug = source["slug"]
                result = job.results.get(slug)
                edited = job.edits.get(slug, {})
                if result and job.state not in (QUEUED,):
                    steps = [{"id": s["id"], "step": s["step"], "transform": s["transform"],
                              "status": s["status"], "cache": s["cache"],
                              "seconds": s["seconds"], "files": s["files"], "notes": s["notes"],
                              "error": s["error"], "edited": s["id"] in edited,
                              "fraction": 1.0, "label": ""} for s in result["steps"]]
                    status, error = result["status"], result["error"]
                else:
                    seen = live.steps.get(slug, {})
                    steps = [{"id": n, "status": seen.get(n, {}).get("status", "pending"),
                              "fraction": seen.get(n, {}).get("fraction", 0.0),
                              "label": seen.get(n, {}).get("label", ""), "files": [],
                              "edited": n in edited, "error": ""} for n in live.node_ids]
                    status, error = live.source_status.get(slug, job.state), ""
                sources.append({"slug": slug, "name": source["name"], "status": status,
                                "error": error, "steps": steps})
        done_steps = sum(1 for s in sources for st in s["steps"] if st["status"] not in ("pending", "running"))
        total_steps = sum(len(s["steps"]) for s in sources)
        return {"id": job.id, "state": job.state, "recipe": job.recipe_name,
                "created": job.created, "updated": job.updated, "error": job.error,
                "overrides": job.overrides, "finished": job.finished,
                "progress": {"steps_done": done_steps, "steps": total_steps,
                             "sources_done": len(job.results) if job.state != QUEUED else 0,
                             "sources": len(job.sources)},
                "sources": sources}
