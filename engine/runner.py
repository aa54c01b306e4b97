"""Runs a recipe over many sources.

The unit of work is one source: :func:`process_source` loads it, runs every node of the
recipe through the cache and writes ``OUT/<slug>/<node>.<ext>`` and ``manifest.json``.
It is a plain picklable function of a :class:`SourceJob`, so the same work runs inline
(``-j 1``), in a process pool (``-j N``) or on a Dask cluster (``--executor dask``).
One failing step fails the steps that need it, not its siblings; one failing source
does not stop the others.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import json
import os
import re
import stat
import time
import traceback
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable

from engine import __version__, atomic
from engine.artifacts import SAME_KIND, artifact_from_dict, file_sha256
from engine.cache import Cache, CachedStep, step_key
from engine.errors import RemixerError
from engine.graph import SOURCE, Node, kinds_text, select
from engine.plugins import PluginConfig, Registry, build_registry
from engine.recipe import Recipe, validate_recipe
from engine.sources import ExpandedSource, ExpandSettings
from engine.transform import Context

MANIFEST = "manifest.json"

#: called as (source slug, node id or "", status) when a step or a source finishes, and
#: as (slug, node id, "progress:<fraction>[ <label>]") while a long step reports
#: progress, the label saying what it is doing ("synthesising 31/80 sentences")
EventSink = Callable[[str, str, str], None]

PROGRESS = "progress:"


def progress_event(status: str) -> tuple[float, str] | None:
    """``(fraction, label)`` of a progress status, None for any other status."""
    if not status.startswith(PROGRESS):
        return None
    fraction, _, label = status[len(PROGRESS):].partition(" ")
    return float(fraction), label


def _progress_reporter(events: EventSink | None, slug: str, node_id: str) -> Callable[..., None]:
    """A ctx.progress callback that forwards at most ~4 updates a second, and every
    change of phase (the part of the label before its counts)."""
    if events is None:
        return lambda fraction, label="": None
    last = [0.0, None]

    def report(fraction: float, label: str = "") -> None:
        now = time.monotonic()
        phase = label.split(" ")[0]
        if now - last[0] >= 0.25 or fraction >= 1.0 or phase != last[1]:
            last[0], last[1] = now, phase
            text = f"{PROGRESS}{min(max(fraction, 0.0), 1.0):.3f}"
            events(slug, node_id, f"{text} {label}" if label else text)

    return report


@dataclass(frozen=True)
class RunOptions:
    out_dir: Path
    cache_dir: Path
    force: bool = False
    only: tuple[str, ...] = ()
    debug: bool = False
    #: threads a step may use inside one source (its share of the cores; see Context)
    threads: int = 1
    #: outputs a person edited, as (node id, the artifact's JSON): the node's result is
    #: this artifact instead of its transform's, and the steps that read it run on it
    edits: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
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
    #: identifies the batch run: a repeated attempt at this job in the same run (a Dask
    #: task recomputed after its worker was lost) returns the first attempt's record
    run_id: str = ""
    #: where a fetched source came from (a URL, a feed item); None for a named file
    origin: ExpandedSource | None = None
    #: why the source is not read (see FoundSource); it then fails with this line
    refused: str = ""


def recipe_key(raw: dict[str, Any], brand_digest: str = "") -> str:
    """Identifies a recipe as workers will validate it: its raw form and, since a brand
    file can change under the same path, the digest of the brand it was validated with."""
    blob = json.dumps([raw, brand_digest], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(slots=True)
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


@dataclass(slots=True)
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

@dataclass(frozen=True, slots=True)
class FoundSource:
    """A source named on the command line or found in a folder.

    ``refused`` says why it will not be read (not a regular file, unreadable, inside the
    output folder...); such a source fails alone with that line, and the rest run.
    """

    path: Path
    refused: str = ""


_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISDIR, "a folder"))


def _inside(path: Path, folders: tuple[Path, ...]) -> Path | None:
    """The folder of ``folders`` (resolved) that holds ``path``, if any.

    ``os.path.realpath``, unlike ``Path.resolve``, does not raise on a link loop.
    """
    real = Path(os.path.realpath(path))
    return next((f for f in folders if real == f or real.is_relative_to(f)), None)


def _unreadable(path: Path) -> str:
    """Why ``path`` cannot be opened for reading, or "". Non-blocking: never waits."""
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
    except PermissionError:
        return f"cannot read {path}: permission denied (check its permissions)"
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    return ""


def check_named_file(path: Path, excluded: tuple[Path, ...] = ()) -> str:
    """Why a file named on the command line will not be read, or "" when it will.

    Only regular files are read: a FIFO or a device would block the batch or never end.
    ``os.stat`` comes first, so nothing is opened that is not a regular file.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            return (f"{path} is a broken symbolic link (its target {os.readlink(path)} does "
                    "not exist; fix or remove the link)")
        return f"{path} does not exist (check the path)"
    except PermissionError:
        return f"cannot read {path}: permission denied (check its folder's permissions)"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"{path} is a symbolic link loop (fix or remove the link)"
        return f"cannot read {path}: {exc.strerror or exc}"
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        return f"{path} is {kind}; remixer reads only regular files (name a file)"
    return _written_here(path, excluded) or _unreadable(path)


