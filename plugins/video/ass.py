"""ASS subtitles for burnt-in captions: karaoke, phrase pop-ups and classic subtitles.

Coordinates are pixels: ``PlayResX/PlayResY`` equal the video size and borders scale
with it. Lines are broken here, by measuring every word with the font's own metrics
(:mod:`plugins.video.fonts`), and libass is told not to wrap (``WrapStyle: 2``); a word
or phrase too wide for the safe area gets a smaller ``\\fs`` for its caption, so text
never leaves the frame.

Styles:

* ``karaoke``: cues of one or two lines (the DP of :mod:`plugins.speech.captions`, with a
  character limit derived from the measured width); while a word is spoken it takes the
  highlight colour. Each word is its own event (the whole cue, one word coloured) from
  its start to the next word's start, so the highlight is exact to the centisecond.
* ``phrases``: one to ``words_per_caption`` words at a time, breaking after punctuation
  and pauses, popping in with a short scale animation; the active word is highlighted.
* ``subtitles``: classic two-line cues, no highlight.

Times are floored to centiseconds (the ASS resolution) on both ends, so consecutive
events touch and the frame at a word's start always shows that word active.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal, Sequence

from engine.artifacts import Word
from plugins.speech.captions import CueLimits, cues_from_words, ends_sentence
from plugins.video.fonts import Font, fit_lines

CaptionMode = Literal["karaoke", "phrases", "subtitles"]
Position = Literal["top", "middle", "bottom"]

_NAMED = {
    "white": "FFFFFF", "black": "000000", "yellow": "FFE000", "red": "FF3B30",
    "green": "34C759", "blue": "0A84FF", "cyan": "00E5FF", "magenta": "FF2D95",
    "orange": "FF9500", "pink": "FF6FB5", "purple": "8E44FF", "gray": "8E8E93",
    "grey": "8E8E93", "navy": "0B1F4B", "teal": "00A3A3",
}
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})([0-9a-fA-F]{2})?$")
#: a pause this long between words ends a phrase
_PHRASE_PAUSE = 0.35
_CLAUSE = re.compile(r"[,;:—–-][\"'”’)\]]*$")
#: seconds a phrase stays after its last word when the next one is later
_LINGER = 0.4
#: a gap between captions shorter than this is closed (a blink reads as flicker)
_CHAIN = 0.5


def parse_color(value: str) -> tuple[int, int, int, int]:
    """``"#RRGGBB"``, ``"#RRGGBBAA"`` (AA = opacity) or a colour name -> (r, g, b, alpha)."""
    text = value.strip().lower()
    text = _NAMED.get(text, text)
    match = _HEX.match(text)
    if match is None:
        raise ValueError(f"{value!r} is not a colour: use #RRGGBB, #RRGGBBAA or one of "
                         + ", ".join(sorted(_NAMED)))
    rgb = match[1]
    opacity = int(match[2], 16) if match[2] else 255
    return int(rgb[0:2], 16), int(rgb[2:4], 16), int(rgb[4:6], 16), opacity


def ass_color(value: str) -> str:
    """A colour as ASS writes it: ``&HAABBGGRR`` (AA is transparency, 00 opaque)."""
    r, g, b, opacity = parse_color(value)
    return f"&H{255 - opacity:02X}{b:02X}{g:02X}{r:02X}"


def _inline_color(value: str) -> str:
    r, g, b, _ = parse_color(value)
    return f"&H{b:02X}{g:02X}{r:02X}&"


@dataclass(frozen=True)
class CaptionStyle:
    """How burnt-in captions look; sizes in pixels of the output video."""

    mode: CaptionMode = "karaoke"
    font_size: float = 80
    color: str = "white"
    highlight_color: str = "yellow"
    outline_color: str = "black"
    outline: float = 6
    shadow: float = 0
    #: an opaque box behind the text instead of an outline, in this colour
    box_color: str | None = None
    position: Position = "bottom"
    #: kept clear on the left and right, in pixels
    margin_x: int = 60
    #: from the top or bottom edge to the text (for ``middle``: ignored), in pixels
    margin_y: int = 300
    max_lines: int = 2
    #: phrases style: at most this many words per caption
    words_per_caption: int = 3
    uppercase: bool = False
    #: max seconds one karaoke or subtitle cue stays
    max_seconds: float = 7.0
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    start: float
    end: float
    text: str


# --------------------------------------------------------------------------- grouping

def group_words(words: Sequence[Word], style: CaptionStyle, font: Font,
                max_width: float) -> list[tuple[list[Word], float]]:
    """Words grouped into captions, each with the time it leaves the screen."""
    words = [w for w in words if w.text.strip()]
    if not words:
        return []
    if style.mode == "phrases":
        return _phrases(words, style.words_per_caption)
    # a character budget per line from the measured width of typical text
    sample = "the quick brown fox jumps over a lazy dog"
    sample = sample.upper() if style.uppercase else sample
    per_char = font.width(sample, style.font_size) / len(sample)
    max_chars = int(max(8, min(42, (max_width - 2 * style.outline) / per_char)))
    limits = CueLimits(max_chars=max_chars, max_lines=style.max_lines,
                       max_seconds=style.max_seconds if style.mode == "subtitles"
                       else min(style.max_seconds, 4.0))
    cues = cues_from_words(words, limits)
    groups, index = [], 0
    for cue in cues:
        count = len(" ".join(cue.lines).split())
        groups.append((words[index:index + count], cue.end))
        index += count
    return _lingering(groups)


def _lingering(groups: list[tuple[list[Word], float]]) -> list[tuple[list[Word], float]]:
    """Each caption stays up ``_LINGER`` after its last word, and through any gap shorter
    than ``_CHAIN`` before the next one, but never past the next caption's first word:
    pauses between sentences no longer flash an empty frame."""
    out = []
    for i, (group, end) in enumerate(groups):
        following = groups[i + 1][0][0].start if i + 1 < len(groups) else math.inf
        end = max(end, group[-1].end + _LINGER)
        if following - end < _CHAIN:
            end = following
        out.append((group, min(end, following)))
    return out


def _phrases(words: list[Word], most: int) -> list[tuple[list[Word], float]]:
    chunks: list[list[Word]] = [[]]
    for i, word in enumerate(words):
        chunks[-1].append(word)
        nxt = words[i + 1] if i + 1 < len(words) else None
        if nxt is None:
            break
        if (len(chunks[-1]) >= most or ends_sentence(word.text) or _CLAUSE.search(word.text)
                or nxt.start - word.end >= _PHRASE_PAUSE):
            chunks.append([])
    out = []
    for i, chunk in enumerate(chunks):
        following = chunks[i + 1][0].start if i + 1 < len(chunks) else math.inf
        end = min(max(chunk[-1].end + _LINGER, chunk[0].start + 0.5), following)
        out.append((chunk, end))
    return out


# --------------------------------------------------------------------------- events

def caption_events(words: Sequence[Word], style: CaptionStyle, font: Font, width: int,
                   height: int) -> list[Event]:
    """ASS dialogue events for timed words (see the module docstring)."""
    max_width = width - 2 * style.margin_x
    events: list[Event] = []
    for group, end in group_words(words, style, font, max_width):
        tokens = [_clean(w.text, style.uppercase) for w in group]
        lines, size = fit_lines(tokens, font, style.font_size, max_width,
                                max_lines=style.max_lines, outline=style.outline)
        prefix = ""
        if abs(size - style.font_size) > 0.01:
            prefix += f"\\fs{size:.1f}"
        if style.mode == "phrases":
            prefix += "\\fscx85\\fscy85\\t(0,90,\\fscx100\\fscy100)"
        head = "{" + prefix + "}" if prefix else ""
        if style.mode == "subtitles":
            events.append(Event(group[0].start, end, head + "\\N".join(lines)))
            continue
        for i, word in enumerate(group):
            start = group[0].start if i == 0 else word.start
            stop = group[i + 1].start if i + 1 < len(group) else end
            if style.mode == "phrases" and i > 0:
                # the pop-in animation plays once, when the phrase appears
                body_head = "{\\fs%.1f}" % size if abs(size - style.font_size) > 0.01 else ""
            else:
                body_head = head
            events.append(Event(start, max(stop, start),
                                body_head + _highlighted(lines, i, style)))
    return [e for e in events if _cs(e.end) > _cs(e.start)]


def _highlighted(lines: list[str], active: int, style: CaptionStyle) -> str:
    """The caption's lines with word number ``active`` in the highlight colour."""
    on, off = _inline_color(style.highlight_color), _inline_color(style.color)
    out, index = [], 0
    for line in lines:
        parts = []
        for token in line.split(" "):
            if index == active:
                token = f"{{\\1c{on}}}{token}{{\\1c{off}}}"
            parts.append(token)
            index += 1
        out.append(" ".join(parts))
    return "\\N".join(out)


