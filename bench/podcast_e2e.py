"""End-to-end time of an article becoming a finished podcast episode, and where it goes.

Runs ``podcast-script`` then ``podcast`` on samples/article.md (~1,500 words) with the
defaults of recipes/podcast.yaml (two hosts, 5 minutes, hibari:heart and piper:joe,
word timings from the voice engines), in this process, without the step
cache. Voice models are loaded first and timed separately. Prints:

* the wall-clock time from document to tagged mp3, and the episode's length;
* the share of each stage: script writing, synthesis, mixing, mastering (one-pass
  loudness and mp3 encoding), alignment (transcription for word timings, only with
  timing: aligned or voices that give no timings), tagging;
* the ratio of the end-to-end time to *plain synthesis* of the same turns with the same
  voices (``synthesize_to_wav`` per turn, nothing else), measured in the same run.

    python bench/podcast_e2e.py [--minutes 5] [--timing engine|aligned|estimated]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import media  # noqa: E402
from engine.plugins import PluginConfig, build_registry  # noqa: E402
from engine.transform import Context  # noqa: E402
from engine.voices import synthesize_to_wav  # noqa: E402

ARTICLE = ROOT / "samples" / "article.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--timing", choices=("engine", "aligned", "estimated"), default="engine")
    args = parser.parse_args()

    registry = build_registry(PluginConfig(load_entry_points=False))
    doc = registry.loader_for(ARTICLE).load(ARTICLE)
    words = doc.word_count()
    podcast = registry.transform("podcast")
    params = podcast.Params(minutes=args.minutes, timing=args.timing)

    started = time.perf_counter()
    for spec in params.voices:   # model loading, timed apart from the work
        engine_name, voice = spec.split(":")
        registry.voice_engine(engine_name).synthesize("Hello.", voice)
    if args.timing == "aligned":
        from plugins.speech.whisper import load_pipeline
        load_pipeline(registry.transcriber(params.transcriber).model)
    loading = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        script_step = registry.transform("podcast-script")
        ctx = Context(registry=registry, step_id="script", source_name=ARTICLE.name,
                      scratch_root=Path(tmp))
        started = time.perf_counter()
        script = script_step.run(doc, script_step.Params(minutes=args.minutes), ctx)
        script_seconds = time.perf_counter() - started

        ctx = Context(registry=registry, step_id="podcast", source_name=ARTICLE.name,
                      scratch_root=Path(tmp))
        started = time.perf_counter()
        audio = podcast.run(script, params, ctx)
        podcast_seconds = time.perf_counter() - started
        total = script_seconds + podcast_seconds
        stages = dict(ctx.metrics["seconds"])
        stages["script"] = script_seconds   # the podcast step's own is 0: it got a script
        stages["other"] = total - sum(stages.values())
        loudness = media.measure_loudness(audio.path)

        # plain synthesis of the same turns, same voices, nothing else
        voices = dict(zip(script.speakers, params.voices))
        started = time.perf_counter()
        for index, turn in enumerate(script.turns):
            engine_name, voice = voices[turn.speaker].split(":")
            synthesize_to_wav(registry.voice_engine(engine_name), turn.text, voice,
                              Path(tmp) / f"plain-{index}.wav")
        plain = time.perf_counter() - started
        ctx.cleanup()

    script_words = sum(len(t.text.split()) for t in script.turns)
    print(f"article: {ARTICLE.name}, {words} words -> script of {script_words} words, "
          f"{len(script.turns)} turns (target {args.minutes:g} min)")
    print(f"episode: {audio.duration / 60:.2f} min ({audio.duration:.1f} s), "
          f"{loudness.integrated_lufs:.1f} LUFS, true peak {loudness.true_peak_dbfs:.1f} dBTP, "
          f"{len(audio.chapters)} chapters, word timings: {args.timing}")
    print(f"model loading (not counted): {loading:.2f} s")
    print(f"end to end: {total:.2f} s ({audio.duration / total:.1f}x real time)")
    for name in ("script", "synthesis", "mixing", "mastering", "alignment", "tagging", "other"):
        seconds = stages.get(name, 0.0)
        print(f"  {name:<10} {seconds:7.2f} s  {100 * seconds / total:5.1f}%")
    print("  (mastering = loudness normalisation and mp3 encoding, measured while mixing)")
    print(f"plain synthesis of the same turns: {plain:.2f} s; "
          f"end to end / plain synthesis = {total / plain:.2f}x")


if __name__ == "__main__":
    main()
