"""Reference recordings for voice cloning: decoded, measured and checked.

A reference must hold at least ``MIN_SPEECH_SECONDS`` of speech once silence is left
out, be neither too quiet nor clipped, and contain one speaker. Every problem is a
one-line :class:`ReferenceAudioError` naming the fix.

Decoding goes through :func:`engine.media.decode_audio` (ffmpeg: WAV, MP3, M4A, FLAC,
OGG, a video's sound track...). Where that is not available, only 16-bit PCM WAV files
are read (with Python's ``wave`` module).

**One speaker** is a heuristic, explained here because it can be wrong. Speech is cut
at its pauses into chunks of about 1.5 s; for each chunk we measure the median pitch
(WORLD's DIO, in semitones) and the shape of its average spectrum (the first 4 cepstral
coefficients of 24 mel bands, level removed). The chunks are then split into the two
groups that differ most (2-means). One voice gives two groups that overlap (phonetic
content moves a chunk's spectrum a little, and pitch wanders within about an octave);
two voices give two well-separated groups. The score is the distance between the group
centres divided by the spread within the groups (a Fisher ratio), and both groups must
hold at least a fifth of the speech. A second score looks at pitch alone: the chunks'
median pitches split where they jump, and two groups 4 semitones or more apart also mean
two voices (one speaker's sentences stayed within 2 semitones of each other).

Measured limits, and why the refusal threshold is high: eight single synthetic voices
scored 1.6 to 4.4, but piper's joe alone reaches 5.2 in some runs (its pitch track is
unstable), while two-voice mixes scored 5.3 to 10.4 and hibari's heart taking turns with
piper's joe anywhere from 3.8 to 8.3. The scores overlap, so no threshold separates them
reliably. Refusing a genuine single-speaker recording is the worse mistake, so only clear
cases (above ``MAX_SPEAKER_SEPARATION``, e.g. a voice and one an octave lower taking
turns, 12.6) are refused: the check misses many mixed recordings, including some of a
man and a woman, and never finds a voice that speaks for under a fifth of the recording.
"""

from __future__ import annotations

import hashlib
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from engine.errors import TransformError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

#: the rate references are measured at
ANALYSIS_RATE = 16000
MIN_SPEECH_SECONDS = 5.0
#: mean level of the speech (RMS over speech frames) below which a reference is too quiet
MIN_LEVEL_DBFS = -45.0
#: a sample at or above this magnitude counts as clipped ...
CLIP_LEVEL = 0.99
#: ... and a reference with more than this fraction of clipped samples is rejected
MAX_CLIPPED_FRACTION = 0.002
#: frames: 20 ms; speech is what lies within 40 dB of the loudest frame and 12 dB above
#: the noise floor; gaps under 0.2 s inside speech count as speech, blips under 0.1 s do not
FRAME_SECONDS = 0.02
SPEECH_RANGE_DB = 40.0
NOISE_MARGIN_DB = 12.0
SILENCE_DBFS = -90.0
#: one-speaker heuristic: chunk length, and the separation that means two voices
CHUNK_SECONDS = 1.5
MAX_SPEAKER_SEPARATION = 8.0
MIN_GROUP_SHARE = 0.2
#: fewer chunks than this (about 9 s of speech) cannot be judged: the check is skipped
MIN_CHUNKS = 6
#: how much a pitch gap between two groups of chunks counts (4 semitones score 4.8)
PITCH_GAP_WEIGHT = 1.2

AUDIO_EXTENSIONS = (".wav", ".mp3", ".m4a", ".flac", ".ogg", ".opus", ".aac", ".webm",
                    ".mp4", ".mov", ".mkv")


class ReferenceAudioError(TransformError):
    """A reference recording cannot be used for cloning (too short, too quiet...)."""


@dataclass(frozen=True, eq=False)
class Reference:
    """A checked reference recording (one or more files, joined)."""

    paths: tuple[Path, ...]
    #: float32 mono at ``rate``: the files joined, silence at the ends trimmed
    samples: "np.ndarray"
    rate: int
    speech_seconds: float
    level_dbfs: float
    clipped_fraction: float
    #: the one-speaker score (under MAX_SPEAKER_SEPARATION means one voice)
    speaker_separation: float
    #: sha256 of the files' bytes, in order
    digest: str

    @property
    def name(self) -> str:
        return ", ".join(p.name for p in self.paths)


