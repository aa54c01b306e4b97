"""A real run killed with SIGKILL mid-way leaves nothing half-written and resumes exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.corpus import write_corpus

from .conftest import RECIPES, ROOT

VOLATILE = {"manifest.json", "index.html"}  # they carry timings


def remixer(args: list, cache: Path) -> subprocess.Popen:
    env = {**os.environ, "REMIXER_CACHE_DIR": str(cache), "REMIXER_LOAD_PLUGINS": ""}
    return subprocess.Popen([sys.executable, "-m", "engine", "run", *map(str, args)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def outputs(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*")
            if p.is_file() and p.name not in VOLATILE
            and ".remixer" not in p.relative_to(out).parts}  # the batch index: stamps


def wait_for_manifests(out: Path, count: int, proc: subprocess.Popen, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list(out.glob("*/manifest.json"))) >= count:
            return
        time.sleep(0.02)


@pytest.mark.slow
def test_sigkill_then_resume_is_byte_identical(tmp_path):
    sources = write_corpus(tmp_path / "in", 24)
    recipe = RECIPES / "article-text.yaml"
    reference = tmp_path / "reference"
    assert remixer([recipe, *sources, "-o", reference], tmp_path / "ref-cache").wait() == 0
    expected = outputs(reference)

    out, cache = tmp_path / "out", tmp_path / "cache"
    for kill_after in (2, 7, 14):
        proc = remixer([recipe, *sources, "-o", out, "-j", "2"], cache)
        wait_for_manifests(out, kill_after, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # whatever is under a real name is complete: equal to the reference, or valid JSON
        for name, data in outputs(out).items():
            if not Path(name).name.startswith("."):
                assert data == expected[name], f"{name} is half-written after SIGKILL"
        for path in out.glob("*/manifest.json"):
            json.loads(path.read_text())

    final = remixer([recipe, *sources, "-o", out], cache)
    assert final.wait() == 0, final.stderr.read().decode()
    assert outputs(out) == expected
    assert not list(out.rglob("*.part"))
