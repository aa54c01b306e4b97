"""Readable caption cues from timed words, and SRT / WebVTT writers.

The rules (those of common broadcast and streaming style guides): a cue holds at most
two lines of at most 42 characters, stays on screen at least 1 second and at most 7,
ends at a sentence or clause boundary when it can, and never splits a word.

Cues are chosen by dynamic programming over the places between words: every possible
cue (a run of words that fits the limits) costs something, and the cheapest sequence of
cues covering all words wins. The cost prefers breaks after sentences, then clauses,
then pauses; it penalises cues that would flash by, that hold a long pause inside, that
straddle two sentences, and many small cues where fewer full ones read better. Greedy
filling cannot see that a slightly emptier cue now allows a sentence break two words
later; the DP can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from engine.artifacts import Segment, Transcript, Word

MAX_CHARS = 42
MAX_LINES = 2
MIN_SECONDS = 1.0
MAX_SECONDS = 7.0
#: a gap shorter than this between two cues is closed, so captions do not flicker
LINGER_SECONDS = 0.5

_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_CLAUSE_END = re.compile(r"[,;:—–-][\"'”’)\]]*$")

# costs of the DP (see the module docstring); only their relative sizes matter
_CUE_COST = 1.0
_BREAK_COST = {"sentence": 0.0, "pause": 0.5, "clause": 2.0, "none": 5.0}
#: a cue holding the end of one sentence and the start of the next
_STRADDLE_COST = 1.5
#: a cue filled to less than _SHORT_FILL of its capacity (scaled by how empty it is)
_SHORT_COST = 2.0
_SHORT_FILL = 0.35
_FLASH_COST = 6.0
_INNER_PAUSE_COST = 4.0
_PAUSE_SECONDS = 0.5
_INNER_PAUSE_SECONDS = 1.0


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


@dataclass(frozen=True)
class CueLimits:
    max_chars: int = MAX_CHARS
    #: one or two lines
    max_lines: int = MAX_LINES
    min_seconds: float = MIN_SECONDS
    max_seconds: float = MAX_SECONDS


def ends_sentence(token: str) -> bool:
    """Whether a word ends a sentence ("dog.", "right?!", "end.)")."""
    return _SENTENCE_END.search(token) is not None


def transcript_cues(transcript: Transcript, limits: CueLimits = CueLimits()) -> list[Cue]:
    """Cues for a transcript; segments without word timings get estimated ones."""
    words = [w for segment in transcript.segments
             for w in (segment.words or estimate_words(segment))]
    return cues_from_words(words, limits)


def estimate_words(segment: Segment) -> list[Word]:
    """Word timings spread over a segment in proportion to word length (subtitle files)."""
    tokens = segment.text.split()
    weights = [len(t) + 1 for t in tokens]
    total, span = sum(weights), segment.end - segment.start
    words, at = [], segment.start
    for token, weight in zip(tokens, weights):
        end = at + span * weight / total
        words.append(Word(text=token, start=round(at, 3), end=round(end, 3)))
        at = end
    return words


def cues_from_words(words: Sequence[Word], limits: CueLimits = CueLimits()) -> list[Cue]:
    """Split timed words into readable cues (see the module docstring)."""
    words = [w for w in words if w.text.strip()]
    if not words:
        return []
    cuts = _best_cuts(words, limits)
    cues = [Cue(words[i].start, words[j - 1].end,
                _wrap([w.text for w in words[i:j]], limits))
            for i, j in zip(cuts, cuts[1:])]
    return _retime(cues, limits)


def _best_cuts(words: Sequence[Word], limits: CueLimits) -> list[int]:
    """Indices where cues start, plus len(words): the cheapest feasible segmentation."""
    n = len(words)
    best = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        chars = -1
        for i in range(j - 1, -1, -1):
            chars += len(words[i].text) + 1
            single = i == j - 1
            too_long = words[j - 1].end - words[i].start > limits.max_seconds
            if not single and (chars > limits.max_chars * limits.max_lines or too_long):
                break
            lines = _wrap([w.text for w in words[i:j]], limits)
            if lines is None:
                continue
            cost = best[i] + _cue_cost(words, i, j, chars, limits)
            if cost < best[j]:
                best[j], back[j] = cost, i
    cuts = [n]
    while cuts[-1] > 0:
        cuts.append(back[cuts[-1]])
    return cuts[::-1]


def _cue_cost(words: Sequence[Word], i: int, j: int, chars: int, limits: CueLimits) -> float:
    short_of = _SHORT_FILL * limits.max_chars * limits.max_lines
    cost = _CUE_COST + _SHORT_COST * max(0.0, 1 - chars / short_of)
    if any(ends_sentence(w.text) for w in words[i:j - 1]):
        cost += _STRADDLE_COST
    if j < len(words):
        cost += _BREAK_COST[_break_kind(words[j - 1], words[j])]
        shown = words[j].start - words[i].start
    else:
        shown = max(words[j - 1].end - words[i].start, limits.min_seconds)
    if shown < limits.min_seconds:
        cost += _FLASH_COST
    if any(b.start - a.end > _INNER_PAUSE_SECONDS for a, b in zip(words[i:j - 1], words[i + 1:j])):
        cost += _INNER_PAUSE_COST
    return cost


def _break_kind(before: Word, after: Word) -> str:
    if ends_sentence(before.text):
        return "sentence"
    if after.start - before.end >= _PAUSE_SECONDS:
        return "pause"
    if _CLAUSE_END.search(before.text):
        return "clause"
    return "none"


def _wrap(tokens: list[str], limits: CueLimits) -> tuple[str, ...] | None:
    """The tokens as one line, or two balanced lines broken after punctuation if possible.

    None if they do not fit. A single token longer than a line (a URL) gets a line of
    its own rather than being split.
    """
    text = " ".join(tokens)
    if len(text) <= limits.max_chars or len(tokens) == 1:
        return (text,)
    if limits.max_lines < 2:
        return None
    best, best_score = None, float("inf")
    for k in range(1, len(tokens)):
        first, second = " ".join(tokens[:k]), " ".join(tokens[k:])
        fits = all(len(line) <= limits.max_chars or " " not in line for line in (first, second))
        if not fits:
            continue
        punctuated = ends_sentence(first) or _CLAUSE_END.search(first)
        score = abs(len(first) - len(second)) - (10 if punctuated else 0)
        if score < best_score:
            best, best_score = (first, second), score
    return best


def _retime(cues: list[Cue], limits: CueLimits) -> list[Cue]:
    """Stretch cues to the minimum duration, close flicker gaps, cap at the maximum.

    A cue never runs into the next one.
    """
    out = []
    for index, cue in enumerate(cues):
        next_start = cues[index + 1].start if index + 1 < len(cues) else float("inf")
        end = max(cue.end, cue.start + limits.min_seconds)
        if next_start - end < LINGER_SECONDS:
            end = next_start
        end = min(end, next_start, cue.start + limits.max_seconds)
        out.append(Cue(round(cue.start, 3), round(max(end, cue.start), 3), cue.lines))
    return out


# --------------------------------------------------------------------------- writers

def to_srt(cues: Sequence[Cue]) -> str:
    """SubRip text: numbered cues, ``HH:MM:SS,mmm`` times."""
    blocks = [f"{n}\n{_timestamp(c.start, ',')} --> {_timestamp(c.end, ',')}\n"
              + "\n".join(c.lines) + "\n" for n, c in enumerate(cues, 1)]
    return "\n".join(blocks)


def to_vtt(cues: Sequence[Cue]) -> str:
    """WebVTT text; ``&``, ``<`` and ``>`` in captions are escaped as the format requires."""
    blocks = [f"{_timestamp(c.start, '.')} --> {_timestamp(c.end, '.')}\n"
              + "\n".join(_vtt_escape(line) for line in c.lines) + "\n" for c in cues]
    return "\n".join(["WEBVTT\n", *blocks])


def _vtt_escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _timestamp(seconds: float, decimal: str) -> str:
    millis = round(max(seconds, 0.0) * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{millis:03d}"