def file_digest(paths: Sequence[Path]) -> str:
    sha = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
    return sha.hexdigest()


def is_audio_path(value: str) -> bool:
    return value.lower().endswith(AUDIO_EXTENSIONS)


# --------------------------------------------------------------------------- decoding

def decode(path: Path, rate: int) -> "np.ndarray":
    """Float32 mono samples of ``path`` at ``rate``."""
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise ReferenceAudioError(f"reference recording {str(path)!r} does not exist",
                                  hint="give the path of a WAV or MP3 file of the speaker")
    try:
        from engine.media import decode_audio
    except ImportError:  # pragma: no cover - media layer not installed
        decode_audio = None
    if decode_audio is not None:
        from engine.errors import MediaError
        try:
            samples = decode_audio(path, rate)
        except MediaError as exc:
            raise ReferenceAudioError(f"cannot read the reference recording {path.name!r}: "
                                      f"{exc.message}", hint="use a WAV or MP3 file") from exc
        return np.asarray(samples, dtype=np.float32)
    return _read_wav(path, rate)  # pragma: no cover


def _read_wav(path: Path, rate: int) -> "np.ndarray":
    """16-bit PCM WAV without ffmpeg (the fallback)."""
    import numpy as np

    from plugins.speech.cloning.match import resample

    try:
        with wave.open(str(path)) as wav:
            if wav.getsampwidth() != 2:
                raise ReferenceAudioError(f"{path.name} is not 16-bit PCM",
                                          hint="convert it to a 16-bit WAV file")
            frames = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
            channels, native = wav.getnchannels(), wav.getframerate()
    except (wave.Error, EOFError) as exc:
        raise ReferenceAudioError(f"cannot read the reference recording {path.name!r}: {exc}",
                                  hint="only WAV files can be read without ffmpeg") from exc
    samples = frames.reshape(-1, channels).mean(axis=1) / 32768.0
    return resample(samples, native, rate).astype(np.float32)


# --------------------------------------------------------------------------- measuring

def frame_levels(samples: "np.ndarray", rate: int) -> "np.ndarray":
    """RMS level of each 20 ms frame in dBFS (digital silence: -120)."""
    import numpy as np

    size = max(int(FRAME_SECONDS * rate), 1)
    count = len(samples) // size
    if count == 0:
        return np.zeros(0)
    frames = samples[:count * size].reshape(count, size).astype(np.float64)
    power = np.mean(frames ** 2, axis=1)
    return 10 * np.log10(np.maximum(power, 1e-12))


def speech_mask(levels: "np.ndarray") -> "np.ndarray":
    """Which frames are speech: an energy detector with hangover (see module constants)."""
    import numpy as np

    if not len(levels) or levels.max() < SILENCE_DBFS:
        return np.zeros(len(levels), dtype=bool)
    floor = np.percentile(levels, 10)
    threshold = max(levels.max() - SPEECH_RANGE_DB, floor + NOISE_MARGIN_DB, SILENCE_DBFS)
    mask = levels > threshold
    mask = _fill_runs(mask, False, int(0.2 / FRAME_SECONDS))   # bridge short gaps
    return _fill_runs(mask, True, int(0.1 / FRAME_SECONDS))    # drop short blips


def _fill_runs(mask: "np.ndarray", value: bool, shorter_than: int) -> "np.ndarray":
    """Flip interior runs of ``value`` shorter than ``shorter_than`` frames."""
    out = mask.copy()
    start = None
    for i, item in enumerate(list(mask) + [not value]):
        if item == value and start is None:
            start = i
        elif item != value and start is not None:
            interior = start > 0 and i < len(mask)
            if (interior or value) and i - start < shorter_than:
                out[start:i] = not value
            start = None
    return out


def speaker_separation(samples: "np.ndarray", rate: int, mask: "np.ndarray") -> float:
    """The one-speaker score (module docstring): 0 when there are too few chunks to tell."""
    import numpy as np

    chunks = _chunks(samples, rate, mask)
    if len(chunks) < MIN_CHUNKS:
        return 0.0
    features = np.array([_chunk_features(c, rate) for c in chunks])
    features = features[np.all(np.isfinite(features), axis=1)]
    if len(features) < MIN_CHUNKS:
        return 0.0
    return max(_two_means_separation(features), PITCH_GAP_WEIGHT * _pitch_gap(features[:, 0] * 3))


