"""What the studio costs on top of the engine, measured against the engine in the same run.

1. API overhead per job: an already-cached article submitted over HTTP to a real
   ``remixer serve -j 1``, timed from the POST to the ``finished`` event of the job's
   progress stream (what the page waits for); the median of --repeat jobs (target
   < 50 ms). Beside it, the
   same source through ``engine.runner.process_source`` in this process on the same warm
   cache: what the engine alone needs.
2. Throughput: --articles generated articles as that many one-source jobs queued on
   ``remixer serve -j N``, against ``remixer run -j N`` over the same files, each on a
   fresh cache; the wall time from the first submission to the last job done, against
   the batch time the CLI reports (its wall time less interpreter start-up, as the
   server's start is not counted either); target: studio / CLI throughput >= 0.9.

    python bench/studio_overhead.py [--articles 100] [--jobs 2] [--repeat 30] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.corpus import write_corpus  # noqa: E402
from bench.studio_server import StudioServer  # noqa: E402

RECIPE = ROOT / "recipes" / "article-text.yaml"
BATCH_TIME = re.compile(r"from cache\) in ([0-9.]+) s")


def wait_done(client: httpx.Client, job_id: str, poll: float = 0.002) -> dict:
    while True:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["finished"]:
            if job["state"] != "done":
                raise RuntimeError(f"job {job_id}: {job['state']}: {job['error']}")
            return job
        time.sleep(poll)


def wait_finished_event(client: httpx.Client, job_id: str) -> None:
    """Follow the job's progress stream (as the page does) to its ``finished`` event."""
    with client.stream("GET", f"/api/jobs/{job_id}/events") as stream:
        for line in stream.iter_lines():
            if line == "event: finished":
                return
    raise RuntimeError(f"job {job_id}: the stream ended before the job finished")


def submit(client: httpx.Client, path: Path) -> str:
    answer = client.post("/api/jobs", data={"recipe": "article-text"},
                         files=[("files", (path.name, path.read_bytes(), "text/markdown"))])
    answer.raise_for_status()
    return answer.json()["id"]


def engine_alone(article: Path, cache: Path, repeat: int) -> float:
    """Median seconds of process_source on the warm cache, a new OUT folder each time."""
    from engine.plugins import PluginConfig, build_registry
    from engine.recipe import load_recipe
    from engine.runner import RunOptions, SourceJob, process_source
    config = PluginConfig(load_entry_points=False)
    recipe = load_recipe(RECIPE, build_registry(config))
    times = []
    with tempfile.TemporaryDirectory() as out:
        for i in range(repeat):
            options = RunOptions(out_dir=Path(out) / str(i), cache_dir=cache)
            job = SourceJob(path=article, slug="article", recipe_raw=recipe.raw,
                            recipe_origin=str(RECIPE), plugin_config=config, options=options)
            start = time.perf_counter()
            assert process_source(job).status == "ok"
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def overhead(work: Path, repeat: int) -> None:
    article = ROOT / "samples" / "article.md"
    cache = work / "cache-overhead"
    studio = StudioServer(work / "data-overhead", "-j", "1",
                          env={"REMIXER_CACHE_DIR": str(cache), "REMIXER_LOAD_PLUGINS": ""}).start()
    try:
        with httpx.Client(base_url=studio.url, timeout=60) as client:
            wait_done(client, submit(client, article))  # warms the cache
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                job_id = submit(client, article)
                wait_finished_event(client, job_id)
                times.append(time.perf_counter() - start)
                assert client.get(f"/api/jobs/{job_id}").json()["state"] == "done"
    finally:
        studio.stop()
    studio_median = statistics.median(times)
    engine_median = engine_alone(article, cache, repeat)
    print(f"cached job, submit to done over HTTP: median {studio_median * 1000:.1f} ms "
          f"(p90 {sorted(times)[int(len(times) * 0.9)] * 1000:.1f} ms) over {repeat} jobs; "
          f"target < 50 ms: {'met' if studio_median < 0.05 else 'NOT met'}")
    print(f"  the engine alone on the same warm cache: {engine_median * 1000:.1f} ms; "
          f"studio overhead {max(studio_median - engine_median, 0) * 1000:.1f} ms per job "
          f"({studio_median / engine_median:.2f}x the engine alone)")


def throughput(work: Path, articles: int, jobs: int) -> float:
    """One round: the CLI, then the studio, each on a fresh cache; studio / CLI throughput."""
    for old in ("cache-cli", "out-cli", "cache-studio", "data-throughput"):
        shutil.rmtree(work / old, ignore_errors=True)
    sources = sorted((work / "articles").glob("*.md")) or write_corpus(work / "articles", articles)
    env = {**os.environ, "REMIXER_CACHE_DIR": str(work / "cache-cli"), "REMIXER_LOAD_PLUGINS": "",
           "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "engine", "run", str(RECIPE),
                           str(work / "articles"), "-o", str(work / "out-cli"), "-j", str(jobs),
                           "--no-progress"], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True)
    cli = time.perf_counter() - start
    # the batch time the CLI reports: without the interpreter's start and imports, as the
    # studio's time leaves out the server's start
    batch = float(BATCH_TIME.search(done.stdout)[1])

    studio = StudioServer(work / "data-throughput", "-j", str(jobs),
                          env={"REMIXER_CACHE_DIR": str(work / "cache-studio"),
                               "REMIXER_LOAD_PLUGINS": ""})
    launch = time.perf_counter()
    studio.start()
    launched = time.perf_counter() - launch
    try:
        with httpx.Client(base_url=studio.url, timeout=120) as client:
            start = time.perf_counter()
            ids = set(submit(client, path) for path in sources)
            submitted = time.perf_counter() - start
            while True:  # one light request for every job's state
                states = {j["id"]: j["state"] for j in client.get("/api/jobs").json()}
                if all(states[i] in ("done", "failed") for i in ids):
                    break
                time.sleep(0.05)
            served = time.perf_counter() - start
            assert all(states[i] == "done" for i in ids), states
    finally:
        studio.stop()
    print(f"{articles} articles, -j {jobs}: remixer run {cli:.2f} s wall, {batch:.2f} s of "
          f"batch ({articles / batch:.1f} articles/s); studio {served:.2f} s from the first "
          f"submission to the last job done ({articles / served:.1f} jobs/s; submitting took "
          f"{submitted:.2f} s; the server started in {launched:.2f} s, not counted)")
    ratio = batch / served
    print(f"  throughput ratio studio / remixer run: {ratio:.2f} against its batch time, "
          f"{cli / served:.2f} against its wall time")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3,
                        help="throughput rounds, CLI and studio alternating (a busy machine is noisy)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        overhead(Path(tmp), args.repeat)
        ratios = [throughput(Path(tmp), args.articles, args.jobs) for _ in range(args.rounds)]
    ratio = statistics.median(ratios)
    print(f"throughput ratio studio / remixer run, median of {len(ratios)} rounds: {ratio:.2f} "
          f"(target >= 0.9: {'met' if ratio >= 0.9 else 'NOT met'})")


if __name__ == "__main__":
    main()
