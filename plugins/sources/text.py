"""Plain-text source loader: paragraphs split on blank lines, title and headings guessed.

A first short line without final punctuation, followed by more text, is the title.
Later heading-like lines become sections: a line on its own between blank lines (short,
no final stop, in title case or numbered like "2.1 Stream"), a line underlined with
``===`` or ``---``, or a short first line of a block followed by much longer (wrapped)
lines. Lines of code or data ("A: 0") are not headings. Wrapped lines are
joined; bulleted or numbered lines become one paragraph per item.

A ``.rst`` file, or a ``.txt`` written in reStructuredText (Sphinx's ``_sources``), is
read by docutils instead (see :mod:`plugins.sources.rst`): its markup stripped, its
words kept.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import engine
from engine.artifacts import Document
from plugins.sources.rst import load_rst, looks_like_rst
from plugins.sources.textfile import DocumentBuilder, read_text
from engine.sentences import (is_list_item, looks_like_heading, split_paragraphs,
                                    strip_list_marker)

_UNDERLINE = re.compile(r"[=\-~*#]{3,}")
#: a section number before a heading: "2.", "2.1", "0.1."
_NUMBERING = re.compile(r"^(?:\d+\.)*\d+\.?\s+(?=[A-Za-z])")
#: words that stay lower case in a title ("The Case for Slow Streets")
_SMALL_WORDS = frozenset("a an and as at but by for from in into nor of on or over per the "
                         "to up via vs with".split())


def _title_case(line: str) -> bool:
    """Most words capitalised, small words aside: "What Changes When Streets Slow Down"."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'’-]*", line) if w.lower() not in _SMALL_WORDS]
    return len(words) >= 2 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _heading_line(line: str) -> bool:
    """A line that reads as a heading: short, no final stop, either title case or shaped
    like one once a section number is set aside ("2.2 More details on the table")."""
    if len(line.split()) > 12 or re.search(r"[.!?:;,]$", line):
        return False
    letters = sum(c.isalpha() for c in line)
    if letters < 0.6 * len(line.replace(" ", "")):
        return False  # "A: 0", "000: A,1": code or data, not a heading
    core = _NUMBERING.sub("", line).rstrip(")").strip()
    return _title_case(core) or looks_like_heading(core) or (
        core != line and bool(core) and core[0].isupper())


def _items(lines: list[str]) -> Iterator[str]:
    """Paragraphs of a block: one per list item, wrapped lines joined."""
    current: list[str] = []
    for line in lines:
        if is_list_item(line):
            if current:
                yield " ".join(current)
            current = [strip_list_marker(line)]
        else:
            current.append(line)
    if current:
        yield " ".join(current)


def _split_heading(lines: list[str], followed: bool) -> tuple[str | None, list[str]]:
    """The block's heading line, if it has one, and the lines after it."""
    if len(lines) >= 2 and _UNDERLINE.fullmatch(lines[1]):
        return lines[0], lines[2:]
    if not _heading_line(lines[0]):
        return None, lines
    if len(lines) == 1:
        return (lines[0], []) if followed else (None, lines)
    if len(lines[0]) < 0.6 * max(len(line) for line in lines[1:]):
        return lines[0], lines[1:]
    return None, lines


def _events(text: str) -> Iterator[tuple[str, str]]:
    """("heading", text) and ("paragraph", text) in reading order."""
    blocks = split_paragraphs(text)
    for i, lines in enumerate(blocks):
        heading, rest = _split_heading(lines, followed=i + 1 < len(blocks))
        if heading:
            yield "heading", heading
        for paragraph in _items(rest):
            yield "paragraph", paragraph


class TextLoader(engine.SourceLoader):
    """Plain-text articles (.txt), reStructuredText (.rst, or .txt written in it)."""

    name = "text"
    version = "3"  # 2: title-case and numbered headings detected; 3: reStructuredText
    extensions = (".txt", ".rst")
    produces = "document"

    def load(self, path: Path) -> Document:
        path = Path(path)
        text, encoding = read_text(path)
        builder = DocumentBuilder(path)
        if path.suffix.lower() == ".rst" or looks_like_rst(text):
            try:
                title, metadata = load_rst(text, builder)
            except RecursionError:  # nested deeper than docutils' parser goes: plain text
                builder = DocumentBuilder(path)
            else:
                return builder.build(title=title, metadata={**metadata, "encoding": encoding})
        events = list(_events(text))
        title = ""
        if events and events[0][0] == "heading":
            title = events.pop(0)[1]
        for kind, content in events:
            if kind == "heading":
                builder.heading(content, 1)
            else:
                builder.paragraph(content)
        return builder.build(title=title, metadata={"encoding": encoding})


@engine.hookimpl
def register_source_loaders(register):
    register(TextLoader)
