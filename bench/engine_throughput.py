"""Batch throughput of the sample recipe over generated articles, cold and cached.

Runs ``recipes/article-text.yaml`` over N generated articles (default 200) three times, each
through the real CLI in a subprocess: cold with -j1, cold with -j2 (own cache), and again
with -j1 on the warm cache of the first. Prints throughput and the two ratios the engine
is held to: cached / cold (target < 5%) and -j1 / -j2 time (target >= 1.6x).

    python bench/engine_throughput.py [--articles 200]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import write_corpus  # noqa: E402


def timed_run(sources: Path, out: Path, cache: Path, jobs: int) -> float:
    env = {**os.environ, "REMIXER_CACHE_DIR": str(cache), "REMIXER_LOAD_PLUGINS": ""}
    argv = [sys.executable, "-m", "engine", "run", str(ROOT / "recipes" / "article-text.yaml"),
            str(sources), "-o", str(out), "-j", str(jobs), "--no-progress"]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"run failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_corpus(tmp / "in", args.articles)
        cold_1 = timed_run(tmp / "in", tmp / "out1", tmp / "cache1", jobs=1)
        cold_2 = timed_run(tmp / "in", tmp / "out2", tmp / "cache2", jobs=2)
        cached = timed_run(tmp / "in", tmp / "out1", tmp / "cache1", jobs=1)
    n = args.articles
    print(f"articles: {n} (recipe article-text.yaml, {os.cpu_count()} cores)")
    print(f"cold -j1: {cold_1:7.2f} s  {n / cold_1:7.1f} articles/s")
    print(f"cold -j2: {cold_2:7.2f} s  {n / cold_2:7.1f} articles/s")
    print(f"cached  : {cached:7.2f} s  {n / cached:7.1f} articles/s")
    print(f"ratio cached / cold -j1      : {cached / cold_1:6.1%}   (target < 5%)")
    print(f"ratio speed-up -j2 over -j1  : {cold_1 / cold_2:6.2f}x  (target >= 1.6x)")


if __name__ == "__main__":
    main()
