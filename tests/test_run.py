"""Batch runs through the CLI: outputs, manifests, cache, failures that stay contained."""

from __future__ import annotations

import json
from pathlib import Path

from bench.corpus import write_corpus

from .conftest import RECIPES, SAMPLES

ARTICLE = RECIPES / "article-text.yaml"


def manifest(out: Path, slug: str) -> dict:
    return json.loads((out / slug / "manifest.json").read_text())


def test_sample_article_makes_every_output(invoke, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", ARTICLE, SAMPLES / "article.md", "-o", out)
    assert result.exit_code == 0, result.output
    folder = out / "article"
    expected = {"tldr.md", "summary-50.md", "summary-150.md", "summary-400.md", "key-points.md",
                "post-50.md", "post-150.md", "post-400.md", "thread.md", "thread.json",
                "manifest.json"}
    assert expected <= {p.name for p in folder.iterdir()}
    words = len((folder / "summary-150.md").read_text().split())
    assert 120 <= words <= 180
    assert all(len(p) <= 280 for p in json.loads((folder / "thread.json").read_text())["posts"])
    assert len((folder / "post-50.md").read_text().strip()) <= 280
    data = manifest(out, "article")
    assert data["status"] == "ok" and data["source"]["loader"] == "markdown"
    assert {s["cache"] for s in data["steps"]} == {"miss"}
    assert (out / "index.html").is_file()
    assert "1 source: 1 ok, 0 failed" in result.output


def test_second_run_is_all_cache_hits_and_changes_rerun_only_what_changed(invoke, tmp_path):
    out = tmp_path / "out"
    src = SAMPLES / "article.md"
    assert invoke("run", ARTICLE, src, "-o", out).exit_code == 0
    before = {p.name: p.read_bytes() for p in (out / "article").glob("*.md")}

    first = manifest(out, "article")
    again = invoke("run", ARTICLE, src, "-o", out)
    assert again.exit_code == 0
    assert f"(0 steps ran, {len(first['steps'])} from cache)" in again.output
    assert manifest(out, "article") == first  # skipped by the batch index: not rewritten
    assert before == {p.name: p.read_bytes() for p in (out / "article").glob("*.md")}

    # without the index, the source's own up-to-date check finds the same: all hits
    (out / ".remixer" / "index.sqlite").unlink()
    assert invoke("run", ARTICLE, src, "-o", out).exit_code == 0
    assert {s["cache"] for s in manifest(out, "article")["steps"]} == {"hit"}

    assert invoke("run", ARTICLE, src, "-o", out, "--set", "key-points.count=3").exit_code == 0
    caches = {s["id"]: s["cache"] for s in manifest(out, "article")["steps"]}
    assert caches.pop("key-points") == "miss"
    assert set(caches.values()) == {"hit"}
    assert len((out / "article" / "key-points.md").read_text().splitlines()) == 3

    assert invoke("run", ARTICLE, src, "-o", out, "--force").exit_code == 0
    assert {s["cache"] for s in manifest(out, "article")["steps"]} == {"miss"}


def test_a_corrupt_source_fails_alone(invoke, tmp_path):
    sources = tmp_path / "in"
    write_corpus(sources, 2)
    (sources / "broken.md").write_bytes(b"\x00\x01\x02binary junk\xff\xfe" * 50)
    (sources / "empty.md").write_text("   \n")
    out = tmp_path / "out"
    result = invoke("run", ARTICLE, sources, "-o", out)
    assert result.exit_code == 1
    assert "4 sources: 2 ok, 2 failed" in result.output
    assert "broken.md" in result.output and "empty.md" in result.output
    assert (out / "article-000" / "summary-150.md").is_file()
    assert (out / "article-001" / "summary-150.md").is_file()
    broken = manifest(out, "broken")
    assert broken["status"] == "failed" and "\n" not in broken["error"]
    assert not any(p.suffix == ".md" for p in (out / "broken").iterdir())


def test_unreadable_kind_of_source_is_a_one_line_error(invoke, tmp_path):
    odd = tmp_path / "notes.xyz"
    odd.write_text("hello")
    out = tmp_path / "out"
    result = invoke("run", ARTICLE, odd, "-o", out)
    assert result.exit_code == 1
    assert "no loader reads .xyz" in manifest(out, "notes")["error"]


def test_only_runs_the_named_step_and_what_it_needs(invoke, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", ARTICLE, SAMPLES / "article.md", "-o", out, "--only", "post-150")
    assert result.exit_code == 0, result.output
    written = {p.name for p in (out / "article").glob("*.md")}
    assert written == {"post-150.md"}
    assert [s["id"] for s in manifest(out, "article")["steps"]] == ["summary-150", "post-150"]


def test_parallel_jobs_give_the_same_outputs(invoke, tmp_path):
    sources = write_corpus(tmp_path / "in", 4)
    one, two = tmp_path / "one", tmp_path / "two"
    assert invoke("run", ARTICLE, *sources, "-o", one, "--cache-dir", tmp_path / "c1").exit_code == 0
    assert invoke("run", ARTICLE, *sources, "-o", two, "-j", "2",
                  "--cache-dir", tmp_path / "c2").exit_code == 0
    for path in one.rglob("*.md"):
        assert path.read_bytes() == (two / path.relative_to(one)).read_bytes()


def test_same_stem_in_two_folders_gets_two_output_folders(invoke, tmp_path):
    for folder in ("a", "b"):
        write_corpus(tmp_path / folder, 1)
    out = tmp_path / "out"
    result = invoke("run", ARTICLE, tmp_path / "a", tmp_path / "b", "-o", out, "--only", "tldr")
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir() if p.is_dir() and p.name[0] not in "._"} == {"a-article-000", "b-article-000"}


def test_posts_end_with_the_configured_call_to_action(invoke, tmp_path):
    """Issue 12: the link or call to action closes the post, within the limit, and the
    post is never its input summary."""
    out = tmp_path / "out"
    result = invoke("run", ARTICLE, SAMPLES / "article.md", "-o", out,
                    "--set", "post.call_to_action='Read the whole piece:'",
                    "--set", "post.link=https://example.org/roots",
                    "--set", "thread.link=https://example.org/roots")
    assert result.exit_code == 0, result.output
    for words in (50, 150, 400):
        post = (out / "article" / f"post-{words}.md").read_text().strip()
        summary = (out / "article" / f"summary-{words}.md").read_text().strip()
        assert post.endswith("Read the whole piece: https://example.org/roots")
        assert len(post) <= 280 and post != summary
    thread = (out / "article" / "thread.md").read_text().strip()
    assert thread.endswith("\n\nhttps://example.org/roots")


def test_an_edited_output_feeds_the_steps_downstream(registry, tmp_path):
    """RunOptions.edits: the edit replaces the node's result; only its readers run again."""
    from engine.artifacts import Text
    from engine.plugins import PluginConfig
    from engine.recipe import load_recipe
    from engine.runner import RunOptions, SourceJob, process_source

    recipe = load_recipe(RECIPES / "article-text.yaml", registry)

    def run(edits=()):
        options = RunOptions(out_dir=tmp_path / "out", cache_dir=tmp_path / "cache", edits=edits)
        job = SourceJob(path=SAMPLES / "article.md", slug="article", recipe_raw=recipe.raw,
                        recipe_origin="article-text.yaml",
                        plugin_config=PluginConfig(load_entry_points=False), options=options)
        return {s.id: s for s in process_source(job).steps}

    run()
    edit = Text(title="t", body="Edited by hand: trees cool streets. Water them.")
    steps = run(edits=(("summary-150", edit.model_dump_json()),))
    assert steps["summary-150"].cache == "edited"
    assert steps["post-150"].cache == "miss"
    assert {s.cache for i, s in steps.items() if i not in ("summary-150", "post-150")} == {"hit"}
    out = tmp_path / "out" / "article"
    assert (out / "summary-150.md").read_text().strip() == edit.body
    assert "Edited by hand" in (out / "post-150.md").read_text()
    again = run(edits=(("summary-150", edit.model_dump_json()),))  # unchanged: nothing runs
    assert {s.cache for s in again.values()} == {"hit"}
    reverted = run()
    assert reverted["summary-150"].cache == "hit" and reverted["post-150"].cache == "hit"
    assert "Edited by hand" not in (out / "post-150.md").read_text()


def test_a_picture_changed_beside_an_unchanged_article_is_seen(invoke, tmp_path):
    """The load is cached by the article's bytes, but its pictures live beside it: an
    edited picture, or the folder moved away, must not come back from the cache."""
    from PIL import Image

    folder = tmp_path / "a"
    folder.mkdir()
    body = (SAMPLES / "article.md").read_text().split("\n## ", 1)[1]
    (folder / "post.md").write_text(f"# Shade\n\nStreets need shade.\n\n"
                                    f"![A street tree](tree.png)\n\n## {body}")
    Image.new("RGB", (64, 48), "green").save(folder / "tree.png")
    out = tmp_path / "out"
    assert invoke("run", ARTICLE, folder / "post.md", "-o", out).exit_code == 0
    first = manifest(out, "post")["source"]

    Image.new("RGB", (64, 48), "orange").save(folder / "tree.png", compress_level=0)
    assert invoke("run", ARTICLE, folder / "post.md", "-o", out).exit_code == 0
    edited = manifest(out, "post")["source"]
    assert edited["digest"] != first["digest"]          # loaded again, not from the cache
    assert str(folder / "tree.png") in [p[0] for p in first["pictures"]]
    assert edited["pictures"] != first["pictures"]

    moved = tmp_path / "b"
    folder.rename(moved)
    assert invoke("run", ARTICLE, moved / "post.md", "-o", out).exit_code == 0
    pictures = [p[0] for p in manifest(out, "post")["source"]["pictures"]]
    assert str(moved / "tree.png") in pictures
    assert all(p.startswith(str(moved)) for p in pictures)
