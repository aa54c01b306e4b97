"""Where things go on an explainer's frame, for any size.

:class:`Frame` holds the safe area (margins on every side, larger at the top and bottom
of a vertical frame, where apps draw their buttons) and, when captions are burnt in, the
caption band at the bottom that slide text never enters. :func:`text_fit` breaks and
shrinks a block of text, measured with the font's own metrics (Pillow and FreeType, the
same code that draws it), until it fits a box; :func:`glyph_font` finds a font that has
the glyphs a text needs (CJK, Arabic, Hebrew...) and says what it had to leave out.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from plugins.video.fonts import fit_lines, load_font

#: folders searched for a font with glyphs the caption font lacks
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
#: line height as a multiple of the font size
LEADING = 1.22


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def inside(self, other: "Box") -> bool:
        return (self.x >= other.x and self.y >= other.y and self.right <= other.right
                and self.bottom <= other.bottom)


@dataclass(frozen=True)
class Frame:
    """The frame's size, its safe area and the caption band (None without captions)."""

    width: int
    height: int
    safe: Box
    caption_band: Box | None
    #: where the logo sits (slide text keeps clear of its rows), None without one
    logo: Box | None = None

    @property
    def landscape(self) -> bool:
        return self.width >= self.height * 1.25

    @property
    def unit(self) -> float:
        """A size unit: 1% of the frame's short side."""
        return min(self.width, self.height) / 100

    @property
    def content(self) -> Box:
        """The safe area clear of the caption band: where slide text may go (below a
        band at the top, else above the band)."""
        band, safe = self.caption_band, self.safe
        gap = int(self.unit * 2)
        top, bottom = safe.y, safe.bottom
        if band is not None:
            if band.y <= safe.y:
                top = max(top, band.bottom + gap)
            else:
                bottom = min(bottom, band.y - gap)
        logo = self.logo
        if logo is not None and logo.y < bottom and logo.bottom > top:
            # the logo's rows are kept clear: text never runs under it, whatever its width
            if logo.y + logo.h / 2 < (top + bottom) / 2:
                top = max(top, logo.bottom + gap)
            else:
                bottom = min(bottom, logo.y - gap)
        return Box(safe.x, top, safe.w, max(bottom - top, 1))


def frame_layout(width: int, height: int, *, margin: float = 0.06,
                 caption_band: tuple[int, int] | None = None,
                 logo: Box | None = None) -> Frame:
    """The frame of ``width x height``; ``caption_band`` is the (top, bottom) rows the
    captions may use, ``logo`` where the logo goes."""
    side = int(round(min(width, height) * margin))
    vertical = height > width * 1.25
    top = int(round(height * 0.06)) if vertical else side
    bottom = int(round(height * 0.05)) if vertical else side
    safe = Box(side, top, width - 2 * side, height - top - bottom)
    band = None
    if caption_band is not None:
        top_row, bottom_row = max(caption_band[0], 0), min(caption_band[1], height)
        band = Box(0, top_row, width, max(bottom_row - top_row, 1))
    return Frame(width, height, safe, band, logo)


def caption_frame(params, width: int, height: int) -> Frame:
    """The frame of a captioned video (``params``: caption parameters), with the band its
    captions use."""
    if params.caption_style == "none":
        return frame_layout(width, height)
    style = params.caption_style_for(width, height)
    lines = 1 if style.mode == "phrases" else style.max_lines
    band = int(style.margin_y + lines * style.font_size * 1.25 + 2 * style.outline)
    if style.position == "top":
        return frame_layout(width, height, caption_band=(0, band))
    if style.position == "middle":
        middle = height // 2
        half = band // 2 - style.margin_y // 2
        return frame_layout(width, height, caption_band=(middle - half, middle + half))
    return frame_layout(width, height, caption_band=(height - band, height))


# --------------------------------------------------------------------------- fonts

