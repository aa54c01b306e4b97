"""Hostile sources, names and command lines, all in one batch next to good sources.

One workspace holds every case; ``remixer run`` runs over it twice in a subprocess
(the second run proves outputs are not read back as sources). Each test then checks its
case in that run: a one-line reason, the good sources done, nothing written outside OUT
and the cache, no traceback, bounded time and memory.
"""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path

import pytest

from tests.hostile.harness import (RECIPES, article, assert_sane, child_env, hostile_workspace,
                                   pwned, run_engine, snapshot)

GOOD = ["good-1.md", "good-2.md", "good-3.md"]
ESC_NAME = "esc\x1b]0;PWNED\x07\x1b[31mred.md"


def _build(ws: Path) -> tuple[list[str], Path, Path]:
    """Every hostile case in ``ws/src``; returns (named sources, OUT, cache)."""
    src = ws / "src"
    src.mkdir()
    for i, name in enumerate(GOOD):
        (src / name).write_text(article(f"Good source {i}"))
    # slugs: three names that used to share folder a-x-2, two that differ only in case
    for rel in ("a/x.md", "b/x.md", "a-x.md", "a-x-2.md", "Case.md", "case.md"):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(article(f"Slug case {rel}"))
    # markup and control characters in names
    (src / "[not a style at all] y.md").write_text(article("Markup name"))
    (src / ESC_NAME).write_text(article("Escape name"))
    (src / "two\nlines.md").write_text(article("Newline name"))
    (src / "m[").mkdir()
    os.symlink("nowhere.md", src / "m[" / "]x.md")              # error text holds "[/]"
    (src / "m[" / "]secret.md").write_text(article("Secret"))    # so does this one's
    (src / "m[" / "]secret.md").chmod(0)
    (src / "bell\x07[bold].xyz").write_text("unsupported, with a bell in its name")
    # an alias bomb in a source's front matter
    bomb = ["b0: &b0 [x, x, x, x, x, x, x, x, x]"] + [
        f"b{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * 9) + "]" for i in range(1, 9)]
    (src / "front-bomb.md").write_text("---\n" + "\n".join(bomb) + "\n---\n"
                                       + article("Front matter bomb"))
    # deep HTML
    for name, depth in (("deep.html", 1000), ("deeper.html", 20000)):
        (src / name).write_text("<html><body><h1>Deep page</h1><p>It starts here.</p>"
                                + "<div>" * depth + ARTICLE_TEXT + "</div>" * depth
                                + "</body></html>")
    # special files
    os.mkfifo(src / "pipe.md")
    (src / "scan").mkdir()
    os.mkfifo(src / "scan" / "pipe-in-folder.md")
    os.symlink("/dev/zero", src / "zero.md")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(src / "socket.md"))
    sock.close()
    # symlinks
    os.symlink("missing.md", src / "dangling.md")
    os.symlink("loop.md", src / "loop.md")
    os.symlink("missing.md", src / "scan" / "dangling-in-folder.md")
    (ws / "elsewhere").mkdir()
    (ws / "elsewhere" / "linked.md").write_text(article("Linked source"))
    os.symlink(ws / "elsewhere" / "linked.md", src / "link-to-good.md")
    # unreadable
    (src / "locked.md").write_text(article("Locked"))
    (src / "locked.md").chmod(0)
    (src / "locked-in-folder").mkdir()
    (src / "locked-in-folder" / "inner.md").write_text(article("Locked folder"))
    (src / "locked-in-folder").chmod(0)
    # output inside the sources, and a file named inside it
    out, cache = src / "out", src / "cache"
    (out / "old").mkdir(parents=True)
    (out / "old" / "notes.md").write_text(article("Old output"))
    # argv: file names that look like group options
    (ws / "--plugins-dir=payload").write_text("a source with a hostile name")
    (ws / "--debug").write_text("another")
    named = ["src/pipe.md", "src/zero.md", "src/socket.md", "src/dangling.md", "src/loop.md",
             "src/link-to-good.md", "src/locked.md", "src/m[/]x.md", "src/m[/]secret.md",
             "src/bell\x07[bold].xyz", "src/out/old/notes.md"]
    return named, out, cache


ARTICLE_TEXT = ("Deeply nested pages still carry an article. This one has three sentences "
                "in its innermost element. The loader must find them without recursing.")


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    ws = hostile_workspace(tmp_path_factory.mktemp("hostile") / "ws")
    named, out, cache = _build(ws)
    before = snapshot(ws, skip=(out, cache))
    args = ["run", RECIPES / "article-text.yaml", "src", *named, "-o", out,
            "--cache-dir", cache, "--", "--plugins-dir=payload", "--debug"]
    env = child_env(ws / "home")
    first = run_engine(args, ws, env=env)
    second = run_engine(args, ws, env=env)
    after = snapshot(ws, skip=(out, cache))
    yield {"ws": ws, "out": out, "first": first, "second": second,
           "before": before, "after": after}
    for path in ((ws / "src" / "locked-in-folder"), (ws / "src" / "locked.md")):
        path.chmod(0o700)


def _manifest(out: Path, slug: str) -> dict:
    return json.loads((out / slug / "manifest.json").read_text(encoding="utf-8"))


def _ok(out: Path, name: str) -> list[dict]:
    """Manifests of sources called ``name`` that finished ok with every output written."""
    found = []
    for manifest_path in out.glob("*/manifest.json"):
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest["source"]["name"] == name and manifest["status"] == "ok":
            assert all((manifest_path.parent / f).is_file()
                       for step in manifest["steps"] for f in step["files"])
            found.append(manifest)
    return found


# --------------------------------------------------------------------------- the whole run