def _pitch_gap(semitones: "np.ndarray") -> float:
    """Semitones between the two pitch groups of the chunks (largest gap split), 0 when
    a group would hold under MIN_GROUP_SHARE of them."""
    import numpy as np

    ordered = np.sort(semitones)
    least = max(int(np.ceil(MIN_GROUP_SHARE * len(ordered))), 2)
    best = 0.0
    for cut in range(least, len(ordered) - least + 1):
        low, high = ordered[:cut], ordered[cut:]
        if len(low) and len(high):
            best = max(best, float(np.median(high) - np.median(low)) if
                       ordered[cut] - ordered[cut - 1] > 0.5 else 0.0)
    return best


def _chunks(samples, rate, mask) -> list:
    """Speech cut at pauses (>= 0.2 s) into pieces of about CHUNK_SECONDS of speech."""
    import numpy as np

    size = int(FRAME_SECONDS * rate)
    per_chunk = int(CHUNK_SECONDS / FRAME_SECONDS)
    chunks, current = [], []
    for index in range(len(mask)):
        if mask[index]:
            current.append(samples[index * size:(index + 1) * size])
        at_pause = not mask[index] and current
        if (len(current) >= per_chunk and at_pause) or len(current) >= 2 * per_chunk:
            chunks.append(np.concatenate(current))
            current = []
    if len(current) >= per_chunk // 2:
        chunks.append(np.concatenate(current))
    return chunks


