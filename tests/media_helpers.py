"""Real media for tests and benchmarks, made on the spot.

Speech comes from hibari-tts (offline, deterministic with a seed); tones, silence and
video from the bundled ffmpeg's lavfi sources; broken files by cutting or scrambling
good ones. Nothing is downloaded.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path

import numpy as np

from engine import media
from engine.artifacts import Word

#: hibari's output rate
SPEECH_RATE = 24000

SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Remixer turns one article into many finished pieces.",
    "Every caption should be easy to read at a glance.",
    "She sold twelve paintings at the market last Sunday.",
    "Our podcast starts with a short summary of the news.",
    "Please keep the windows closed while the train is moving.",
    "A good narrator speaks slowly and clearly.",
    "The museum opens at nine and closes at five.",
)

PARAGRAPH = (
    "Remixer takes one source piece, such as an article or a recorded talk, and turns it "
    "into many finished pieces. It writes summaries of several lengths, a social post, a "
    "podcast for two hosts, and short captioned videos. Everything runs offline on an "
    "ordinary laptop, and a recipe describes the whole job in a few lines. When a step "
    "fails for one file, the other files carry on, and the report explains what went "
    "wrong and how to fix it. Captions are split at sentence and clause boundaries, so "
    "viewers can read them comfortably while they listen. "
)


@functools.lru_cache(maxsize=1)
def _tts():
    from hibari import Hibari

    return Hibari()


def synthesize(text: str, *, seed: int = 0) -> np.ndarray:
    """Speech for ``text`` as float32 samples at SPEECH_RATE."""
    return _tts()(text, seed=seed)


def speech_file(path: Path, text: str, *, seed: int = 0) -> Path:
    return media.write_wav(path, synthesize(text, seed=seed), SPEECH_RATE)


def long_speech_file(path: Path, seconds: float) -> Path:
    """At least ``seconds`` of continuous speech (the paragraph repeated, varied by seed)."""
    parts, total, seed = [], 0, 0
    while total < seconds * SPEECH_RATE:
        parts.append(synthesize(PARAGRAPH, seed=seed))
        total += len(parts[-1])
        seed += 1
    return media.write_wav(path, np.concatenate(parts), SPEECH_RATE)


def trim(samples: np.ndarray, *, threshold: float = 0.02, frame: int = 120) -> np.ndarray:
    """Samples without leading and trailing quiet (frames below ``threshold`` x the peak)."""
    count = len(samples) // frame
    if count == 0:
        return samples
    level = np.abs(samples[:count * frame]).reshape(count, frame).max(axis=1)
    loud = np.flatnonzero(level > threshold * level.max())
    return samples[loud[0] * frame:(loud[-1] + 1) * frame] if len(loud) else samples[:0]


def word_timed_speech(path: Path, sentences=SENTENCES, *, word_gap=(0.03, 0.1),
                      sentence_gap=(0.5, 0.9), seed: int = 0) -> list[Word]:
    """Speech whose every word boundary is known; returns the true word timings.

    Each word is synthesised on its own (the sentence's last word with its full stop, so
    it is said as an ending), trimmed of silence, and the words are joined with short
    random gaps, sentences with longer ones. A word's true start is where its trimmed
    audio was placed.
    """
    rng = random.Random(seed)
    pieces, truth, at = [], [], 0
    for sentence in sentences:
        for token in sentence.split():
            audio = trim(synthesize(token, seed=seed))
            truth.append(Word(text=token, start=at / SPEECH_RATE,
                              end=(at + len(audio)) / SPEECH_RATE))
            gap = int(rng.uniform(*word_gap) * SPEECH_RATE)
            pieces += [audio, np.zeros(gap, np.float32)]
            at += len(audio) + gap
        pause = int(rng.uniform(*sentence_gap) * SPEECH_RATE)
        pieces.append(np.zeros(pause, np.float32))
        at += pause
    media.write_wav(path, np.concatenate(pieces), SPEECH_RATE)
    return truth


def joined(path: Path, parts: list[Path | float], *, sample_rate: int = 16000) -> Path:
    """Audio files and silences (a float is seconds of silence) end to end, mono.

    Each file may appear once (ffmpeg-python merges identical inputs into one node).
    """
    import ffmpeg

    streams = [ffmpeg.input(media.media_path(part)).audio if isinstance(part, Path) else
               ffmpeg.input(f"anullsrc=r={sample_rate}:cl=mono:nb_samples=4096", f="lavfi", t=part)
               for part in parts]
    streams = [s.filter("aresample", sample_rate).filter("aformat", channel_layouts="mono")
               for s in streams]
    graph = ffmpeg.concat(*streams, v=0, a=1).output(media.media_path(path))
    media.run_ffmpeg(["-y", *media.graph_args(graph)], what="join test audio")
    return path


def lavfi(path: Path, *sources: str, extra: tuple[str, ...] = ()) -> Path:
    """A file made by ffmpeg from lavfi source graphs (``sine=d=2``, ``testsrc=d=2``)."""
    args = []
    for source in sources:
        args += ["-f", "lavfi", "-i", source]
    media.run_ffmpeg(["-y", *args, *extra, media.media_path(path)], what="make a test file")
    return path


def tone(path: Path, seconds: float, *, frequency: int = 440, sample_rate: int = 44100,
         channels: int = 1) -> Path:
    return lavfi(path, f"sine=frequency={frequency}:duration={seconds}:sample_rate={sample_rate}",
                 extra=("-ac", str(channels)))


def silence(path: Path, seconds: float, *, sample_rate: int = 16000) -> Path:
    return lavfi(path, f"anullsrc=r={sample_rate}:cl=mono", extra=("-t", str(seconds)))


def video(path: Path, seconds: float, *, audio: Path | None = None, with_tone: bool = False,
          subtitles: Path | None = None, size: str = "320x240", fps: int = 25) -> Path:
    """A test-pattern video; its sound is ``audio``, a tone, or nothing; optional subtitle track."""
    inputs = [["-f", "lavfi", "-i", f"testsrc=size={size}:rate={fps}:duration={seconds}"]]
    if audio is not None:
        inputs.append(["-i", media.media_path(audio)])
    elif with_tone:
        inputs.append(["-f", "lavfi", "-i", f"sine=duration={seconds}"])
    if subtitles is not None:
        inputs.append(["-i", media.media_path(subtitles)])
    codecs = {".mp4": ["-c:v", "libx264", "-c:a", "aac", "-c:s", "mov_text"],
              ".mov": ["-c:v", "libx264", "-c:a", "aac", "-c:s", "mov_text"],
              ".mkv": ["-c:v", "libx264", "-c:a", "libopus", "-c:s", "srt"],
              ".webm": ["-c:v", "libvpx", "-c:a", "libopus", "-c:s", "webvtt"]}
    args = ["-y", *(part for source in inputs for part in source)]
    for index in range(len(inputs)):
        args += ["-map", str(index)]
    args += [*codecs[path.suffix], "-pix_fmt", "yuv420p", "-t", str(seconds)]
    media.run_ffmpeg([*args, media.media_path(path)], what="make a test video")
    return path


def corrupt(path: Path, size: int = 8192, *, seed: int = 0) -> Path:
    """Random bytes under a media name."""
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def truncated(src: Path, dst: Path, fraction: float = 0.3) -> Path:
    """The first ``fraction`` of ``src``'s bytes, as if a download stopped."""
    data = src.read_bytes()
    dst.write_bytes(data[:int(len(data) * fraction)])
    return dst
