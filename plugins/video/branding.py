"""A brand's look on videos: the parameters a brand fills, and the logo on the frame.

:func:`look_params` maps a brand (``engine.brand.Brand``) to the video transforms'
parameters (each transform's ``brand_params`` takes the ones it has), so every part of
the look is also an ordinary parameter a recipe can set without a brand. The logo is
rasterised once at its size on the frame (:func:`plugins.brands.logo.logo_png`, cached)
and placed by :func:`logo_box` in a corner of the safe area, on the side away from the
caption band; :func:`overlay_logo` adds it to a filter graph as one more input (its
opacity applied by ``colorchannelmixer``), never frame by frame in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from plugins.video.layout import Box, Frame

#: the brand's caption styles, as the video transforms name them
CAPTION_STYLES = {"karaoke": "karaoke", "phrase": "phrases", "classic": "subtitles"}


def look_params(brand: Any) -> dict[str, Any]:
    """Every video parameter the brand's look (and narrator, lexicon, loudness) fills;
    None where the brand says nothing. Transforms keep the names they have."""
    look, colors, fonts = brand.look, brand.look.colors, brand.look.fonts
    background = [c for c in (colors.primary, colors.background) if c]
    return {
        "logo": look.logo,
        "logo_position": look.logo_position if look.logo else None,
        "logo_opacity": look.logo_opacity if look.logo else None,
        "logo_size": look.logo_size if look.logo else None,
        "intro": look.intro,
        "outro": look.outro,
        "font": fonts.captions or fonts.body,
        "heading_font": fonts.heading,
        "body_font": fonts.body,
        "caption_style": CAPTION_STYLES.get(look.caption_style or ""),
        "text_color": colors.text,
        "highlight_color": colors.accent,
        "accent_color": colors.accent,
        "marker_color": colors.highlight,
        "wave_color": colors.accent,
        "colors": tuple(background) if background else None,
        "channel": brand.name,
        "loudness": brand.sound.loudness.video,
    }


@dataclass(frozen=True)
class LogoArt:
    """The logo rasterised at its size on a frame, and where it goes."""

    path: Path
    box: Box
    opacity: float


#: the logo's tallest, as a share of the frame's height (a square logo on a wide frame
#: would otherwise take a quarter of it)
MAX_HEIGHT = 0.12


def logo_size(params: Any, width: int) -> int:
    """The logo's width in pixels on a frame ``width`` wide (even, at least 2)."""
    return max(int(width * params.logo_size) // 2 * 2, 2)


def rasterise(params: Any, width: int, cache_root: Path | None,
              height: int | None = None) -> tuple[Path, int, int]:
    """The logo as a PNG of its width on a frame ``width`` wide (no taller than
    :data:`MAX_HEIGHT` of a frame ``height`` high): (path, width, height)."""
    from PIL import Image

    from plugins.brands.logo import logo_png

    source = Path(params.logo).expanduser()
    png = logo_png(source, logo_size(params, width), cache_dir=cache_root)
    with Image.open(png) as image:
        w, h = image.size
    tallest = int((height or 0) * MAX_HEIGHT)
    if tallest and h > tallest:
        png = logo_png(source, max(int(w * tallest / h) // 2 * 2, 2), cache_dir=cache_root)
        with Image.open(png) as image:
            w, h = image.size
    return png, w, h


def logo_box(safe: Box, w: int, h: int, position: str,
             avoid: Sequence[Box | None] = ()) -> Box:
    """A ``w`` x ``h`` box in the ``position`` corner of ``safe``; moved to the other
    vertical side when it would touch a box in ``avoid`` (the caption band)."""
    x = safe.x if position.endswith("left") else safe.right - w
    top = Box(x // 2 * 2, safe.y // 2 * 2, w, h)
    bottom = Box(x // 2 * 2, (safe.bottom - h) // 2 * 2, w, h)
    first, second = (top, bottom) if position.startswith("top") else (bottom, top)
    if any(b is not None and _touch(first, b) for b in avoid):
        return second
    return first


def _touch(a: Box, b: Box) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


def place_logo(params: Any, frame: Frame, cache_root: Path | None) -> LogoArt | None:
    """The logo for ``frame`` (None without one), clear of its caption band."""
    if not params.logo:
        return None
    png, w, h = rasterise(params, frame.width, cache_root, frame.height)
    box = logo_box(frame.safe, w, h, params.logo_position, [frame.caption_band])
    return LogoArt(png, box, params.logo_opacity)


def overlay_logo(video, art: LogoArt | None):
    """``video`` with the logo on top: one image input, faded to its opacity once."""
    if art is None:
        return video
    import ffmpeg

    from engine import media

    logo = ffmpeg.input(media.media_path(art.path)).video.filter("format", "rgba")
    if art.opacity < 1.0:
        logo = logo.filter("colorchannelmixer", aa=f"{art.opacity:.3f}")
    return ffmpeg.overlay(video, logo, x=art.box.x, y=art.box.y, eof_action="repeat")


#: the parameters naming files whose bytes change a video
LOOK_FILES = ("logo", "intro", "outro", "font", "heading_font", "body_font")


def files_identity(params: Any) -> str:
    """The digests of the files a video's look reads (so a new logo at the same path
    renders again, brand or not); empty when it reads none."""
    from engine.artifacts import file_sha256

    return "+".join(f"{name}={file_sha256(Path(value).expanduser())[:16]}"
                    for name in LOOK_FILES if (value := getattr(params, name, None)))


def cache_root(ctx: Any) -> Path | None:
    """The run's cache folder (where rendered logos are kept), if the step has one."""
    cache = getattr(ctx, "cache", None)
    return Path(cache.root) if cache is not None and getattr(cache, "root", None) else None
