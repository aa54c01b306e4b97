"""Plain-text source loader: paragraphs split on blank lines, title and headings guessed.

A first short line without final punctuation, followed by more text, is the title.
Later heading-like lines become sections: a line on its own (short, no final
punctuation, followed by a paragraph), a line underlined with ``===`` or ``---``, or a
short first line of a block followed by much longer (wrapped) lines. Wrapped lines are
joined; bulleted or numbered lines become one paragraph per item.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import engine
from engine.artifacts import Document
from plugins.sources.textfile import DocumentBuilder, read_text
from engine.sentences import (is_list_item, looks_like_heading, split_paragraphs,
                                    strip_list_marker)

_UNDERLINE = re.compile(r"[=\-~*#]{3,}")


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
    if not looks_like_heading(lines[0]):
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
    """Plain-text articles (.txt)."""

    name = "text"
    extensions = (".txt",)
    produces = "document"

    def load(self, path: Path) -> Document:
        path = Path(path)
        text, encoding = read_text(path)
        events = list(_events(text))
        title = ""
        if events and events[0][0] == "heading":
            title = events.pop(0)[1]
        builder = DocumentBuilder(path)
        for kind, content in events:
            if kind == "heading":
                builder.heading(content, 1)
            else:
                builder.paragraph(content)
        return builder.build(title=title, metadata={"encoding": encoding})


@engine.hookimpl
def register_source_loaders(register):
    register(TextLoader)
