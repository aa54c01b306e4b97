"""Choosing self-contained highlights of a long recording from its timed words.

1. Sentences: the transcript's words split after sentence-ending punctuation
   (:func:`plugins.speech.alignment.segments_from_words`), each with its start and end time.
2. Salience: the offline extractive ranker's measures (:mod:`plugins.text.extractive`):
   TF-IDF vectors, TextRank over their similarity graph blended with similarity to the
   whole talk, scaled so the best sentence scores 1.
3. Candidates: every run of whole sentences lasting the target length ±20%.
4. Window score: mean salience (with a bonus for the best sentence in it), times
   completeness: a window should open a thought (not "So", "This", "But" ...; a pause
   before it helps), end on a full stop rather than a question left hanging, and
   hold few very short sentences; times closeness to the target length.
5. Ranking: greedily, best window first, skipping any that overlaps one already taken.
   The list is deterministic (ties break by time), so rank N of a target length is
   always the same window, and ranks of one length never overlap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from engine.artifacts import Word
from plugins.speech.alignment import segments_from_words
from plugins.speech.captions import ends_sentence
from plugins.text.extractive import _LEANING_OPENERS, _scaled, _terms, _textrank, _tfidf

#: a window may be this much shorter or longer than its target
TOLERANCE = 0.2
#: silence kept before the first and after the last word of a clip, at most
PAD = 0.25
#: a pause before a sentence at least this long marks a new thought
_THOUGHT_PAUSE = 0.6


@dataclass(frozen=True)
class Sentence:
    index: int
    text: str
    start: float
    end: float
    words: tuple[Word, ...]
    score: float = 0.0
    #: seconds of silence before it (inf for the first)
    pause_before: float = math.inf


@dataclass(frozen=True)
class Highlight:
    """One clip: whole sentences ``first..last`` and the times to cut."""

    rank: int
    target: float
    start: float
    end: float
    first: int
    last: int
    score: float
    title: str
    reason: str
    text: str
    factors: dict = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.end - self.start

    def manifest(self) -> dict:
        return {"rank": self.rank, "target_seconds": self.target,
                "start": round(self.start, 3), "end": round(self.end, 3),
                "duration": round(self.duration, 3), "sentences": [self.first, self.last],
                "score": round(self.score, 4), "title": self.title, "reason": self.reason,
                "text": self.text}


def sentences_of(words: Sequence[Word]) -> list[Sentence]:
    """Timed sentences with salience scores."""
    segments = segments_from_words([w for w in words if w.text.strip()])
    if not segments:
        return []
    texts = [s.text for s in segments]
    scores = _salience(texts)
    out, previous_end = [], None
    for i, (segment, score) in enumerate(zip(segments, scores)):
        pause = math.inf if previous_end is None else max(segment.start - previous_end, 0.0)
        out.append(Sentence(i, segment.text, segment.start, segment.end, segment.words,
                            float(score), pause))
        previous_end = segment.end
    return out


def _salience(texts: list[str]) -> list[float]:
    import numpy as np

    terms = [_terms(t) for t in texts]
    vectors = _tfidf(terms)
    if len(texts) == 1:
        return [1.0]
    rank = _scaled(_textrank(vectors))
    centroid: dict[str, float] = {}
    for vector in vectors:
        for t, w in vector.items():
            centroid[t] = centroid.get(t, 0.0) + w
    norm = math.sqrt(sum(w * w for w in centroid.values())) or 1.0
    central = np.array([sum(w * centroid.get(t, 0.0) for t, w in v.items()) / norm
                        for v in vectors])
    base = 0.6 * rank + 0.4 * _scaled(central)
    lengths = np.array([len(t.split()) for t in texts])
    base = base * np.where(lengths < 5, 0.5, 1.0)
    return list(_scaled(base))


def _opens_thought(sentence: Sentence) -> bool:
    first = sentence.text.split()[0].strip("\"'“‘(").rstrip(",;:").lower()
    return first not in _LEANING_OPENERS


def _window_score(sentences: Sequence[Sentence], i: int, j: int, target: float
                  ) -> tuple[float, dict]:
    run = sentences[i:j + 1]
    scores = [s.score for s in run]
    salience = 0.7 * (sum(scores) / len(scores)) + 0.3 * max(scores)
    factors = {"salience": round(salience, 3)}
    completeness = 1.0
    if not _opens_thought(run[0]):
        completeness *= 0.7
        factors["opens_mid_thought"] = True
    if run[0].pause_before >= _THOUGHT_PAUSE:
        completeness *= 1.1
        factors["after_pause"] = True
    last = run[-1].text.rstrip("\"'”’)")
    if last.endswith("?"):
        completeness *= 0.8
        factors["ends_on_question"] = True
    if not ends_sentence(run[-1].text):
        completeness *= 0.6
        factors["ends_mid_sentence"] = True
    short = sum(1 for s in run if len(s.text.split()) < 4)
    completeness *= 0.95 ** short
    duration = run[-1].end - run[0].start
    fit = 1.0 - 0.5 * abs(duration - target) / target
    factors.update(completeness=round(completeness, 3), length_fit=round(fit, 3))
    return salience * completeness * fit, factors


def rank_highlights(words: Sequence[Word], target: float, *, count: int | None = None,
                    tolerance: float = TOLERANCE, media_end: float | None = None
                    ) -> list[Highlight]:
    """Non-overlapping highlights of about ``target`` seconds, best first."""
    sentences = sentences_of(words)
    low, high = target * (1 - tolerance), target * (1 + tolerance)
    candidates = []
    for i in range(len(sentences)):
        for j in range(i, len(sentences)):
            duration = sentences[j].end - sentences[i].start
            if duration > high:
                break
            if duration >= low:
                score, factors = _window_score(sentences, i, j, target)
                candidates.append((score, i, j, factors))
    candidates.sort(key=lambda c: (-c[0], sentences[c[1]].start))
    taken: list[Highlight] = []
    best_sentence = sorted(range(len(sentences)), key=lambda k: (-sentences[k].score, k))
    place = {k: n for n, k in enumerate(best_sentence, 1)}
    for score, i, j, factors in candidates:
        if any(not (j < h.first or i > h.last) for h in taken):
            continue
        start, end = _padded(sentences, i, j, media_end)
        run = sentences[i:j + 1]
        top = max(run, key=lambda s: (s.score, -s.index))
        reason = _reason(run, top, place[top.index], len(sentences), end - start, target,
                         factors)
        taken.append(Highlight(len(taken) + 1, target, start, end, i, j, score,
                               title_of(top.text), reason, " ".join(s.text for s in run),
                               factors))
        if count is not None and len(taken) >= count:
            break
    return taken


def _padded(sentences: Sequence[Sentence], i: int, j: int, media_end: float | None
            ) -> tuple[float, float]:
    """Cut points a little outside the words, never into the neighbouring sentences."""
    before = sentences[i - 1].end if i > 0 else 0.0
    after = sentences[j + 1].start if j + 1 < len(sentences) else (media_end or math.inf)
    start = max(sentences[i].start - PAD, (before + sentences[i].start) / 2, 0.0)
    end = min(sentences[j].end + PAD, (sentences[j].end + after) / 2)
    if media_end is not None:
        end = min(end, media_end)
    return round(start, 3), round(end, 3)


def title_of(sentence: str, most: int = 8) -> str:
    """A short title from a sentence: its first clause or first ``most`` words."""
    words = sentence.split()
    cut = []
    for word in words:
        cut.append(word)
        if len(cut) >= 3 and word[-1:] in ",;:" or len(cut) >= most:
            break
    title = " ".join(cut).rstrip(",;:.!?—-").strip("\"'“”")
    if len(cut) < len(words) and cut[-1][-1:] not in ",;:.!?":
        title += "…"
    return title[:1].upper() + title[1:]


def _reason(run: Sequence[Sentence], top: Sentence, place: int, total: int, duration: float,
            target: float, factors: dict) -> str:
    parts = [f"{len(run)} whole sentence{'s' if len(run) > 1 else ''} "
             f"(#{run[0].index + 1}-#{run[-1].index + 1} of {total}), {duration:.1f} s for a "
             f"{target:g} s target",
             f"mean salience {factors['salience']:.2f}; holds the talk's #{place} sentence "
             f"of {total}"]
    if factors.get("after_pause"):
        parts.append("opens after a pause, on a new thought")
    elif factors.get("opens_mid_thought"):
        parts.append("opens on a word that leans on what came before (penalised)")
    if factors.get("ends_on_question"):
        parts.append("ends on a question (penalised)")
    return "; ".join(parts)
