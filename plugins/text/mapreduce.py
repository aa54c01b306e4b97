"""Documents longer than a model's context: token estimates, chunking and map-reduce.

Token counts are estimated, not measured (no tokenizer download): about 1.35 tokens per
English word, and a quarter of the characters of any very long "word" (URLs, code,
scripts written without spaces), so the estimate errs on the safe side.

A long document is cut into parts along its structure: whole sections where they fit,
big sections at paragraph boundaries, a giant paragraph at sentences (then words), and
consecutive small pieces packed together up to the budget. Each part is summarised
("map"); the notes, in order and labelled with their headings, stand in for the
document in the final request ("reduce"). When the notes are still too long, they are
condensed the same way again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable

from engine.artifacts import Document
from engine.errors import GeneratorError
from engine.sentences import split_sentences

#: tokens per whitespace-separated English word
TOKENS_PER_WORD = 1.35
#: a "word" longer than this is counted by characters instead (len / 4 tokens)
_LONG_WORD = 24
#: per-message overhead of the chat format
_MESSAGE_TOKENS = 4
#: rounds of condensation before giving up
MAX_ROUNDS = 5


def _word_tokens(word: str) -> float:
    return len(word) / 4 if len(word) > _LONG_WORD else TOKENS_PER_WORD


def estimate_tokens(text: str) -> int:
    """Tokens ``text`` will take, estimated: 1.35 per word, long tokens by characters."""
    return math.ceil(sum(_word_tokens(word) for word in text.split()))


def estimate_messages(messages: Iterable[dict]) -> int:
    """Estimated prompt tokens of a chat request."""
    return sum(estimate_tokens(str(m.get("content") or "")) + _MESSAGE_TOKENS
               for m in messages)


def answer_tokens(words: float) -> int:
    """Tokens to allow for an answer of about ``words`` words (with room to overshoot)."""
    return math.ceil(TOKENS_PER_WORD * words * 1.15) + 40


def words_in(tokens: int) -> int:
    return max(0, int(tokens / TOKENS_PER_WORD))


def document_text(doc: Document) -> str:
    """The document as the model reads it: headings as ``## heading``, then paragraphs."""
    blocks: list[str] = []
    for section in doc.sections:
        if section.heading:
            blocks.append(f"## {section.heading}")
        blocks.extend(section.paragraphs)
    return "\n\n".join(blocks)


@dataclass(frozen=True)
class Piece:
    """A run of the document under one heading (None before the first heading)."""

    heading: str | None
    text: str

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text) + (estimate_tokens(self.heading) + 2
                                             if self.heading else 0)


@dataclass(frozen=True)
class Part:
    """A chunk sent in one map request: consecutive pieces, rendered with headings."""

    pieces: tuple[Piece, ...]

    @property
    def headings(self) -> list[str]:
        seen: list[str] = []
        for piece in self.pieces:
            if piece.heading and piece.heading not in seen:
                seen.append(piece.heading)
        return seen

    def text(self) -> str:
        blocks: list[str] = []
        current = None
        for piece in self.pieces:
            if piece.heading and piece.heading != current:
                blocks.append(f"## {piece.heading}")
            current = piece.heading
            blocks.append(piece.text)
        return "\n\n".join(blocks)

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text())


def _split_words(text: str, budget: int) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    used = 0.0
    for word in text.split():
        cost = _word_tokens(word)
        if current and used + cost > budget:
            out.append(" ".join(current))
            current, used = [], 0.0
        if cost > budget:  # one enormous token: cut by characters
            step = max(1, budget * 4)
            out.extend(word[i:i + step] for i in range(0, len(word), step))
            continue
        current.append(word)
        used += cost
    if current:
        out.append(" ".join(current))
    return out


def _group(units: list[str], budget: int, joiner: str) -> list[str]:
    """Greedily join consecutive units while the estimate stays within ``budget``."""
    groups: list[str] = []
    for unit in units:
        if groups and estimate_tokens(groups[-1]) + estimate_tokens(unit) <= budget:
            groups[-1] = f"{groups[-1]}{joiner}{unit}"
        else:
            groups.append(unit)
    return groups


def _fit_paragraph(paragraph: str, budget: int) -> list[str]:
    """A paragraph as pieces within ``budget``: whole, else sentences, else words."""
    if estimate_tokens(paragraph) <= budget:
        return [paragraph]
    units: list[str] = []
    for sentence in split_sentences(paragraph) or [paragraph]:
        units.extend([sentence] if estimate_tokens(sentence) <= budget
                     else _split_words(sentence, budget))
    return _group(units, budget, " ")


def pieces(doc: Document, budget: int) -> list[Piece]:
    """Whole sections within ``budget``; bigger ones split at paragraphs (then sentences)."""
    out: list[Piece] = []
    for section in doc.sections:
        room = budget - (estimate_tokens(section.heading) + 2 if section.heading else 0)
        whole = "\n\n".join(section.paragraphs)
        if not whole.strip():
            continue
        if estimate_tokens(whole) <= room:
            out.append(Piece(section.heading, whole))
            continue
        units = [u for p in section.paragraphs for u in _fit_paragraph(p, room)]
        out.extend(Piece(section.heading, text) for text in _group(units, room, "\n\n"))
    return out


def pack(items: list[Piece], budget: int) -> list[Part]:
    """Consecutive pieces packed into parts of at most ``budget`` tokens each."""
    parts: list[list[Piece]] = []
    for piece in items:
        if parts and Part(tuple(parts[-1]) + (piece,)).tokens <= budget:
            parts[-1].append(piece)
        else:
            parts.append([piece])
    return [Part(tuple(p)) for p in parts]


def label(part: Part, number: int, total: int) -> str:
    headings = part.headings
    where = f": {' / '.join(headings)}" if headings else ""
    return f"[Part {number} of {total}{where}]"


#: summarise(text, part_number, total_parts, words) -> notes on that part
Summariser = Callable[[str, int, int, int], str]


def condense(doc: Document, *, target: int, chunk_budget: int, max_words: int,
             summarise: Summariser, min_words: int = 30) -> str:
    """Notes on ``doc`` of at most ``target`` tokens, by map-reduce over its parts.

    ``chunk_budget`` is the most document tokens one map request may carry;
    ``max_words`` the longest note on one part (the map answer's reserved length).
    """
    if chunk_budget < 50:
        raise GeneratorError("the model's context leaves no room to read the source in parts",
                             hint="raise llm.context_tokens to the model's real context size")
    items = pieces(doc, chunk_budget)
    previous = sum(p.tokens for p in items)
    for _ in range(MAX_ROUNDS):
        parts = pack(items, chunk_budget)
        total = len(parts)
        words = max(min_words, min(max_words, int(words_in(target) * 0.85 / total)))
        notes: list[Piece] = []
        for number, part in enumerate(parts, start=1):
            summary = summarise(part.text(), number, total, words).strip()
            heading = label(part, number, total)
            notes.append(Piece(None, f"{heading}\n{summary}"))
        combined = "\n\n".join(n.text for n in notes)
        size = estimate_tokens(combined)
        if size <= target:
            return combined
        if size >= previous:
            break
        previous, items = size, notes
    raise GeneratorError(
        "the source is too long to condense into the model's context",
        hint="raise llm.context_tokens to the model's real context size, or split the source")
