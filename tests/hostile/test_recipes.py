"""Hostile recipes and --set values: each refused before any work, in one line, fast and
in little memory, with nothing written. They run as subprocesses two at a time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.hostile.harness import (article, assert_sane, child_env, hostile_workspace,
                                   pwned, run_engine, snapshot)


def _bomb(levels: int = 9, width: int = 9) -> str:
    """A nested alias bomb: ``width ** levels`` values from a few hundred bytes."""
    lines = ["  b0: &b0 [" + ", ".join(["x"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"  b{level}: &b{level} [" + ", ".join([f"*b{level - 1}"] * width) + "]")
    return "\n".join(lines)


BASE = "name: hostile\nsteps:\n  - id: tldr\n    use: summary\n"

RECIPE_CASES = {
    # class, recipe text, extra arguments, what the one line says
    "bomb in defaults": ("yaml", f"name: hostile\ndefaults:\n{_bomb()}\n"
                         "steps:\n  - id: tldr\n    use: summary\n", [],
                         "expands to more values than the limit"),
    "bomb in with (validate)": ("yaml", BASE + "    with:\n      words:\n"
                                + _bomb().replace("  b", "        b"),
                                ["validate"], "expands to more values than the limit"),
    "bomb in --set": ("yaml", BASE, ["--set", "tldr.words=" + "{" + ", ".join(
        f"b{i}: &b{i} [" + ", ".join([f"*b{i - 1}" if i else "x"] * 9) + "]"
        for i in range(9)) + "}"], "expands to more values than the limit"),
    "recursive alias": ("yaml", "name: &n hostile\nsteps: &s\n  - id: tldr\n    use: summary\n"
                        "    with: &w {loop: *w}\n", [], "refers to the value that contains it"),
    "deep nesting": ("yaml", BASE + "    with:\n      words: " + "[" * 50000 + "]" * 50000 + "\n",
                     [], "nests deeper than the limit"),
    "huge document": ("yaml", BASE + "    description: '" + "x" * 1_200_000 + "'\n", [],
                      "over the YAML size limit"),
    "huge integer": ("yaml", BASE + "    with:\n      words: " + "9" * 6000 + "\n", [],
                     "YAML value Python cannot hold"),
    "huge matrix": ("limits", BASE + "    matrix:\n      words: [" + ", ".join(map(str, range(
        10, 110))) + "]\n      tone: [plain, warm, bold]\n  - id: post\n    use: social-post\n"
        "    from: tldr\n    matrix:\n      max_chars: [" + ", ".join(map(str, range(100, 3300))) + "]\n",
        [], "outputs per source, over the limit of 1,000"),
    "long matrix": ("limits", BASE + "    matrix:\n      words: [" + ", ".join(
        map(str, range(10, 5001))) + "]\n", [], "--max-outputs"),
    "long chain": ("limits", "name: hostile\nsteps:\n  - id: s0\n    use: summary\n" + "".join(
        f"  - id: s{i}\n    use: social-post\n    from: s{i - 1}\n" for i in range(1, 1500)),
        [], "outputs per source, over the limit"),
    "step id manifest": ("reserved", "name: hostile\nsteps:\n  - id: manifest\n    use: summary\n",
                         [], "'manifest' is reserved"),
    "step id index": ("reserved", "name: hostile\nsteps:\n  - id: index\n    use: summary\n",
                      ["validate"], "'index' is reserved"),
    "recipe is a pipe": ("special files", None, [], "is not a regular file"),
}


def _run_case(root: Path, case: str) -> dict:
    cls, text, extra, _ = RECIPE_CASES[case]
    ws = hostile_workspace(root / case.replace(" ", "-").replace("(", "").replace(")", ""))
    (ws / "good.md").write_text(article("Good source"))
    recipe = ws / "recipe.yaml"
    if text is None:
        import os
        os.mkfifo(recipe)
    else:
        recipe.write_text(text)
    before = snapshot(ws)
    if extra[:1] == ["validate"]:
        args = ["validate", recipe, *extra[1:]]
    else:
        args = ["run", recipe, "good.md", "-o", ws / "out", "--cache-dir", ws / "cache", *extra]
    run = run_engine(args, ws, env=child_env(ws / "home"), timeout=60)
    return {"run": run, "ws": ws, "before": before, "after": snapshot(ws)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("recipes")
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(RECIPE_CASES, pool.map(lambda c: _run_case(root, c), RECIPE_CASES)))


def _cases():
    return [pytest.param(case, marks=pytest.mark.hostile(cls), id=case)
            for case, (cls, *_) in RECIPE_CASES.items()]


@pytest.mark.parametrize("case", _cases())
def test_hostile_recipe_is_refused_in_one_line(runs, case):
    result = runs[case]
    run = result["run"]
    assert_sane(run, max_seconds=30, max_mb=400)
    assert run.returncode == 2, run.output
    expected = RECIPE_CASES[case][3]
    lines = [l for l in run.stderr.splitlines() if l.strip()]
    assert any(expected in l for l in lines), run.stderr[:2000]
    # one line, or the validate listing: "R is invalid:" and the one problem
    assert len(lines) == 1 or (len(lines) == 2 and lines[0].endswith("is invalid:")), lines
    assert all(len(l) < 400 for l in lines)
    assert result["after"] == result["before"]  # not even OUT or the cache
    assert not pwned(result["ws"])


@pytest.mark.hostile("limits")
def test_max_outputs_raises_the_limit(tmp_path):
    ws = hostile_workspace(tmp_path / "ws")
    recipe = ws / "recipe.yaml"
    recipe.write_text(BASE + "    matrix:\n      words: [" + ", ".join(
        map(str, range(10, 1210))) + "]\n")
    refused = run_engine(["validate", recipe], ws, env=child_env(ws / "home"), timeout=60)
    allowed = run_engine(["validate", recipe, "--max-outputs", "1200"], ws,
                         env=child_env(ws / "home"), timeout=60)
    assert refused.returncode == 2 and "--max-outputs" in refused.stderr
    assert_sane(allowed, max_seconds=30, max_mb=400)
    assert allowed.returncode == 0 and "1200 outputs per source" in allowed.stdout
