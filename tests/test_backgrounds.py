"""Every background of captioned-video at every aspect: sampled frames must show a picture,
not a field of one flat colour (the flat ``color`` background must be exactly its colour).

Rendered through the transform with captions off, so the frames are the background alone.
The fast test renders small frames; the slow one the real 1080-pixel sizes of the
backgrounds ffmpeg draws itself (the 9:16 gradient once covered only the top of a
1080x1920 frame)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import media
from engine.artifacts import Audio, Segment, Transcript, Video, Word
from engine.transform import Context
from tests import media_helpers as mh

BACKGROUNDS = ("color", "gradient", "image", "source-crop", "source-blur", "waveform")
ASPECTS = ("16:9", "9:16", "1:1")
#: a frame whose most common colour (within FLAT_TOLERANCE) covers more than this is flat
MOSTLY = 0.5
FLAT_TOLERANCE = 6
COLORS = ("#24386B", "#0D1322")          # captioned-video's default gradient
SECONDS = 1.2


def flat_share(frame: np.ndarray, tolerance: int = FLAT_TOLERANCE) -> float:
    """The share of pixels within ``tolerance`` (per channel) of the frame's most common
    colour."""
    pixels = frame.reshape(-1, 3).astype(np.int16)
    colors, counts = np.unique(pixels, axis=0, return_counts=True)
    dominant = colors[counts.argmax()]
    return float((np.abs(pixels - dominant).max(axis=1) <= tolerance).mean())


def _hex_rgb(color: str) -> np.ndarray:
    return np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)


def _source(kind: str, tmp_path: Path):
    words = (Word(text="Hello", start=0.1, end=0.5), Word(text="there.", start=0.6, end=1.0))
    if kind.startswith("source"):
        path = mh.video(tmp_path / "in.mp4", SECONDS, with_tone=True)
        captions = Transcript(segments=(Segment(start=0.1, end=1.0, text="Hello there.",
                                                words=words),))
        return Video(path=path, duration=SECONDS, width=320, height=240, fps=25, title="in",
                     captions=captions)
    path = mh.tone(tmp_path / "tone.wav", SECONDS, sample_rate=16000)
    return Audio(path=path, duration=SECONDS, sample_rate=16000, words=words, title="tone")


def _params(kind: str, aspect: str, resolution: int, tmp_path: Path):
    from plugins.video.captioned_video import CaptionedVideoParams

    extra: dict = {}
    if kind == "image":
        extra["image"] = str(mh.lavfi(tmp_path / "still.png", "testsrc2=size=640x480",
                                      extra=("-frames:v", "1")))
    if kind.startswith("source"):
        extra["fit"] = kind.split("-")[1]
    return CaptionedVideoParams(
        background=kind.split("-")[0], aspect=aspect, resolution=resolution, fps=25,
        preset="ultrafast", caption_style="none",
        colors=COLORS[:1] if kind == "color" else COLORS, **extra)


def _render(registry, tmp_path: Path, kind: str, aspect: str, resolution: int):
    ctx = Context(registry=registry, step_id="video", source_name="test",
                  scratch_root=tmp_path / "scratch")
    params = _params(kind, aspect, resolution, tmp_path)
    video = registry.transform("captioned-video").run(_source(kind, tmp_path), params, ctx)
    info = media.probe(video.path).video[0]
    assert (info.width, info.height) == params.frame_size()
    return [media.frame_at(video.path, t) for t in (0.2, SECONDS - 0.3)]


def _check(frames: list[np.ndarray], kind: str, aspect: str) -> None:
    for frame in frames:
        if kind == "color":
            # the flat background is right when it is flat: the asked colour everywhere
            error = np.abs(frame.astype(np.int16) - _hex_rgb(COLORS[0])).max()
            assert error <= 4, f"color at {aspect}: off the asked colour by {error}"
            continue
        share = flat_share(frame)
        assert share < MOSTLY, f"{kind} at {aspect}: {share:.0%} of the frame is one colour"
        if kind == "gradient":
            # the gradient spans the frame: first colour at the top, last at the bottom
            top, bottom = frame[:2].reshape(-1, 3).mean(0), frame[-2:].reshape(-1, 3).mean(0)
            assert np.abs(top - _hex_rgb(COLORS[0])).max() <= 6
            assert np.abs(bottom - _hex_rgb(COLORS[1])).max() <= 6
            rows = frame.mean(axis=(1, 2))
            assert np.all(np.diff(rows[:: max(len(rows) // 16, 1)]) < 0)


def test_flat_share_tells_a_flat_field_from_a_picture():
    flat = np.full((90, 160, 3), 20, np.uint8)
    flat[:10] = 200                                  # a thin band does not make a picture
    assert flat_share(flat) > 0.85
    ramp = np.repeat(np.linspace(0, 255, 90).astype(np.uint8)[:, None], 160, axis=1)
    assert flat_share(np.stack([ramp] * 3, axis=-1)) < 0.1


@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("kind", BACKGROUNDS)
def test_every_background_fills_the_frame_at_every_aspect(registry, tmp_path, kind, aspect):
    _check(_render(registry, tmp_path, kind, aspect, 180), kind, aspect)


@pytest.mark.slow
@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("kind", ["color", "gradient", "waveform"])
def test_backgrounds_drawn_by_ffmpeg_fill_the_full_size_frame(registry, tmp_path, kind, aspect):
    _check(_render(registry, tmp_path, kind, aspect, 1080), kind, aspect)
