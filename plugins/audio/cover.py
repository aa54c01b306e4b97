"""The generated podcast cover: the episode title set large, the show's name above it,
the hosts below, over a two-colour gradient with sound-wave arcs.

Square, 1400 pixels by default (the smallest size Apple Podcasts accepts), PNG, drawn
once with Pillow in Roboto from the ``font-roboto`` wheel, so it needs no system fonts.
The title is wrapped at word boundaries and set at the largest size whose lines fit the
text box, measured with the font's own metrics (a word too long for a line at the
smallest size is broken; a title too long for the box at the smallest size ends in an
ellipsis). The palette is picked from a few designed ones by a digest of the show's name
(of the title when there is no show), so a show's episodes share their colours.
Deterministic: the same text gives the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from engine.errors import TransformError

#: (gradient top, gradient bottom, accent)
PALETTES = (
    ("#1B2A4A", "#0A0F1E", "#FFD60A"),     # navy, yellow
    ("#3A0F4F", "#12061C", "#FF7AB6"),     # plum, pink
    ("#0F3D3E", "#041617", "#5EEAD4"),     # teal, mint
    ("#4A2618", "#140A07", "#FFB347"),     # espresso, orange
    ("#1F2937", "#080B10", "#60A5FA"),     # slate, blue
    ("#4A0D1A", "#14030A", "#FCA5A5"),     # burgundy, rose
)
#: the text box, as fractions of the side
MARGIN = 0.085
TITLE_TOP, TITLE_BOTTOM = 0.25, 0.80
#: title font sizes tried, largest first, as fractions of the side
TITLE_MAX, TITLE_MIN = 0.125, 0.042
LINE_HEIGHT = 1.12


@functools.lru_cache(maxsize=None)
def _font_path(weight: str) -> Path:
    try:
        import font_roboto
    except ImportError:
        raise TransformError("the cover font is not installed",
                             hint="pip install font-roboto, or give the podcast a `cover`") from None
    return Path(font_roboto.font_directory) / f"Roboto-{weight}.ttf"


def _font(weight: str, size: int, path: Path | None = None):
    """Roboto of ``weight`` at ``size`` pixels, or the font file ``path`` (a brand's)."""
    return _truetype(str(path or _font_path(weight)), size)


@functools.lru_cache(maxsize=None)
def _truetype(path: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


@dataclass(frozen=True)
class CoverLook:
    """A brand's look on the generated cover: the gradient (top, bottom), the accent, the
    text colour, a logo PNG (put in the top right corner) and a font for every text."""

    colors: tuple[str, ...] = ()
    accent: str | None = None
    logo: Path | None = None
    font: Path | None = None
    text: str | None = None

    def palette(self, picked: tuple[str, str, str]) -> tuple[str, str, str]:
        top, bottom, accent = picked
        if self.colors:
            top, bottom = self.colors[0], self.colors[-1]
        return top, bottom, self.accent or accent


#: the logo's largest width and height on a cover, as fractions of the side
LOGO_WIDTH, LOGO_HEIGHT = 0.2, 0.1


@functools.lru_cache(maxsize=None)
def _code_points(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def missing_glyphs(text: str, weight: str = "Black", path: Path | None = None) -> str:
    """The characters of ``text`` the cover's font cannot draw (each once, in order)."""
    have = _code_points(str(path or _font_path(weight)))
    return "".join(dict.fromkeys(c for c in text if not c.isspace() and ord(c) not in have))


def _rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def wrap(text: str, font, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` (words kept whole unless one alone is too
    wide, which is then broken between letters)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while font.getlength(word) > width:
            cut = 1
            while cut < len(word) - 1 and font.getlength(word[:cut + 1] + "-") <= width:
                cut += 1
            lines.append(word[:cut] + "-")
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


def fit_title(text: str, size: int, *, weight: str = "Black",
              path: Path | None = None) -> tuple[object, list[str]]:
    """(font, lines): the largest title size whose wrapped lines fit the text box of a
    cover ``size`` pixels square; at the smallest size, lines past the box are cut and
    the last ends in an ellipsis."""
    width = size * (1 - 2 * MARGIN)
    height = size * (TITLE_BOTTOM - TITLE_TOP)
    px = int(size * TITLE_MAX)
    while True:
        font = _font(weight, px, path)
        lines = wrap(text, font, width)
        words_whole = max(font.getlength(w) for w in text.split()) <= width
        fits = len(lines) * px * LINE_HEIGHT <= height and words_whole
        if fits or px <= size * TITLE_MIN:
            break
        px = max(int(px * 0.94), int(size * TITLE_MIN))
    room = max(int(height // (px * LINE_HEIGHT)), 1)
    if len(lines) > room:
        lines = lines[:room]
        last = lines[-1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines[-1] = last.rstrip(" -") + "…"
    return font, lines


def _background(size: int, top: str, bottom: str, accent: str):
    import numpy as np
    from PIL import Image, ImageDraw

    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / max(size - 1, 1)
    t = np.clip(0.8 * y + 0.2 * x, 0, 1)[..., None]
    pixels = np.array(_rgb(top), np.float32) * (1 - t) + np.array(_rgb(bottom), np.float32) * t
    image = Image.fromarray(pixels.round().astype(np.uint8), "RGB").convert("RGBA")
    # sound-wave arcs spreading from the lower right corner, fading outwards
    waves = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(waves)
    centre = (size * 1.02, size * 1.02)
    for i, radius in enumerate((0.16, 0.27, 0.38, 0.49, 0.60)):
        r = radius * size
        alpha = int(150 * (1 - i / 5.5))
        draw.ellipse((centre[0] - r, centre[1] - r, centre[0] + r, centre[1] + r),
                     outline=(*_rgb(accent), alpha), width=max(int(size * 0.011), 1))
    return Image.alpha_composite(image, waves)


#: bump when the drawing changes: covers are kept in the step cache by their text
#: (:func:`cached_cover`)
DRAWING_VERSION = "1"


def cached_cover(ctx, title: str, *, show: str = "", hosts: Sequence[str] = (),
                 look: CoverLook | None = None) -> bytes:
    """:func:`generated_cover`, drawn once per text and look and kept in the step cache
    (drawing and compressing a 1400-pixel PNG costs more than mastering a one-turn edit
    saves). The look's logo and font count by their bytes, not their paths."""
    import base64

    from engine.artifacts import Text, file_sha256

    key = {"title": title, "show": show, "hosts": list(hosts), "drawing": DRAWING_VERSION}
    if look is not None:
        key["look"] = {"colors": list(look.colors), "accent": look.accent, "text": look.text,
                       "logo": file_sha256(look.logo) if look.logo else None,
                       "font": file_sha256(look.font) if look.font else None}
    stored = ctx.memo("podcast-cover", key,
                      lambda: Text(body=base64.b64encode(
                          generated_cover(title, show=show, hosts=hosts,
                                          look=look)).decode("ascii")))
    return base64.b64decode(stored.body)


def generated_cover(title: str, size: int = 1400, *, show: str = "",
                    hosts: Sequence[str] = (), look: CoverLook | None = None) -> bytes:
    """A square PNG cover carrying the episode ``title``, the ``show`` when known (and not
    just the title again) and the ``hosts``; ``look``: a brand's palette, logo and font.
    A title the font cannot draw is left off."""
    from PIL import Image, ImageDraw

    look = look or CoverLook()
    face = look.font

    title = " ".join(title.split()) or "Untitled episode"
    show = " ".join(show.split())
    if show.casefold() == title.casefold():
        show = ""
    digest = hashlib.sha256((show or title).encode("utf-8")).digest()
    top, bottom, accent = look.palette(PALETTES[digest[0] % len(PALETTES)])
    image = _background(size, top, bottom, accent)
    left = size * MARGIN
    label_width = size * (1 - 2 * MARGIN)
    if look.logo is not None:
        with Image.open(look.logo) as logo:
            mark = logo.convert("RGBA")
        mark.thumbnail((int(size * LOGO_WIDTH), int(size * LOGO_HEIGHT)), Image.LANCZOS)
        image.alpha_composite(mark, (int(size * (1 - MARGIN)) - mark.width, int(size * 0.08)))
        label_width -= mark.width + size * 0.03
    draw = ImageDraw.Draw(image, "RGBA")           # blends translucent fills

    if show and not missing_glyphs(show, "Bold", face):
        label = show.upper()
        font = _font("Bold", int(size * 0.042), face)
        while font.getlength(label) > label_width and len(label) > 1:
            label = label[:-2].rstrip() + "…"
        draw.text((left, size * 0.105), label, font=font, fill=_rgb(accent))
    # the accent bar sits under the show's name, or right above the title without one
    bar_y = size * 0.175

    if not missing_glyphs(title, "Black", face):
        font, lines = fit_title(title, size, path=face)
        px = font.size
        block = len(lines) * px * LINE_HEIGHT
        y = size * TITLE_TOP + (size * (TITLE_BOTTOM - TITLE_TOP) - block) / 2
        if not show:
            bar_y = max(y - size * 0.05, size * 0.105)
        ink = _rgb(look.text) if look.text else (255, 255, 255)
        for line in lines:
            draw.text((left, y), line, font=font, fill=ink)
            y += px * LINE_HEIGHT
    draw.rectangle((left, bar_y, left + size * 0.09, bar_y + size * 0.009), fill=_rgb(accent))

    names = [h.strip() for h in hosts if h.strip()]
    if names and not missing_glyphs("".join(names), "Medium", face):
        credit = "with " + (" & ".join(names) if len(names) <= 2
                            else ", ".join(names[:-1]) + " & " + names[-1])
        font = _font("Medium", int(size * 0.036), face)
        while font.getlength(credit) > size * 0.62 and len(credit) > 1:
            credit = credit[:-2].rstrip() + "…"
        ink = _rgb(look.text) if look.text else (255, 255, 255)
        draw.text((left, size * 0.87), credit, font=font, fill=(*ink, 210))

    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=False, compress_level=9)
    return out.getvalue()


__all__ = ["CoverLook", "PALETTES", "cached_cover", "fit_title", "generated_cover",
           "missing_glyphs", "wrap"]
