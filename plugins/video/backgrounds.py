"""Backgrounds for captioned videos, as ffmpeg-python streams of one size, rate and length.

Every function returns a video stream of exactly ``width x height`` at ``fps``, lasting
at least ``duration`` seconds (the render trims the output), to be composed into the one
filter graph that :func:`plugins.video.render.render` runs:

* :func:`solid` and :func:`gradient`: lavfi sources; the gradient is drawn once and its
  single frame looped, so it costs no more per frame than a solid colour;
* :func:`still`: an image scaled to cover the frame, with a slow zoom (``zoompan``);
* :func:`from_video`: a source video scaled and centre-cropped (``crop``), or shown whole
  over a blurred, enlarged copy of itself (``blur``); :func:`from_video_track` follows a
  moving crop window (see :mod:`plugins.video.reframe`);
* :func:`waveform`: an audiogram, the audio's waveform (``showwaves``) over a colour or
  gradient.
"""

from __future__ import annotations

from pathlib import Path

from engine import media
from plugins.video.ass import parse_color


def _hex(color: str) -> str:
    r, g, b, _ = parse_color(color)
    return f"0x{r:02X}{g:02X}{b:02X}"


def solid(color: str, width: int, height: int, fps: float, duration: float):
    import ffmpeg

    return ffmpeg.input(f"color=c={_hex(color)}:s={width}x{height}:r={fps:g}:d={duration + 1:.3f}",
                        f="lavfi").video


def gradient(colors: list[str], width: int, height: int, fps: float, duration: float):
    """A vertical (top to bottom) gradient through ``colors``, drawn once and held.

    The colours are interpolated by ``geq`` on a strip two pixels wide and as tall as the
    frame, then scaled across. (ffmpeg's ``gradients`` source is not used: with a vertical
    gradient line it reaches the last colour after a fraction of the height that depends
    on the frame size, e.g. a third of 1080x1920, so most of a 9:16 frame came out flat.)
    """
    import ffmpeg

    if len(colors) < 2:
        return solid(colors[0] if colors else "black", width, height, fps, duration)
    stops = [parse_color(c)[:3] for c in colors[:8]]
    source = ffmpeg.input(f"color=c=black:s=2x{height}:r={fps:g}:d=1", f="lavfi").video
    frames = int(round((duration + 1) * fps))
    # converted to the encoder's pixel format once, before the loop repeats it
    return (source.trim(end_frame=1).filter("format", "gbrp")
            .filter("geq", **{channel: _ramp([stop[i] for stop in stops])
                              for i, channel in enumerate(("r", "g", "b"))})
            .filter("scale", width, height, flags="bilinear")
            .filter("format", "yuv420p")
            .filter("loop", loop=frames, size=1, start=0)
            .filter("setpts", "N/({}*TB)".format(f"{fps:g}")))


def _ramp(values: list[int]) -> str:
    """A ``geq`` expression of ``Y`` going through ``values`` at evenly spaced heights."""
    span = len(values) - 1
    position = f"(Y/max(H-1,1)*{span})"
    expr = str(values[-1])
    for i in reversed(range(span)):
        a, b = values[i], values[i + 1]
        expr = f"if(lt({position},{i + 1}),{a}+({b - a})*({position}-{i}),{expr})"
    return expr


def still(image: Path, width: int, height: int, fps: float, duration: float, *,
          zoom: float = 1.12):
    """An image covering the frame, zooming in slowly by ``zoom`` over the whole video."""
    import ffmpeg

    frames = max(int(round((duration + 1) * fps)), 1)
    step = (zoom - 1.0) / frames
    # zoompan moves in whole input pixels: work on an image twice the output size so the
    # slow zoom does not jitter
    return (ffmpeg.input(media.media_path(image)).video
            .filter("scale", width * 2, height * 2, force_original_aspect_ratio="increase")
            .filter("crop", width * 2, height * 2)
            .filter("zoompan", z=f"min(1+{step:.8f}*on,{zoom})", d=frames,
                    x="iw/2-(iw/zoom/2)", y="ih/2-(ih/zoom/2)", s=f"{width}x{height}",
                    fps=f"{fps:g}")
            .filter("setsar", 1))


def from_video(stream, width: int, height: int, fps: float, *, fit: str = "crop"):
    """A source video's frames made ``width x height``: centre-cropped, or over a blur."""
    if fit == "crop":
        return (stream.filter("scale", width, height, force_original_aspect_ratio="increase")
                .filter("crop", width, height).filter("setsar", 1).filter("fps", fps))
    return blur_pad(stream, width, height, fps)


def blur_pad(stream, width: int, height: int, fps: float):
    """The whole source frame, centred, over an enlarged and blurred copy of itself."""
    import ffmpeg

    split = stream.filter_multi_output("split")
    small_w, small_h = max(width // 8 // 2 * 2, 2), max(height // 8 // 2 * 2, 2)
    back = (split[0].filter("scale", small_w, small_h, force_original_aspect_ratio="increase")
            .filter("crop", small_w, small_h)
            .filter("gblur", sigma=5)
            .filter("scale", width, height)
            .filter("eq", brightness=-0.12))
    front = split[1].filter("scale", width, height, force_original_aspect_ratio="decrease")
    return (ffmpeg.overlay(back, front, x="(W-w)/2", y="(H-h)/2")
            .filter("setsar", 1).filter("fps", fps))


def from_video_track(stream, width: int, height: int, fps: float, *, crop_width: int,
                     crop_height: int, x_expr: str):
    """A crop window of ``crop_width x crop_height`` whose left edge follows ``x_expr``
    (an ffmpeg expression of ``t``), scaled to ``width x height``."""
    return (stream.filter("crop", crop_width, crop_height, x=x_expr, y="(ih-oh)/2")
            .filter("scale", width, height).filter("setsar", 1).filter("fps", fps))


def waveform(audio, colors: list[str], wave_color: str, width: int, height: int,
             fps: float, duration: float):
    """An audiogram: the audio's waveform across the middle of a colour or gradient."""
    import ffmpeg

    base = gradient(colors, width, height, fps, duration)
    wave_h = max(height // 4 // 2 * 2, 2)
    wave = (audio.filter("aformat", channel_layouts="mono")
            .filter("showwaves", s=f"{width}x{wave_h}", mode="cline", rate=f"{fps:g}",
                    colors=_hex(wave_color), draw="full")
            .filter("format", "yuva420p"))
    return ffmpeg.overlay(base, wave, x=0, y=f"(H-h)/2-{height // 10}", shortest=0,
                          eof_action="pass")