def _written_here(path: Path, excluded: tuple[Path, ...]) -> str:
    """Why ``path`` is not read when it lies in the output or cache folder, or ""."""
    holder = _inside(path, excluded)
    if holder is None:
        return ""
    return (f"{path} is inside {holder}, where remixer writes (outputs or cache); it never "
            "reads its own files (move the source or choose another -o)")


def _scan_folder(top: Path, registry: Registry, excluded: tuple[Path, ...]) -> list[FoundSource]:
    """Readable regular files a loader reads under ``top``, sorted; hidden files and the
    output and cache folders skipped; unreadable files and folders reported."""
    found: list[FoundSource] = []

    def folder_error(exc: OSError) -> None:
        found.append(FoundSource(Path(exc.filename or top),
                                 f"cannot read folder {exc.filename or top}: "
                                 f"{exc.strerror or exc} (check its permissions)"))

    for root, dirs, files in os.walk(top, onerror=folder_error):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and _inside(here / d, excluded) is None)
        for name in sorted(files):
            path = here / name
            if name.startswith(".") or registry.loader_for(path) is None:
                continue
            try:
                if not stat.S_ISREG(os.stat(path).st_mode):
                    continue  # pipes, devices, sockets: never opened
            except OSError:
                continue  # a broken link in a folder is not a source
            found.append(FoundSource(path, _unreadable(path)))
    return sorted(found, key=lambda f: f.path)


def expand_sources(patterns: Iterable[str], registry: Registry,
                   exclude: Iterable[Path] = ()) -> list[FoundSource]:
    """Files, directories (recursed) and globs, deduplicated, in order.

    An explicitly named file is kept even when no loader reads it or it cannot be read,
    so the user gets a one-line error for it instead of silence. Nothing inside
    ``exclude`` (the output and cache folders) is ever read.
    """
    excluded = tuple(Path(os.path.realpath(p)) for p in exclude)
    found: list[FoundSource] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            refused = _written_here(path, excluded)
            found += [FoundSource(path, refused)] if refused else \
                _scan_folder(path, registry, excluded)
        elif os.path.lexists(pattern):
            found.append(FoundSource(path, check_named_file(path, excluded)))
        else:
            matches = sorted(Path(m) for m in glob.glob(pattern, recursive=True))
            if not matches:
                raise RemixerError(f"no source matches {pattern!r}",
                                   hint="check the path or quote the glob")
            found += [FoundSource(m, _unreadable(m)) for m in matches
                      if m.is_file() and not _written_here(m, excluded)]
    unique: dict[str, FoundSource] = {}
    for source in found:
        unique.setdefault(os.path.realpath(source.path), source)  # no error on a link loop
    return list(unique.values())



