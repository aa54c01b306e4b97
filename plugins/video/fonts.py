"""Caption fonts: the default one from a pip package, and text measured with its metrics.

The default is Roboto Bold from the ``font-roboto`` package (Apache 2.0), so captions
render with no system fonts: its folder is passed to libass as ``fontsdir`` and the ASS
style names its family. A brand font is any ``.ttf``/``.otf`` path; its folder is passed
the same way.

Widths are measured with fontTools (advance widths plus kerning is ignored: it only ever
makes text narrower). libass scales a font so that its *cell height*
(``usWinAscent + usWinDescent``, as VSFilter does) equals the ASS font size, so one
pixel of font size is ``1 / cell`` font units; :meth:`Font.width` uses the same scale.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from engine.errors import TransformError

#: the default caption font: a bold sans from a pip package
DEFAULT_FONT_PACKAGE = "font-roboto"
DEFAULT_FONT_FILE = "Roboto-Bold.ttf"


def default_font_path() -> Path:
    """Roboto Bold from the ``font-roboto`` package."""
    try:
        import font_roboto
    except ImportError:
        raise TransformError("the default caption font is not installed",
                             hint=f"pip install {DEFAULT_FONT_PACKAGE}, or set `font` to a "
                                  ".ttf file") from None
    return Path(font_roboto.font_directory) / DEFAULT_FONT_FILE


@dataclass(frozen=True)
class Font:
    """A font file, its family name for ASS styles, and what it needs to measure text."""

    path: Path
    family: str
    bold: bool
    italic: bool
    #: font units per pixel of ASS font size (the cell height)
    cell: float
    #: advance width in font units by code point
    advances: dict
    default_advance: int

    @property
    def directory(self) -> Path:
        return self.path.parent

    def width(self, text: str, size: float) -> float:
        """Width of ``text`` in pixels at ASS font size ``size`` (no outline)."""
        units = sum(self.advances.get(ord(c), self.default_advance) for c in text)
        return units * size / self.cell


def load_font(path: str | Path | None = None) -> Font:
    """The font at ``path`` (the default font for None), measured once per process."""
    resolved = Path(path).expanduser().resolve() if path else default_font_path()
    if not resolved.is_file():
        raise TransformError(f"font file {str(path)!r} does not exist",
                             hint="give the path of a .ttf or .otf file, or leave `font` empty "
                                  "for the default (Roboto Bold)")
    return _load(str(resolved))


@functools.lru_cache(maxsize=16)
def _load(path: str) -> Font:
    from fontTools.ttLib import TTFont, TTLibError

    try:
        font = TTFont(path, lazy=True, fontNumber=0)
        name = font["name"]
        family = (name.getDebugName(16) or name.getDebugName(1) or Path(path).stem).strip()
        head, hmtx = font["head"], font["hmtx"]
        cmap = font.getBestCmap() or {}
        os2 = font["OS/2"] if "OS/2" in font else None
    except (TTLibError, KeyError, OSError) as e:
        raise TransformError(f"{Path(path).name!r} is not a readable font: {e}",
                             hint="give a .ttf or .otf file") from None
    cell = head.unitsPerEm
    bold = italic = False
    if os2 is not None:
        cell = (os2.usWinAscent + os2.usWinDescent) or cell
        bold = bool(os2.fsSelection & 0x20) or os2.usWeightClass >= 600
        italic = bool(os2.fsSelection & 0x01)
    metrics = hmtx.metrics
    advances = {cp: metrics[glyph][0] for cp, glyph in cmap.items() if glyph in metrics}
    default = metrics.get(".notdef", (head.unitsPerEm // 2, 0))[0] or head.unitsPerEm // 2
    return Font(Path(path), family, bold, italic, float(cell), advances, default)


def fit_lines(words: list[str], font: Font, size: float, max_width: float, *,
              max_lines: int = 2, outline: float = 0.0) -> tuple[list[str], float]:
    """Break ``words`` into at most ``max_lines`` balanced lines no wider than ``max_width``.

    Returns the lines and the font size to use: ``size``, or smaller when the words
    cannot fit otherwise (a long word, a long phrase), so no text ever leaves the frame.
    """
    words = [w for w in words if w]
    if not words:
        return [], size
    for _ in range(40):
        lines = _balanced(words, font, size, max_width - 2 * outline, max_lines)
        if lines is not None:
            return lines, size
        widest = max(font.width(w, size) for w in words) + 2 * outline
        # shrink in proportion when one word is too wide, else by small steps
        size = min(size * 0.92, size * max_width / widest) if widest > max_width else size * 0.92
    return [" ".join(words)], size


def _balanced(words: list[str], font: Font, size: float, width: float,
              max_lines: int) -> list[str] | None:
    """The fewest lines that fit (at most ``max_lines``), evened out; None if impossible."""
    space = font.width(" ", size)
    sizes = [font.width(w, size) for w in words]
    if max(sizes) > width:
        return None
    # greedy count of lines needed
    lines, current = 1, -space
    for s in sizes:
        if current + space + s > width:
            lines, current = lines + 1, s
        else:
            current += space + s
    if lines > max_lines:
        return None
    if lines == 1:
        return [" ".join(words)]
    # minimise the widest line by binary search on a cap (lines stay <= count)
    low, high = max(sizes), sum(sizes) + space * (len(sizes) - 1)
    for _ in range(30):
        cap = (low + high) / 2
        if _count(sizes, space, cap) <= lines:
            high = cap
        else:
            low = cap
    out, current, line = [], -space, []
    for word, s in zip(words, sizes):
        if line and current + space + s > high + 1e-6:
            out.append(" ".join(line))
            line, current = [], -space
        line.append(word)
        current += space + s
    out.append(" ".join(line))
    return out


def _count(sizes: list[float], space: float, cap: float) -> int:
    lines, current = 1, -space
    for s in sizes:
        if current + space + s > cap + 1e-6:
            lines, current = lines + 1, s
        else:
            current += space + s
    return lines
