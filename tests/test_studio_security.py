"""Each of the studio's security rules, tested: tokens on a non-local bind, login cookie,
CSRF, uploads and outputs that never escape their folders, escaped user text."""

from __future__ import annotations

import re
import sys

import pytest

from .conftest import SAMPLES
from .studio_fixtures import client_for, wait_finished

ARTICLE = (SAMPLES / "article.md").read_bytes()
EVIL = "http://evil.example"


def csrf_of(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html)[1]


def test_without_the_extra_serve_says_what_to_install(invoke, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn raises ImportError
    result = invoke("serve")
    assert result.exit_code == 2
    assert result.output.strip() == ("Error: remixer serve needs the studio extra "
                                     "(pip install 'remixer[studio]')")


@pytest.fixture
def guarded(tmp_path):
    with client_for(tmp_path, token="letmein", public=True) as client:
        yield client


def test_a_token_is_needed_for_every_api_call_and_page(guarded):
    assert guarded.get("/api/jobs").status_code == 401
    assert guarded.get("/api/jobs", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert guarded.get("/openapi.json").status_code == 401
    assert guarded.get("/docs").status_code == 401
    assert guarded.get("/api/jobs", headers={"Authorization": "Bearer letmein"}).status_code == 200
    assert guarded.get("/api/jobs", headers={"X-Remixer-Token": "letmein"}).status_code == 200
    for page in ("/", "/new", "/jobs/0123456789ab"):
        answer = guarded.get(page, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), page
    assert guarded.get("/static/studio.js").status_code == 200  # assets hold no secrets


def test_the_login_form_sets_an_httponly_cookie(guarded):
    form = guarded.get("/login")
    token = csrf_of(form.text)
    wrong = guarded.post("/login", data={"token": "nope", "csrf_token": token, "next": "/new"},
                         follow_redirects=False)
    assert wrong.status_code == 401 and "wrong token" in wrong.text
    right = guarded.post("/login", data={"token": "letmein", "csrf_token": token, "next": "/new"},
                         follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/new"
    cookie = right.headers["set-cookie"]
    assert cookie.startswith("remixer_session=") and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower() and "letmein" not in cookie
    assert guarded.get("/new").status_code == 200
    assert guarded.get("/api/jobs").status_code == 200
    # an offsite redirect target is not followed
    offsite = guarded.post("/login", data={"token": "letmein", "csrf_token": token,
                                           "next": "//evil.example/"}, follow_redirects=False)
    assert offsite.headers["location"] == "/"


def test_a_signed_in_browser_needs_the_csrf_token_to_change_anything(guarded):
    token = csrf_of(guarded.get("/login").text)
    guarded.post("/login", data={"token": "letmein", "csrf_token": token})
    files = [("files", ("article.md", ARTICLE, "text/markdown"))]
    forged = guarded.post("/new", data={"recipe": "article-text"}, files=files,
                          headers={"Origin": EVIL}, follow_redirects=False)
    assert forged.status_code == 403
    made = guarded.post("/new", data={"recipe": "article-text", "csrf_token": token},
                        files=files, follow_redirects=False)
    assert made.status_code == 303
    job_id = made.headers["location"].rsplit("/", 1)[1]
    assert guarded.post(f"/api/jobs/{job_id}/cancel", headers={"Origin": EVIL}).status_code == 403
    assert guarded.delete(f"/api/jobs/{job_id}").status_code == 403


def test_an_api_client_with_the_token_needs_no_csrf(guarded):
    auth = {"Authorization": "Bearer letmein"}
    answer = guarded.post("/api/jobs", data={"recipe": "article-text"}, headers=auth,
                          files=[("files", ("article.md", ARTICLE, "text/markdown"))])
    assert answer.status_code == 201
    assert wait_finished(guarded, answer.json()["id"], headers=auth)["state"] == "done"


@pytest.fixture
def local(tmp_path):
    with client_for(tmp_path) as client:
        yield client


def test_local_forms_need_the_csrf_token(local):
    files = [("files", ("article.md", ARTICLE, "text/markdown"))]
    # a page elsewhere posting to the local studio: its browser sends an Origin
    forged = local.post("/new", data={"recipe": "article-text"}, files=files,
                        headers={"Origin": EVIL, "Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 403
    assert local.get("/api/jobs").json() == []
    token = csrf_of(local.get("/new").text)
    wrong = local.post("/new", data={"recipe": "article-text", "csrf_token": "x" * 43},
                       files=files, headers={"Origin": EVIL})
    assert wrong.status_code == 403
    made = local.post("/new", data={"recipe": "article-text", "csrf_token": token}, files=files,
                      follow_redirects=False)
    assert made.status_code == 303


def test_outputs_are_never_served_from_outside_the_job_folder(local, tmp_path):
    job = wait_finished(local, local.post(
        "/api/jobs", data={"recipe": "article-text"},
        files=[("files", ("article.md", ARTICLE, "text/markdown"))]).json()["id"])
    out = tmp_path / "data" / "jobs" / job["id"] / "out"
    (tmp_path / "outside.txt").write_text("secret")
    (out / "article" / "link.md").symlink_to(tmp_path / "outside.txt")
    base = f"/api/jobs/{job['id']}/outputs"
    assert local.get(f"{base}/article/tldr.md").status_code == 200
    for bad in ("..%2F..%2Fstudio.sqlite3", "article/..%2F..%2F..%2Fstudio.sqlite3",
                "article/link.md", "%2Fetc%2Fpasswd", "article/.manifest.json.tmp",
                "article\\..\\..\\studio.sqlite3", "article/missing.md"):
        answer = local.get(f"{base}/{bad}")
        assert answer.status_code == 404, bad
        assert "secret" not in answer.text and "SQLite" not in answer.text
    assert local.get("/api/jobs/..%2F..%2Fetc/outputs/passwd").status_code == 404
    assert local.get("/api/jobs/zzzzzzzzzzzz").status_code == 404


def test_user_text_is_escaped_in_every_page(local):
    name = "<img src=x onerror=alert(1)>.md"
    job = wait_finished(local, local.post(
        "/api/jobs", data={"recipe": "article-text"},
        files=[("files", (name, ARTICLE, "text/markdown"))]).json()["id"])
    for page in ("/", f"/jobs/{job['id']}", f"/jobs/{job['id']}/img-src-x-onerror-alert-1/tldr"):
        html = local.get(page).text
        assert "<img src=x" not in html, page
        assert "&lt;img src=x onerror=" in html, page
    answer = local.get("/")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_local_studio_answers_only_to_local_names(local, guarded):
    assert local.get("/api/jobs", headers={"Host": "localhost:8000"}).status_code == 200
    rebound = local.get("/api/jobs", headers={"Host": "evil.example:8000"})
    assert rebound.status_code == 400  # DNS rebinding: the page's own name, our address
    assert guarded.get("/api/jobs", headers={"Host": "studio.example.org",
                                            "Authorization": "Bearer letmein"}).status_code == 200
