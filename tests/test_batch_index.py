"""The batch index: unchanged sources are skipped by the coordinator; anything else runs."""

from __future__ import annotations

import re
import shutil

from bench.corpus import write_corpus

from .conftest import RECIPES

ARTICLE = RECIPES / "article-text.yaml"
STEPS = 9  # nodes of article-text.yaml


def counts(output: str) -> tuple[int, int]:
    match = re.search(r"\((\d+) steps? ran, (\d+) from cache\)", output)
    assert match, output
    return int(match[1]), int(match[2])


def test_only_changed_or_damaged_sources_reach_a_worker(invoke, tmp_path):
    sources = write_corpus(tmp_path / "in", 4)
    out = tmp_path / "out"
    assert counts(invoke("run", ARTICLE, tmp_path / "in", "-o", out).output) == (4 * STEPS, 0)
    assert counts(invoke("run", ARTICLE, tmp_path / "in", "-o", out).output) == (0, 4 * STEPS)

    edited = sources[0]
    edited.write_text(edited.read_text() + "\nOne more sentence was added to the article.\n")
    shutil.rmtree(out / sources[1].stem)  # a deleted output folder is noticed too
    result = invoke("run", ARTICLE, tmp_path / "in", "-o", out)
    ran, cached = counts(result.output)
    assert ran >= 1 and ran + cached == 4 * STEPS
    assert (out / sources[1].stem / "summary-150.md").is_file()
    # the edited source's steps that depend on its text ran again; the other three did not
    assert counts(invoke("run", ARTICLE, tmp_path / "in", "-o", out).output) == (0, 4 * STEPS)


def test_a_failed_source_is_always_tried_again(invoke, tmp_path):
    write_corpus(tmp_path / "in", 1)
    bad = tmp_path / "in" / "empty.md"
    bad.write_text("")
    out = tmp_path / "out"
    assert invoke("run", ARTICLE, tmp_path / "in", "-o", out).exit_code == 1
    bad.write_text("# Now it has words\n\nA short article that is no longer empty at all.\n")
    result = invoke("run", ARTICLE, tmp_path / "in", "-o", out)
    assert result.exit_code == 0, result.output
    assert "2 sources: 2 ok, 0 failed" in result.output


def test_force_and_other_parameters_bypass_the_index(invoke, tmp_path):
    write_corpus(tmp_path / "in", 2)
    out = tmp_path / "out"
    invoke("run", ARTICLE, tmp_path / "in", "-o", out)
    assert counts(invoke("run", ARTICLE, tmp_path / "in", "-o", out, "--force").output) == \
        (2 * STEPS, 0)
    ran, _ = counts(invoke("run", ARTICLE, tmp_path / "in", "-o", out,
                           "--set", "key-points.count=3").output)
    assert ran == 2  # only key-points, once per source
