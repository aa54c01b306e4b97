"""A video's soundtrack at its loudness target: one gain under a true-peak limiter.

Videos keep their sound in the same ffmpeg run that encodes the frames, so the gain is
decided before that run: the soundtrack (or the clip's stretch of it) is measured (EBU
R128), and the gain that reaches the target is tried under the limiter in audio-only
passes, corrected until it lands within :data:`TOLERANCE`, so what the limiter takes
from loud peaks is given back. The ceiling
leaves room for AAC, whose encoding lifts true peaks a little. The stereo image and the
sample rate stay as they are.
"""

from __future__ import annotations

import functools
from pathlib import Path

from engine import media

#: the limiter's true-peak ceiling for video soundtracks, below -1 dBTP so AAC encoding's
#: overshoot stays under it
VIDEO_TRUE_PEAK = -2.0
#: how close to the target a soundtrack is brought (LU), in at most this many
#: audio-only passes after the first measurement
TOLERANCE = 0.3
CORRECTIONS = 4


def soundtrack(audio, target: float | None, path: Path, loudness: float | None = None,
               window: tuple[float, float] | None = None):
    """``audio`` (a stream of the file at ``path``, or of its ``window``: start and
    duration) brought to ``target`` LUFS; ``loudness`` is its own when known. None or
    silence: as it is."""
    gain = soundtrack_gain(path, target, loudness, window)
    return audio if gain is None else limited(audio, gain, sample_rate_of(path))


def soundtrack_gain(path: Path, target: float | None, loudness: float | None = None,
                    window: tuple[float, float] | None = None) -> float | None:
    """The gain in dB that brings the sound of ``path`` (or its ``window``) to ``target``
    LUFS under the limiter; None for no target or silence."""
    if target is None:
        return None
    stamp = _stamp(path)
    if loudness is None:
        loudness = _measured(str(path), *stamp, window, None)
    if loudness < -70:
        return None
    gain = round(target - loudness, 2)
    for _ in range(CORRECTIONS):      # give back what the limiter took from the peaks
        miss = target - _measured(str(path), *stamp, window, gain)
        if abs(miss) <= TOLERANCE:
            break
        gain = round(gain + miss, 2)
    return gain


def limited(stream, gain: float, rate: int):
    """``stream`` ``gain`` dB louder under the video's true-peak ceiling, at its own rate
    and channels (the podcast mastering chain delivers mono speech; a video keeps its
    stereo). The limiter runs at four times the rate (SoX resampler), so it sees the
    peaks between samples; it touches only peaks above the ceiling."""
    return (stream.filter("volume", f"{gain:.3f}dB", precision="double")
            .filter("aresample", 4 * rate, resampler="soxr")
            .filter("alimiter", limit=f"{10 ** (VIDEO_TRUE_PEAK / 20):.5f}", attack=1,
                    release=60, level="false", latency="true")
            .filter("aresample", rate, resampler="soxr"))


def sample_rate_of(path: Path) -> int:
    """The sample rate of the first audio stream (44100 when unknown)."""
    return next((a.sample_rate for a in media.probe(path).audio if a.sample_rate), 44100)


def _stamp(path: Path) -> tuple[int, int]:
    stat = Path(path).stat()
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=64)
def _measured(path: str, mtime: int, size: int, window: tuple[float, float] | None,
              gain: float | None) -> float:
    """The integrated loudness of a file (or a window of it), with ``gain`` applied under
    the limiter when given; once per process per version of the file."""
    import ffmpeg

    start, duration = window or (None, None)
    if gain is None:
        return media.measure_loudness(path, start=start, duration=duration).integrated_lufs
    cut = {k: f"{v:.3f}" for k, v in (("ss", start), ("t", duration)) if v is not None}
    graph = (limited(ffmpeg.input(media.media_path(Path(path)), **cut)["a:0"], gain,
                     sample_rate_of(Path(path)))
             .filter("ebur128", framelog="verbose").output("-", format="null"))
    result = media.run_ffmpeg(media.graph_args(graph), loglevel="info",
                              what=f"measure the limited soundtrack of {Path(path).name!r}")
    return media.loudness_of(result, "measure the limited soundtrack").integrated_lufs
