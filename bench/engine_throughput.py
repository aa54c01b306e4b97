"""Batch throughput of the sample recipe over generated articles, cold and cached.

Runs ``recipes/article-text.yaml`` over N generated articles (default 200) through the
real CLI in subprocesses: cold with -j1, cold with -j2 (own caches), and again with -j1 on
the warm cache of the first; each the best of --repeat runs. Prints throughput and the
ratios the engine is held to: cached / cold (target < 5%) and -j1 / -j2 time (target
>= 1.6x), both on the batch time remixer reports (from the start of the run to its
summary, so excluding the ~0.5 s the interpreter takes to start and import) and on
the command's wall time.

    python bench/engine_throughput.py [--articles 200]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import write_corpus  # noqa: E402


BATCH_TIME = re.compile(r"from cache\) in ([0-9.]+) s")


def timed_run(sources: Path, out: Path, cache: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds of the whole command, seconds the batch itself took, as it reports)."""
    env = {**os.environ, "REMIXER_CACHE_DIR": str(cache), "REMIXER_LOAD_PLUGINS": ""}
    argv = [sys.executable, "-m", "engine", "run", str(ROOT / "recipes" / "article-text.yaml"),
            str(sources), "-o", str(out), "-j", str(jobs), "--no-progress"]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"run failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed, float(BATCH_TIME.search(done.stdout).group(1))


def best_of(runs: int, *args) -> tuple[float, float]:
    """The fastest of ``runs`` (noise on a shared machine only ever adds time)."""
    return min((timed_run(*args) for _ in range(runs)), key=lambda t: t[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, best kept")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / ".work",
                        help="where corpora, outputs and caches go (a busy /tmp can make "
                             "creating files 20x slower than elsewhere on the same disk)")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        tmp = Path(tmp)
        write_corpus(tmp / "in", args.articles)

        def cold(jobs: int, i: int) -> tuple[float, float]:
            return timed_run(tmp / "in", tmp / f"out{jobs}-{i}", tmp / f"cache{jobs}-{i}", jobs)

        cold_1 = min((cold(1, i) for i in range(args.repeat)), key=lambda t: t[1])
        cold_2 = min((cold(2, i) for i in range(args.repeat)), key=lambda t: t[1])
        first = timed_run(tmp / "in", tmp / "out1-0", tmp / "cache1-0", 1)
        cached = best_of(args.repeat, tmp / "in", tmp / "out1-0", tmp / "cache1-0", 1)
    n = args.articles
    print(f"articles: {n} (recipe article-text.yaml, {os.cpu_count()} cores, best of "
          f"{args.repeat})")
    print("                command wall   batch (as remixer reports it, after start-up)")
    rows = (("cold -j1", cold_1), ("cold -j2", cold_2), ("re-run 1", first),
            ("re-run n", cached))
    for name, (wall, batch) in rows:
        print(f"{name:<9}: {wall:7.2f} s        {batch:7.2f} s  {n / batch:7.1f} articles/s")
    print("(re-run 1 also rewrites each manifest once, its steps now cache hits; later "
          "re-runs find them already right)")
    print(f"ratio re-run 1 / cold -j1, batch: {first[1] / cold_1[1]:6.1%}   (target < 5%)")
    print(f"ratio re-run n / cold -j1, batch: {cached[1] / cold_1[1]:6.1%}")
    print(f"ratio re-run 1 / cold -j1, wall : {first[0] / cold_1[0]:6.1%}   "
          "(includes ~0.5 s of interpreter and import start-up in both)")
    print(f"speed-up -j2 over -j1, batch  : {cold_1[1] / cold_2[1]:6.2f}x  (target >= 1.6x)")
    print(f"speed-up -j2 over -j1, wall   : {cold_1[0] / cold_2[0]:6.2f}x")


if __name__ == "__main__":
    main()
