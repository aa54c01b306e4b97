"""A pronunciation lexicon: how voices say a brand's words (``SQLite: S Q Lite``).

:func:`respell` rewrites a sentence for the voice engine: every entry matched as a whole
word (or words), case-insensitively, is replaced by its spoken form. The written
sentence stays what captions and word timings show: :func:`respell` also says which
spoken words each written word became, and :func:`written_timings` folds the engine's
timings of the spoken words back onto the written ones ("SQLite" lasts from the start of
"S" to the end of "Lite"). The engine's own normalisation (numbers, addresses) runs on
the spoken form afterwards, as on any text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from engine.artifacts import Word


@dataclass(frozen=True)
class Respelled:
    """A sentence as written and as spoken; ``groups[i]`` is the (start, end) range of
    spoken words that written word ``i`` became."""

    written: str
    spoken: str
    groups: tuple[tuple[int, int], ...]


def respell(text: str, lexicon: Mapping[str, str] | None) -> Respelled:
    """``text`` with every lexicon entry said as the lexicon says (see the module)."""
    tokens = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    pattern = _pattern(tuple(sorted((lexicon or {}).items())))
    if pattern is None or not tokens:
        return Respelled(text, text, tuple((i, i + 1) for i in range(len(tokens))))
    spoken_of = {_key(k): v.strip() for k, v in lexicon.items()}
    # the spoken text, and for each of its characters the written character it stands for
    pieces: list[str] = []
    origin: list[float] = []
    last = 0
    for match in pattern.finditer(text):
        pieces.append(text[last:match.start()])
        origin += [float(i) for i in range(last, match.start())]
        said = spoken_of[_key(match.group(0))]
        pieces.append(said)
        scale = (match.end() - match.start()) / max(len(said), 1)
        origin += [match.start() + i * scale for i in range(len(said))]
        last = match.end()
    pieces.append(text[last:])
    origin += [float(i) for i in range(last, len(text))]
    spoken = "".join(pieces)
    # each spoken word belongs to the written word its first character stands for
    owner = []
    for m in re.finditer(r"\S+", spoken):
        at = origin[m.start()]
        owner.append(max((i for i, (a, _) in enumerate(tokens) if a <= at), default=0))
    groups = []
    for i in range(len(tokens)):
        mine = [n for n, o in enumerate(owner) if o == i]
        if mine:
            groups.append((mine[0], mine[-1] + 1))
        else:   # a written word said together with the one before it
            before = max((n for n, o in enumerate(owner) if o < i), default=0)
            groups.append((before, before + 1))
    return Respelled(text, spoken, tuple(groups))


def _key(matched: str) -> str:
    return " ".join(matched.split()).casefold()


@functools.lru_cache(maxsize=64)
def _pattern(entries: tuple[tuple[str, str], ...]) -> re.Pattern | None:
    """One regex of every written form, longest first, whole words only."""
    if not entries:
        return None
    forms = sorted({" ".join(k.split()) for k, _ in entries}, key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(map(re.escape, f.split())) for f in forms)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def written_timings(spelled: Respelled, spoken_words: Sequence[Word]) -> tuple[Word, ...]:
    """The engine's timings of the spoken words as timings of the written words; none
    when the engine did not time every spoken word."""
    tokens = spelled.written.split()
    if len(spoken_words) != len(spelled.spoken.split()) or not tokens:
        return ()
    out = []
    for token, (first, end) in zip(tokens, spelled.groups):
        first, end = min(first, len(spoken_words) - 1), min(max(end, first + 1), len(spoken_words))
        out.append(Word(text=token, start=spoken_words[first].start,
                        end=spoken_words[end - 1].end))
    return tuple(out)


def lexicon_key(lexicon: Mapping[str, str] | None) -> list[list[str]]:
    """The lexicon as a cache key part (order-free)."""
    return sorted([k, v] for k, v in (lexicon or {}).items())