def _clean(text: str, uppercase: bool) -> str:
    """A word safe inside ASS text: no override braces, no backslash escapes."""
    text = text.strip().replace("\\", "/").replace("{", "(").replace("}", ")")
    return text.upper() if uppercase else text


def _cs(seconds: float) -> int:
    return int(math.floor(max(seconds, 0.0) * 100 + 1e-6))


def _time(seconds: float) -> str:
    cs = _cs(seconds)
    hours, cs = divmod(cs, 360000)
    minutes, cs = divmod(cs, 6000)
    secs, cs = divmod(cs, 100)
    return f"{hours:d}:{minutes:02d}:{secs:02d}.{cs:02d}"


# --------------------------------------------------------------------------- document

def ass_document(events: Sequence[Event], style: CaptionStyle, font: Font, width: int,
                 height: int) -> str:
    """A complete ASS script: pixel coordinates, one style, the events."""
    alignment = {"bottom": 2, "middle": 5, "top": 8}[style.position]
    border_style, back = 1, ass_color("#00000080")
    outline_color = ass_color(style.outline_color)
    if style.box_color:
        border_style, outline_color = 3, ass_color(style.box_color)
        back = outline_color
    fields = [
        "Caption", font.family, f"{style.font_size:.1f}", ass_color(style.color),
        ass_color(style.highlight_color), outline_color, back,
        "-1" if font.bold else "0", "-1" if font.italic else "0", "0", "0", "100", "100",
        "0", "0", str(border_style), f"{style.outline:.1f}", f"{style.shadow:.1f}",
        str(alignment), str(style.margin_x), str(style.margin_x), str(style.margin_y), "1",
    ]
    head = [
        "[Script Info]",
        "; made by remixer captioned-video",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 2",
        "ScaledBorderAndShadow: yes",
        "YCbCr Matrix: TV.709",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        "Style: " + ",".join(fields),
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    body = [f"Dialogue: 0,{_time(e.start)},{_time(e.end)},Caption,,0,0,0,,{e.text}"
            for e in events]
    return "\n".join(head + body) + "\n"
