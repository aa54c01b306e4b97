"""A brand's wording rules applied to text: words to avoid and preferred terms.

Both match whole words and phrases, ignoring case ("AI" matches "ai" but not "said").
Avoided words steer selection (the extractive generator skips sentences that contain
one, and those that lean on such a sentence: :func:`avoided`); outputs that say every
sentence of a source (a podcast script, an explainer's plan) are made from
:func:`avoiding_document`. Preferred terms rewrite the source before anything is written
from it, so every output, and every character limit, already sees the wanted word.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from engine.artifacts import Document
from engine.sentences import split_sentences
from plugins.text.cohesion import Passage, passages


def _alternation(terms: Sequence[str]) -> str:
    # longest first, so "machine learning" wins over "machine"
    words = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)


def avoid_pattern(avoid: Sequence[str]) -> re.Pattern | None:
    """A pattern finding any of ``avoid`` as a whole word or phrase; None for none."""
    body = _alternation(avoid)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE) if body else None


def avoided_word(text: str, avoid: Sequence[str]) -> str | None:
    """The first word or phrase of ``avoid`` that ``text`` uses, as written there."""
    pattern = avoid_pattern(avoid)
    found = pattern.search(text) if pattern and text else None
    return found.group(0) if found else None


def avoided(sentences: Sequence[str], found: Sequence[Passage | None],
            avoid: Sequence[str]) -> frozenset[int]:
    """Which of ``sentences`` to leave out for ``avoid``: those containing one of its
    words, and those whose passage (``found``, from :func:`plugins.text.cohesion.passages`)
    includes such a sentence, as they lean on it or it completes them."""
    pattern = avoid_pattern(avoid)
    hits = frozenset(i for i, s in enumerate(sentences) if pattern and pattern.search(s))
    if not hits:
        return hits
    return hits | {i for i, p in enumerate(found)
                   if p is not None and hits.intersection(range(p.start, p.stop + 1))}


def avoiding_document(doc: Document, avoid: Sequence[str]) -> Document:
    """``doc`` without the sentences :func:`avoided` leaves out (a paragraph left with
    none is dropped). Its title and headings stay: they name the piece and its parts."""
    if not avoid_pattern(avoid):
        return doc
    split = [[split_sentences(p) for p in section.paragraphs] for section in doc.sections]
    sentences = [s for section in split for paragraph in section for s in paragraph]
    blocks = [n for n, section in enumerate(split) for paragraph in section for _ in paragraph]
    dropped = avoided(sentences, passages(sentences, blocks), avoid)
    if not dropped:
        return doc
    index, sections = 0, []
    for section, paragraphs in zip(doc.sections, split):
        kept = []
        for original, parts in zip(section.paragraphs, paragraphs):
            left = [s for k, s in enumerate(parts, start=index) if k not in dropped]
            index += len(parts)
            if len(left) == len(parts):
                kept.append(original)
            elif left:
                kept.append(" ".join(left))
        sections.append(section.model_copy(update={"paragraphs": tuple(kept)}))
    return doc.model_copy(update={"sections": tuple(sections)})


def _cased(found: str, wanted: str) -> str:
    """``wanted`` in the case of ``found``: all capitals stay capitals, a capital first
    letter stays capital, otherwise the wanted term as written (so "github" becomes
    "GitHub" when that is what is wanted)."""
    if len(found) > 1 and found.isupper():
        return wanted.upper()
    if found[:1].isupper():
        return wanted[:1].upper() + wanted[1:]
    return wanted


def prefer(text: str, preferred: Mapping[str, str]) -> str:
    """``text`` with each ``{used: wanted}`` term replaced, whole words, case kept."""
    body = _alternation(list(preferred))
    if not body or not text:
        return text
    table = {" ".join(k.lower().split()): v for k, v in preferred.items()}
    pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)
    return pattern.sub(lambda m: _cased(m.group(0), table[" ".join(m.group(0).lower().split())]),
                       text)


def preferred_document(doc: Document, preferred: Mapping[str, str]) -> Document:
    """``doc`` with its title, headings and paragraphs in the preferred terms."""
    if not preferred:
        return doc
    sections = tuple(section.model_copy(update={
        "heading": prefer(section.heading, preferred) if section.heading else section.heading,
        "paragraphs": tuple(prefer(p, preferred) for p in section.paragraphs)})
        for section in doc.sections)
    return doc.model_copy(update={"title": prefer(doc.title, preferred), "sections": sections})


def style_guide(tone: str, avoid: Sequence[str] = (), preferred: Mapping[str, str] = {}) -> str:
    """The tone guidance a writing model gets, with the brand's word rules spelled out."""
    lines = [tone.strip()] if tone.strip() else []
    if avoid:
        lines.append("Never use these words or phrases: " + ", ".join(avoid) + ".")
    if preferred:
        lines.append("Write " + "; ".join(f"{wanted!r}, not {used!r}"
                                         for used, wanted in preferred.items()) + ".")
    return "\n".join(lines)