@pytest.mark.hostile("bounded")
def test_the_batch_is_bounded_and_quiet(batch):
    for run in (batch["first"], batch["second"]):
        assert_sane(run)
        assert run.returncode == 1  # some sources failed, the batch did not


@pytest.mark.hostile("bounded")
def test_nothing_is_written_outside_out_and_the_cache(batch):
    assert batch["after"] == batch["before"]


@pytest.mark.hostile("bounded")
@pytest.mark.parametrize("name", GOOD + ["x.md", "a-x.md", "a-x-2.md", "Case.md", "case.md",
                                         "link-to-good.md", "deep.html", "deeper.html",
                                         "[not a style at all] y.md", ESC_NAME])
def test_good_sources_are_done(batch, name):
    assert _ok(batch["out"], name), batch["first"].stdout


# --------------------------------------------------------------------------- classes

#: (class, source name as displayed, what its one failure line says)
REFUSED = [
    ("argv", "--plugins-dir=payload", "no loader reads"),
    ("argv", "--debug", "no loader reads"),
    ("output in sources", "notes.md", "src/out/old/notes.md is inside"),
    ("markup", "]x.md", "m[/]x.md is a broken symbolic link"),
    ("markup", "]secret.md", "cannot read src/m[/]secret.md: permission denied"),
    ("control characters", "bell\\x07[bold].xyz", "no loader reads .xyz"),
    ("yaml", "front-bomb.md", "front matter: the YAML expands to more values than the limit"),
    ("special files", "pipe.md", "is a named pipe (FIFO); remixer reads only regular files"),
    ("special files", "zero.md", "is a character device; remixer reads only regular files"),
    ("special files", "socket.md", "is a socket; remixer reads only regular files"),
    ("symlinks", "dangling.md", "is a broken symbolic link (its target missing.md"),
    ("symlinks", "loop.md", "is a symbolic link loop"),
    ("unreadable", "locked.md", "cannot read src/locked.md: permission denied"),
    ("unreadable", "locked-in-folder", "cannot read folder src/locked-in-folder: Permission denied"),
]


@pytest.mark.parametrize("name,reason", [pytest.param(name, reason, id=name,
                                                      marks=pytest.mark.hostile(cls))
                                         for cls, name, reason in REFUSED])
def test_a_hostile_source_fails_alone_in_one_line(batch, name, reason):
    assert reason in batch["first"].failed_line(name)
    assert not pwned(batch["ws"])


@pytest.mark.hostile("import path")
def test_python_m_engine_ignores_a_plugins_package_in_the_current_folder(batch):
    assert not pwned(batch["ws"])
    assert "local plugins/ imported" not in batch["first"].output


@pytest.mark.hostile("output in sources")
def test_outputs_are_not_read_back(batch):
    counts = [re.search(r"^(\d+) sources: ", run.stdout, re.M).group(1)
              for run in (batch["first"], batch["second"])]
    assert counts[0] == counts[1], counts
    names = {m["source"]["name"] for m in (json.loads(p.read_text()) for p in
                                           batch["out"].glob("*/manifest.json"))}
    assert not any(n.startswith(("tldr", "summary", "post", "thread", "key-points"))
                   for n in names)


@pytest.mark.hostile("slugs")
def test_every_source_has_its_own_folder(batch):
    out = batch["out"]
    by_path = {}
    for manifest_path in out.glob("*/manifest.json"):
        path = json.loads(manifest_path.read_text())["source"]["path"]
        assert path not in by_path, f"{path} in {by_path.get(path)} and {manifest_path}"
        by_path[path] = manifest_path.parent.name
    for rel in ("src/a/x.md", "src/b/x.md", "src/a-x.md", "src/a-x-2.md", "src/Case.md",
                "src/case.md"):
        assert any(p.endswith(rel) for p in by_path), rel
    assert len(set(by_path.values())) == len(by_path)


@pytest.mark.hostile("slugs")
def test_report_ids_are_unique(batch):
    page = (batch["out"] / "index.html").read_text(encoding="utf-8")
    ids = re.findall(r'<section class="card [a-z]+" id="([^"]+)"', page)
    assert len(ids) == len(set(ids)) > 10


@pytest.mark.hostile("markup")
def test_markup_in_a_name_is_shown_as_text(batch):
    assert "[not a style at all] y.md" in batch["first"].stdout


@pytest.mark.hostile("control characters")
def test_control_characters_in_names_are_shown_escaped(batch):
    out = batch["first"].output
    assert "\x1b" not in out and "\x07" not in out
    assert "esc\\x1b]0;PWNED\\x07\\x1b[31mred.md" in batch["first"].stdout


@pytest.mark.hostile("control characters")
def test_a_newline_in_a_name_keeps_its_row_on_one_line(batch):
    assert "two\\x0alines.md" in batch["first"].stdout
    assert _ok(batch["out"], "two\nlines.md")


@pytest.mark.hostile("deep html")
@pytest.mark.parametrize("name", ["deep.html", "deeper.html"])
def test_deep_html_loads(batch, name):
    manifest = _ok(batch["out"], name)[0]
    slug = next(p.parent.name for p in batch["out"].glob("*/manifest.json")
                if json.loads(p.read_text())["source"]["name"] == name)
    assert "innermost element" in (batch["out"] / slug / "summary-150.md").read_text() \
        or "nested pages" in (batch["out"] / slug / "summary-150.md").read_text()
    assert manifest["status"] == "ok"


@pytest.mark.hostile("special files")
def test_a_pipe_in_a_scanned_folder_is_skipped(batch):
    assert "pipe-in-folder" not in batch["first"].stdout