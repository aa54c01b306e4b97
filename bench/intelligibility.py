"""Intelligibility of the spoken outputs: word error rate of the embedded transcriber on
the podcast and the narration, against the script they were spoken from, per voice.

Makes, from samples/article.md, a podcast (``--minutes``, default voices hibari:heart
and piper:joe) and a narration of the whole article with each default voice, then
transcribes every mp3 with ``whisper`` (faster-whisper, bundled tiny.en) and prints the
WER per output and voice (target < 10% each). For the podcast, recognised words are
assigned to the turn they fall in (by time), so each voice is scored on its own turns.

Both sides are normalised before counting: lower case, punctuation dropped, hyphens
and slashes as spaces, and numbers written as digits on both sides ("twelve" and "12"
meet), so the WER counts misheard words, not spelling conventions.

    python bench/intelligibility.py [--minutes 3] [--skip-piper-narration]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.plugins import PluginConfig, build_registry  # noqa: E402
from engine.transform import Context  # noqa: E402

ARTICLE = ROOT / "samples" / "article.md"
_NUMBERS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
_NUMBERS.update({"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
                 "eighty": "80", "ninety": "90", "hundred": "100", "percent": "%"})


def normalise(text: str) -> list[str]:
    text = text.lower().replace("%", " percent ")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)          # 1,500 -> 1500
    text = re.sub(r"[-/–—]", " ", text)
    text = re.sub(r"[^\w\s.]|(?<!\d)\.|\.(?!\d)", " ", text)   # keep decimal points
    return [_NUMBERS.get(w, w) for w in text.split()]


def wer(reference: list[str], hypothesis: list[str]) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words."""
    if not reference:
        return 0.0
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (ref != hyp))
        previous = current
    return previous[-1] / len(reference)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--skip-piper-narration", action="store_true",
                        help="narrate only with hibari:heart (saves ~1.5 minutes)")
    args = parser.parse_args()

    registry = build_registry(PluginConfig(load_entry_points=False))
    transcriber = registry.transcriber("whisper")
    doc = registry.loader_for(ARTICLE).load(ARTICLE)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        def context(step: str) -> Context:
            return Context(registry=registry, step_id=step, source_name=ARTICLE.name,
                           scratch_root=Path(tmp))

        # the podcast, scored per voice on its own turns
        script_step, podcast = registry.transform("podcast-script"), registry.transform("podcast")
        script = script_step.run(doc, script_step.Params(minutes=args.minutes), context("s"))
        params = podcast.Params(minutes=args.minutes, timing="estimated")
        audio = podcast.run(script, params, context("podcast"))
        started = time.perf_counter()
        heard = transcriber.transcribe(audio.path, language="en").words()
        seconds = time.perf_counter() - started
        import json
        turns = json.loads(audio.metadata["turns"])
        voice_of = dict(zip(script.speakers, params.voices))
        for spec in params.voices:
            reference, hypothesis = [], []
            for turn, info in zip(script.turns, turns):
                if voice_of[turn.speaker] != spec:
                    continue
                reference += normalise(turn.text)
                hypothesis += normalise(" ".join(
                    w.text for w in heard
                    if info["start"] - 0.2 <= (w.start + w.end) / 2 < info["end"] + 0.2))
            rows.append(("podcast", spec, len(reference), wer(reference, hypothesis)))
        print(f"podcast: {audio.duration / 60:.1f} min, transcribed in {seconds:.1f} s")

        voices = ["hibari:heart"] + ([] if args.skip_piper_narration else ["piper:joe"])
        narration = registry.transform("narration")
        for spec in voices:
            audio = narration.run(doc, narration.Params(voice=spec, timing="estimated"),
                                  context("narration"))
            started = time.perf_counter()
            heard = transcriber.transcribe(audio.path, language="en").words()
            seconds = time.perf_counter() - started
            reference = normalise(audio.metadata["script"])
            hypothesis = normalise(" ".join(w.text for w in heard))
            rows.append(("narration", spec, len(reference), wer(reference, hypothesis)))
            print(f"narration ({spec}): {audio.duration / 60:.1f} min, transcribed in "
                  f"{seconds:.1f} s")

    print(f"\n{'output':<10} {'voice':<14} {'words':>6} {'WER':>7}  (target < 10%)")
    for output, spec, count, rate in rows:
        flag = "ok" if rate < 0.10 else "OVER"
        print(f"{output:<10} {spec:<14} {count:>6} {100 * rate:6.1f}%  {flag}")


if __name__ == "__main__":
    main()