class PillowFont:
    """A font file measured and drawn by Pillow (FreeType, with Raqm shaping when present,
    so Arabic and Hebrew are shaped and ordered); ``width`` is what :func:`fit_lines` needs."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def at(self, size: float):
        return _pillow_font(str(self.path), max(int(size), 1))

    def width(self, text: str, size: float) -> float:
        """The advance width, or the ink's width when glyphs overhang it (italics, a
        negative left side bearing), so drawn pixels never pass the measured width."""
        return _measure(str(self.path), max(int(size), 1), text)[0]

    def overhang(self, text: str, size: float) -> int:
        """How far the ink reaches left of the pen position (a positive number)."""
        return _measure(str(self.path), max(int(size), 1), text)[1]


@functools.lru_cache(maxsize=65536)
def _measure(path: str, size: int, text: str) -> tuple[float, int]:
    if not text:
        return 0.0, 0
    font = _pillow_font(path, size)
    left, _, right, _ = font.getbbox(text)
    return max(font.getlength(text), right - min(left, 0)), max(-left, 0)


@functools.lru_cache(maxsize=256)
def _pillow_font(path: str, size: int):
    from PIL import ImageFont

    engine = ImageFont.Layout.RAQM if _has_raqm() else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, size, layout_engine=engine)


@functools.lru_cache(maxsize=1)
def _has_raqm() -> bool:
    from PIL import features

    return bool(features.check("raqm"))


def _covers(path: Path, text: str) -> bool:
    points = _code_points(str(path))
    return all(ord(c) in points for c in text if not c.isspace())


@functools.lru_cache(maxsize=None)
def _code_points(path: str) -> frozenset:
    try:
        return frozenset(load_font(path).advances)
    except Exception:   # an unreadable font file in a system folder: not a candidate
        return frozenset()


@functools.lru_cache(maxsize=1)
def _system_fonts() -> tuple[Path, ...]:
    found: list[Path] = []
    for folder in FONT_DIRS:
        root = Path(folder).expanduser()
        if root.is_dir():
            found += [p for p in root.rglob("*") if p.suffix.lower() in (".ttf", ".otf")]
        if len(found) > 400:
            break
    # bold sans faces first: they look like the default font
    return tuple(sorted(found[:400], key=lambda p: ("Bold" not in p.name, "Sans" not in p.name,
                                                     "Mono" in p.name, p.name)))


@functools.lru_cache(maxsize=1024)
def glyph_font(text: str, primary: Path) -> tuple[Path, str, str]:
    """``(font, text, missing)``: the primary font when it has every glyph of ``text``,
    else a system font that has them all, else the primary font with the characters
    it lacks left out (``missing`` lists them, for a note)."""
    if _covers(primary, text):
        return primary, text, ""
    for candidate in _system_fonts():
        if _covers(candidate, text):
            return candidate, text, ""
    advances = _code_points(str(primary))
    kept = "".join(c for c in text if c.isspace() or ord(c) in advances)
    missing = "".join(dict.fromkeys(c for c in text if not c.isspace() and ord(c) not in advances))
    return primary, " ".join(kept.split()), missing


def right_to_left(text: str) -> bool:
    """Whether the first strongly directional character is right-to-left."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


# --------------------------------------------------------------------------- text

@dataclass(frozen=True)
class TextBlock:
    lines: tuple[str, ...]
    size: int
    font: PillowFont
    rtl: bool
    #: the text did not fit even at the smallest size: its last line ends in "…"
    cut: bool = False

    @property
    def line_height(self) -> int:
        return int(round(self.size * LEADING))

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines)

    def width(self) -> int:
        return int(max((self.font.width(line, self.size) for line in self.lines), default=0)) + 1


#: marks that end what comes before them: a line never starts with one ("rule ·" /
#: "Engineering", never "rule" / "· Engineering"), nor with a lone trailing "…"
SEPARATORS = frozenset("· • | – — …".split())


def break_units(text: str) -> list[str]:
    """The pieces a line may break between: the words of ``text``, each separator
    (:data:`SEPARATORS`) kept on the word before it, with its space."""
    units: list[str] = []
    for word in text.split():
        if units and word in SEPARATORS:
            units[-1] += " " + word
        else:
            units.append(word)
    return units


def text_fit(text: str, font: PillowFont, size: float, width: int, height: int, *,
             max_lines: int = 3, min_size: float = 8) -> TextBlock:
    """``text`` broken into at most ``max_lines`` lines no wider than ``width`` and, with
    the leading, no taller than ``height``: shrunk as far as needed (never below
    ``min_size``, where the last line is cut with an ellipsis instead). Lines break
    between :func:`break_units`, so a merged heading's " · " ends a line."""
    words = break_units(text)
    rtl = right_to_left(text)
    if not words:
        return TextBlock((), int(size), font, rtl)
    size = float(size)
    while True:
        lines, fitted = fit_lines(words, font, size, width, max_lines=max_lines)
        fitted = int(fitted)
        if fitted >= int(min_size) and all(font.width(line, fitted) <= width for line in lines) \
                and round(fitted * LEADING) * len(lines) <= height:
            return TextBlock(tuple(lines), fitted, font, rtl)
        if fitted <= min_size:
            break
        size = max(min(fitted, size) * 0.9, min_size)
    # the smallest size still does not fit: keep the lines that fit, the last one cut
    size = int(min_size)
    fitting = max(int(height // round(size * LEADING)), 1)
    lines = _cut_lines(words, font, size, width, fitting)
    return TextBlock(tuple(lines), size, font, rtl, cut=" ".join(lines) != " ".join(words))


def _cut_lines(words: Sequence[str], font: PillowFont, size: int, width: int,
               count: int) -> list[str]:
    lines: list[str] = [""]
    for word in words:
        trial = (lines[-1] + " " + word).strip()
        if font.width(trial, size) <= width:
            lines[-1] = trial
        elif len(lines) < count and font.width(word, size) <= width:
            lines.append(word)
        else:
            last = lines[-1]
            while last and font.width(last + "…", size) > width:
                last = last[:-1]
            lines[-1] = last + "…"
            break
    return [line for line in lines if line]
