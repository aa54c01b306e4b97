"""The batch index: which sources a run can skip without sending them to a worker.

``OUT/.remixer/index.sqlite`` records, for every source that finished ``ok``, the file's
size and modification time (and those of the pictures it names beside itself), its
manifest's, the run identity (recipe, transform
versions, parameters and model identities of every step: everything a step's cache key
holds except the input's digest) and the result. A re-run asks one ``stat`` of each
source and of its manifest and reads the index once: when all match, the source's
outputs are exactly what this run would write, so the coordinator records it as cached
and no worker sees it. Any difference (an edited source, another recipe or voice, a
deleted output folder) sends the source through the worker's own up-to-date check and
the cache as before.

What the index does not notice is an output file edited or deleted by hand inside a
source's folder whose manifest is untouched; ``--force`` (or deleting
``OUT/.remixer``) checks everything again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Iterable

from engine import __version__
from engine.plugins import Registry
from engine.recipe import Recipe
from engine.runner import MANIFEST, SourceJob, SourceResult, StepRecord
from engine.transform import Context

INDEX_DIR = ".remixer"
INDEX_FILE = "index.sqlite"
#: rows written per transaction while results arrive (a killed run keeps what it wrote)
COMMIT_EVERY = 500


def run_identity(recipe: Recipe, registry: Registry) -> str:
    """What every source's cache keys share in this run, as one digest."""
    ctx = Context(registry=registry, step_id="", source_name="")
    parts = [__version__, sorted((r.name, r.obj.version) for r in registry.loaders)]
    for node in recipe.nodes:
        transform = registry.transform(node.use)
        parts.append([node.id, node.use, transform.version, node.input, node.output, node.brand,
                      node.params.model_dump(mode="json"),
                      transform.model_identity(node.params, ctx)])
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


class BatchIndex:
    """An open index of one OUT folder."""

    def __init__(self, out_dir: Path, identity: str):
        self.out_dir = out_dir
        self.identity = identity
        folder = out_dir / INDEX_DIR
        folder.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(folder / INDEX_FILE)
        self.db.execute("CREATE TABLE IF NOT EXISTS sources (path TEXT PRIMARY KEY, "
                        "slug TEXT, source TEXT, manifest TEXT, identity TEXT, result TEXT)")
        self._pending: list[tuple] = []

    def split(self, jobs: Iterable[SourceJob]) -> tuple[list[tuple[int, SourceResult]],
                                                        list[tuple[int, SourceJob]]]:
        """``(fresh, stale)``: results of sources that need no work, and the jobs that do."""
        rows = {path: (slug, source, manifest, identity, result) for path, slug, source,
                manifest, identity, result in self.db.execute("SELECT * FROM sources")}
        fresh, stale = [], []
        for i, job in enumerate(jobs):
            row = rows.get(str(job.path))
            if (row is not None and row[0] == job.slug and row[3] == self.identity
                    and _unchanged(json.loads(row[1]), job.path)
                    and json.loads(row[2]) == list(_stamp(self._manifest(job)) or ())):
                fresh.append((i, _cached(json.loads(row[4]), job)))
            else:
                stale.append((i, job))
        return fresh, stale

    def record(self, job: SourceJob, result: SourceResult) -> None:
        """Remember a finished source (only ``ok`` ones: failures are always retried)."""
        if result.status != "ok":
            self._pending.append(("DELETE", str(job.path)))
        else:
            source, manifest = _stamp(job.path), _stamp(self._manifest(job))
            if source is None or manifest is None:
                return
            source = {"file": list(source), "pictures": _pictures(self._manifest(job))}
            summary = {"path": result.path, "slug": result.slug,
                       "steps": [{"id": s.id, "step": s.step, "transform": s.transform,
                                  "files": s.files, "notes": s.notes} for s in result.steps]}
            self._pending.append(("UPSERT", str(job.path), job.slug, json.dumps(source),
                                  json.dumps(manifest), self.identity, json.dumps(summary)))
        if len(self._pending) >= COMMIT_EVERY:
            self.commit()

    def commit(self) -> None:
        with self.db:
            for op, *values in self._pending:
                if op == "DELETE":
                    self.db.execute("DELETE FROM sources WHERE path = ?", values)
                else:
                    self.db.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?)",
                                    values)
        self._pending.clear()

    def close(self) -> None:
        self.commit()
        self.db.close()

    def _manifest(self, job: SourceJob) -> Path:
        return self.out_dir / job.slug / MANIFEST


def _pictures(manifest: Path) -> list[list]:
    """The stamps of the pictures a source names beside itself, as its manifest recorded
    them (``runner._picture_stamps``)."""
    try:
        return json.loads(manifest.read_text(encoding="utf-8"))["source"].get("pictures", [])
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _unchanged(recorded, path: Path) -> bool:
    """Whether a source file and the pictures it names still have the size and
    modification time ``recorded`` (an edited picture beside an unchanged article counts)."""
    if not isinstance(recorded, dict) or recorded.get("file") != list(_stamp(path) or ()):
        return False
    return all(list(_stamp(Path(picture)) or ()) == stamp
               for picture, *stamp in recorded.get("pictures", []))


def _cached(summary: dict, job: SourceJob) -> SourceResult:
    steps = [StepRecord(**step, status="ok", cache="hit") for step in summary["steps"]]
    return SourceResult(path=summary["path"], slug=job.slug, status="ok", steps=steps)

