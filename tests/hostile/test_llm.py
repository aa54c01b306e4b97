"""A text generator whose endpoint cannot work: refused connections and refused keys stop
that generator after the first proof (one line per affected step, no retries), while the
steps written by another generator are done."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.fake_openai import FakeOpenAI, error
from tests.hostile.harness import article, assert_sane, child_env, hostile_workspace, run_engine

MIXED = """name: mixed
defaults:
  generator: extractive
steps:
  - id: tldr
    use: summary
    with: {words: 25}
  - id: ai-summary
    use: summary
    with: {words: 60, generator: "openai:gpt-4o-mini"}
  - id: ai-points
    use: key-points
    with: {generator: "openai:gpt-4o-mini"}
"""
SOURCES = 4


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(tmp_path: Path, base_url: str, **env):
    ws = hostile_workspace(tmp_path / "ws")
    (ws / "recipe.yaml").write_text(MIXED)
    (ws / "src").mkdir()
    for i in range(SOURCES):
        (ws / "src" / f"article-{i}.md").write_text(article(f"Article {i}"))
    run = run_engine(["run", "recipe.yaml", "src", "-o", "out", "--cache-dir", "cache"], ws,
                     env=child_env(ws / "home", OPENAI_BASE_URL=base_url, **env), timeout=90)
    return ws, run


def _check(ws: Path, run, reason: str) -> None:
    assert_sane(run, max_seconds=30, max_mb=600)
    assert run.returncode == 1
    assert "retry" not in run.output.lower()
    for i in range(SOURCES):
        lines = run.failed_lines(f"article-{i}.md")  # one line per failed step
        assert len(lines) == 2 and all(reason in line for line in lines), run.stdout
        out = ws / "out" / f"article-{i}"
        assert (out / "tldr.md").is_file()  # the extractive step is done
        steps = {s["id"]: s for s in json.loads((out / "manifest.json").read_text())["steps"]}
        for step in ("ai-summary", "ai-points"):
            assert reason in steps[step]["error"]
            assert len(steps[step]["error"].splitlines()) == 1


@pytest.mark.hostile("dead endpoint")
def test_connection_refused_stops_the_generator(tmp_path):
    ws, run = _run(tmp_path, f"http://127.0.0.1:{_closed_port()}/v1")
    _check(ws, run, "connection refused")


@pytest.mark.hostile("dead endpoint")
def test_a_refused_key_is_tried_once(tmp_path):
    with FakeOpenAI(lambda request: error(401, "Incorrect API key provided")) as server:
        ws, run = _run(tmp_path, server.base_url, OPENAI_API_KEY="sk-wrong-key-1234")
        requests = len(server.chat_requests)
    _check(ws, run, "was refused")
    assert requests == 1
    assert "sk-wrong-key-1234" not in run.output
