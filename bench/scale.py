"""The coordinator at scale: its own CPU per source, cached re-runs, peak memory.

For each size (default 1,000 and 10,000 generated articles) runs
``recipes/article-text.yaml`` with ``-j 2`` through the real CLI in a child process:
cold, fully cached, and after 100 sources changed (1% at the smaller sizes). The child
reports the coordinator's own CPU time and peak memory (``getrusage(RUSAGE_SELF)``: the
``remixer run`` process, not its workers). Prints per-source coordinator CPU at each size
and its ratio to the smallest size (target <= 1.1), cached / cold and changed / cold wall
time (targets < 5% and < 6% at 10k), the report's size, and peak memory. ``--huge N``
adds a run of N tiny sources through a one-step recipe, for the coordinator's own cost
(target: peak memory < 300 MiB at 100,000).

    python bench/scale.py [--sizes 1000 10000] [--huge 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import write_corpus  # noqa: E402

#: runs the CLI in this process and reports its own CPU and peak memory on stderr
CHILD = """
import json, resource, sys
from engine.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
use = resource.getrusage(resource.RUSAGE_SELF)
sys.stderr.write("\\nCOORDINATOR " + json.dumps(
    {"cpu": use.ru_utime + use.ru_stime, "maxrss_mib": use.ru_maxrss / 1024, "code": code}))
"""

TINY_RECIPE = """
name: tiny
steps:
  - id: tldr
    use: summary
    with: {words: 10}
"""


def run(recipe: Path, sources: Path, out: Path, cache: Path, jobs: int = 2) -> dict:
    env = {**os.environ, "REMIXER_CACHE_DIR": str(cache), "REMIXER_LOAD_PLUGINS": "",
           "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-c", CHILD, "run", str(recipe), str(sources), "-o", str(out),
            "-j", str(jobs), "--no-progress"]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    line = next((l for l in done.stderr.splitlines() if l.startswith("COORDINATOR ")), None)
    if line is None or done.returncode != 0:
        sys.exit(f"run failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return {"wall": wall, **json.loads(line.removeprefix("COORDINATOR "))}


def touch_some(sources: list[Path], count: int) -> None:
    step = max(1, len(sources) // count)
    for path in sources[::step][:count]:
        path.write_text(path.read_text() + "\nA sentence added for the benchmark.\n")


def measure(size: int, work: Path, recipe: Path, **corpus) -> dict:
    folder = work / f"n{size}"
    shutil.rmtree(folder, ignore_errors=True)
    sources = write_corpus(folder / "in", size, **corpus)
    out, cache = folder / "out", folder / "cache"
    cold = run(recipe, folder / "in", out, cache)
    cached = run(recipe, folder / "in", out, cache)
    changed_count = min(100, max(1, size // 100))
    touch_some(sources, changed_count)
    changed = run(recipe, folder / "in", out, cache)
    report_bytes = (out / "index.html").stat().st_size
    opening = open_in_chromium(out / "index.html", folder / "profile")
    shutil.rmtree(folder)
    return {"size": size, "cold": cold, "cached": cached, "changed": changed,
            "changed_count": changed_count, "report_bytes": report_bytes, "opening": opening}


def open_in_chromium(page: Path, profile: Path) -> tuple[float, float] | None:
    """Seconds headless Chromium takes to load and render ``page`` (with its search
    filled in), against an empty page in the same browser set-up; None without it."""
    browser = shutil.which("chromium")
    if browser is None:
        return None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--dump-dom"]
    profile.parent.mkdir(parents=True, exist_ok=True)
    blank = profile.parent / "blank.html"
    blank.write_text("<!doctype html><title>blank</title>")

    def best(url: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([browser, *flags, url], capture_output=True, timeout=120)
            times.append(time.perf_counter() - start)
        return min(times)

    return best(page.as_uri() + "?status=ok"), best(blank.as_uri())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--huge", type=int, default=0, help="tiny sources for the coordinator's cost")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / ".work" / "scale")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    recipe = ROOT / "recipes" / "article-text.yaml"
    rows = [measure(size, args.workdir, recipe) for size in args.sizes]
    base = rows[0]["cold"]["cpu"] / rows[0]["size"]
    print(f"{'sources':>8} {'cold s':>8} {'coord CPU/src ms':>17} {'vs smallest':>11} "
          f"{'cached/cold':>11} {'changed/cold':>12} {'peak MiB':>9} {'report KB':>9}")
    for row in rows:
        per = row["cold"]["cpu"] / row["size"]
        print(f"{row['size']:>8} {row['cold']['wall']:>8.1f} {per * 1000:>17.3f} "
              f"{per / base:>10.2f}x {row['cached']['wall'] / row['cold']['wall']:>10.1%} "
              f"{row['changed']['wall'] / row['cold']['wall']:>11.1%} "
              f"{max(r['maxrss_mib'] for r in (row['cold'], row['cached'], row['changed'])):>9.0f} "
              f"{row['report_bytes'] / 1024:>9.0f}")
        print(f"{'':>8} cached re-run CPU/src {row['cached']['cpu'] / row['size'] * 1000:.3f} ms; "
              f"{row['changed_count']} changed: {row['changed']['wall']:.1f} s")
        if row["opening"]:
            page, blank = row["opening"]
            print(f"{'':>8} index.html in Chromium (search over every source filled in): "
                  f"{page:.2f} s, an empty page {blank:.2f} s: the report adds {page - blank:.2f} s")
    if args.huge:
        tiny = args.workdir / "tiny.yaml"
        tiny.write_text(TINY_RECIPE)
        row = measure(args.huge, args.workdir, tiny, sections=1, sentences_per_section=2)
        print(f"{args.huge} tiny sources, one step: cold {row['cold']['wall']:.1f} s, "
              f"coordinator CPU/src {row['cold']['cpu'] / args.huge * 1000:.3f} ms, "
              f"peak {row['cold']['maxrss_mib']:.0f} MiB (target < 300), "
              f"cached/cold {row['cached']['wall'] / row['cold']['wall']:.1%}")


if __name__ == "__main__":
    main()
