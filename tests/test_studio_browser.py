"""The studio in a real browser: Debian's chromium driven by Playwright's Python API.

Drops samples/article.md on the new-job page, runs recipes/article-text.yaml, watches the
progress finish, opens the summary, edits it, sees the post re-rendered from the edit,
downloads the zip, and takes the screenshot the README shows: with
REMIXER_UPDATE_SCREENSHOT=1 it replaces docs/studio.png, else it stays in the test's folder.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile

import pytest

from bench.studio_server import StudioServer

from .conftest import ROOT, SAMPLES

pytest.importorskip("fastapi", reason="the studio needs its extra: pip install -e '.[studio]'")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT = ROOT / "docs" / "studio.png"


def browser_or_skip():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is missing in CI: the dev extra installs it")
        pytest.skip("needs Playwright's Python API (pip install -e '.[dev]'); CI installs it")
    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs it with apt-get")
        pytest.skip("needs Debian's chromium (apt-get install chromium); CI installs it")
    return sync_playwright


@pytest.mark.slow
def test_drop_run_review_edit_rerender_download(tmp_path):
    sync_playwright = browser_or_skip()
    studio = StudioServer(tmp_path / "data", env={"REMIXER_CACHE_DIR": str(tmp_path / "cache")}).start()
    article = (SAMPLES / "article.md").read_text(encoding="utf-8")
    edited = ("Street trees cool a city block by several degrees. This sentence was written "
              "in the studio's editor, not by the summariser.")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM)
                                        else shutil.which("chromium"), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            page.goto(f"{studio.url}/new")
            dropped = page.evaluate_handle(
                """(text) => { const dt = new DataTransfer();
                   dt.items.add(new File([text], 'article.md', {type: 'text/markdown'}));
                   return dt; }""", article)
            page.dispatch_event("#drop", "drop", {"dataTransfer": dropped})
            assert "article.md" in page.inner_text("#dropped")
            page.select_option("#recipe", "article-text")
            assert page.is_visible("fieldset[data-recipe='article-text']")
            assert not page.is_visible("fieldset[data-recipe='article']")
            page.screenshot(path=str(tmp_path / "new.png"), full_page=True)
            page.click("#start")

            page.wait_for_url("**/jobs/*")
            page.wait_for_selector("#state.done", timeout=60_000)
            page.wait_for_selector("tr[data-step='summary-150'] pre.text")
            assert "9 of 9 steps" in page.inner_text("#progress-line")
            job_url = page.url

            page.click("tr[data-step='summary-150'] td:first-child a")
            page.wait_for_selector("#edit-text")
            generated = page.input_value("#edit-text")
            assert len(generated.split()) > 100
            page.screenshot(path=str(tmp_path / "step.png"), full_page=True)
            page.fill("#edit-text", edited)
            page.click("#save")

            page.wait_for_url(job_url)
            page.wait_for_selector("#state.done", timeout=60_000)
            post = page.inner_text("tr[data-step='post-150'] pre.text")
            assert "written in the studio's editor" in post
            assert "edited" in page.inner_text("tr[data-step='summary-150']")
            shot = SCREENSHOT if os.environ.get("REMIXER_UPDATE_SCREENSHOT") else tmp_path / "studio.png"
            page.screenshot(path=str(shot), full_page=False)

            with page.expect_download() as download:
                page.click("#zip")
            archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
            assert archive.read("article/summary-150.md").decode().strip() == edited
            assert "written in the studio's editor" in archive.read("article/post-150.md").decode()

            browser.close()
    finally:
        studio.stop()
    assert shot.stat().st_size > 20_000
