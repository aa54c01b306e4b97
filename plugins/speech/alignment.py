"""Word timings for a known script: the exact script words, timed by a transcriber.

When we wrote the text (narration, podcasts), captions must show what was written, not
what a recogniser heard. :func:`align` takes the script and the recognised words of the
audio spoken from it and returns one timed word per script token (whitespace-separated,
punctuation and numbers kept as written).

Method: both sides are normalised to keys (lower case, letters and digits only: "1,500"
and "1500" meet, "Hello," and "hello" meet) and aligned with difflib's longest-matching-
block algorithm, which is monotonic, so a misheard word cannot pull a later one back in
time. Then, per difflib opcode:

* ``equal``: each script token takes its recognised word's times (the anchors);
* ``replace`` ("1,500" heard as "fifteen hundred", "colour" as "color"): the script
  tokens share the recognised span's time in proportion to how long they take to say;
* ``delete`` (script words the recogniser dropped): interpolated between the anchors
  around them;
* ``insert`` (words heard but not in the script): ignored.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Callable, Sequence

from engine.artifacts import Segment, Transcript, Word
from engine.transcribers import Transcriber
from plugins.speech.captions import ends_sentence

#: typical speaking rate, for placing script words before the first or after the last anchor
_SECONDS_PER_CHAR = 0.065
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def align(script: str, recognised: Sequence[Word], *, duration: float | None = None) -> list[Word]:
    """Timed words for exactly ``script.split()``; ``duration`` bounds the last ones."""
    tokens = script.split()
    if not tokens:
        return []
    heard = [w for w in recognised if w.text.strip()]
    spans: list[tuple[float, float] | None] = [None] * len(tokens)
    matcher = difflib.SequenceMatcher(None, [_key(t) for t in tokens],
                                      [_key(w.text) for w in heard], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                spans[i1 + k] = (heard[j1 + k].start, heard[j1 + k].end)
        elif tag == "replace":
            spans[i1:i2] = _spread(tokens[i1:i2], heard[j1].start, heard[j2 - 1].end)
    end = duration if duration is not None else (heard[-1].end if heard else None)
    _fill_gaps(tokens, spans, end)
    return _monotonic(tokens, spans)


def aligned_transcript(script: str, path: Path, transcriber: Transcriber, *,
                       language: str | None = None,
                       progress: Callable[[float], None] | None = None) -> Transcript:
    """Transcribe ``path`` and return the script's own words, timed, as a transcript.

    This is what narration and podcasts call on the audio they synthesised.
    """
    if progress:
        progress(0.0)   # say so at once: loading the model and decoding take a while
    heard = transcriber.transcribe(Path(path), language=language, progress=progress)
    words = align(script, heard.words(), duration=heard.duration)
    return Transcript(language=heard.language, duration=heard.duration, title=heard.title,
                      segments=tuple(segments_from_words(words)))


def segments_from_words(words: Sequence[Word]) -> list[Segment]:
    """One segment per sentence of timed words."""
    segments, current = [], []
    for word in words:
        current.append(word)
        if ends_sentence(word.text):
            segments.append(_segment(current))
            current = []
    if current:
        segments.append(_segment(current))
    return segments


def _segment(words: list[Word]) -> Segment:
    return Segment(start=words[0].start, end=words[-1].end,
                   text=" ".join(w.text for w in words), words=tuple(words))


def _key(token: str) -> str:
    return _NON_WORD.sub("", token.lower())


def _weight(token: str) -> float:
    """Roughly how long a token takes to say, in characters; digits are said as words
    ("2024" is "twenty twenty-four"), so each counts for three."""
    key = _key(token)
    return sum(3 if c.isdigit() else 1 for c in key) + 1


def _spread(tokens: Sequence[str], start: float, end: float) -> list[tuple[float, float]]:
    """Share [start, end] between tokens in proportion to their weights."""
    weights = [_weight(t) for t in tokens]
    total, span = sum(weights), max(end - start, 0.0)
    out, at = [], start
    for weight in weights:
        step = span * weight / total
        out.append((at, at + step))
        at += step
    return out


def _fill_gaps(tokens: Sequence[str], spans: list, end: float | None) -> None:
    """Give untimed runs of tokens times between the timed tokens around them (in place)."""
    index = 0
    while index < len(spans):
        if spans[index] is not None:
            index += 1
            continue
        stop = index
        while stop < len(spans) and spans[stop] is None:
            stop += 1
        run = tokens[index:stop]
        needed = sum(_weight(t) for t in run) * _SECONDS_PER_CHAR
        left = spans[index - 1][1] if index > 0 else None
        right = spans[stop][0] if stop < len(spans) else None
        if left is None and right is None:
            left, right = 0.0, end if end is not None else needed
        elif left is None:
            left = max(right - needed, 0.0)
        elif right is None:
            right = left + needed if end is None else min(max(end, left), left + needed)
        spans[index:stop] = _spread(run, left, right)
        index = stop


def _monotonic(tokens: Sequence[str], spans: list[tuple[float, float]]) -> list[Word]:
    words, floor = [], 0.0
    for token, (start, end) in zip(tokens, spans):
        start = max(start, floor)
        end = max(end, start)
        words.append(Word(text=token, start=round(start, 3), end=round(end, 3)))
        floor = start
    return words