def expand_all(patterns: Iterable[str], registry: Registry, settings: ExpandSettings,
               exclude: Iterable[Path] = ()) -> list[ExpandedSource]:
    """Every source of a run: what an expander claims (URLs, feeds) is fetched into the
    cache first; everything else goes through :func:`expand_sources` as files (a file
    that will not be read carries its reason as ``error``)."""
    exclude = tuple(exclude)
    found: list[ExpandedSource] = []
    for pattern in patterns:
        expander = registry.expander_for(pattern)
        if expander is not None:
            found += expander.expand(pattern, settings)
        else:
            found += [ExpandedSource(path=f.path, origin=str(f.path), error=f.refused)
                      for f in expand_sources([pattern], registry, exclude)]
    unique: dict[object, ExpandedSource] = {}
    for source in found:
        # a string, not a resolved Path: at 100,000 sources the difference is ~25 MB
        key = os.path.realpath(source.path) if source.path and not source.error else source.origin
        unique.setdefault(key, source)
    return list(unique.values())


def source_path(source: ExpandedSource) -> Path:
    """The path a job carries: the file, or for a failed fetch a name to slug and report."""
    return source.path if source.path is not None else Path(slugify(source.name or source.origin))


def slug_basis(source: ExpandedSource) -> Path:
    """What a source's slug is made from: its ``name`` (a feed item's title), else its path."""
    return Path(slugify(source.name)) if source.name else source_path(source)


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "source"


def assign_slugs(paths: list[Path]) -> list[str]:
    """Output folder names, unique in the run, by a stable rule (linear time):

    1. a source's name is its file stem, slugified (``My Talk.md`` -> ``my-talk``);
    2. stems shared by several sources take their parent folder's name in front
       (``a/x.md``, ``b/x.md`` -> ``a-x``, ``b-x``);
    3. a name already given, or one some other source has by rules 1-2, takes the first
       free ``-2``, ``-3``... in command-line order, so no two sources share a folder.

    Slugs are lower-case letters, digits and hyphens, so they never meet the batch's
    own folders (``.remixer``, ``_report``).
    """
    stems = [slugify(p.stem) for p in paths]
    stem_counts = Counter(stems)
    bases = [slugify(f"{p.parent.name}-{p.stem}") if stem_counts[stem] > 1 else stem
             for p, stem in zip(paths, stems)]
    wanted = set(bases)
    taken: set[str] = set()
    next_number: dict[str, int] = {}
    slugs = []
    for base in bases:
        slug = base
        if slug in taken:
            number = next_number.get(base, 2)
            while f"{base}-{number}" in taken or f"{base}-{number}" in wanted:
                number += 1
            next_number[base] = number + 1
            slug = f"{base}-{number}"
        taken.add(slug)
        slugs.append(slug)
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
        # the command line checked the outputs limit (--max-outputs) already
        _RECIPES[key] = validate_recipe(job.recipe_raw, registry, origin=job.recipe_origin,
                                        max_outputs=None)
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
    origin = dict(job.origin.metadata) if job.origin else {}
    return step_key(f"load:{loader.name}", loader.version, origin, file_sha256(job.path), "")


def _shown_path(job: SourceJob) -> str:
    """What the summary and the report call the source: its file, or the URL it came from."""
    return job.origin.origin if job.origin else str(job.path)


def _with_origin(artifact, job: SourceJob):
    """The loaded artifact with the origin's metadata (a feed item's) filling its gaps;
    an audio or video file named after its download takes the item's title."""
    origin = dict(job.origin.metadata) if job.origin else {}
    if not origin or not hasattr(artifact, "metadata"):
        return artifact
    update: dict[str, Any] = {"metadata": {**origin, **artifact.metadata}}
    if origin.get("title") and getattr(artifact, "title", None) in ("", job.path.stem):
        update["title"] = origin["title"]
    return artifact.model_copy(update=update)


def _load_source(job: SourceJob, loader, cache: Cache, info: dict[str, Any]) -> CachedStep:
    """The source as a cache entry keyed by the file's bytes: an unchanged file is not
    parsed, unless a picture it names beside itself changed (:func:`_pictures_current`)."""
    key = _load_key(job, loader)
    cached = None if job.options.force else cache.get(key)
    if cached is not None and not _pictures_current(cached.artifact):
        cached = None
    if cached is None:
        loader.assets_dir = cache.root / "assets"
        cached = cache.put(key, _with_origin(loader.load(job.path), job), adopt_files=False)
    # the kind of what was loaded: a loader may read a special form of its files as
    # another kind (a markdown podcast script is a script, not a document)
    info.update({"loader": loader.name, "kind": cached.artifact.kind, "digest": cached.digest,
                 "load_key": key, "pictures": _picture_stamps(cached.artifact)})
    return cached


