"""remixer studio's HTTP API, in process: jobs from uploads, addresses, text and paths;
progress; outputs; edits that re-run only what depends on them; cancel; delete; webhooks;
a restart that finds every job."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import io
import json
import re
import time
import zipfile

import pytest

from bench.corpus import write_corpus

from .conftest import RECIPES, SAMPLES
from .studio_fixtures import LocalServer, client_for, wait_finished

from plugins.studio.jobs import Live, parse_progress  # noqa: E402  (after the importorskip)
from plugins.studio.store import JobStore, RUNNING  # noqa: E402

ARTICLE = (SAMPLES / "article.md").read_bytes()
TEXT_STEPS = ["tldr", "summary-50", "summary-150", "summary-400", "key-points",
              "post-50", "post-150", "post-400", "thread"]


def submit(client, recipe="article-text", files=(("article.md", ARTICLE),), **data):
    return client.post("/api/jobs", data={"recipe": recipe, **data},
                       files=[("files", (name, content, "text/markdown")) for name, content in files])


@pytest.fixture
def client(tmp_path):
    with client_for(tmp_path) as c:
        yield c


def test_upload_runs_the_recipe_and_serves_its_outputs(client):
    answer = submit(client)
    assert answer.status_code == 201, answer.text
    job = wait_finished(client, answer.json()["id"])
    assert job["state"] == "done", job
    steps = job["sources"][0]["steps"]
    assert [s["id"] for s in steps] == TEXT_STEPS  # recipe order
    assert all(s["status"] == "ok" for s in steps)

    listed = {o["path"] for o in client.get(f"/api/jobs/{job['id']}/outputs").json()}
    assert {"article/summary-150.md", "article/manifest.json", "index.html"} <= listed
    summary = client.get(f"/api/jobs/{job['id']}/outputs/article/summary-150.md")
    assert summary.headers["content-type"] == "text/markdown; charset=utf-8"
    assert summary.headers["content-disposition"].startswith("inline")
    assert len(summary.text.split()) > 100
    download = client.get(f"/api/jobs/{job['id']}/outputs/article/thread.json?download=true")
    assert download.headers["content-type"].startswith("application/json")
    assert download.headers["content-disposition"] == 'attachment; filename="thread.json"'
    assert json.loads(download.text)["posts"]

    archive = client.get(f"/api/jobs/{job['id']}/zip")
    assert archive.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert "article/post-150.md" in names and "index.html" in names


def test_parameters_are_validated_with_the_clis_located_messages(client, invoke):
    answer = submit(client, set=["summary.words=2", "thread.max_posts=many"])
    assert answer.status_code == 422
    problems = answer.json()["problems"]
    cli = invoke("validate", RECIPES / "article-text.yaml", "--set", "summary.words=2",
                 "--set", "thread.max_posts=many")
    assert cli.exit_code == 2
    for problem in problems:
        assert f"  - {problem}" in cli.output
    assert any(p.startswith("steps[1].with.words: Input should be greater than or equal to 10")
               for p in problems), problems
    assert client.get("/api/jobs").json() == []  # nothing was created


def test_overrides_change_the_run(client):
    job = wait_finished(client, submit(client, set=["tldr.words=60"]).json()["id"])
    tldr = client.get(f"/api/jobs/{job['id']}/outputs/article/tldr.md").text
    assert 40 <= len(tldr.split()) <= 80
    assert job["overrides"] == ["tldr.words=60"]


def test_text_and_addresses_are_sources(client):
    page = b"<html><head><title>A page</title></head><body><h1>A page</h1>" + \
        b"".join(b"<p>Sentence number %d says something about local servers and tests. "
                 b"It goes on for a while to make a paragraph.</p>" % i for i in range(30)) + \
        b"</body></html>"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = LocalServer(Handler)
    try:
        text = ARTICLE.decode()
        answer = client.post("/api/jobs", data={"recipe": "article-text", "text": text,
                                                "urls": f"{server.url}/news/a-page"})
        job = wait_finished(client, answer.json()["id"])
    finally:
        server.close()
    assert job["state"] == "done", job
    shown = {s["slug"]: s["name"] for s in job["sources"]}
    assert shown == {"a-page": f"{server.url}/news/a-page",
                     "roots-under-the-pavement-how-cities-rebuild-their-tree-canop":
                         "Roots Under the Pavement: How Cities Rebuild Their Tree Canopy"}
    out = f"/api/jobs/{job['id']}/outputs"
    assert "local servers" in client.get(f"{out}/a-page/tldr.md").text
    assert "tree" in client.get(f"{out}/roots-under-the-pavement-how-cities-rebuild-their-tree-canop/"
                                "summary-150.md").text


def test_paths_must_lie_under_the_allowed_root(tmp_path):
    root = tmp_path / "root"
    (root / "in").mkdir(parents=True)
    (root / "in" / "article.md").write_bytes(ARTICLE)
    (tmp_path / "secret.md").write_text("# secret\n\nnot for you.\n")
    (root / "in" / "link.md").symlink_to(tmp_path / "secret.md")
    with client_for(tmp_path, allow_root=root) as client:
        ok = client.post("/api/jobs", data={"recipe": "article-text", "paths": "in/article.md"})
        assert ok.status_code == 201, ok.text
        assert wait_finished(client, ok.json()["id"])["state"] == "done"
        for bad in ("../secret.md", str(tmp_path / "secret.md"), "in/link.md", "in/../../secret.md"):
            refused = client.post("/api/jobs", data={"recipe": "article-text", "paths": bad})
            assert refused.status_code == 422, bad
            assert "not under the allowed root" in refused.json()["error"]
        whole_folder = client.post("/api/jobs", data={"recipe": "article-text", "paths": "in"})
        assert whole_folder.status_code == 422  # the folder holds a link out of the root
    with client_for(tmp_path / "other") as client:
        refused = client.post("/api/jobs", data={"recipe": "article-text", "paths": "in/article.md"})
        assert refused.status_code == 422 and "--allow-root" in refused.json()["error"]


def test_upload_names_are_never_paths(client, tmp_path):
    answer = submit(client, files=(("../../../escape.md", ARTICLE),))
    assert answer.status_code == 201
    job = wait_finished(client, answer.json()["id"])
    stored = list((tmp_path / "data" / "jobs" / job["id"] / "in").rglob("*.md"))
    assert [p.name for p in stored] == ["escape.md"]
    assert not list(tmp_path.rglob("escape.md"))[1:]  # no second copy anywhere else
    assert not (tmp_path / "escape.md").exists() and not (tmp_path / "data" / "escape.md").exists()
    refused = submit(client, files=(("run.sh", b"#!/bin/sh\n"),))
    assert refused.status_code == 422 and "does not read .sh" in refused.json()["error"]


def test_uploads_are_size_limited(tmp_path):
    with client_for(tmp_path, max_upload=10_000) as client:
        answer = submit(client, files=(("big.md", b"# Big\n\n" + b"word " * 5000),))
        assert answer.status_code == 413
        assert "over the upload limit" in answer.json()["error"]

        def chunked():  # no Content-Length: counted as it arrives
            yield b"--b\r\nContent-Disposition: form-data; name=\"recipe\"\r\n\r\narticle-text\r\n"
            yield b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.md\"\r\n\r\n"
            for _ in range(200):
                yield b"word " * 2000
            yield b"\r\n--b--\r\n"

        streamed = client.post("/api/jobs", content=chunked(),
                               headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert streamed.status_code == 413, streamed.text
        assert client.get("/api/jobs").json() == []


def test_edit_reruns_only_what_depends_on_it(client):
    job = wait_finished(client, submit(client).json()["id"])
    edited = ("Offline tools keep working on trains and planes. Edited by a person in the "
              "studio, this summary is short.")
    answer = client.post(f"/api/jobs/{job['id']}/edits",
                         data={"source": "article", "step": "summary-150", "text": edited})
    assert answer.status_code == 200, answer.text
    job = wait_finished(client, job["id"])
    steps = {s["id"]: s for s in job["sources"][0]["steps"]}
    assert steps["summary-150"]["cache"] == "edited" and steps["summary-150"]["edited"]
    assert steps["post-150"]["cache"] == "miss"          # downstream of the edit: ran again
    assert all(steps[s]["cache"] == "hit" for s in TEXT_STEPS
               if s not in ("summary-150", "post-150"))  # everything else: cached
    out = f"/api/jobs/{job['id']}/outputs/article"
    assert client.get(f"{out}/summary-150.md").text.strip() == edited
    assert "Edited by a person" in client.get(f"{out}/post-150.md").text
    manifest = client.get(f"{out}/manifest.json").json()
    assert next(s for s in manifest["steps"] if s["id"] == "summary-150")["notes"] == ["edited by hand"]


def test_a_bad_edit_is_refused_in_one_line(client):
    job = wait_finished(client, submit(client).json()["id"])
    empty = client.post(f"/api/jobs/{job['id']}/edits",
                        data={"source": "article", "step": "summary-150", "text": "  "})
    assert empty.status_code == 409 and "empty" in empty.json()["error"]
    missing = client.post(f"/api/jobs/{job['id']}/edits",
                          data={"source": "article", "step": "nope", "text": "x"})
    assert missing.status_code == 404


def test_progress_streams_as_server_sent_events(client):
    job_id = submit(client, recipe="slow", set=["wait.seconds=1"]).json()["id"]
    seen = []
    with client.stream("GET", f"/api/jobs/{job_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "progress":
                seen.append(json.loads(line[6:]))
            elif event == "finished":
                break
    waits = [s["sources"][0]["steps"][1] for s in seen if s["sources"][0]["steps"]]
    assert any(w["status"] == "running" and 0 < w["fraction"] < 1 for w in waits), waits
    assert seen[-1]["state"] == "done"


def test_live_progress_shows_the_phase_label_of_the_running_step(client):
    manager = client.app.state.manager
    job = manager.store.create(job_id="00000000abcd", recipe_name="slow", recipe_path="slow.yaml",
                               overrides=[], sources=[{"path": "a.md", "name": "a.md", "slug": "a"}])
    manager.live[job.id] = Live(node_ids=["summary", "wait"], source_status={"a": "queued"})

    def wait_step():
        return next(s for s in manager.summary(job.id)["sources"][0]["steps"] if s["id"] == "wait")

    manager._on_event(job.id, "a", "wait", "progress:0.387 synthesising 31/80 sentences")
    assert (wait_step()["status"], wait_step()["fraction"], wait_step()["label"]) == \
        ("running", 0.387, "synthesising 31/80 sentences")
    assert manager.summary(job.id)["sources"][0]["status"] == "running"
    manager._on_event(job.id, "a", "wait", "progress:0.5", "mixing")  # a label in its own field
    assert (wait_step()["fraction"], wait_step()["label"]) == (0.5, "mixing")
    manager._on_event(job.id, "a", "wait", "ok")
    assert wait_step()["status"] == "ok"


def test_progress_labels_are_read_whatever_their_form():
    assert parse_progress("progress:0.250") == (0.25, "")
    assert parse_progress("progress:0.387 synthesising 31/80 sentences") == \
        (0.387, "synthesising 31/80 sentences")
    assert parse_progress("progress:0.5:mixing") == (0.5, "mixing")
    assert parse_progress("progress:aligning words") == (0.0, "aligning words")


def test_cancel_stops_a_job_and_resume_runs_it_again(client):
    job_id = submit(client, recipe="slow", set=["wait.seconds=1"],
                    files=(("a.md", ARTICLE), ("b.md", ARTICLE), ("c.md", ARTICLE))).json()["id"]
    queued_id = submit(client).json()["id"]  # waits behind the slow one (-j 1)
    assert client.post(f"/api/jobs/{queued_id}/cancel").json()["state"] == "cancelled"
    client.post(f"/api/jobs/{job_id}/cancel")
    job = wait_finished(client, job_id, timeout=60)
    assert job["state"] == "cancelled"
    # the source running when cancelled finishes; the others never start
    assert [s["status"] for s in job["sources"]] == ["ok", "cancelled", "cancelled"]
    assert client.get(f"/api/jobs/{queued_id}").json()["state"] == "cancelled"
    assert client.post(f"/api/jobs/{queued_id}/resume").status_code == 200
    assert wait_finished(client, queued_id)["state"] == "done"


def test_delete_removes_the_job_and_its_files(client, tmp_path):
    job = wait_finished(client, submit(client).json()["id"])
    folder = tmp_path / "data" / "jobs" / job["id"]
    assert folder.is_dir()
    assert client.delete(f"/api/jobs/{job['id']}").status_code == 204
    assert not folder.exists()
    assert client.get(f"/api/jobs/{job['id']}").status_code == 404
    running = submit(client, recipe="slow", set=["wait.seconds=1"]).json()["id"]
    refused = client.delete(f"/api/jobs/{running}")
    assert refused.status_code == 409 and "cancel it first" in refused.json()["error"]
    client.post(f"/api/jobs/{running}/cancel")
    wait_finished(client, running)


def test_webhook_is_signed_and_retried(tmp_path):
    calls = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            calls.append((dict(self.headers), body))
            self.send_response(500 if len(calls) < 3 else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = LocalServer(Receiver)
    try:
        with client_for(tmp_path, webhook_secret="s3cret") as client:
            job = wait_finished(client, submit(client, webhook=f"{server.url}/hook").json()["id"])
            deadline = time.monotonic() + 20
            while len(calls) < 3 and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        server.close()
    assert len(calls) == 3  # two 500s, then accepted
    headers, body = calls[-1]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Remixer-Signature"] == expected
    summary = json.loads(body)
    assert summary["id"] == job["id"] and summary["state"] == "done"


def test_a_restarted_server_shows_every_job_and_resumes_running_ones(tmp_path):
    with client_for(tmp_path) as client:
        finished = wait_finished(client, submit(client).json()["id"])
    store = JobStore(tmp_path / "data" / "studio.sqlite3")
    store.create(job_id="0123456789ab", recipe_name="article-text",
                 recipe_path=str(RECIPES / "article-text.yaml"), overrides=[],
                 sources=[{"path": str(SAMPLES / "article.md"), "name": "article.md", "slug": "article"}])
    store.update("0123456789ab", state=RUNNING)  # as if the server died while running it
    with client_for(tmp_path, resume=False) as client:
        jobs = {j["id"]: j["state"] for j in client.get("/api/jobs").json()}
        assert jobs == {finished["id"]: "done", "0123456789ab": "interrupted"}
        assert "Resume" in client.get("/jobs/0123456789ab").text
        # the page set a CSRF cookie: this client is a browser now, and sends the token
        client.post("/api/jobs/0123456789ab/resume",
                    headers={"X-CSRF-Token": client.cookies["remixer_csrf"]})
        assert wait_finished(client, "0123456789ab")["state"] == "done"
    store.update("0123456789ab", state=RUNNING)
    with client_for(tmp_path) as client:  # --resume, the default
        assert wait_finished(client, "0123456789ab")["state"] == "done"


def test_openapi_documents_the_api(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/steps",
                 "/api/jobs/{job_id}/outputs", "/api/jobs/{job_id}/outputs/{path}",
                 "/api/jobs/{job_id}/cancel", "/api/jobs/{job_id}/events"):
        assert path in spec["paths"], path
    assert "delete" in spec["paths"]["/api/jobs/{job_id}"]
    docs = client.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert "SwaggerUIBundle" in client.get("/docs-assets/swagger-ui-bundle.js").text


def test_an_edited_podcast_script_becomes_the_source_of_the_steps_after_it(client):
    job = wait_finished(client, submit(client, recipe="script-recap").json()["id"])
    assert job["state"] == "done", job
    page = client.get(f"/jobs/{job['id']}/article/script").text
    assert "**Alex:**" in page and "**Sam:**" in page and "## " in page  # turns and chapters
    edited = ("## Opening\n\n**Alex:** Welcome. Today one claim only: watering decides whether "
              "street trees live.\n\n**Sam:** And cities that skip it lose the trees they "
              "planted.\n")
    browser = {"X-CSRF-Token": client.cookies["remixer_csrf"]}  # the page set its cookie
    answer = client.post(f"/api/jobs/{job['id']}/edits", headers=browser,
                         data={"source": "article", "step": "script", "text": edited})
    assert answer.status_code == 200, answer.text
    job = wait_finished(client, job["id"])
    steps = {s["id"]: s for s in job["sources"][0]["steps"]}
    assert steps["script"]["cache"] == "edited" and steps["recap"]["cache"] == "miss"
    script = client.get(f"/api/jobs/{job['id']}/outputs/article/script.json").json()
    assert [t["speaker"] for t in script["turns"]] == ["Alex", "Sam"]
    assert {t["chapter"] for t in script["turns"]} == {"Opening"}
    recap = client.get(f"/api/jobs/{job['id']}/outputs/article/recap.md").text
    assert "watering decides" in recap or "skip it" in recap
    unknown = client.post(f"/api/jobs/{job['id']}/edits", headers=browser,
                          data={"source": "article", "step": "script",
                                "text": "**Kim:** I was never a host."})
    assert unknown.status_code == 409
    assert unknown.json()["error"] == "line 1: 'Kim' is not a host of this script (hosts: Alex, Sam)"


def test_the_form_shows_each_problem_at_its_field_and_keeps_what_was_typed(client):
    page = client.get("/new").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert 'name="p:article-text:tldr.words" value="25"' in page  # the recipe's own value
    answer = client.post("/new", data={"csrf_token": token, "recipe": "article-text",
                                       "text": "# Mine\n\nSome <b>text</b>.",
                                       "p:article-text:tldr.words": "5",
                                       "p:article-text:summary.words": "[50, 150, 400]"})
    assert answer.status_code == 422
    field = answer.text.split('id="p:article-text:tldr.words"')[1].split("</div>")[0]
    assert "steps[0].with.words: Input should be greater than or equal to 10 (got 5" in field
    assert "# Mine\n\nSome &lt;b&gt;text&lt;/b&gt;." in answer.text  # kept, escaped
    made = client.post("/new", data={"csrf_token": token, "recipe": "article-text",
                                     "text": "# Mine\n\n" + ARTICLE.decode(),
                                     "p:article-text:tldr.words": "40"}, follow_redirects=False)
    assert made.status_code == 303
    job = wait_finished(client, made.headers["location"].rsplit("/", 1)[1])
    assert job["overrides"] == ["tldr.words=40"]  # only what changed becomes --set


@pytest.mark.slow
def test_jobs_run_on_a_dask_cluster_too(tmp_path):
    pytest.importorskip("distributed", reason="needs the dask extra")
    corpus = write_corpus(tmp_path / "in", 3)
    with client_for(tmp_path, executor="dask", workers=2) as client:
        answer = submit(client, files=[(p.name, p.read_bytes()) for p in corpus])
        job = wait_finished(client, answer.json()["id"], timeout=180)
    assert job["state"] == "done", job
    assert [s["status"] for s in job["sources"]] == ["ok"] * 3
    assert all(len(s["steps"]) == len(TEXT_STEPS) for s in job["sources"])


def test_the_pages_say_why_a_step_or_a_source_failed(client):
    answer = submit(client, recipe="slow", set=["wait.fail=true"],
                    files=(("good.md", ARTICLE), ("broken.md", b"\x00\xff" * 50)))
    job = wait_finished(client, answer.json()["id"])
    assert job["state"] == "failed"
    good, broken = job["sources"]
    assert [s["status"] for s in good["steps"]] == ["ok", "failed"]
    assert broken["status"] == "failed" and "broken.md" in broken["error"]
    step_page = client.get(f"/jobs/{job['id']}/good/wait").text
    assert "<h2>Why it failed</h2>" in step_page
    assert "the copy was told to fail (set wait.fail=false)" in step_page
    job_page = client.get(f"/jobs/{job['id']}").text
    assert "the copy was told to fail" in job_page
    assert broken["error"].split(":")[0] in job_page


def test_a_killed_pool_worker_fails_its_source_and_the_server_goes_on(tmp_path):
    import os
    import signal
    with client_for(tmp_path, workers=2) as client:
        job_id = submit(client, recipe="slow", set=["wait.seconds=20"]).json()["id"]
        deadline = time.monotonic() + 60
        pool = client.app.state.manager.backend.pool
        while not any(s["status"] == "running" for s in
                      client.get(f"/api/jobs/{job_id}").json()["sources"][0]["steps"]):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        for pid in list(pool._processes):  # as the OOM killer would
            os.kill(pid, signal.SIGKILL)
        job = wait_finished(client, job_id)
        assert job["state"] == "failed"
        assert job["sources"][0]["error"].startswith("worker died while processing it")
        after = wait_finished(client, submit(client).json()["id"])
        assert after["state"] == "done", after  # a fresh pool took over
