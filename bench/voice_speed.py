"""Synthesis speed of every built-in voice engine on the same ~300-word text.

Each engine speaks the same generated article excerpt (numbers, years and money
included, so text normalisation is part of the cost) into a WAV file through
``synthesize_to_wav``, as a narration step would. Prints per engine:

* model loading time (the first call), timed separately;
* the real-time factor: seconds of audio per wall-clock second (best of ``--repeats``);
* the ratio of each engine's real-time factor to every other's, measured in this run.

    python bench/voice_speed.py [--words 300] [--repeats 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import article  # noqa: E402
from engine.voices import VoiceEngine, synthesize_to_wav  # noqa: E402
from plugins.speech.hibari_voice import HibariEngine  # noqa: E402
from plugins.speech.piper_voice import PiperEngine  # noqa: E402

ENGINES: tuple[type[VoiceEngine], ...] = (HibariEngine, PiperEngine)


def prose(words: int) -> str:
    """About ``words`` words of generated article paragraphs (no headings, no front matter)."""
    paragraphs, total, index = [], 0, 0
    while total < words:
        for block in article(index).split("\n\n"):
            block = block.strip()
            if block and not block.startswith(("#", "---", "title:")) and total < words:
                paragraphs.append(block)
                total += len(block.split())
        index += 1
    return "\n\n".join(paragraphs)


def measure(engine: VoiceEngine, text: str, repeats: int) -> dict[str, float]:
    voice = engine.default_voice
    start = time.perf_counter()
    engine.synthesize("Warm up.", voice)
    load = time.perf_counter() - start
    best = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            start = time.perf_counter()
            audio, _spans = synthesize_to_wav(engine, text, voice, Path(tmp) / "bench.wav")
            best = min(best, time.perf_counter() - start)
    return {"load": load, "audio": audio, "wall": best, "x_realtime": audio / best}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    text = prose(args.words)
    print(f"text: {len(text.split())} words")
    results = {}
    for cls in ENGINES:
        engine = cls()
        results[cls.name] = r = measure(engine, text, args.repeats)
        print(f"{cls.name}:{engine.default_voice:6s} load {r['load']:5.2f} s   "
              f"{r['audio']:6.1f} s of audio in {r['wall']:5.2f} s   "
              f"= {r['x_realtime']:6.1f}x realtime")
    names = list(results)
    for a in names:
        for b in names:
            if a != b:
                ratio = results[a]["x_realtime"] / results[b]["x_realtime"]
                print(f"{a} / {b}: {ratio:.2f}x")


if __name__ == "__main__":
    main()
