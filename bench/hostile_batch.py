"""A 1,000-source batch with 5% hostile sources against the same batch without them.

Generates N articles (default 1,000); 5% of them are replaced by hostile sources named
on the command line: named pipes, links to /dev/zero, broken and looping links,
unreadable files, a file inside OUT, empty and binary "articles", unsupported files,
names holding Rich markup or terminal escapes, 1,000-deep HTML. Both batches run through
the real CLI (``python -m engine run recipes/article-text.yaml``) in a subprocess under
the hostile suite's memory and CPU limits, each with its own cold cache. Prints CPU time
(the ratio's measure: wall time swings with the machine's load), wall time and peak
memory of both and their ratios (target <= 1.1), and checks that every good source of
the hostile batch finished with all its outputs.

    python bench/hostile_batch.py [--sources 1000] [--hostile 0.05] [-j 1] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import write_corpus  # noqa: E402
from tests.hostile.harness import child_env, run_engine  # noqa: E402

RECIPE = ROOT / "recipes" / "article-text.yaml"
DEVICES = ("/dev/zero", "/dev/null", "/dev/urandom", "/dev/random", "/dev/full")
#: the kinds of hostile_source() that must fail (the others are odd but readable sources)
FAILING_KINDS = {0, 1, 2, 3, 4, 5, 6, 7, 11}


def _deep_html(depth: int) -> str:
    return ("<html><body><h1>Deep</h1>" + "<div>" * depth
            + "A deep page still holds sentences. This one holds two." + "</div>" * depth
            + "</body></html>")


def as_html(folder: Path, every: int) -> None:
    """Turn every ``every``-th generated article into a plain HTML page."""
    import html

    for path in sorted(folder.glob("*.md"))[::every]:
        blocks = path.read_text(encoding="utf-8").split("---", 2)[-1].strip().split("\n\n")
        body = "".join(f"<h{b.count('#', 0, 3)}>{html.escape(b.lstrip('# '))}</h{b.count('#', 0, 3)}>"
                       if b.startswith("#") else f"<p>{html.escape(b)}</p>" for b in blocks)
        path.with_suffix(".html").write_text(f"<html><body><article>{body}</article></body></html>",
                                             encoding="utf-8")
        path.unlink()


def hostile_source(folder: Path, out: Path, index: int) -> Path:
    """The ``index``-th hostile source (the kinds cycle), created under ``folder``."""
    kind = index % 12
    path = folder / f"hostile-{index:03d}"
    if kind == 0:
        os.mkfifo(path := path.with_suffix(".md"))
    elif kind == 1:  # a different device each time: links to one file count once
        os.symlink(DEVICES[index // 12 % len(DEVICES)], path := path.with_suffix(".md"))
    elif kind == 2:
        os.symlink(f"missing-{index}.md", path := path.with_suffix(".md"))
    elif kind == 3:
        os.symlink(path.with_suffix(".md").name, path := path.with_suffix(".md"))
    elif kind == 4:
        (path := path.with_suffix(".md")).write_text("# Locked\n\nNobody may read this.\n")
        path.chmod(0)
    elif kind == 5:
        path = out / "old" / f"inside-{index}.md"  # made by hostile_in_out before each run
    elif kind == 6:
        (path := path.with_suffix(".md")).write_bytes(b"")
    elif kind == 7:
        (path := path.with_suffix(".md")).write_bytes(os.urandom(4096))
    elif kind == 8:
        (path := folder / f"[bold]x[not a tag] {index}.md").write_text("# Markup\n\nA name. " * 3)
    elif kind == 9:
        (path := folder / f"esc\x1b[31m{index}\x07.md").write_text("# Escapes\n\nA name. " * 3)
    elif kind == 10:
        (path := path.with_suffix(".html")).write_text(_deep_html(1000))
    else:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path := path.with_suffix(".md")))
        sock.close()
    return path


def hostile_in_out(out: Path, named: list[Path]) -> None:
    """The sources named inside OUT (an earlier run's outputs), as a user might name them."""
    for path in named:
        if out in path.parents:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("# Old\n\nAn old output.\n", encoding="utf-8")


def run(work: Path, good: Path, named: list[Path], label: str, jobs: int):
    out, cache = work / f"out-{label}", work / f"cache-{label}"
    for folder in (out, cache):  # every repeat is a cold run
        if folder.exists():
            shutil.rmtree(folder)
    if named:
        hostile_in_out(out, named)
    result = run_engine(["run", RECIPE, good, *named, "-o", out, "--cache-dir", cache,
                         "-j", jobs, "--no-progress"], work, env=child_env(work / "home"),
                        timeout=900)
    done = 0
    for manifest_path in out.glob("*/manifest.json"):
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest["status"] == "ok" and manifest["source"]["path"].startswith(str(good)):
            done += 1
    return result, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--hostile", type=float, default=0.05, help="fraction of hostile sources")
    parser.add_argument("-j", "--jobs", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs of each batch, interleaved; the least CPU time counts")
    args = parser.parse_args()
    hostile_count = round(args.sources * args.hostile)
    good_count = args.sources - hostile_count
    with tempfile.TemporaryDirectory(prefix="remixer-hostile-bench-") as tmp:
        work = Path(tmp)
        (work / "home").mkdir()
        good = work / "good"
        write_corpus(good, good_count)
        as_html(good, every=50)  # both batches read some HTML, so both import its parser
        (work / "hostile").mkdir()
        named = [hostile_source(work / "hostile", work / "out-hostile", i)
                 for i in range(hostile_count)]
        runs: dict[str, list] = {"baseline": [], "hostile": []}
        for repeat in range(args.repeat):  # alternate which batch goes first
            for label in ("baseline", "hostile")[::1 if repeat % 2 == 0 else -1]:
                runs[label].append(run(work, good, named if label == "hostile" else [],
                                       label, args.jobs))
        (baseline, baseline_done), (hostile, hostile_done) = (
            min(runs[label], key=lambda r: r[0].cpu_seconds) for label in ("baseline", "hostile"))
        hostile_done = min(done for _, done in runs["hostile"])
        for path in (work / "hostile").iterdir():
            if not path.is_symlink():
                path.chmod(0o600)
    print(f"{args.sources} sources, {hostile_count} hostile, -j {args.jobs}, "
          f"best of {args.repeat} cold runs each")
    print(f"{'batch':<22}{'CPU s':>8}{'wall s':>8}{'peak MB':>9}{'good done':>11}{'exit':>6}")
    for label, result, done in (("without hostile", baseline, baseline_done),
                                ("with hostile", hostile, hostile_done)):
        print(f"{label:<22}{result.cpu_seconds:>8.1f}{result.seconds:>8.1f}"
              f"{result.peak_mb:>9.0f}{done:>6}/{good_count:<4}{result.returncode:>6}")
    for label in ("baseline", "hostile"):
        print(f"  every {label} run, CPU s: "
              + ", ".join(f"{r.cpu_seconds:.1f}" for r, _ in runs[label]))
    # CPU time of the run: wall time swings +-15% on a shared machine
    time_ratio = hostile.cpu_seconds / baseline.cpu_seconds
    wall_ratio = hostile.seconds / baseline.seconds
    memory_ratio = hostile.peak_mb / baseline.peak_mb
    failed_lines = sum(1 for line in hostile.stdout.splitlines() if line.startswith("failed: "))
    print(f"CPU time ratio {time_ratio:.2f}, peak memory ratio {memory_ratio:.2f} "
          f"(target <= 1.1); wall time ratio {wall_ratio:.2f}")
    must_fail = sum(1 for i in range(hostile_count) if i % 12 in FAILING_KINDS)
    print(f"{hostile_count} hostile sources: {failed_lines} failed with one line each (of "
          f"{must_fail} that must); the rest (names holding markup or escapes, deep HTML) "
          f"are readable and done; traceback: {'yes' if 'Traceback' in hostile.output else 'no'}")
    ok = (hostile_done == good_count and time_ratio <= 1.1 and memory_ratio <= 1.1
          and failed_lines == must_fail and "Traceback" not in hostile.output)
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