def _chunk_features(chunk, rate) -> list[float]:
    import numpy as np
    import pyworld

    x = chunk.astype(np.float64)
    f0, _ = pyworld.dio(x, rate, f0_floor=60.0, f0_ceil=500.0, frame_period=10.0)
    voiced = f0[f0 > 0]
    semitones = 12 * np.log2(np.median(voiced) / 100.0) if len(voiced) >= 5 else np.nan
    # average log mel spectrum -> cepstrum (level removed)
    size = 512
    frames = np.lib.stride_tricks.sliding_window_view(x, size)[::size // 2]
    power = np.abs(np.fft.rfft(frames * np.hanning(size), axis=1)) ** 2
    loud = power.sum(axis=1) > power.sum(axis=1).max() * 1e-3
    spectrum = power[loud].mean(axis=0)
    freqs = np.fft.rfftfreq(size, 1 / rate)
    edges = 700 * (10 ** (np.linspace(2595 * np.log10(1 + 100 / 700),
                                       2595 * np.log10(1 + 7000 / 700), 26) / 2595) - 1)
    bands = np.array([spectrum[(freqs >= lo) & (freqs < hi)].mean()
                      for lo, hi in zip(edges[:-2], edges[2:])])
    log_bands = np.log(bands + 1e-12)
    n = len(log_bands)
    dct = np.cos(np.pi / n * (np.arange(n)[:, None] + 0.5) * np.arange(1, 5)[None])
    cepstrum = log_bands @ dct / n * 2
    return [semitones / 3.0, *cepstrum]


def _two_means_separation(features: "np.ndarray") -> float:
    """Fisher ratio of the best 2-means split, 0 if a group is under MIN_GROUP_SHARE."""
    import numpy as np

    scale = features.std(axis=0) + 1e-9
    z = (features - features.mean(axis=0)) / scale
    best = 0.0
    # deterministic starts: the pairs of chunks farthest apart along the main axes
    _, _, vt = np.linalg.svd(z, full_matrices=False)
    for axis in vt[:3]:
        projection = z @ axis
        labels = projection > np.median(projection)
        for _ in range(20):
            if labels.all() or not labels.any():
                break
            c1, c0 = z[labels].mean(axis=0), z[~labels].mean(axis=0)
            new = ((z - c1) ** 2).sum(axis=1) < ((z - c0) ** 2).sum(axis=1)
            if np.array_equal(new, labels):
                break
            labels = new
        smaller = min(labels.sum(), (~labels).sum())
        if smaller < max(2, MIN_GROUP_SHARE * len(labels)):
            continue
        a, b = features[labels] / scale, features[~labels] / scale
        between = np.sum((a.mean(axis=0) - b.mean(axis=0)) ** 2)
        within = (a.var(axis=0).sum() * len(a) + b.var(axis=0).sum() * len(b)) / len(features)
        best = max(best, float(between / (within + 1e-9)))
    return best


# --------------------------------------------------------------------------- checking

def check(samples: "np.ndarray", rate: int, *, name: str = "the reference recording",
          check_speakers: bool = True) -> tuple[float, float, float, float, "np.ndarray"]:
    """Check samples; returns (speech seconds, level dBFS, clipped fraction, speaker
    separation, speech mask). Raises ReferenceAudioError naming the problem and fix."""
    import numpy as np

    samples = np.asarray(samples, dtype=np.float32)
    if not len(samples) or not np.any(samples):
        raise ReferenceAudioError(f"{name} is silent (no speech in it)",
                                  hint="record the speaker reading for 10 to 30 seconds")
    clipped = float(np.mean(np.abs(samples) >= CLIP_LEVEL))
    levels = frame_levels(samples, rate)
    mask = speech_mask(levels)
    speech_seconds = float(mask.sum() * FRAME_SECONDS)
    if speech_seconds == 0:
        raise ReferenceAudioError(f"{name} is silent (no speech in it)",
                                  hint="record the speaker reading for 10 to 30 seconds")
    level = float(10 * np.log10(np.mean(10 ** (levels[mask] / 10))))
    if level < MIN_LEVEL_DBFS:
        raise ReferenceAudioError(
            f"{name} is too quiet (speech at {level:.0f} dBFS, needs at least "
            f"{MIN_LEVEL_DBFS:.0f})", hint="record closer to the microphone or raise the input gain")
    if clipped > MAX_CLIPPED_FRACTION:
        raise ReferenceAudioError(
            f"{name} is clipped ({clipped:.1%} of samples at full scale): the distortion "
            "would be cloned too", hint="record again with the input gain lower")
    if speech_seconds < MIN_SPEECH_SECONDS:
        raise ReferenceAudioError(
            f"{name} has only {speech_seconds:.1f} s of speech once silence is left out; "
            f"cloning needs at least {MIN_SPEECH_SECONDS:.0f} s",
            hint="use a longer recording (10 to 30 seconds of the speaker reading)")
    separation = speaker_separation(samples, rate, mask) if check_speakers else 0.0
    if separation > MAX_SPEAKER_SEPARATION:
        raise ReferenceAudioError(
            f"{name} seems to hold more than one voice (speaker score {separation:.1f}, "
            f"one voice scores under {MAX_SPEAKER_SEPARATION})",
            hint="cut it to a part where only the speaker to clone talks")
    return speech_seconds, level, clipped, separation, mask


def load_reference(paths: Sequence[str | Path], rate: int = ANALYSIS_RATE) -> Reference:
    """Decode, join and check reference recordings of one speaker."""
    import numpy as np

    paths = tuple(Path(p) for p in paths)
    if not paths:
        raise ReferenceAudioError("no reference recording given",
                                  hint="give a WAV or MP3 file of the speaker")
    pieces = [decode(path, rate) for path in paths]
    gap = np.zeros(int(0.3 * rate), dtype=np.float32)
    joined = np.concatenate([piece for p in pieces for piece in (p, gap)][:-1])
    name = (f"reference recording {paths[0].name!r}" if len(paths) == 1
            else f"reference recordings {', '.join(p.name for p in paths)}")
    speech, level, clipped, separation, mask = check(joined, rate, name=name)
    size = int(FRAME_SECONDS * rate)
    speaking = np.flatnonzero(mask)
    start = max(int(speaking[0]) - 5, 0) * size
    end = min(int(speaking[-1]) + 6, len(mask)) * size
    return Reference(paths=paths, samples=joined[start:end], rate=rate,
                     speech_seconds=round(speech, 2), level_dbfs=round(level, 1),
                     clipped_fraction=clipped, speaker_separation=round(separation, 2),
                     digest=file_digest(paths))


def describe(reference: Reference) -> str:
    """One line for notes and listings."""
    return (f"{reference.name}: {reference.speech_seconds:.1f} s of speech, "
            f"{reference.level_dbfs:.0f} dBFS, speaker score "
            f"{reference.speaker_separation:.1f}")


__all__ = ["Reference", "ReferenceAudioError", "load_reference", "check", "decode",
           "describe", "is_audio_path", "MIN_SPEECH_SECONDS"]
