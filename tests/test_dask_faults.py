"""Dask under faults: a lost worker never leaves manifests that disagree with the summary.

Dask recomputes a task whose worker died, including one that had already finished (its
result lived in the dead worker's memory). Each source must still be written exactly once
per run: the recomputation finds its own run's manifest and returns that record.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.corpus import write_corpus
from engine.plugins import PluginConfig
from engine.runner import RunOptions, SourceJob, process_source, recipe_key
from engine.recipe import read_recipe_file

from .conftest import RECIPES, ROOT

SLOW_PLUGIN = '''
import time
import engine
from engine.artifacts import Text, as_document


class Pause(engine.Transform):
    """Take a while, so a worker can be killed in the middle of a batch."""

    name = "pause"
    consumes = ("document",)
    produces = "text"

    class Params(engine.Params):
        seconds: float = 0.4

    def run(self, source, params, ctx):
        time.sleep(params.seconds)
        return Text(title=as_document(source).title, body="paused")


@engine.hookimpl
def register_transforms(register):
    register(Pause)
'''

RECIPE = """
name: faults
steps:
  - id: pause
    use: pause
  - id: tldr
    use: summary
    with: {words: 25}
"""


def _job(tmp_path: Path, source: Path, run_id: str) -> SourceJob:
    raw = read_recipe_file(RECIPES / "article-text.yaml")
    options = RunOptions(out_dir=tmp_path / "out", cache_dir=tmp_path / "cache")
    return SourceJob(path=source, slug=source.stem, recipe_raw=raw, recipe_origin="article-text",
                     plugin_config=PluginConfig(load_entry_points=False), options=options,
                     recipe_key=recipe_key(raw), run_id=run_id)


def test_a_second_attempt_in_the_same_run_returns_the_first_record(tmp_path):
    source = write_corpus(tmp_path / "in", 1)[0]
    job = _job(tmp_path, source, "run-1")
    first = process_source(job)
    manifest = tmp_path / "out" / source.stem / "manifest.json"
    stamp = manifest.stat().st_mtime_ns
    again = process_source(job)
    assert manifest.stat().st_mtime_ns == stamp  # not rewritten
    assert [(s.id, s.cache, s.status) for s in again.steps] == \
        [(s.id, s.cache, s.status) for s in first.steps]
    assert again.ran == first.ran > 0
    # a new run does its own work (here: all from the cache) and says so
    later = process_source(_job(tmp_path, source, "run-2"))
    assert later.ran == 0 and later.cached == len(first.steps)
    assert json.loads(manifest.read_text())["run"] == "run-2"


@pytest.mark.slow
def test_killing_a_worker_mid_run_leaves_manifests_summary_and_report_agreeing(tmp_path):
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    write_corpus(tmp_path / "in", 24)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "pause.py").write_text(SLOW_PLUGIN)
    (tmp_path / "faults.yaml").write_text(RECIPE)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REMIXER_LOAD_PLUGINS": "",
           "REMIXER_CACHE_DIR": str(tmp_path / "cache")}
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    try:
        run = subprocess.Popen(
            [sys.executable, "-m", "engine", "--plugins-dir", str(plugins), "run",
             str(tmp_path / "faults.yaml"), str(tmp_path / "in"), "-o", str(out),
             "--executor", "dask", "--scheduler", cluster.scheduler_address],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while len(list(out.glob("*/manifest.json"))) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        victim = next(iter(client.run(os.getpid).values()))
        os.kill(victim, signal.SIGKILL)  # the nanny restarts it; its tasks are recomputed
        stdout, stderr = run.communicate(timeout=300)
    finally:
        client.close()
        cluster.close()
    assert run.returncode == 0, stdout + stderr
    assert "Traceback" not in stderr
    manifests = [json.loads(p.read_text()) for p in sorted(out.glob("*/manifest.json"))]
    assert len(manifests) == 24
    assert len({m["run"] for m in manifests}) == 1  # every one written by this run
    ran = sum(1 for m in manifests for s in m["steps"] if s["cache"] == "miss")
    cached = sum(1 for m in manifests for s in m["steps"] if s["cache"] == "hit")
    match = re.search(r"\((\d+) steps? ran, (\d+) from cache\)", stdout)
    assert match, stdout
    assert (int(match[1]), int(match[2])) == (ran, cached)
    assert ran >= 24  # every source's pause step really ran in this run
    report = (out / "index.html").read_text()
    assert "24 sources: 24 ok, 0 failed" in report