def _local_pictures(artifact) -> list[tuple[Path, str | None]]:
    """The files a loaded document's figures name (with the digest each had when it was
    loaded; None: it was missing then), web addresses aside."""
    return [(Path(figure.path), figure.sha256)
            for section in getattr(artifact, "sections", ())
            for figure in getattr(section, "figures", ()) if figure.path and not figure.url]


def _pictures_current(artifact) -> bool:
    """Whether the pictures a loaded document names are still the files it was loaded
    with. The load key is the source file's bytes, but a Markdown, HTML or text source
    names pictures beside it: one edited, added or gone there (or the whole folder moved
    away) makes the cached document stale."""
    return all((file_sha256(path) if path.is_file() else None) == digest
               for path, digest in _local_pictures(artifact))


def _picture_stamps(artifact) -> list[list]:
    """Each named picture's path, size and modification time (empty when missing), so a
    re-run can tell without reading the cache that none changed (:func:`_up_to_date`)."""
    return [[str(path), *(_file_stamp(path) if path.is_file() else [])]
            for path, _ in _local_pictures(artifact)]


def _node_key(node: Node, transform, input_digest: str, ctx: Context) -> tuple[dict, str, str]:
    """A node's parameters (as JSON), model identity and cache key."""
    params_json = node.params.model_dump(mode="json")
    identity = transform.model_identity(node.params, ctx)
    if node.brand:  # the brand's files (a logo's pixels) count, not only their paths
        identity = f"{identity}|brand:{node.brand}"
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
        for path, *stamp in source.get("pictures", []):
            if (_file_stamp(Path(path)) if Path(path).is_file() else []) != stamp:
                return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if set(recorded) != {node.id for node in nodes}:
        return None
    digests = {SOURCE: source["digest"]}
    ctx = Context(registry=registry, step_id="", source_name=job.path.name)
    steps = []
    edits = dict(job.options.edits)
    for node in nodes:
        step = recorded[node.id]
        transform = registry.transform(node.use)
        if node.id in edits:
            key = _edit_key(node, transform, edits[node.id])
        else:
            _, _, key = _node_key(node, transform, digests[node.input], ctx)
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
    manifest["run"] = job.run_id
    _write_manifest(out_dir, manifest)
    for node in nodes:
        if events:
            events(job.slug, node.id, "ok")
    return SourceResult(path=_shown_path(job), slug=job.slug, status="ok", steps=steps)


EDITED = "edited"


def _edit_key(node: Node, transform, edit_json: str) -> str:
    return step_key(f"{EDITED}:{node.use}", transform.version, {},
                    hashlib.sha256(edit_json.encode("utf-8")).hexdigest(), "")


def _edited_result(node: Node, transform, edit_json: str, cache: Cache,
                   record: StepRecord) -> CachedStep:
    """A node's result replaced by a person's edit, stored under a key of the edit itself,
    so every step downstream is keyed by (and re-run for) the edited content."""
    artifact = artifact_from_dict(json.loads(edit_json))
    if artifact.kind != transform.produces:
        raise RemixerError(f"the edit of {node.id} is {artifact.kind}, not {transform.produces}",
                           hint="edit the output as the kind its step makes")
    key = _edit_key(node, transform, edit_json)
    record.cache = EDITED
    record.detail.update({"version": transform.version, "input": node.input, "cache_key": key})
    return cache.get(key) or cache.put(key, artifact, notes=["edited by hand"],
                                       exports=_export_digests(transform.exports(artifact)))


