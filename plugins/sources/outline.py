"""Headings, paragraphs and figures of a structured document, collected into sections.

The loaders of PDF, Word, EPUB, slides and web pages find headings, paragraphs and
images in reading order and hand them here. Unlike plain-text sources, a section may
hold only figures (a slide that is a picture), so such sections are kept; a document
with no paragraph at all is refused with a one-line reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.artifacts import Document, Figure, Section
from engine.errors import SourceError
from engine.sentences import normalize_space
from plugins.sources.textfile import title_from_stem


@dataclass
class _Part:
    heading: str | None
    level: int
    paragraphs: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


@dataclass
class Outline:
    """Collects a document's parts in reading order; ``build`` makes the Document."""

    name: str
    parts: list[_Part] = field(default_factory=list)

    def heading(self, text: str, level: int = 1) -> None:
        text = normalize_space(text)
        if text:
            self.parts.append(_Part(text, min(max(level, 1), 6)))

    def _current(self) -> _Part:
        if not self.parts:
            self.parts.append(_Part(None, 1))
        return self.parts[-1]

    def paragraph(self, text: str) -> None:
        text = normalize_space(text)
        if text:
            self._current().paragraphs.append(text)

    def figure(self, figure: Figure | None) -> None:
        if figure is not None and figure not in self._current().figures:
            self._current().figures.append(figure)

    def build(self, *, title: str, metadata: dict[str, str], empty_hint: str) -> Document:
        sections = tuple(Section(heading=p.heading, level=p.level, paragraphs=tuple(p.paragraphs),
                                 figures=tuple(p.figures))
                         for p in self.parts if p.paragraphs or p.figures)
        if not any(s.paragraphs for s in sections):
            raise SourceError(f"{self.name} has no text to work with", hint=empty_hint)
        clean = {key: normalize_space(value) for key, value in metadata.items()
                 if value and normalize_space(value)}
        return Document(title=normalize_space(title) or title_from_stem(Path(self.name)),
                        metadata=clean, sections=sections)
