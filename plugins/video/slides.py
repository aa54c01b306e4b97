"""Slides of an explainer, drawn once per scene with Pillow (never per frame).

For each scene, :func:`draw_scene` writes transparent PNG layers that the render
overlays on the moving background: the ``base`` (kicker, heading, panels, the frame
around the picture, static text), one layer per key point (overlaid from the moment its
sentence is spoken) and, for a video podcast, one highlight per host (shown while that
host speaks). Each layer is cropped to what it draws, so overlaying it costs little.

Every text is fitted into its box with the font's metrics (:func:`layout.text_fit`) and
the box lies inside the frame's safe area above the caption band; :class:`SceneArt`
keeps the boxes so tests can check them against the pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from engine.artifacts import Scene, Storyboard
from plugins.video.ass import parse_color
from plugins.video.fonts import default_font_path
from plugins.video.layout import (Box, Frame, PillowFont, TextBlock, glyph_font, text_fit)

BACKGROUND = ("#1C2B4F", "#0A1020")
GLOWS = ("#1F7A80", "#4B3A8C", "#7A3D5C")
ACCENTS = ("#FFD60A", "#4CD4B0", "#FF8A65", "#7FB2FF")
TEXT = "#FFFFFF"
SOFT = "#C9D6E8"
PANEL = "#0A1020A8"


@dataclass(frozen=True)
class Typeface:
    """The font files of the slides: one file for all when the user gives one."""

    title: Path
    heading: Path
    body: Path
    quote: Path

    @classmethod
    def of(cls, font: str | None, *, heading: str | None = None,
           body: str | None = None) -> "Typeface":
        """Roboto's weights; ``font`` for all text; ``heading`` (titles and headings) and
        ``body`` (points, quotes, captions of pictures) over it where given."""
        folder = default_font_path().parent
        if font:
            path = Path(font).expanduser().resolve()
            face = cls(path, path, path, path)
        else:
            face = cls(folder / "Roboto-Black.ttf", folder / "Roboto-Bold.ttf",
                       folder / "Roboto-Medium.ttf", folder / "Roboto-MediumItalic.ttf")
        if heading:
            path = Path(heading).expanduser().resolve()
            face = replace(face, title=path, heading=path)
        if body:
            path = Path(body).expanduser().resolve()
            face = replace(face, body=path, quote=path)
        return face


@dataclass(frozen=True)
class Palette:
    """The slides' colours: the background gradient (top, bottom), the text, the accents
    (kicker, bars, stat numbers, the progress bar: one per scene, in turn) and the
    key-point markers (the scene's accent when None)."""

    background: tuple[str, ...] = BACKGROUND
    text: str = TEXT
    accents: tuple[str, ...] = ACCENTS
    marker: str | None = None

    @classmethod
    def of(cls, params) -> "Palette":
        """From a video's parameters: ``colors``, ``text_color``, ``accent_color`` (one
        accent for every scene) and ``marker_color``."""
        accent = getattr(params, "accent_color", None)
        return cls(background=tuple(getattr(params, "colors", None) or BACKGROUND),
                   text=params.text_color, accents=(accent,) if accent else ACCENTS,
                   marker=getattr(params, "marker_color", None))

    def accent(self, index: int) -> str:
        return self.accents[index % len(self.accents)]


@dataclass(frozen=True)
class Layer:
    """An RGBA image placed at (x, y) on the frame."""

    path: Path
    x: int
    y: int
    w: int
    h: int

    @property
    def box(self) -> Box:
        return Box(self.x, self.y, self.w, self.h)


@dataclass
class SceneArt:
    base: Layer | None
    #: one per key point (the stat callout included), in the scene's point order; None
    #: for a point that did not fit or has no text left to draw
    points: list[Layer | None]
    #: where the picture goes (Ken Burns), if the scene has one
    picture: Box | None
    #: video podcast: a highlight per host
    speakers: dict[str, Layer] = field(default_factory=dict)
    #: every text drawn, for checks
    text_boxes: list[Box] = field(default_factory=list)
    #: where the scene's heading is drawn (on the base layer), if it has one
    heading: Box | None = None
    notes: list[str] = field(default_factory=list)
    #: the key points' type size in pixels (one for all points of a scene), 0 without
    point_size: int = 0


def rgba(color: str, alpha: int | None = None) -> tuple[int, int, int, int]:
    r, g, b, a = parse_color(color)
    return r, g, b, a if alpha is None else alpha


def fit_text(frame: Frame, notes: list[str], text: str, path: Path, size: float, box: Box, *,
             max_lines: int = 3, min_size: float | None = None) -> TextBlock:
    """``text`` fitted into ``box`` with the font that has its glyphs; what was left out
    or cut is noted in ``notes``."""
    font_path, shown, missing = glyph_font(text, path)
    if missing:
        sample = missing[:12]
        notes.append(f"the fonts here lack glyphs for {sample!r}: left out of "
                     f"{text[:40]!r}; give a `font` that has them")
    block = text_fit(shown, PillowFont(font_path), size, box.w, box.h, max_lines=max_lines,
                     min_size=min_size or max(frame.unit * 1.6, 8))
    if block.cut:   # the last resort, after shrinking to the smallest readable size
        notes.append(f"{shown[:60]!r} did not fit even in the smallest type: cut with '…'")
    return block


class Canvas:
    """A transparent full-frame image to draw on, saved cropped to what was drawn."""

    def __init__(self, frame: Frame, notes: list[str], boxes: list[Box]):
        from PIL import Image, ImageDraw

        self.frame = frame
        self.image = Image.new("RGBA", (frame.width, frame.height), (0, 0, 0, 0))
        self.draw = ImageDraw.Draw(self.image)
        self.notes = notes
        self.boxes = boxes

    def fit(self, text: str, path: Path, size: float, box: Box, *, max_lines: int = 3,
            min_size: float | None = None) -> TextBlock:
        """``text`` fitted into ``box`` with the font that has its glyphs."""
        return fit_text(self.frame, self.notes, text, path, size, box, max_lines=max_lines,
                        min_size=min_size)

    def text(self, block: TextBlock, x: int, y: int, width: int, color: str, *,
             center: bool = False) -> Box:
        """Draw ``block`` with its top-left at (x, y) inside a column ``width`` wide."""
        font = block.font.at(block.size)
        for i, line in enumerate(block.lines):
            line_w = block.font.width(line, block.size)
            if center:
                lx = x + (width - line_w) / 2
            elif block.rtl:
                lx = x + width - line_w
            else:
                lx = x
            lx += block.font.overhang(line, block.size)
            self.draw.text((lx, y + i * block.line_height), line, font=font,
                           fill=rgba(color), direction="rtl" if block.rtl else None)
        w = min(block.width(), width)
        left = x + (width - w) // 2 if center else (x + width - w if block.rtl else x)
        box = Box(int(left), y, w, block.height)
        self.boxes.append(box)
        return box

    def panel(self, box: Box, color: str = PANEL, radius: float | None = None,
              outline: str | None = None, width: int = 0) -> None:
        r = int(radius if radius is not None else self.frame.unit * 2)
        self.draw.rounded_rectangle((box.x, box.y, box.right - 1, box.bottom - 1), radius=r,
                                    fill=rgba(color),
                                    outline=rgba(outline) if outline else None, width=width)

    def save(self, path: Path) -> Layer | None:
        bbox = self.image.getchannel("A").getbbox()
        if bbox is None:
            return None
        x0, y0, x1, y1 = bbox
        # even offsets and sizes: the overlay works on 4:2:0 frames
        x0, y0 = x0 // 2 * 2, y0 // 2 * 2
        x1, y1 = min((x1 + 1) // 2 * 2, self.frame.width), min((y1 + 1) // 2 * 2, self.frame.height)
        self.image.crop((x0, y0, x1, y1)).save(path, compress_level=1)
        return Layer(path, x0, y0, x1 - x0, y1 - y0)


# --------------------------------------------------------------------------- scenes

def draw_scene(board: Storyboard, index: int, frame: Frame, typeface: Typeface,
               folder: Path, *, has_picture: bool, palette: Palette = Palette()) -> SceneArt:
    """The layers of scene ``index`` (see the module docstring)."""
    scene = board.scenes[index]
    folder.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    boxes: list[Box] = []
    base = Canvas(frame, notes, boxes)
    accent = palette.accent(index)
    text = palette.text
    u = frame.unit
    c = frame.content
    art = SceneArt(None, [], None, text_boxes=boxes, notes=notes)
    if scene.kind in ("title", "closing"):
        _card(board, scene, base, frame, typeface, accent, text)
    else:
        sections = sum(1 for s in board.scenes if s.kind not in ("title", "closing"))
        number = sum(1 for s in board.scenes[:index] if s.kind not in ("title", "closing")) + 1
        kicker = base.fit(f"{number} / {sections}   {board.title}", typeface.heading,
                          2.6 * u, Box(c.x, c.y, c.w, int(4 * u)), max_lines=1)
        base.text(kicker, c.x, c.y, c.w, accent)
        top = c.y + kicker.height + int(1.5 * u)
        heading = scene.heading or (scene.quote and "") or ""
        if heading:
            block = base.fit(heading, typeface.heading, (6.2 if frame.landscape else 7.0) * u,
                             Box(c.x, top, c.w, int(c.h * 0.24)), max_lines=3)
            art.heading = base.text(block, c.x, top, c.w, text)
            top += block.height + int(2.5 * u)
        body = Box(c.x, top, c.w, max(c.bottom - top, int(4 * u)))
        items = _point_items(scene)
        text_area, picture = _body(body, frame, has_picture, items, scene, typeface, palette)
        art.picture = picture
        if picture is not None:
            pad = max(int(0.6 * u), 2)
            base.panel(Box(picture.x - pad, picture.y - pad, picture.w + 2 * pad,
                           picture.h + 2 * pad), color="#FFFFFF30", radius=u)
            caption = scene.visual.caption if scene.visual else ""
            if caption:
                cap_box = Box(picture.x, picture.bottom + int(1.2 * u), picture.w,
                              max(min(int(5 * u), body.bottom - picture.bottom - int(1.2 * u)), 1))
                if cap_box.h >= 2 * u:
                    block = base.fit(caption, typeface.body, 2.6 * u, cap_box, max_lines=1)
                    base.text(block, cap_box.x, cap_box.y, cap_box.w, SOFT)
        if scene.kind == "chapter" and board.speakers:
            text_area, art.speakers = _speakers(board, scene, base, text_area, typeface, folder,
                                                index, accent, frame)
        art.points, art.point_size = _points(items, scene, base, frame, text_area, typeface,
                                             folder, index, accent, palette)
    art.base = base.save(folder / f"scene-{index:03d}-base.png")
    return art


#: how much of its room a picture keeps, tried in turn, so that key points keep their size
PICTURE_ROOM = (1.0, 0.85, 0.7, 0.55)
#: the share of their full size the key points keep before the picture gives up room
POINTS_KEPT = 0.8


def _body(body: Box, frame: Frame, has_picture: bool, items: list[tuple[str, str]],
          scene: Scene, typeface: Typeface, palette: Palette) -> tuple[Box, Box | None]:
    """The body's text area and picture box: the picture as large as it can be while the
    key points keep ``POINTS_KEPT`` of their full size, else the size of ``PICTURE_ROOM``
    that leaves them the largest type. A logo's rows or a long heading leave a square or
    tall frame's picture little room under it, and the points would otherwise shrink to
    fine print."""
    best = None
    for room in PICTURE_ROOM:
        area, picture = _split(body, frame, has_picture, room)
        if picture is None or not items:
            return area, picture
        measure = partial(fit_text, frame, [])   # notes come when the points are drawn
        size = int(_fit_points(items, measure, scene, typeface, area, frame, palette)[1])
        if best is None or size > best[0]:
            best = (size, area, picture)
        if size >= POINTS_KEPT * _point_size(frame):
            break
    return best[1], best[2]


def _split(body: Box, frame: Frame, has_picture: bool,
           room: float = 1.0) -> tuple[Box, Box | None]:
    """The body's text area and picture box: side by side on a wide frame, stacked on a
    tall or square one (the picture above, at most 45% of the height); ``room`` scales
    the picture's box (its shape kept), the text taking what it gives up."""
    u = frame.unit
    if not has_picture or body.h < 12 * u:
        return body, None
    pad = max(int(0.6 * u), 2)   # the frame drawn around the picture stays in the body
    body = Box(body.x + pad, body.y + pad, body.w - 2 * pad, body.h - 2 * pad)
    if frame.landscape:
        gap = int(3 * u)
        pic_w = int((body.w - int(body.w * 0.5) - gap) * room)
        text_w = body.w - gap - pic_w
        pic_h = min(int(body.h - 6 * u), int(pic_w * 0.8))
        picture = Box(body.x + text_w + gap, body.y, pic_w // 2 * 2, max(pic_h, 2) // 2 * 2)
        return Box(body.x, body.y, text_w, body.h), picture
    pic_h = int(min(int(body.h * 0.42), int(body.w * 0.7)) * room)
    pic_w = int(body.w * room) // 2 * 2
    # a picture that gave up room stays centred over the points, not off to one side
    picture = Box(body.x + (body.w - pic_w) // 2, body.y, pic_w, pic_h // 2 * 2)
    below = picture.bottom + int(6 * u)
    return Box(body.x, below, body.w, max(body.bottom - below, 1)), picture


def _point_items(scene: Scene) -> list[tuple[str, str]]:
    """The scene's cards as (kind, text): a quote first, then each point (a stat's label
    is its stat card)."""
    items = [("stat" if scene.stat and point.text == scene.stat_label else "point", point.text)
             for point in scene.points]
    if scene.kind == "quote" and scene.quote:
        items.insert(0, ("quote", f"“{scene.quote}”"))
    return items


def _point_size(frame: Frame) -> float:
    """The key points' full type size on ``frame``."""
    return (4.0 if frame.landscape else 4.8 if frame.width >= frame.height else 5.6) * frame.unit


def _fit_points(items, fit, scene: Scene, typeface: Typeface, area: Box, frame: Frame,
                palette: Palette):
    """The cards' text blocks at one size for all, shrunk until the cards fit ``area``
    together (``fit`` fits one text, see :func:`fit_text`), and that size."""
    u = frame.unit
    pad, gap = int(1.8 * u), int(1.6 * u)   # inside each card, between cards
    inner = Box(area.x + pad, area.y, area.w - 2 * pad, area.h)
    size = _point_size(frame)
    for _ in range(14):
        blocks = _point_blocks(items, fit, scene, typeface, inner, size, u, palette)
        total = sum(h + 2 * pad for _, h in blocks) + gap * (len(blocks) - 1)
        if total <= area.h or size <= 1.8 * u:
            break
        size *= 0.9
    return blocks, size


def _points(items: list[tuple[str, str]], scene: Scene, canvas: Canvas, frame: Frame,
            area: Box, typeface: Typeface, folder: Path, index: int, accent: str,
            palette: Palette) -> tuple[list[Layer | None], int]:
    """One layer per point (in point order), fitted together into ``area`` on a panel,
    and the points' type size."""
    u = frame.unit
    if not items or area.h < 4 * u:
        return [], 0
    pad, gap = int(1.8 * u), int(1.6 * u)
    inner = Box(area.x + pad, area.y, area.w - 2 * pad, area.h)
    blocks, size = _fit_points(items, canvas.fit, scene, typeface, area, frame, palette)
    layers: list[Layer | None] = []
    y = area.y
    for i, (parts, height) in enumerate(blocks):
        if y + height + 2 * pad > area.bottom + 1:
            canvas.notes.append(f"{len(blocks) - i} point(s) of {scene.heading!r} did not fit")
            break
        kind = items[i][0]
        # a point is a card of its own, appearing with it; a quote stays on the slide
        target = canvas if kind == "quote" else Canvas(frame, canvas.notes, canvas.boxes)
        target.panel(Box(area.x, y, area.w, height + 2 * pad))
        yy = y + pad
        for block, color, indent in parts:
            if kind == "point":
                dot = int(block.size * 0.32)
                cy = yy + int(block.size * 0.62)
                target.draw.ellipse((inner.x, cy - dot // 2, inner.x + dot, cy + dot // 2),
                                    fill=rgba(palette.marker or accent))
            target.text(block, inner.x + indent, yy, inner.w - indent, color)
            yy += block.height + int(0.6 * u)
        if target is not canvas:
            layers.append(target.save(folder / f"scene-{index:03d}-point-{len(layers)}.png"))
        y += height + 2 * pad + gap
    return layers, int(size)


def _point_blocks(items, fit, scene: Scene, typeface: Typeface, inner: Box,
                  size: float, u: float, palette: Palette):
    """Each item as fitted text blocks (with colour and indent) and its height (``fit``
    fits one text, see :func:`fit_text`)."""
    out = []
    indent = int(size * 0.9)
    for kind, text in items:
        if kind == "stat":
            number = fit(scene.stat, typeface.title, size * 3.2,
                         Box(0, 0, inner.w, int(size * 4.2)), max_lines=1)
            label = fit(text, typeface.body, size * 0.9, Box(0, 0, inner.w, int(size * 4)),
                        max_lines=3)
            parts = [(number, palette.accents[0], 0), (label, SOFT, 0)]
        elif kind == "quote":
            block = fit(text, typeface.quote, size * 1.15,
                        Box(0, 0, inner.w, int(size * 7)), max_lines=5)
            parts = [(block, palette.text, 0)]
        else:
            block = fit(text, typeface.body, size,
                        Box(0, 0, inner.w - indent, int(size * 6)), max_lines=4)
            parts = [(block, palette.text, indent)]
        height = sum(b.height for b, _, _ in parts) + int(0.6 * u) * (len(parts) - 1)
        out.append((parts, height))
    return out


def _speakers(board: Storyboard, scene: Scene, canvas: Canvas, area: Box, typeface: Typeface,
              folder: Path, index: int, accent: str, frame: Frame):
    """A row of host cards at the bottom of ``area``; a highlight layer per host."""
    u = frame.unit
    hosts = list(board.speakers)[:4]
    card_h = int(9 * u)
    if area.h < card_h + 6 * u:
        return area, {}
    gap = int(2 * u)
    card_w = (area.w - gap * (len(hosts) - 1)) // len(hosts)
    y = area.bottom - card_h
    highlights = {}
    for i, host in enumerate(hosts):
        box = Box(area.x + i * (card_w + gap), y, card_w, card_h)
        canvas.panel(box, outline="#FFFFFF40", width=max(int(0.3 * u), 1))
        name = canvas.fit(host, typeface.heading, 3.6 * u, Box(0, 0, card_w - int(3 * u),
                                                               card_h - int(2 * u)), max_lines=1)
        canvas.text(name, box.x + int(1.5 * u), box.y + (card_h - name.height) // 2,
                    card_w - int(3 * u), SOFT, center=True)
        lit = Canvas(frame, canvas.notes, [])
        lit.panel(box, color=accent, outline=TEXT, width=max(int(0.4 * u), 2))
        lit.text(name, box.x + int(1.5 * u), box.y + (card_h - name.height) // 2,
                 card_w - int(3 * u), "#0A1020", center=True)
        layer = lit.save(folder / f"scene-{index:03d}-speaker-{i}.png")
        if layer is not None:
            highlights[host] = layer
    return Box(area.x, area.y, area.w, max(y - area.y - int(3 * u), 1)), highlights


def _card(board: Storyboard, scene: Scene, canvas: Canvas, frame: Frame, typeface: Typeface,
          accent: str, text: str = TEXT) -> None:
    """The title card (title, byline, date, hosts) or the closing card (title, call to
    action, link), centred vertically in the content area."""
    u = frame.unit
    c = frame.content
    parts: list[tuple[TextBlock, str]] = []
    if scene.kind == "title":
        parts.append((canvas.fit(board.title, typeface.title, (8.5 if frame.landscape else 9.5) * u,
                                 Box(0, 0, c.w, int(c.h * 0.55)), max_lines=5), text))
        for line, color in ((board.byline, SOFT), (board.date, SOFT),
                            ("with " + " & ".join(board.speakers) if board.speakers else "", accent)):
            if line:
                parts.append((canvas.fit(line, typeface.body, 3.8 * u,
                                         Box(0, 0, c.w, int(c.h * 0.1)), max_lines=2), color))
    else:
        parts.append((canvas.fit(board.title, typeface.heading, 6.0 * u,
                                 Box(0, 0, c.w, int(c.h * 0.4)), max_lines=4), text))
        if board.call_to_action:
            parts.append((canvas.fit(board.call_to_action, typeface.heading, 4.6 * u,
                                     Box(0, 0, c.w, int(c.h * 0.2)), max_lines=3), accent))
        if board.link:
            parts.append((canvas.fit(board.link, typeface.body, 3.4 * u,
                                     Box(0, 0, c.w, int(c.h * 0.12)), max_lines=2), SOFT))
    gap = int(2.5 * u)
    bar = int(1.2 * u)
    total = sum(b.height for b, _ in parts) + gap * len(parts) + bar
    y = c.y + max((c.h - total) // 2, 0)
    canvas.draw.rectangle((c.x, y, c.x + int(14 * u), y + bar), fill=rgba(accent))
    y += bar + gap
    for block, color in parts:
        canvas.text(block, c.x, y, c.w, color)
        y += block.height + gap


# --------------------------------------------------------------------------- background

def draw_background(width: int, height: int, path: Path, *, margin: float = 0.12,
                    colors: tuple[str, ...] = BACKGROUND) -> Path:
    """A dark gradient with soft coloured glows, ``1 + 2 * margin`` times the frame, so a
    slowly moving crop of it gives a subtle moving background."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    w, h = int(width * (1 + 2 * margin)) // 2 * 2, int(height * (1 + 2 * margin)) // 2 * 2
    small_w, small_h = max(w // 8, 2), max(h // 8, 2)
    top, bottom = (np.array(parse_color(c)[:3]) for c in (colors[0], colors[-1]))
    ramp = np.linspace(0, 1, small_h)[:, None, None]
    pixels = (top * (1 - ramp) + bottom * ramp).repeat(small_w, axis=1)
    image = Image.fromarray(pixels.astype("uint8"), "RGB")
    glow = Image.new("RGB", (small_w, small_h), (0, 0, 0))
    draw = ImageDraw.Draw(glow)
    spots = ((0.18, 0.22, 0.38), (0.82, 0.55, 0.42), (0.35, 0.88, 0.34))
    glows = GLOWS if tuple(colors) == BACKGROUND else [_lighter(c) for c in (*colors, colors[0])]
    for (fx, fy, fr), color in zip(spots, glows):
        r = fr * min(small_w, small_h)
        draw.ellipse((fx * small_w - r, fy * small_h - r, fx * small_w + r, fy * small_h + r),
                     fill=parse_color(color)[:3])
    glow = glow.filter(ImageFilter.GaussianBlur(min(small_w, small_h) * 0.16))
    image = Image.blend(image, Image.fromarray(
        np.maximum(np.asarray(image), np.asarray(glow)).astype("uint8")), 0.55)
    # stored, not compressed: it is big, read once and thrown away
    image.resize((w, h), Image.BICUBIC).save(path, compress_level=0)
    return path


def _lighter(color: str, amount: float = 0.3) -> str:
    """``color`` moved ``amount`` of the way to white: a glow of a brand's own colour."""
    r, g, b, _ = parse_color(color)
    return "#" + "".join(f"{int(v + (255 - v) * amount):02X}" for v in (r, g, b))


# --------------------------------------------------------------------------- thumbnail

@dataclass(frozen=True)
class ThumbnailLogo:
    """A logo already rasterised at its width on the thumbnail, and its corner."""

    path: Path
    position: str = "top-right"


#: a thumbnail title's size beside or under a picture, and the largest it grows to alone on
#: a wide thumbnail, in units (1% of the short side)
THUMBNAIL_TITLE = (10.0, 16.0)
#: a wide thumbnail's title takes the fewest lines that keep this share of its largest size
FEWER_LINES = 0.8


def _wide_title(frame: Frame, title: str, typeface: Typeface, box: Box) -> tuple[float, int]:
    """The size and lines of a title alone on a wide thumbnail: each count of lines (up
    to five) gives the largest size (up to ``THUMBNAIL_TITLE[1]``) at which the title
    fits ``box`` in that many; the fewest lines within ``FEWER_LINES`` of the largest
    size win. So a title reads large at a small copy, and a title a little wider than
    the box is one large line, not two short lines on the left of an empty frame."""
    measure = partial(fit_text, frame, [])
    sizes = []
    for lines in range(1, 6):
        block = measure(title, typeface.title, THUMBNAIL_TITLE[1] * frame.unit, box,
                        max_lines=lines)
        if not block.cut:   # not one cut short (a title too long for five lines)
            sizes.append((block.size, lines))
    best = max((size for size, _ in sizes), default=0)
    return next(((size, lines) for size, lines in sizes if size >= FEWER_LINES * best),
                (THUMBNAIL_TITLE[0] * frame.unit, 5))


def draw_thumbnail(board: Storyboard, picture: Path | None, size: tuple[int, int],
                   typeface: Typeface, dst: Path, *, palette: Palette = Palette(),
                   logo: ThumbnailLogo | None = None,
                   channel: str = "") -> tuple[Path, list[Box], list[str]]:
    """A JPEG of ``size``: the background, the key visual (when there is one), the
    channel's name, the title (alone on a wide thumbnail, as large as fits: see
    :func:`_wide_title`) and the logo (text keeps clear of the logo's rows); returns the
    text boxes and notes too."""
    from PIL import Image

    from plugins.video.branding import logo_box
    from plugins.video.layout import frame_layout

    width, height = size
    frame = frame_layout(width, height)
    mark = None
    if logo is not None:
        mark = Image.open(logo.path).convert("RGBA")
        frame = frame_layout(width, height, logo=logo_box(frame.safe, mark.width, mark.height,
                                                          logo.position))
    notes: list[str] = []
    boxes: list[Box] = []
    background = dst.with_suffix(".background.png")
    draw_background(width, height, background, margin=0.0, colors=palette.background)
    image = Image.open(background).convert("RGBA")
    background.unlink()
    c = frame.content
    u = frame.unit
    text_box = c
    if picture is not None:
        with Image.open(picture) as pic:
            pic = pic.convert("RGB")
            if frame.landscape:
                box = Box(c.x + c.w // 2, 0, width - c.x - c.w // 2, height)
                text_box = Box(c.x, c.y, c.w // 2 - int(3 * u), c.h)
            else:
                box = Box(0, 0, width, int(height * 0.45))
                top = max(box.bottom + int(3 * u), c.y)
                text_box = Box(c.x, top, c.w, c.bottom - top)
            image.paste(_cover(pic, box.w, box.h), (box.x, box.y))
    canvas = Canvas(frame, notes, boxes)
    bar = int(1.4 * u)
    accent = palette.accents[0]
    label = None
    if channel.strip():
        label = canvas.fit(channel.strip().upper(), typeface.heading, 3.4 * u,
                           Box(0, 0, text_box.w, int(5 * u)), max_lines=1)
    above = label.height + bar * 2 if label else 0
    room = Box(0, 0, text_box.w, text_box.h - bar * 4 - above)
    size, lines = THUMBNAIL_TITLE[0] * u, 5
    if picture is None and frame.landscape:
        size, lines = _wide_title(frame, board.title, typeface, room)
    title = canvas.fit(board.title, typeface.title, size, room, max_lines=lines)
    y = text_box.y + max((text_box.h - title.height - bar * 3 - above) // 2, 0)
    if label is not None:
        canvas.text(label, text_box.x, y, text_box.w, accent)
        y += above
    canvas.draw.rectangle((text_box.x, y, text_box.x + int(16 * u), y + bar), fill=rgba(accent))
    canvas.text(title, text_box.x, y + bar * 3, text_box.w, palette.text)
    image.alpha_composite(canvas.image)
    if mark is not None:
        if picture is not None:   # a plate of the background's colour keeps it readable
            from PIL import ImageDraw

            box, pad = frame.logo, int(1.2 * u)
            plate = Image.new("RGBA", image.size, (0, 0, 0, 0))
            ImageDraw.Draw(plate).rounded_rectangle(
                (box.x - pad, box.y - pad, box.right + pad, box.bottom + pad), radius=pad,
                fill=rgba(palette.background[-1], 215))
            image.alpha_composite(plate)
        image.alpha_composite(mark, (frame.logo.x, frame.logo.y))
        mark.close()
    image.convert("RGB").save(dst, "JPEG", quality=90)
    return dst, boxes, notes


def _cover(image, width: int, height: int):
    """``image`` scaled and centre-cropped to exactly ``width x height``."""
    from PIL import Image, ImageOps

    return ImageOps.fit(image, (max(width, 1), max(height, 1)), Image.LANCZOS)


__all__ = ["Layer", "Palette", "SceneArt", "ThumbnailLogo", "Typeface", "draw_background", "draw_scene", "draw_thumbnail"]
