"""Speaker similarity of the offline ``match`` cloning backend, measured by an
independent speaker encoder.

For each reference speaker, the same text is narrated (a) by the plain default voice
(hibari:heart) and (b) by ``clone:match:<reference>``; resemblyzer's pretrained GE2E
speaker encoder (not used anywhere in remixer) embeds the reference, both narrations and
a second, held-out recording of the same speaker, and we print cosine similarities,
the gain of (b) over (a), and the word error rate of (b) through the embedded
transcriber (faster-whisper tiny.en).

Targets (issue #7): gain >= +0.10 on every speaker, similarity >= 0.70, WER < 15%.
For scale, with this encoder two recordings of one person score about 0.90-0.95 and two
different people 0.5-0.6.

The reference speakers are NOT human recordings (there are none in this project):
they are independent synthesisers whose voices come from other people, made here at
run time: flite's CMU ARCTIC voices slt (US female), awb (Scottish male) and rms (US
male), statistical-parametric voices trained on those three speakers' recordings, and
espeak-ng's formant voice en-us+f3 (female, rule-based). None of them shares code or
data with hibari, piper or the converter.

Needs: ``apt-get install flite espeak-ng``; ``pip install resemblyzer`` (brings torch)
beside remixer. Run: ``python bench/voice_clone_similarity.py [--speakers slt,awb]``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: what each reference speaker reads (about 20 s): the cloning sample
REFERENCE_TEXT = (
    "When the sunlight strikes raindrops in the air, they act as a prism and form a "
    "rainbow. The rainbow is a division of white light into many beautiful colors. These "
    "take the shape of a long round arch, with its path high above, and its two ends "
    "apparently beyond the horizon. There is, according to legend, a boiling pot of gold "
    "at one end.")
#: a second recording of the same speaker, never shown to the converter
HELD_OUT_TEXT = (
    "Please call Stella. Ask her to bring these things with her from the store: six "
    "spoons of fresh snow peas, five thick slabs of blue cheese, and maybe a snack for her "
    "brother Bob.")
#: what the narrations say (neither the reference nor the base voice's calibration text)
NARRATION_TEXT = (
    "The old lighthouse keeper climbed the stairs every evening. He checked the lamp, "
    "wiped the glass, and wrote a short note in his log. Ships passed safely through the "
    "narrow channel, and nobody in the village ever thanked him. On stormy nights he stayed "
    "awake until dawn, listening to the wind and counting the waves that broke against the "
    "rocks below. When he finally retired, the town built a small bench in his honour.")

SPEAKERS = {
    "slt": ("flite", "slt", "flite cmu_us_slt: US English, female (CMU ARCTIC speaker SLT)"),
    "awb": ("flite", "awb", "flite cmu_us_awb: Scottish English, male (CMU ARCTIC speaker AWB)"),
    "rms": ("flite", "rms", "flite cmu_us_rms: US English, male (CMU ARCTIC speaker RMS)"),
    "espeak-f3": ("espeak-ng", "en-us+f3", "espeak-ng en-us+f3: formant synthesiser, female"),
}

TARGET_GAIN, TARGET_SIMILARITY, TARGET_WER = 0.10, 0.70, 0.15


def speak_reference(tool: str, voice: str, text: str, path: Path) -> None:
    if shutil.which(tool) is None:
        raise SystemExit(f"{tool} is not installed: apt-get install flite espeak-ng")
    if tool == "flite":
        subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(path)], check=True)
    else:
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True)


def word_error_rate(reference: str, hypothesis: str) -> float:
    def words(text: str) -> list[str]:
        return re.sub(r"[^a-z0-9' ]", " ", text.lower().replace("-", " ")).split()

    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[:], i
        for j, h in enumerate(hyp, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (r != h))
    return row[-1] / max(len(ref), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speakers", default=",".join(SPEAKERS),
                        help="comma-separated subset of " + ", ".join(SPEAKERS))
    parser.add_argument("--keep", type=Path, help="keep the audio files in this folder")
    args = parser.parse_args()

    import numpy as np
    from faster_whisper import WhisperModel
    from resemblyzer import VoiceEncoder, preprocess_wav

    from engine.media import decode_audio
    from engine.voices import synthesize_to_wav
    from plugins.speech.cloning import CloneEngine, with_consent
    from plugins.speech.hibari_voice import HibariEngine
    from plugins.speech.whisper import model_path

    encoder = VoiceEncoder("cpu", verbose=False)
    whisper = WhisperModel(model_path("tiny.en"), device="cpu", compute_type="int8")

    def embed(path: Path):
        return encoder.embed_utterance(preprocess_wav(decode_audio(path, 16000), source_sr=16000))

    def cosine(a, b) -> float:
        return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))

    def transcribe(path: Path) -> str:
        segments, _ = whisper.transcribe(decode_audio(path, 16000), language="en", beam_size=5)
        return " ".join(s.text for s in segments)

    work = Path(tempfile.mkdtemp(prefix="clone-bench-"))
    out = args.keep or work
    out.mkdir(parents=True, exist_ok=True)
    plain = out / "plain-hibari-heart.wav"
    synthesize_to_wav(HibariEngine(), NARRATION_TEXT, "heart", plain)
    plain_embedding = embed(plain)
    plain_wer = word_error_rate(NARRATION_TEXT, transcribe(plain))

    print("Speaker similarity: resemblyzer GE2E encoder, cosine of utterance embeddings.")
    print("References are synthetic speakers from independent synthesisers (not humans):")
    chosen = [s.strip() for s in args.speakers.split(",") if s.strip()]
    for key in chosen:
        print(f"  {key:10s} {SPEAKERS[key][2]}")
    print(f"Plain default voice: hibari:heart (WER {plain_wer:.1%}).")
    print("Scale: same person 0.90-0.95, different people 0.5-0.6.\n")
    header = (f"{'speaker':10s} {'ref F0':>7s} {'plain':>6s} {'match':>6s} {'gain':>6s} "
              f"{'held-out plain/match':>21s} {'WER':>6s} {'secs':>5s}  targets")
    print(header)
    print("-" * len(header))
    failures = 0
    clone = CloneEngine()
    for key in chosen:
        tool, voice, _ = SPEAKERS[key]
        ref, held = out / f"ref-{key}.wav", out / f"held-out-{key}.wav"
        speak_reference(tool, voice, REFERENCE_TEXT, ref)
        speak_reference(tool, voice, HELD_OUT_TEXT, held)
        cloned = out / f"match-{key}.wav"
        spec = with_consent(str(ref), True)
        name = clone.voice(spec).name
        started = time.perf_counter()
        synthesize_to_wav(clone, NARRATION_TEXT, name, cloned)
        seconds = time.perf_counter() - started
        ref_embedding, held_embedding = embed(ref), embed(held)
        match_embedding = embed(cloned)
        plain_sim = cosine(ref_embedding, plain_embedding)
        match_sim = cosine(ref_embedding, match_embedding)
        gain = match_sim - plain_sim
        wer = word_error_rate(NARRATION_TEXT, transcribe(cloned))
        from plugins.speech.cloning.match import reference_stats
        from plugins.speech.cloning import resolve
        f0 = reference_stats(resolve(name)).f0_hz
        ok = gain >= TARGET_GAIN and match_sim >= TARGET_SIMILARITY and wer < TARGET_WER
        failures += not ok
        print(f"{key:10s} {f0:5.0f}Hz {plain_sim:6.3f} {match_sim:6.3f} {gain:+6.3f} "
              f"{cosine(held_embedding, plain_embedding):10.3f}/{cosine(held_embedding, match_embedding):.3f} "
              f"{wer:6.1%} {seconds:5.1f}  {'met' if ok else 'MISSED'}")
    print(f"\nTargets: gain >= +{TARGET_GAIN:.2f}, match similarity >= {TARGET_SIMILARITY:.2f}, "
          f"WER < {TARGET_WER:.0%}: {'met on every speaker' if not failures else f'missed on {failures}'}.")
    print("'held-out' compares with a second recording of the speaker that the converter "
          "never saw (it shows the gain is the speaker's, not the sample's).")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
