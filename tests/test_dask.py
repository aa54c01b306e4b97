"""The Dask executor: the same work on a real (local) Dask cluster gives the same files."""

from __future__ import annotations

import json

import pytest

from bench.corpus import write_corpus

from .conftest import RECIPES


@pytest.mark.slow
def test_dask_executor_matches_local(invoke, tmp_path):
    sources = write_corpus(tmp_path / "in", 4)
    (tmp_path / "in" / "bad.md").write_text("")
    local, dask = tmp_path / "local", tmp_path / "dask"
    recipe = RECIPES / "article-text.yaml"
    assert invoke("run", recipe, tmp_path / "in", "-o", local,
                  "--cache-dir", tmp_path / "c1").exit_code == 1
    result = invoke("run", recipe, tmp_path / "in", "-o", dask, "-j", "2",
                    "--executor", "dask", "--cache-dir", tmp_path / "c2")
    assert result.exit_code == 1, result.output
    assert "5 sources: 4 ok, 1 failed" in result.output
    for path in local.rglob("*.md"):
        assert path.read_bytes() == (dask / path.relative_to(local)).read_bytes()
    assert len(sources) == len(list(dask.glob("article-*/summary-150.md")))
    assert json.loads((dask / "bad" / "manifest.json").read_text())["status"] == "failed"


@pytest.mark.slow
def test_unreachable_scheduler_is_a_one_line_error(invoke, tmp_path):
    write_corpus(tmp_path / "in", 1)
    result = invoke("run", RECIPES / "article-text.yaml", tmp_path / "in", "-o", tmp_path / "out",
                    "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
