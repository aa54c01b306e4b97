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
