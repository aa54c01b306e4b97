"""Runs a recipe over many sources.

The unit of work is one source: :func:`process_source` loads it, runs every node of the
recipe through the cache and writes ``OUT/<slug>/<node>.<ext>`` and ``manifest.json``.
It is a plain picklable function of a :class:`SourceJob`, so the same work runs inline
(``-j 1``), in a process pool (``-j N``) or on a Dask cluster (``--executor dask``).
One failing step fails the steps that need it, not its siblings; one failing source
does not stop the others.
"""

from __future__ import annotations

import glob
import hashlib
import json
import re
import time
import traceback
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable

from engine import __version__, atomic
from engine.artifacts import file_sha256
from engine.cache import Cache, CachedStep, step_key
from engine.errors import RemixerError
from engine.graph import SOURCE, Node, kinds_text, select
from engine.plugins import PluginConfig, Registry, build_registry
from engine.recipe import Recipe, validate_recipe
from engine.transform import Context

MANIFEST = "manifest.json"

#: called as (source slug, node id or "", status) when a step or a source finishes, and
#: as (slug, node id, "progress:<fraction>") while a long step reports progress
EventSink = Callable[[str, str, str], None]

PROGRESS = "progress:"


def _progress_reporter(events: EventSink | None, slug: str, node_id: str) -> Callable[[float], None]:
    """A ctx.progress callback that forwards at most ~4 updates a second."""
    if events is None:
        return lambda fraction: None
    last = [0.0]

    def report(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.25 or fraction >= 1.0:
            last[0] = now
            events(slug, node_id, f"{PROGRESS}{min(max(fraction, 0.0), 1.0):.3f}")

    return report


@dataclass(frozen=True)
class RunOptions:
    out_dir: Path
    cache_dir: Path
    force: bool = False
    only: tuple[str, ...] = ()
    debug: bool = False


@dataclass(frozen=True)
class SourceJob:
    """Everything a worker needs to process one source; picklable."""

    path: Path
    slug: str
    recipe_raw: dict[str, Any]
    recipe_origin: str
    plugin_config: PluginConfig
    options: RunOptions
    #: identifies recipe_raw, so workers validate each recipe once (see recipe_key())
    recipe_key: str = ""


def recipe_key(raw: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class StepRecord:
    id: str
    step: str
    transform: str
    status: str = "pending"
    cache: str = ""
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class SourceResult:
    path: str
    slug: str
    status: str
    error: str = ""
    seconds: float = 0.0
    steps: list[StepRecord] = field(default_factory=list)

    @property
    def ran(self) -> int:
        return sum(1 for s in self.steps if s.cache == "miss" and s.status == "ok")

    @property
    def cached(self) -> int:
        return sum(1 for s in self.steps if s.cache == "hit")


# --------------------------------------------------------------------------- sources

def expand_sources(patterns: Iterable[str], registry: Registry) -> list[Path]:
    """Files, directories (recursed, readable files only) and globs, deduplicated, in order.

    An explicitly named file is kept even when no loader reads it, so the user gets a
    one-line error for it instead of silence.
    """
    found: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*")
                            if p.is_file() and registry.loader_for(p) is not None
                            and not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif path.exists():
            found.append(path)
        else:
            matches = sorted(Path(m) for m in glob.glob(pattern, recursive=True))
            if not matches:
                raise RemixerError(f"no source matches {pattern!r}",
                                   hint="check the path or quote the glob")
            found += [m for m in matches if m.is_file()]
    unique: dict[Path, Path] = {}
    for p in found:
        unique.setdefault(p.resolve(), p)
    return list(unique.values())


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "source"


def assign_slugs(paths: list[Path]) -> list[str]:
    """Output folder names from file stems; clashes get the parent folder, then a number."""
    stems = [slugify(p.stem) for p in paths]
    slugs = [slugify(f"{p.parent.name}-{p.stem}") if stems.count(stem) > 1 else stem
             for p, stem in zip(paths, stems)]
    seen: dict[str, int] = {}
    for i, slug in enumerate(slugs):
        seen[slug] = seen.get(slug, 0) + 1
        if seen[slug] > 1:
            slugs[i] = f"{slug}-{seen[slug]}"
    return slugs


# --------------------------------------------------------------------------- one source

_REGISTRIES: dict[PluginConfig, Registry] = {}


def registry_for(config: PluginConfig) -> Registry:
    """One registry per process and plugin configuration (workers reuse loaded models)."""
    if config not in _REGISTRIES:
        _REGISTRIES[config] = build_registry(config)
    return _REGISTRIES[config]


def _error_text(exc: BaseException, debug: bool) -> str:
    if isinstance(exc, RemixerError):
        text = str(exc)
    else:
        text = f"internal error {type(exc).__name__}: {exc} (run with --debug for the traceback)"
    if debug:
        text += "\n" + "".join(traceback.format_exception(exc))
    return text


_RECIPES: dict[tuple[str, PluginConfig], Recipe] = {}


def _recipe_for(job: SourceJob, registry: Registry) -> Recipe:
    """The validated recipe, once per process (workers get the raw dict, cheap to send)."""
    key = (job.recipe_key, job.plugin_config)
    if key not in _RECIPES:
        _RECIPES[key] = validate_recipe(job.recipe_raw, registry, origin=job.recipe_origin)
    return _RECIPES[key]


def _export_digests(exports: dict[str, bytes | Path]) -> dict[str, str]:
    return {ext: hashlib.sha256(c).hexdigest() if isinstance(c, bytes) else file_sha256(Path(c))
            for ext, c in exports.items()}


def _outputs_current(out_dir: Path, node: Node, digests: dict[str, str]) -> bool:
    """True when every file this node writes is already in OUT with the right content."""
    if not digests:
        return False
    for ext, digest in digests.items():
        target = out_dir / f"{node.id}.{ext}"
        if not target.is_file() or file_sha256(target) != digest:
            return False
    return True


def _write_outputs(out_dir: Path, node: Node, exports: dict[str, bytes | Path]) -> None:
    for ext, content in exports.items():
        target = out_dir / f"{node.id}.{ext}"
        if isinstance(content, bytes):
            atomic.write_bytes(target, content)
        else:
            atomic.copy_file(Path(content), target)


def _load_key(job: SourceJob, loader) -> str:
    return step_key(f"load:{loader.name}", loader.version, {}, file_sha256(job.path), "")


def _load_source(job: SourceJob, loader, cache: Cache, info: dict[str, Any]) -> CachedStep:
    """The source as a cache entry keyed by the file's bytes: an unchanged file is not parsed."""
    key = _load_key(job, loader)
    cached = None if job.options.force else cache.get(key)
    if cached is None:
        cached = cache.put(key, loader.load(job.path), adopt_files=False)
    info.update({"loader": loader.name, "kind": loader.produces, "digest": cached.digest,
                 "load_key": key})
    return cached


def _node_key(node: Node, transform, input_digest: str, ctx: Context) -> tuple[dict, str, str]:
    """A node's parameters (as JSON), model identity and cache key."""
    params_json = node.params.model_dump(mode="json")
    identity = transform.model_identity(node.params, ctx)
    return params_json, identity, step_key(node.use, transform.version, params_json,
                                           input_digest, identity)


def _file_stamp(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _stamps_match(out_dir: Path, stamps: dict[str, list[int]] | None) -> bool:
    try:
        return all(_file_stamp(out_dir / name) == stamp for name, stamp in (stamps or {}).items())
    except OSError:
        return False


def _up_to_date(job: SourceJob, nodes, registry: Registry, loader, out_dir: Path,
                events: EventSink | None) -> SourceResult | None:
    """The result of a source whose outputs are already exactly what this run would write.

    The source's last manifest is the index: the file's bytes give the same load key,
    every node recomputes the same cache key from the recorded input digests, and every
    output file still has the size and modification time recorded when it was written
    (the test ``make`` uses). Then nothing is read from the cache and nothing is written,
    which is what makes a re-run of an unchanged batch cost almost nothing. Any
    difference returns None and the source runs through the cache as usual.
    """
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        source = manifest["source"]
        recorded = {step["id"]: step for step in manifest["steps"]}
        if manifest["status"] != "ok" or source.get("load_key") != _load_key(job, loader):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if set(recorded) != {node.id for node in nodes}:
        return None
    digests = {SOURCE: source["digest"]}
    ctx = Context(registry=registry, step_id="", source_name=job.path.name)
    steps = []
    for node in nodes:
        step = recorded[node.id]
        _, _, key = _node_key(node, registry.transform(node.use), digests[node.input], ctx)
        if step.get("cache_key") != key or not _stamps_match(out_dir, step.get("outputs")):
            return None
        digests[node.id] = step["output_digest"]
        steps.append(StepRecord(id=node.id, step=node.step_id, transform=node.use, status="ok",
                                cache="hit", files=step.get("files", []),
                                notes=step.get("notes", [])))
    for step in manifest["steps"]:
        step.update({"cache": "hit", "seconds": 0.0})
        step.pop("this_run", None)
    manifest.pop("only", None)
    _write_manifest(out_dir, manifest)  # unchanged (so not rewritten) after the first re-run
    for node in nodes:
        if events:
            events(job.slug, node.id, "ok")
    return SourceResult(path=str(job.path), slug=job.slug, status="ok", steps=steps)


def _run_node(node: Node, upstream: CachedStep, registry: Registry, cache: Cache,
              job: SourceJob, out_dir: Path, record: StepRecord,
              events: EventSink | None) -> CachedStep:
    """Run one node through the cache and bring its files in OUT up to date."""
    transform = registry.transform(node.use)
    ctx = Context(registry=registry, step_id=node.id, source_name=job.path.name,
                  scratch_root=cache.work_root, cache=cache,
                  progress=_progress_reporter(events, job.slug, node.id))
    try:
        params_json, identity, key = _node_key(node, transform, upstream.digest, ctx)
        record.detail.update({"version": transform.version, "params": params_json,
                              "input": node.input, "input_digest": upstream.digest,
                              "model": identity, "cache_key": key})
        result = None if job.options.force else cache.get(key)
        record.cache = "miss" if result is None else "hit"
        if result is None:
            artifact = transform.run(upstream.artifact, node.params, ctx)
            if artifact.kind != transform.produces:
                raise RemixerError(f"transform {node.use} returned {artifact.kind}, "
                                   f"not {transform.produces}", hint="fix the plugin")
            exports = transform.exports(artifact)
            result = cache.put(key, artifact, notes=ctx.notes, metrics=ctx.metrics,
                               exports=_export_digests(exports))
        if node.output:
            if not _outputs_current(out_dir, node, result.exports):
                _write_outputs(out_dir, node, transform.exports(result.artifact))
            record.files = [f"{node.id}.{ext}" for ext in result.exports]
            record.detail["outputs"] = {name: _file_stamp(out_dir / name) for name in record.files}
    except Exception:
        # a failed step still says what it spent (requests, tokens) and what it noted
        record.notes = list(ctx.notes)
        if ctx.metrics:
            record.detail["metrics"] = dict(ctx.metrics)
        raise
    finally:
        ctx.cleanup()
    record.notes = list(result.notes)
    record.detail["output_digest"] = result.digest
    if result.metrics:
        record.detail["metrics"] = result.metrics
    return result


def process_source(job: SourceJob, events: EventSink | None = None) -> SourceResult:
    """Load one source, run every node, write its outputs and manifest."""
    started = time.perf_counter()
    result = SourceResult(path=str(job.path), slug=job.slug, status="ok")
    out_dir = job.options.out_dir / job.slug
    source_info: dict[str, Any] = {"path": str(job.path), "name": job.path.name}
    recipe_name = None
    order: list[str] = []
    try:
        registry = registry_for(job.plugin_config)
        recipe = _recipe_for(job, registry)
        recipe_name = recipe.name
        order = [node.id for node in recipe.nodes]
        loader = registry.loader_for(job.path)
        if loader is None:
            raise RemixerError(
                f"{job.path.name}: no loader reads {job.path.suffix or 'files without an extension'}",
                hint="supported: " + ", ".join(sorted(registry.extensions)))
        only = set(job.options.only)
        nodes = select(recipe.nodes, only) if only else recipe.nodes
        if not only and not job.options.force:
            fresh = _up_to_date(job, nodes, registry, loader, out_dir, events)
            if fresh is not None:
                fresh.seconds = round(time.perf_counter() - started, 4)
                if events:
                    events(job.slug, "", "ok")
                return fresh
        cache = Cache(job.options.cache_dir)
        outputs: dict[str, CachedStep] = {SOURCE: _load_source(job, loader, cache, source_info)}
    except Exception as exc:  # noqa: BLE001 - a bad source must not take the batch down
        result.status, result.error = "failed", _error_text(exc, job.options.debug)
        _finish(result, out_dir, job, source_info, started, recipe_name, order)
        if events:
            events(job.slug, "", "failed")
        return result

    for node in nodes:
        record = StepRecord(id=node.id, step=node.step_id, transform=node.use)
        result.steps.append(record)
        t0 = time.perf_counter()
        if node.input not in outputs:
            record.status, record.error = "skipped", f"its input {node.input!r} failed"
        else:
            try:
                transform = registry.transform(node.use)
                if node.input == SOURCE and loader.produces not in transform.consumes:
                    raise RemixerError(
                        f"step {node.id!r} ({node.use}) takes {kinds_text(transform.consumes)}, "
                        f"but {job.path.name} is {loader.produces}",
                        hint=f"use a recipe made for {loader.produces} sources")
                wanted = not only or node.id in only or node.step_id in only
                outputs[node.id] = _run_node(replace(node, output=node.output and wanted),
                                             outputs[node.input], registry, cache, job,
                                             out_dir, record, events)
                record.status = "ok"
            except Exception as exc:  # noqa: BLE001 - report it, go on with other steps
                record.status, record.error = "failed", _error_text(exc, job.options.debug)
        record.seconds = round(time.perf_counter() - t0, 4)
        if events:
            events(job.slug, node.id, record.status)
    failed = [s for s in result.steps if s.status != "ok"]
    if failed:
        result.status = "failed"
        first = next(s for s in failed if s.status == "failed")
        result.error = f"step {first.id}: {first.error.splitlines()[0]}"
    _finish(result, out_dir, job, source_info, started, recipe_name, order)
    if events:
        events(job.slug, "", result.status)
    return result


def _finish(result: SourceResult, out_dir: Path, job: SourceJob, source_info: dict[str, Any],
            started: float, recipe_name: str | None, order: list[str]) -> None:
    """Write the source's manifest.json (merged into the last one for ``--only``)."""
    result.seconds = round(time.perf_counter() - started, 4)
    steps = [{"id": s.id, "step": s.step, "transform": s.transform, "status": s.status,
              "cache": s.cache, "seconds": s.seconds, "files": s.files, "notes": s.notes,
              "error": s.error, **s.detail} for s in result.steps]
    status, error = result.status, result.error
    if job.options.only:
        steps = _merged_steps(out_dir, steps, order)
        status, error = _overall(result, steps)
    manifest = {
        "remixer": __version__,
        "recipe": {"name": recipe_name, "path": job.recipe_origin},
        "source": source_info,
        "status": status,
        "error": error,
        "seconds": result.seconds,
        "steps": steps,
    }
    if job.options.only:
        manifest["only"] = {"steps": list(job.options.only), "status": result.status,
                            "error": result.error}
    _write_manifest(out_dir, manifest)


def _first_line(text: str) -> str:
    return (text.splitlines() or [""])[0]


def _merged_steps(out_dir: Path, steps: list[dict[str, Any]],
                  order: list[str]) -> list[dict[str, Any]]:
    """This run's step records with the last manifest's records of the steps that did not
    run (``--only``), those marked ``"this_run": false``, in the recipe's order."""
    try:
        previous = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))["steps"]
        kept = {s["id"]: {**s, "this_run": False} for s in previous if isinstance(s, dict)}
    except (OSError, ValueError, KeyError, TypeError):
        kept = {}
    ran = {s["id"]: s for s in steps}
    ids = order or list(kept) + [i for i in ran if i not in kept]
    return [ran.get(i) or kept[i] for i in ids if i in ran or i in kept]


def _overall(result: SourceResult, steps: list[dict[str, Any]]) -> tuple[str, str]:
    """A source's status over every step recorded, run this time or not."""
    if result.status == "failed" and not result.steps:  # the source itself failed
        return result.status, result.error
    failed = [s for s in steps if s.get("status") == "failed"]
    if failed:
        first = failed[0]
        return "failed", f"step {first['id']}: {_first_line(str(first.get('error', '')))}"
    if any(s.get("status") != "ok" for s in steps):
        return "failed", result.error
    return "ok", ""


def _write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    """Write manifest.json, unless it already says exactly this (a rename is not free)."""
    # compact: the indenting encoder is pure Python and would cost a cached run dearly
    data = (json.dumps(manifest, ensure_ascii=False) + "\n").encode("utf-8")
    if not atomic.same_content(out_dir / MANIFEST, data):
        atomic.write_bytes(out_dir / MANIFEST, data)
