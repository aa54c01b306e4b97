"""Word-timing accuracy: median error of word start times on speech with known boundaries.

How the truth is known. Natural speech has no exact word boundaries, so the benchmark
builds speech where they are known by construction: every word of every sentence is
synthesised on its own with hibari-tts (the last word of a sentence with its full stop,
so it is said as an ending), trimmed of leading and trailing silence (frames quieter
than 2% of the word's peak), and the words are joined with short random gaps
(30-100 ms) inside a sentence and longer ones (0.5-0.9 s) between sentences. A word's
true start is the sample where its trimmed audio was placed. The gaps are short enough
that the recogniser hears sentences, not a list of words.

What is measured. The file is transcribed by ``whisper`` (bundled tiny.en) and the
script is aligned to the recognised words (plugins/speech/alignment.py), exactly what captions
of our own narration use. For every script word: |aligned start - true start|. Prints
the median (target < 150 ms), mean, 90th percentile and maximum, over several passes
with different random gaps.

    python bench/word_timing.py [--passes 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugins.speech.alignment import aligned_transcript  # noqa: E402
from plugins.speech.whisper import WhisperTranscriber  # noqa: E402
from tests.media_helpers import SENTENCES, word_timed_speech  # noqa: E402


def start_errors(folder: Path, seed: int, transcriber: WhisperTranscriber) -> list[float]:
    path = folder / f"known-{seed}.wav"
    truth = word_timed_speech(path, SENTENCES, seed=seed)
    script = " ".join(w.text for w in truth)
    words = aligned_transcript(script, path, transcriber).words()
    return [abs(w.start - t.start) for w, t in zip(words, truth, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    transcriber = WhisperTranscriber()
    started = time.perf_counter()
    errors: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.passes):
            errors += start_errors(Path(tmp), seed, transcriber)
    ms = sorted(e * 1000 for e in errors)
    print(f"words: {len(ms)} in {args.passes} passes of {len(SENTENCES)} sentences "
          f"({time.perf_counter() - started:.1f} s)")
    print(f"word start error, median: {statistics.median(ms):.0f} ms (target < 150 ms)")
    print(f"mean {statistics.mean(ms):.0f} ms, 90th percentile {ms[int(0.9 * len(ms))]:.0f} ms, "
          f"max {ms[-1]:.0f} ms")


if __name__ == "__main__":
    main()
