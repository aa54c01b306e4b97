"""The batch report in a real browser: headless Chromium renders it from disk."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from bench.corpus import write_corpus

from .conftest import RECIPES

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs it with apt-get")
        pytest.skip("needs Debian's chromium (apt-get install chromium); CI installs it")
    return path


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])


@pytest.fixture
def batch(invoke, tmp_path):
    write_corpus(tmp_path / "in", 2)
    (tmp_path / "in" / "broken <b>.md").write_bytes(b"\x00\xff" * 40)
    out = tmp_path / "out"
    assert invoke("run", RECIPES / "article-text.yaml", tmp_path / "in", "-o", out).exit_code == 1
    return out


def test_every_report_link_points_at_a_file(batch):
    page = (batch / "index.html").read_text()
    links = Links()
    links.feed(page)
    assert len(links.hrefs) > 20
    for href in links.hrefs:
        assert (batch / href).is_file(), href
    assert "broken &lt;b&gt;.md" in page and "<b>" not in page


@pytest.mark.slow
def test_report_renders_in_chromium(batch, tmp_path):
    browser = chromium()
    profile = tmp_path / "profile"
    dom = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                          (batch / "index.html").as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert "3 sources: 2 ok, 1 failed" in dom
    assert dom.count('class="card ok"') == 2 and dom.count('class="card failed"') == 1
    assert "broken &lt;b&gt;.md" in dom  # a file name is text, never markup
    shot = tmp_path / "report.png"
    subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                    f"--screenshot={shot}", "--window-size=1200,1600",
                    (batch / "index.html").as_uri()], capture_output=True, timeout=120)
    assert shot.stat().st_size > 10_000


def _many_results(count: int):
    from engine.runner import SourceResult, StepRecord
    steps = [StepRecord(id=f"step-{k}", step="s", transform="summary", status="ok",
                        cache="miss", files=[f"step-{k}.md"]) for k in range(9)]
    results = [SourceResult(path=f"/in/article-{i:05d}.md", slug=f"article-{i:05d}",
                            status="ok", steps=steps) for i in range(count)]
    results[-1] = SourceResult(path="/in/x <b>y.md", slug="x-b-y", status="failed",
                               error="empty file")
    return results


def test_a_large_batch_report_pages_and_stays_small(tmp_path):
    from engine.report import PAGE_SIZE, write_report
    results = _many_results(10_000)
    index = write_report(results, tmp_path, "article-text")
    assert index.stat().st_size < 1_000_000
    pages = sorted((tmp_path / "_report").glob("page-*.html"))
    assert len(pages) == 10_000 // PAGE_SIZE - 1  # index.html is page 1
    assert 'href="../article-09998/step-0.md"' in pages[-1].read_text() or \
        any('article-09998/step-0.md' in p.read_text() for p in pages)
    # unchanged results: nothing is rewritten (the time stamp aside)
    stamps = {p: p.stat().st_mtime_ns for p in [index, *pages]}
    write_report(results, tmp_path, "article-text")
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    # fewer sources next time: stale pages go
    write_report(results[:150], tmp_path, "article-text")
    assert [p.name for p in (tmp_path / "_report").glob("page-*.html")] == ["page-2.html"]


@pytest.mark.slow
def test_large_report_search_works_in_chromium(tmp_path):
    from engine.report import write_report
    browser = chromium()
    write_report(_many_results(10_000), tmp_path, "article-text")
    url = (tmp_path / "index.html").as_uri()
    dom = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'p'}",
                          "--dump-dom", url + "?q=article-09990"],
                         capture_output=True, text=True, timeout=120).stdout
    assert 'href="_report/page-100.html#article-09990"' in dom
    dom = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'p'}",
                          "--dump-dom", url + "?status=failed"],
                         capture_output=True, text=True, timeout=120).stdout
    assert "x &lt;b&gt;y.md" in dom and "<b>y" not in dom


def test_steps_are_listed_in_recipe_order(invoke, tmp_path):
    recipe = tmp_path / "order.yaml"
    recipe.write_text("name: order\nsteps:\n"
                      "  - {id: summary, use: summary, with: {words: 50}}\n"
                      "  - {id: post, use: social-post, from: summary}\n"
                      "  - {id: thread, use: social-post, with: {thread: true}}\n"
                      "  - {id: points, use: key-points}\n")
    write_corpus(tmp_path / "in", 1)
    out = tmp_path / "out"
    assert invoke("run", recipe, tmp_path / "in", "-o", out).exit_code == 0
    page = (out / "index.html").read_text()
    rows = [page.index(f"<tr><td>{step}</td>") for step in ("summary", "post", "thread", "points")]
    assert rows == sorted(rows)  # post, which reads summary, no longer after thread and points


def test_batch_wide_outputs_are_linked(batch):
    from engine.report import write_report
    from engine.runner import SourceResult
    (batch / "podcast.xml").write_text("<rss/>")
    write_report([SourceResult(path="a.md", slug="a", status="ok")], batch, "podcast")
    page = (batch / "index.html").read_text()
    assert '<p class="batch" id="batch-outputs">For the whole batch: <a href="podcast.xml">podcast.xml</a>' in page