def _run_node(node: Node, upstream: CachedStep, registry: Registry, cache: Cache,
              job: SourceJob, out_dir: Path, record: StepRecord,
              events: EventSink | None) -> CachedStep:
    """Run one node through the cache and bring its files in OUT up to date."""
    transform = registry.transform(node.use)
    ctx = Context(registry=registry, step_id=node.id, source_name=job.path.name,
                  scratch_root=cache.work_root, cache=cache, threads=job.options.threads,
                  progress=_progress_reporter(events, job.slug, node.id))
    edit = dict(job.options.edits).get(node.id)
    try:
        params_json, identity, key = _node_key(node, transform, upstream.digest, ctx)
        record.detail.update({"version": transform.version, "params": params_json,
                              "input": node.input, "input_digest": upstream.digest,
                              "model": identity, "cache_key": key})
        result = None
        if edit is not None:
            result = _edited_result(node, transform, edit, cache, record)
        elif not job.options.force:
            result = cache.get(key)
        record.cache = record.cache or ("miss" if result is None else "hit")
        if result is None:
            artifact = transform.run(upstream.artifact, node.params, ctx)
            expected = (upstream.artifact.kind if transform.produces == SAME_KIND
                        else transform.produces)
            if artifact.kind != expected:
                raise RemixerError(f"transform {node.use} returned {artifact.kind}, "
                                   f"not {expected}", hint="fix the plugin")
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


def result_from_manifest(manifest: dict[str, Any], job: SourceJob) -> SourceResult:
    """The SourceResult a manifest records (the inverse of ``_finish``)."""
    plain = {f for f in StepRecord.__dataclass_fields__ if f != "detail"}
    steps = [StepRecord(**{k: v for k, v in step.items() if k in plain},
                        detail={k: v for k, v in step.items() if k not in plain})
             for step in manifest.get("steps", [])]
    return SourceResult(path=_shown_path(job), slug=job.slug, status=manifest["status"],
                        error=manifest.get("error", ""), seconds=manifest.get("seconds", 0.0),
                        steps=steps)


def _this_runs_record(job: SourceJob, out_dir: Path) -> SourceResult | None:
    """The result an earlier attempt of this same run wrote, if one did."""
    if not job.run_id:
        return None
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("run") == job.run_id:
            return result_from_manifest(manifest, job)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def process_source(job: SourceJob, events: EventSink | None = None) -> SourceResult:
    """Load one source, run every node, write its outputs and manifest.

    Exactly once per run: a second attempt at the same job in the same run (Dask
    recomputes a finished task whose worker died before its result was collected) finds
    the manifest the first attempt wrote and returns that record, without touching it.
    """
    started = time.perf_counter()
    result = SourceResult(path=_shown_path(job), slug=job.slug, status="ok")
    out_dir = job.options.out_dir / job.slug
    earlier = _this_runs_record(job, out_dir)
    if earlier is not None:
        return earlier
    source_info: dict[str, Any] = {"path": str(job.path), "name": job.path.name}
    recipe: Recipe | None = None
    order: list[str] = []
    try:
        if job.refused:
            raise RemixerError(job.refused)
        registry = registry_for(job.plugin_config)
        recipe = _recipe_for(job, registry)
        if job.origin is not None:
            source_info["origin"] = job.origin.origin
            if job.origin.error:
                raise RemixerError(job.origin.error)
        loader = registry.loader_named(job.origin.loader) if job.origin and job.origin.loader \
            else registry.loader_for(job.path)
        order = [node.id for node in recipe.nodes]
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
        _finish(result, out_dir, job, source_info, started, recipe, order)
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
                kind = source_info["kind"]
                if node.input == SOURCE and kind not in transform.consumes:
                    raise RemixerError(
                        f"step {node.id!r} ({node.use}) takes {kinds_text(transform.consumes)}, "
                        f"but {job.path.name} is {kind}",
                        hint=f"use a recipe made for {kind} sources")
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
    _finish(result, out_dir, job, source_info, started, recipe, order)
    if events:
        events(job.slug, "", result.status)
    return result


def _finish(result: SourceResult, out_dir: Path, job: SourceJob, source_info: dict[str, Any],
            started: float, recipe: Recipe | None, order: list[str]) -> None:
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
        "run": job.run_id,
        "recipe": {"name": recipe.name if recipe else None, "path": job.recipe_origin},
        "brand": recipe.brand.record() if recipe and recipe.brand else None,
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
