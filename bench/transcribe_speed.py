"""Transcription speed and memory of the default transcriber on a 10-minute recording.

Synthesises about ten minutes of continuous speech with hibari-tts (offline), then runs
``whisper`` (faster-whisper, bundled tiny.en, int8 on the CPU) on it in a fresh child
process, exactly as a recipe step would: probe, decode in windows, VAD, batched decoding
with word timestamps. Prints:

* the real-time factor: seconds of audio per wall-clock second of transcription
  (target >= 15x on 2 cores), model loading timed separately;
* the child's peak resident memory, from ``os.wait4``'s rusage (target < 1 GiB);
* a baseline measured in the same run on the same file: a plain ffmpeg decode to
  16 kHz mono, so the ratio shows how much of the time is recognition, not I/O.

    python bench/transcribe_speed.py [--minutes 10] [--model tiny.en]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import media  # noqa: E402
from tests.media_helpers import long_speech_file  # noqa: E402

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from plugins.speech.whisper import WhisperTranscriber, load_pipeline
transcriber = WhisperTranscriber(sys.argv[2])
load_pipeline(transcriber.model)
t1 = time.perf_counter()
transcript = transcriber.transcribe(sys.argv[1])
t2 = time.perf_counter()
print(json.dumps({"load": t1 - t0, "transcribe": t2 - t1, "duration": transcript.duration,
                  "words": len(transcript.words())}))
"""


def transcribe_in_child(path: Path, model: str) -> tuple[dict, int]:
    """The child's JSON report and its peak RSS in bytes."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), model], cwd=ROOT,
                            stdout=subprocess.PIPE)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"transcription failed with exit code {proc.returncode}")
    return json.loads(output), usage.ru_maxrss * 1024   # Linux reports KiB


def decode_seconds(path: Path) -> float:
    started = time.perf_counter()
    media.run_ffmpeg(["-i", media.media_path(path), "-ac", "1", "-ar", "16000", "-f", "null", "-"])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--model", default="tiny.en")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = long_speech_file(Path(tmp) / "talk.wav", args.minutes * 60)
        audio = media.probe(path).duration
        print(f"audio: {audio:.1f} s of synthesised speech "
              f"(made in {time.perf_counter() - started:.1f} s)")
        report, peak = transcribe_in_child(path, args.model)
        decode = decode_seconds(path)
    rtf = audio / report["transcribe"]
    print(f"model: whisper:{args.model}, loaded in {report['load']:.2f} s")
    print(f"transcription: {report['transcribe']:.1f} s wall, {report['words']} words")
    print(f"real-time factor: {rtf:.1f}x (audio s per wall s; target >= 15x)  "
          f"[{os.cpu_count()} cores]")
    print(f"peak memory: {peak / 2**20:.0f} MiB (target < 1024 MiB)")
    print(f"baseline, plain ffmpeg decode of the same file: {decode:.2f} s "
          f"({audio / decode:.0f}x real time); transcription takes "
          f"{report['transcribe'] / decode:.0f}x as long")


if __name__ == "__main__":
    main()
