"""Content-addressed step cache.

A step's key is the sha256 of (transform, its version, parameters, the input artifact's
digest, model identity). Its record is one JSON file written atomically *after* every
file it refers to is in the blob store, so a record that exists is always complete.
Blobs are named by their content's sha256; records store blob paths relative to the
cache root, so a cache folder can be moved or shared by Dask workers on a shared disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from engine import atomic
from engine.artifacts import Artifact, artifact_from_dict, file_sha256

CACHE_ENV = "REMIXER_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$REMIXER_CACHE_DIR``, else ``$XDG_CACHE_HOME/remixer``, else ``~/.cache/remixer``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "remixer"


def step_key(transform: str, version: str, params: dict[str, Any], input_digest: str,
             model_identity: str) -> str:
    payload = json.dumps({"transform": transform, "version": version, "params": params,
                          "input": input_digest, "model": model_identity},
                         sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class CachedStep:
    """A step result known by its digest; the artifact is parsed only when asked for.

    A fully cached re-run needs digests (to key the next steps) and export digests (to
    see that the output files are already right), not the artifacts themselves.
    """

    def __init__(self, data: dict[str, Any], notes: tuple[str, ...], digest: str,
                 exports: dict[str, str], metrics: dict[str, Any],
                 artifact: Artifact | None = None):
        self._data = data
        self._artifact = artifact
        self.notes = notes
        self.digest = digest
        self.exports = exports
        self.metrics = metrics

    @property
    def artifact(self) -> Artifact:
        if self._artifact is None:
            self._artifact = artifact_from_dict(self._data)
        return self._artifact


class Cache:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.steps_dir = self.root / "steps"
        self.blobs_dir = self.root / "blobs"
        self.work_root = self.root / "work"

    def _record_path(self, key: str) -> Path:
        return self.steps_dir / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedStep | None:
        """The cached result for ``key``, or None (also when a file has gone missing)."""
        try:
            record = json.loads(self._record_path(key).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        data = record["artifact"]
        for name in record.get("files", []):
            path = self.root / data[name]  # an absolute path stays as it is
            if not path.is_file():
                return None
            data[name] = str(path)
        return CachedStep(data, tuple(record.get("notes", [])), record["digest"],
                          record.get("exports", {}), record.get("metrics", {}))

    def put(self, key: str, artifact: Artifact, *, notes: list[str] | tuple[str, ...] = (),
            exports: dict[str, str] | None = None, metrics: dict[str, Any] | None = None,
            adopt_files: bool = True) -> CachedStep:
        """Store a result. Its files move into the blob store unless ``adopt_files`` is
        False (a source file stays where the user keeps it; the record points at it).
        ``exports`` are the digests of the files the step writes to OUT, by extension;
        ``metrics`` what making it cost (tokens, seconds of audio), kept for the manifest."""
        paths: dict[str, str] = {}
        for name, path in artifact.files().items():
            paths[name] = (str(self._adopt(path).relative_to(self.root)) if adopt_files
                           else str(Path(path).resolve()))
        stored = artifact.model_copy(update={n: self.root / r for n, r in paths.items()})
        digest = stored.digest()
        data = stored.model_dump(mode="json")
        data.update(paths)
        record = {"artifact": data, "files": sorted(paths), "notes": list(notes),
                  "digest": digest, "exports": exports or {}, "metrics": metrics or {}}
        atomic.write_bytes(self._record_path(key),
                           json.dumps(record, ensure_ascii=False).encode("utf-8"))
        return CachedStep(data, tuple(notes), digest, exports or {}, metrics or {}, stored)

    def _adopt(self, path: Path) -> Path:
        """Move a produced file into the blob store under its content digest."""
        path = Path(path)
        sha = file_sha256(path)
        blob = self.blobs_dir / sha[:2] / f"{sha}{path.suffix.lower()}"
        if blob.is_file():
            return blob
        if self.work_root in path.parents:
            atomic.move_file(path, blob)
        else:
            atomic.copy_file(path, blob)
        return blob

    def new_work_dir(self) -> Path:
        """A scratch folder on the cache's disk (so adopting files is a rename)."""
        self.work_root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=self.work_root))

    def info(self) -> dict[str, Any]:
        def usage(folder: Path, pattern: str) -> tuple[int, int]:
            files = [p for p in folder.rglob(pattern) if p.is_file()] if folder.is_dir() else []
            return len(files), sum(p.stat().st_size for p in files)

        steps, step_bytes = usage(self.steps_dir, "*.json")
        blobs, blob_bytes = usage(self.blobs_dir, "*")
        return {"path": str(self.root), "steps": steps, "blobs": blobs,
                "bytes": step_bytes + blob_bytes}

    def clear(self) -> None:
        for folder in (self.steps_dir, self.blobs_dir, self.work_root):
            shutil.rmtree(folder, ignore_errors=True)
