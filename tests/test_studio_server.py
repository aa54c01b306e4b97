"""remixer serve as a real process: 20 concurrent submissions, kill -9 in the middle of a
job and a restart, a non-local bind that prints its token once."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.corpus import write_corpus
from bench.studio_server import StudioServer

from .conftest import RECIPES
from .studio_fixtures import STUDIO_FIXTURES

pytest.importorskip("fastapi", reason="the studio needs its extra: pip install -e '.[studio]'")
pytest.importorskip("httpx")
import httpx  # noqa: E402

SLOW_ARGS = ("--recipes", str(STUDIO_FIXTURES / "recipes"))


def server(tmp_path, *args, **kwargs) -> StudioServer:
    return StudioServer(tmp_path / "data", *args, env={"REMIXER_CACHE_DIR": str(tmp_path / "cache")},
                        **kwargs)


def wait(client: httpx.Client, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["finished"]:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


@pytest.mark.slow
def test_twenty_concurrent_submissions_all_complete(tmp_path):
    sources = write_corpus(tmp_path / "in", 20)
    studio = server(tmp_path, "-j", "2").start()
    try:
        with httpx.Client(base_url=studio.url, timeout=60) as client:
            def submit(path):
                answer = client.post("/api/jobs", data={"recipe": "article-text"},
                                     files=[("files", (path.name, path.read_bytes(), "text/markdown"))])
                assert answer.status_code == 201, answer.text
                return answer.json()["id"]

            with ThreadPoolExecutor(20) as pool:
                ids = list(pool.map(submit, sources))
            assert len(set(ids)) == 20
            jobs = [wait(client, i) for i in ids]
            assert [j["state"] for j in jobs] == ["done"] * 20
            listed = {j["id"] for j in client.get("/api/jobs").json()}
            assert listed == set(ids)
            for path, job in zip(sources, jobs):  # each job has its own source's outputs
                assert job["sources"][0]["name"] == path.name
                tldr = client.get(f"/api/jobs/{job['id']}/outputs/{path.stem}/tldr.md").text
                assert len(tldr.split()) > 5
                manifest = client.get(f"/api/jobs/{job['id']}/outputs/{path.stem}/manifest.json").json()
                assert manifest["source"]["name"] == path.name and manifest["status"] == "ok"
    finally:
        studio.stop()


@pytest.mark.slow
def test_kill_9_mid_job_then_restart_completes_it(tmp_path):
    studio = server(tmp_path, "-j", "2", *SLOW_ARGS, plugins_dir=STUDIO_FIXTURES / "plugins").start()
    article = (RECIPES.parent / "samples" / "article.md").read_bytes()
    with httpx.Client(base_url=studio.url, timeout=60) as client:
        job_id = client.post("/api/jobs", data={"recipe": "slow", "set": ["wait.seconds=4"]},
                             files=[("files", ("a.md", article, "text/markdown")),
                                    ("files", ("b.md", article, "text/markdown"))]).json()["id"]
        deadline = time.monotonic() + 30
        while client.get(f"/api/jobs/{job_id}").json()["state"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.0)  # inside the slow step
    studio.kill()
    from plugins.studio.store import JobStore
    cut_short = JobStore(tmp_path / "data" / "studio.sqlite3").get(job_id)
    assert cut_short.state == "running" and len(cut_short.results) < 2  # killed mid-job
    studio = server(tmp_path, "-j", "2", *SLOW_ARGS, plugins_dir=STUDIO_FIXTURES / "plugins")
    studio.start()
    try:
        with httpx.Client(base_url=studio.url, timeout=60) as client:
            job = wait(client, job_id)
            assert job["state"] == "done", job
            assert [s["status"] for s in job["sources"]] == ["ok", "ok"]
            for source in job["sources"]:
                steps = {s["id"]: s for s in source["steps"]}
                assert steps["wait"]["status"] == "ok"
                slug = source["slug"]
                text = client.get(f"/api/jobs/{job_id}/outputs/{slug}/wait.md").text
                assert len(text.split()) > 20
    finally:
        studio.stop()


@pytest.mark.slow
def test_a_public_bind_prints_a_token_once_and_needs_it(tmp_path):
    studio = server(tmp_path, host="0.0.0.0").start()
    try:
        log = studio.log()
        token = log.split("token (shown once; every page and API call needs it): ")[1].split()[0]
        assert log.count(token) == 1
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{studio.url}/api/jobs", timeout=5)
        assert refused.value.code == 401
        request = urllib.request.Request(f"{studio.url}/api/jobs",
                                         headers={"Authorization": f"Bearer {token}"})
        assert json.loads(urllib.request.urlopen(request, timeout=5).read()) == []
    finally:
        studio.stop()
