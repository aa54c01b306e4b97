"""The job table: one SQLite file under ``--data`` (stdlib ``sqlite3``).

A job's row holds what it was asked to do (recipe, overrides, sources, edits, webhook)
and what became of it (state, per-source results, error), so a restarted server shows
every job and can run again any that was cut short. Each thread keeps its own
connection: the store is used from the event loop's threads and the dispatcher alike.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: a job waiting for a worker, being worked on, or one of the end states
QUEUED, RUNNING = "queued", "running"
DONE, FAILED, CANCELLED, INTERRUPTED = "done", "failed", "cancelled", "interrupted"
FINISHED = (DONE, FAILED, CANCELLED, INTERRUPTED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    state TEXT NOT NULL,
    recipe_name TEXT NOT NULL,
    recipe_path TEXT NOT NULL,
    overrides TEXT NOT NULL,
    sources TEXT NOT NULL,
    edits TEXT NOT NULL DEFAULT '{}',
    results TEXT NOT NULL DEFAULT '{}',
    error TEXT NOT NULL DEFAULT '',
    webhook TEXT NOT NULL DEFAULT ''
)
"""

_JSON_COLUMNS = ("overrides", "sources", "edits", "results")


@dataclass
class Job:
    """One row of the job table."""

    id: str
    created: float
    updated: float
    state: str
    recipe_name: str
    recipe_path: str
    #: ``STEP.PARAM=VALUE`` strings, exactly as ``remixer run --set`` takes them
    overrides: list[str]
    #: one ``{"path", "name", "slug"}`` per source; ``name`` is what the user called it
    sources: list[dict[str, str]]
    #: ``{slug: {node id: artifact JSON}}``: outputs a person edited
    edits: dict[str, dict[str, str]] = field(default_factory=dict)
    #: ``{slug: SourceResult as a dict}`` for every source that finished
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str = ""
    webhook: str = ""

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


class JobStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        db = self._connect()
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        """This thread's connection, kept open: closing the last connection to a WAL
        database checkpoints it, an fsync that would cost every call tens of ms."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.row_factory = sqlite3.Row
            # WAL with NORMAL sync: a crash of the server loses nothing committed; only
            # a power cut may lose the last few commits
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def create(self, *, recipe_name: str, recipe_path: str, overrides: list[str],
               sources: list[dict[str, str]], webhook: str = "", job_id: str | None = None) -> Job:
        now = time.time()
        job = Job(id=job_id or uuid.uuid4().hex[:12], created=now, updated=now, state=QUEUED,
                  recipe_name=recipe_name, recipe_path=recipe_path, overrides=overrides,
                  sources=sources, webhook=webhook)
        row = self._row(job)
        db = self._connect()
        db.execute(f"INSERT INTO jobs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                   list(row.values()))
        return job

    @staticmethod
    def _row(job: Job) -> dict[str, Any]:
        row = dict(job.__dict__)
        for name in _JSON_COLUMNS:
            row[name] = json.dumps(row[name], ensure_ascii=False)
        return row

    @staticmethod
    def _job(row: sqlite3.Row) -> Job:
        data = dict(row)
        for name in _JSON_COLUMNS:
            data[name] = json.loads(data[name])
        return Job(**data)

    def get(self, job_id: str) -> Job | None:
        db = self._connect()
        row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return self._job(row) if row else None

    def all(self) -> list[Job]:
        db = self._connect()
        rows = db.execute("SELECT * FROM jobs ORDER BY created DESC").fetchall()
        return [self._job(r) for r in rows]

    def in_states(self, *states: str) -> list[Job]:
        db = self._connect()
        rows = db.execute(f"SELECT * FROM jobs WHERE state IN ({', '.join('?' * len(states))}) "
                          "ORDER BY created", states).fetchall()
        return [self._job(r) for r in rows]

    def update(self, job_id: str, **values: Any) -> None:
        values["updated"] = time.time()
        for name in _JSON_COLUMNS:
            if name in values:
                values[name] = json.dumps(values[name], ensure_ascii=False)
        sets = ", ".join(f"{name} = ?" for name in values)
        db = self._connect()
        db.execute(f"UPDATE jobs SET {sets} WHERE id = ?", [*values.values(), job_id])

    def put_result(self, job_id: str, slug: str, result: dict[str, Any]) -> None:
        """Record one source's result (atomically, alongside the other sources')."""
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT results FROM jobs WHERE id = ?", (job_id,)).fetchone()
            results = json.loads(row["results"]) if row else {}
            results[slug] = result
            db.execute("UPDATE jobs SET results = ?, updated = ? WHERE id = ?",
                       (json.dumps(results, ensure_ascii=False), time.time(), job_id))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def delete(self, job_id: str) -> None:
        db = self._connect()
        db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
