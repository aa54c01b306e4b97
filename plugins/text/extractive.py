"""The built-in offline text generator: it writes by choosing sentences of the source.

Ranking. Sentences are TF-IDF vectors (stopwords removed, light suffix stemming). Each
gets a TextRank score (PageRank over the cosine-similarity graph) blended with its
similarity to the whole document, then priors: early sentences, section and paragraph
openers and sentences sharing words with the title or their heading score higher;
fragments, very short or very long sentences, questions and sentences that lean on the
one before ("This", "However") score lower.

Scale. A full similarity graph is quadratic, so the graph is restricted to blocks of
``_BLOCK`` consecutive sentences (a whole article is one block); the similarity to the
document centroid keeps scores comparable across blocks. A 100,000-word document ranks
in about a second.

Everything is deterministic: no randomness, and every ordering breaks ties by position.
"""

from __future__ import annotations

import copy
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

import engine
from engine.artifacts import Document
from engine.textgen import thread_room
from plugins.text.cohesion import announces, completes, dependency, passages, standalone
from plugins.text.questions import title_question
from plugins.text.wording import avoid_pattern, avoided
from engine.sentences import (STOPWORDS, compress, compressions, count_words,
                                    ends_sentence, normalize_space, split_sentences,
                                    split_to_fit, truncate_words)

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

#: sentences per TextRank graph
_BLOCK = 300
_DAMPING = 0.85
#: summary length tolerance, as a fraction of the target
_TOLERANCE = 0.2
#: cosine above which two sentences say the same thing
_REDUNDANT = 0.6
#: key points longer than this are compressed at a clause boundary
_POINT_WORDS = 30
#: first words that refer back to the previous sentence
_LEANING_OPENERS = frozenset("""
this that these those it its they their he she his her but and so however also then
such yet or still instead meanwhile moreover furthermore therefore thus
""".split())
_SUFFIXES = (("ational", "ate"), ("ization", "ize"), ("iveness", "ive"), ("fulness", "ful"),
             ("ousness", "ous"), ("ities", "ity"), ("ies", "y"), ("sses", "ss"), ("ing", ""),
             ("edly", ""), ("ed", ""), ("ly", ""), ("ss", "ss"), ("us", "us"), ("is", "is"),
             ("s", ""))
_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
#: inline markup a plain-text source may carry (reStructuredText ``literal``, Markdown
#: and reStructuredText **strong**): the words are kept, the marks are not
_MARKUP = re.compile(r"``(?=\S)([^`\n]+?)(?<=\S)``"
                     r"|(?<![\w*])\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*(?![\w*])")
#: a bracketed pointer elsewhere in the source ("(see the table above)", "(see Section
#: 3.1.2)"): it claims nothing, and what it points at is not in what is written
_POINTER = re.compile(r"\s*\((?:see|cf\.?)\s[^()]*\)(?=[\s.,;:!?]|$)", re.I)
#: a full stop a transcriber put inside a sentence ("a moment from it. and that clip"),
#: not an abbreviation's
_FALSE_STOP = re.compile(r"\b(?!(?:etc|approx|incl|misc|dept|est|fig|figs|vol|vols|min|max|"
                         r"avg|ref|refs|sec|resp|viz|ibid|seq|al|vs|cf|ca|no|nos|pp|ed|eds|op|"
                         r"jr|sr|st|co|mt|inc|ltd)\.)([A-Za-z]{2,})\. (?=(?-i:[a-z]))", re.I)
#: what a speaker says to the room rather than about the subject: never a point
_PHATIC = re.compile(r"^[\"'“‘(]*(?:hello|hi|hey|welcome|good (?:morning|afternoon|evening)|"
                     r"thank you|thanks(?! to))(?=[\s,!.])", re.I)


def _plain(text: str) -> str:
    """``text`` without inline markup marks ("it is **much** easier" -> "it is much
    easier"), bracketed pointers elsewhere in the source, and full stops a transcriber
    put inside a sentence."""
    text = _MARKUP.sub(lambda m: m.group(1) or m.group(2), text)
    return _FALSE_STOP.sub(r"\1 ", _POINTER.sub("", text))


# --------------------------------------------------------------------------- terms

@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    """Strip common inflections so "planted", "planting" and "plants" meet."""
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[:-len(suffix)] + replacement
    return word


def _terms(text: str) -> list[str]:
    """Stemmed content words; possessives lose their 's, other contractions are dropped."""
    terms = []
    for token in _TOKEN.findall(text.lower()):
        if token.endswith(("'s", "’s")):
            token = token[:-2]
        if len(token) > 1 and token not in STOPWORDS and token.isalnum():
            terms.append(_stem(token))
    return terms


def _tfidf(term_lists: list[list[str]]) -> list[dict[str, float]]:
    """Unit-length sublinear TF-IDF vectors, one per sentence (sentences as documents)."""
    df: Counter[str] = Counter()
    for terms in term_lists:
        df.update(set(terms))
    n = len(term_lists)
    idf = {term: math.log((1 + n) / (1 + count)) + 1 for term, count in df.items()}
    vectors = []
    for terms in term_lists:
        weights = {t: (1 + math.log(c)) * idf[t] for t, c in Counter(terms).items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        vectors.append({t: w / norm for t, w in weights.items()})
    return vectors


def _similarity(vectors: list[dict[str, float]]) -> "np.ndarray":
    """Cosine similarity matrix of unit vectors (dense over their shared vocabulary)."""
    import numpy as np

    vocabulary: dict[str, int] = {}
    rows, cols, values = [], [], []
    for row, vector in enumerate(vectors):
        for term, weight in vector.items():
            rows.append(row)
            cols.append(vocabulary.setdefault(term, len(vocabulary)))
            values.append(weight)
    matrix = np.zeros((len(vectors), max(1, len(vocabulary))))
    matrix[rows, cols] = values
    return matrix @ matrix.T


def _textrank(vectors: list[dict[str, float]]) -> "np.ndarray":
    """PageRank over the similarity graph, scaled so the mean score is 1."""
    import numpy as np

    n = len(vectors)
    similarity = _similarity(vectors)
    np.fill_diagonal(similarity, 0.0)
    totals = similarity.sum(axis=1, keepdims=True)
    transition = np.divide(similarity, totals, out=np.full_like(similarity, 1.0 / n),
                           where=totals > 0)
    rank = np.full(n, 1.0 / n)
    for _ in range(100):
        updated = (1 - _DAMPING) / n + _DAMPING * (transition.T @ rank)
        converged = np.abs(updated - rank).sum() < 1e-9
        rank = updated
        if converged:
            break
    return rank * n


# --------------------------------------------------------------------------- analysis

@dataclass(frozen=True)
class _Unit:
    """One sentence of the document and where it sits."""

    index: int
    text: str
    words: int
    section: int
    paragraph: int
    first_in_section: bool
    first_in_paragraph: bool

    @property
    def terminal(self) -> bool:
        return ends_sentence(self.text)

    @property
    def prose(self) -> bool:
        """Ends like a sentence, is mostly letters (not ASCII art or a rule line) and
        is about the subject (not "Hello everyone and thank you for coming.")."""
        return self.terminal and _mostly_letters(self.text) and not _PHATIC.match(self.text)


def _mostly_letters(text: str) -> bool:
    """At least half of what is printed is letters."""
    visible = [c for c in text if not c.isspace()]
    return sum(c.isalpha() for c in visible) >= 0.5 * len(visible)


def _units(doc: Document) -> list[_Unit]:
    units: list[_Unit] = []
    paragraph_number = 0
    for section_number, section in enumerate(doc.sections):
        for p, paragraph in enumerate(section.paragraphs):
            for s, sentence in enumerate(split_sentences(_plain(paragraph))):
                units.append(_Unit(len(units), sentence, count_words(sentence),
                                   section_number, paragraph_number, p == 0 and s == 0,
                                   s == 0))
            paragraph_number += 1
    return units


def _prior(unit: _Unit, n: int, heading_overlap: float) -> float:
    """Multiplier for a sentence's score from its position, shape and opening word."""
    boost = (1 + 0.35 * math.exp(-unit.index / max(2.0, 0.04 * n))
             + 0.1 * unit.first_in_section + 0.05 * unit.first_in_paragraph
             + 0.25 * heading_overlap)
    if unit.words < 6:
        boost *= 0.3
    elif unit.words < 10:
        boost *= 0.8
    elif unit.words > 40:
        boost *= 40 / unit.words
    first_word = unit.text.split()[0].strip("\"'“‘(").rstrip(",;:").lower()
    if first_word in _LEANING_OPENERS:
        boost *= 0.85
    if not unit.prose:
        boost *= 0.4
    elif unit.text.rstrip("\"'”’)").endswith("?"):
        boost *= 0.85
    return boost


class _Ranking:
    """A document's sentences, their vectors and scores."""

    #: sentences never to use (they contain a word to avoid): see :meth:`without`
    skipped: frozenset[int] = frozenset()

    def __init__(self, doc: Document):
        import numpy as np

        self.units = _units(doc)
        self._views: dict[tuple[str, ...], _Ranking] = {}
        n = len(self.units)
        #: for each sentence, the passage that reads alone around it (None: none does)
        self.passages = passages([u.text for u in self.units], [u.section for u in self.units])
        terms = [_terms(u.text) for u in self.units]
        self.vectors = _tfidf(terms)
        textrank = np.zeros(n)
        blocks = math.ceil(n / _BLOCK)
        for b in range(blocks):
            start, stop = b * n // blocks, (b + 1) * n // blocks
            textrank[start:stop] = _textrank(self.vectors[start:stop])
        base = 0.6 * _scaled(textrank) + 0.4 * _scaled(self._centrality())
        headings = [set(_terms(doc.title + " " + (s.heading or ""))) for s in doc.sections]
        self.scores = [float(base[u.index]) * _prior(u, n, _overlap(terms[u.index],
                                                                    headings[u.section]))
                       for u in self.units]

    def _centrality(self) -> "np.ndarray":
        """Cosine of each sentence with the document's centroid."""
        import numpy as np

        centroid: Counter[str] = Counter()
        for vector in self.vectors:
            centroid.update(vector)
        norm = math.sqrt(sum(w * w for w in centroid.values())) or 1.0
        return np.array([sum(w * centroid[t] for t, w in v.items()) / norm
                         for v in self.vectors])

    def without(self, avoid: Sequence[str]) -> "_Ranking":
        """This ranking with every sentence containing a word of ``avoid`` skipped, and
        every passage that includes one (so no kept sentence leans on a skipped one).
        Remembered per list, as every output of a step's source asks with the same one."""
        key = tuple(avoid)
        if key not in self._views:
            skipped = avoided([u.text for u in self.units], self.passages, avoid)
            view = self
            if skipped:
                view = copy.copy(self)
                view.skipped = skipped
                view.passages = [None if i in skipped else p for i, p in enumerate(self.passages)]
            self._views[key] = view
        return self._views[key]

    def pool(self, *, limit: int, min_words: int = 4) -> list[int]:
        """Indices of the best whole sentences, best first (fragments only if nothing else)."""
        eligible = [u.index for u in self.units if u.prose and u.words >= min_words
                    and self.passages[u.index] is not None]
        eligible = eligible or [u.index for u in self.units if u.index not in self.skipped]
        eligible.sort(key=lambda i: (-self.scores[i], i))
        return eligible[:limit]

    def opening(self, index: int) -> str:
        """Sentence ``index`` as it reads without the one before it (connectives and
        additive words dropped when that is safe; unchanged otherwise)."""
        return standalone(self.units[index].text) or self.units[index].text

    def passage(self, index: int) -> "_Option | None":
        """The passage around sentence ``index`` that reads alone, as an option."""
        found = self.passages[index]
        if found is None:
            return None
        indices = tuple(range(found.start, found.stop + 1))
        texts = (self.opening(found.start), *(self.units[k].text for k in indices[1:]))
        text = " ".join(texts)
        return _Option(indices, text, count_words(text),
                       sum(self.scores[k] * self.units[k].words for k in indices))

    def similarity(self, indices: list[int]) -> "np.ndarray":
        return _similarity([self.vectors[i] for i in indices])

    def distinct(self, indices: list[int]) -> list[int]:
        """``indices`` without sentences redundant with a better one before them."""
        similarity = self.similarity(indices)
        kept: list[int] = []
        for a in range(len(indices)):
            if not kept or similarity[a, kept].max() < _REDUNDANT:
                kept.append(a)
        return [indices[a] for a in kept]


def _scaled(values: "np.ndarray") -> "np.ndarray":
    top = values.max() if len(values) else 0.0
    return values / top if top > 0 else values


def _overlap(terms: list[str], heading: set[str]) -> float:
    """Share of the title and heading words a sentence repeats (at most 4 count)."""
    if not heading:
        return 0.0
    return min(1.0, len(heading.intersection(terms)) / min(len(heading), 4))


# --------------------------------------------------------------------------- selection

@dataclass(frozen=True)
class _Option:
    """A way to use a passage (one sentence, or a sentence with those it leans on), whole
    or compressed, and what it adds to a summary.

    ``value`` is the sentences' scores times their lengths: a summary of a fixed length
    is worth the average score of its words, so long good sentences are not crowded out
    by short mediocre ones. ``compressed`` options are shortened at a clause and are
    always used as written.
    """

    indices: tuple[int, ...]
    text: str
    words: int
    value: float
    compressed: bool = False

    @property
    def index(self) -> int:
        return self.indices[0]


def _knapsack(groups: list[list[_Option]], lo: int, hi: int,
              target: int) -> list[_Option] | None:
    """The best-scoring choice of at most one option per group with lo..hi words.

    Among feasible totals, each word away from ``target`` costs twice the pool's mean
    value per word, so the result sits near the target rather than at the upper bound.
    None when no combination lands in range.
    """
    import numpy as np

    if hi < max(lo, 1):
        return None
    dp = np.full(hi + 1, -np.inf)
    dp[0] = 0.0
    choices = np.zeros((len(groups), hi + 1), dtype=np.int16)
    for g, options in enumerate(groups):
        best = dp.copy()
        for k, option in enumerate(options, start=1):
            if option.words > hi:
                continue
            shifted = np.full(hi + 1, -np.inf)
            shifted[option.words:] = dp[:hi + 1 - option.words] + option.value
            better = shifted > best
            best[better] = shifted[better]
            choices[g, better] = k
        dp = best
    all_options = [o for options in groups for o in options]
    per_word = sum(o.value for o in all_options) / max(1, sum(o.words for o in all_options))
    totals = np.arange(hi + 1)
    objective = dp - 2 * per_word * np.abs(totals - target)
    objective[:lo] = -np.inf
    if not np.isfinite(objective).any():
        return None
    total = int(np.argmax(objective))
    picked = []
    for g in range(len(groups) - 1, -1, -1):
        k = choices[g, total]
        if k:
            option = groups[g][k - 1]
            picked.append(option)
            total -= option.words
    return sorted(picked, key=lambda o: o.index)


def _render(ranking: _Ranking, picked: list[_Option]) -> list[tuple[_Unit, str]]:
    """The picked passages as sentences: a passage that follows the sentence before it
    in the source keeps its opening as written ("However, ..."), else it reads alone."""
    sentences: list[tuple[_Unit, str]] = []
    for option in picked:
        first = ranking.units[option.index]
        previous = sentences[-1][0] if sentences else None
        if option.compressed:
            sentences.append((first, option.text))
            continue
        follows = previous is not None and previous.index == first.index - 1 \
            and previous.section == first.section
        for k in option.indices:
            unit = ranking.units[k]
            sentences.append((unit, unit.text if k != first.index or follows
                              else ranking.opening(k)))
    return sentences


def _compressed_group(option: _Option) -> list[_Option]:
    """The sentence whole and every clause-level compression of it (worth a little less
    per word than the whole sentence)."""
    group = [option]
    if len(option.indices) > 1:
        return group
    for text in compressions(option.text):
        words = count_words(text)
        group.append(_Option(option.indices, text, words,
                             0.8 * option.value * words / option.words, compressed=True))
    return group


def _passage_groups(ranking: _Ranking, indices: list[int]) -> list[list[_Option]]:
    """The passages around ``indices``, grouped by where they start: passages nest, so
    choosing at most one per group never repeats a sentence."""
    groups: dict[int, dict[tuple[int, ...], _Option]] = {}
    for i in indices:
        option = ranking.passage(i)
        if option is not None:
            groups.setdefault(option.index, {})[option.indices] = option
    return [sorted(group.values(), key=lambda o: o.indices) for _, group in sorted(groups.items())]


def _select(ranking: _Ranking, target: int) -> list[_Option]:
    """Passages for a summary of about ``target`` words, in document order."""
    lo, hi = math.ceil(target * (1 - _TOLERANCE)), math.floor(target * (1 + _TOLERANCE))
    units = [u for u in ranking.units if u.index not in ranking.skipped]
    if not units:
        return []
    readable = sorted({k for u in units if u.prose and (found := ranking.passages[u.index])
                       for k in range(found.start, found.stop + 1)})
    everything = readable or [u.index for u in units]  # (nothing reads alone: all)
    if sum(ranking.units[k].words for k in everything) <= hi:  # all of it fits
        return [_Option((k,), ranking.units[k].text, ranking.units[k].words,
                        ranking.scores[k] * ranking.units[k].words) for k in everything]
    mean_words = max(1.0, sum(u.words for u in units) / len(units))
    limit = max(24, 3 * math.ceil(hi / mean_words))
    pool = ranking.distinct(ranking.pool(limit=2 * limit))[:limit]
    groups = _passage_groups(ranking, pool) or [  # nothing reads alone: the sentences
        [_Option((i,), ranking.opening(i), count_words(ranking.opening(i)),
                 ranking.scores[i] * ranking.units[i].words)] for i in pool]
    picked = _knapsack(groups, lo, hi, target)
    if picked is None:
        groups = [[o for option in group for o in _compressed_group(option)]
                  for group in groups]
        picked = _knapsack(groups, lo, hi, target)
        if picked is None:  # nothing lands in range: the single closest option
            candidates = [o for group in groups for o in group]
            picked = [min(candidates, key=lambda o: (abs(o.words - target), -o.value,
                                                     o.index))]
    return picked


_RANKINGS: dict[tuple, _Ranking] = {}
_RANKINGS_KEPT = 8


def _ranking(doc: Document, avoid: Sequence[str] = ()) -> _Ranking:
    """The ranking of a document, remembered for the last few documents, without the
    sentences that contain a word of ``avoid``.

    A recipe asks for several outputs of the same source (summaries of three lengths,
    key points, a thread), and ranking is most of the work of each.
    """
    key = (doc.title, doc.sections)
    if key not in _RANKINGS:
        if len(_RANKINGS) >= _RANKINGS_KEPT:
            _RANKINGS.pop(next(iter(_RANKINGS)))
        _RANKINGS[key] = _Ranking(doc)
    return _RANKINGS[key].without(avoid)


def _hook(doc: Document, avoid: Sequence[str]) -> str:
    """The question built from the title, unless it says a word to avoid."""
    hook = title_question(doc.title, doc.text())
    pattern = avoid_pattern(avoid)
    return "" if not hook or (pattern and pattern.search(hook)) else hook


# --------------------------------------------------------------------------- generator

class ExtractiveGenerator(engine.TextGenerator):
    """Offline and deterministic: every output is made of the source's own sentences."""

    name = "extractive"
    # 3: mid-sentence "this X" and "another" lean; fragments, ASCII art and greetings are
    # never chosen; a lead-in keeps what it announces; markup, "(see ...)" and false stops
    # left out; a thread's last post can be shorter; no hook from a generic title;
    # 4: a sentence pointing ahead at a list ("The following ... are supported.") is never
    # read without it
    version = "4"

    def summarize(self, doc: Document, *, words: int, tone: str = "",
                  avoid: Sequence[str] = ()) -> str:
        """Whole sentences in document order, ``words`` +-20% when the document allows.

        A document within the range is returned whole. Paragraph breaks follow the
        source's sections (and long paragraphs) when the summary is over 100 words.
        """
        pattern = avoid_pattern(avoid)
        if doc.word_count() <= words * (1 + _TOLERANCE) \
                and not (pattern and pattern.search(doc.text())):
            return "\n\n".join(_readable([_plain(p) for p in doc.paragraphs()])) \
                or doc.text()
        ranking = _ranking(doc, avoid)
        paragraphs: list[list[str]] = []
        previous: _Unit | None = None
        for unit, text in _render(ranking, _select(ranking, words)):
            leaning = _leans(previous, unit, text)
            if not paragraphs or (words > 100 and previous is not None and not leaning and (
                    unit.section != previous.section
                    or (unit.paragraph != previous.paragraph
                        and count_words(" ".join(paragraphs[-1])) >= 80))):
                paragraphs.append([])
            paragraphs[-1].append(text)
            previous = unit
        return "\n\n".join(" ".join(p) for p in paragraphs)

    def key_points(self, doc: Document, *, count: int, tone: str = "",
                   avoid: Sequence[str] = ()) -> list[str]:
        """Up to ``count`` distinct sentences (MMR) that read alone, in document order,
        compressed at a clause boundary when longer than 30 words. Fewer when the
        document has fewer."""
        if count < 1:
            return []
        ranking = _ranking(doc, avoid)
        alone = [i for i in ranking.pool(limit=max(40, 4 * count), min_words=6)
                 if ranking.passages[i] is not None
                 and (ranking.passages[i].start, ranking.passages[i].stop) == (i, i)]
        pool = ranking.distinct(alone) if alone else []
        texts, scores = {}, {}
        for i in pool:
            text = ranking.opening(i)
            short = text if count_words(text) <= _POINT_WORDS else compress(
                text, max_words=_POINT_WORDS)
            texts[i] = short or text
            scores[i] = ranking.scores[i] * (1.0 if short else 0.7)
        chosen = _mmr([scores[i] for i in pool], ranking.similarity(pool),
                      [ranking.units[i].section for i in pool], count)
        return [texts[i] for i in sorted(pool[a] for a in chosen)]

    def social_post(self, doc: Document, *, max_chars: int, tone: str = "",
                    avoid: Sequence[str] = ()) -> str:
        """A hook and the point: a question built from the title (or, when the title
        makes none that fits, the most quotable passage), then the best passage that
        reads alone and fits. Never the input text unchanged, never a bare title line.
        Falls back to a clause compression, then a word-boundary cut."""
        ranking = _ranking(doc, avoid)
        hook = _hook(doc, avoid)
        if hook and len(hook) + 1 + 20 > max_chars:
            hook = ""
        point = _post_point(ranking, max_chars - (len(hook) + 1 if hook else 0))
        if point is None:
            return _post_fallback(ranking, max_chars)
        if not hook:
            quote = _quotable(ranking, max_chars - len(point.text) - 2, exclude=point.indices)
            if quote is not None:
                first, second = sorted((quote, point), key=lambda o: o.index)
                post = f"{first.text} {second.text}" if first.indices[-1] + 1 == second.index \
                    else f"{quote.text}\n\n{point.text}"
                if normalize_space(post) != normalize_space(doc.text()):
                    return post  # (else the input itself: the point alone)
        post = f"{hook} {point.text}".strip()
        if normalize_space(post) == normalize_space(doc.text()):  # no hook and one passage
            short = compress(point.text, max_chars=max_chars)
            post = short or post
        return post

    def dialogue(self, doc: Document, *, hosts: list[str], words: int,
                 tone: str = "") -> list[tuple[str, str, str | None]]:
        """A conversation written offline by ``plugins.text.podcast_script.write_dialogue``,
        each section's key sentences picked by this generator's ranking (``summarize``)."""
        from plugins.text.podcast_script import generator_picker, write_dialogue

        script = write_dialogue(doc, list(hosts), target_minutes=words / 150,
                                words_per_minute=150, key_sentences=generator_picker(self))
        return [(turn.speaker, turn.text, turn.chapter) for turn in script.turns]

    def thread(self, doc: Document, *, max_chars: int, max_posts: int,
               tone: str = "", avoid: Sequence[str] = (),
               last_max_chars: int | None = None) -> list[str]:
        """A summary packed into posts numbered " i/n" (counted in ``max_chars``), the
        first opening with a question built from the title when it fits, the last within
        ``last_max_chars`` (the room a closing line leaves it).

        Each post reads alone: a sentence that leans on the one before stays in its
        post. Sentences stay whole within a post unless one alone is too long (then it
        is cut at clauses, then words). The summary shrinks until it fits ``max_posts``.
        """
        if max_posts < 1:
            return []
        room = thread_room(max_chars, max_posts)
        last_room = room if last_max_chars is None else \
            min(room, thread_room(last_max_chars, max_posts))
        ranking = _ranking(doc, avoid)
        chars_per_word = max(1.0, (len(doc.text()) + 1) / max(1, doc.word_count()))
        target = max(10, int(0.9 * max_posts * room / chars_per_word))
        hook = _hook(doc, avoid)
        lead = [[hook]] if hook and len(hook) <= room // 2 else []
        while True:
            posts = _pack(lead + _runs(_render(ranking, _select(ranking, target))), room,
                          last_room)
            if len(posts) <= max_posts or target <= 10:
                break
            target = max(10, int(target * 0.85))
        posts = _ending_within(posts[:max_posts], last_room, max_posts)
        return [f"{' '.join(post)} {i}/{len(posts)}" for i, post in enumerate(posts, start=1)]


def _readable(paragraphs: Sequence[str]) -> list[str]:
    """The paragraphs of a document given whole that read in order: not labels, menu
    lines or list items, nor a paragraph leaning on one of those, nor a lead-in ("...
    from the standard C library:", "The following three types are supported.") without
    what it announces."""
    kept: list[str] = []
    previous = False  # whether the paragraph before this one is kept
    for paragraph in paragraphs:
        sentences = split_sentences(paragraph)
        leaning = bool(sentences) and dependency(sentences[0]) is not None
        keep = (ends_sentence(paragraph) or count_words(paragraph) > 12) \
            and _mostly_letters(paragraph) and (previous or not leaning)
        if previous and not keep and announces(kept[-1]):
            kept.pop()
        if keep:
            kept.append(paragraph)
        previous = keep
    if previous and announces(kept[-1]):
        kept.pop()
    return kept


def _mmr(scores: list[float], similarity: "np.ndarray", sections: list[int],
         count: int) -> list[int]:
    """Maximal marginal relevance: positions of up to ``count`` items, each time the one
    whose score best outweighs its similarity to, and shared section with, those
    already chosen."""
    top = max(scores, default=1.0) or 1.0
    chosen: list[int] = []

    def value(a: int) -> float:
        redundancy = similarity[a, chosen].max() if chosen else 0.0
        same_section = sum(sections[c] == sections[a] for c in chosen)
        return 0.7 * scores[a] / top - 0.3 * redundancy - 0.1 * same_section

    while len(chosen) < min(count, len(scores)):
        remaining = [a for a in range(len(scores)) if a not in chosen]
        chosen.append(max(remaining, key=lambda a: (value(a), -a)))
    return chosen


def _post_point(ranking: _Ranking, max_chars: int) -> _Option | None:
    """The best passage among the top sentences that fits ``max_chars``."""
    options = [o for i in ranking.pool(limit=8) if (o := ranking.passage(i)) is not None
               and len(o.text) <= max_chars]
    return max(options, key=lambda o: (o.value / max(1, o.words) ** 0.5, -o.index),
               default=None)


def _quotable(ranking: _Ranking, max_chars: int, *, exclude: tuple[int, ...]) -> _Option | None:
    """The passage most worth quoting: short (8 to 25 words), among the best ranked,
    and better for a turn ("not A. It is B.") or a figure; None when none fits."""
    best: tuple[float, int, _Option] | None = None
    for i in ranking.pool(limit=16):
        option = ranking.passage(i)
        if option is None or set(option.indices) & set(exclude) or len(option.text) > max_chars \
                or not 8 <= option.words <= 25:
            continue
        score = option.value / option.words
        score *= 1.3 if len(option.indices) > 1 and "not" in option.text.split() else 1.0
        score *= 1.1 if re.search(r"\d", option.text) else 1.0
        if best is None or (score, -option.index) > best[:2]:
            best = (score, -option.index, option)
    return best[2] if best else None


def _post_fallback(ranking: _Ranking, max_chars: int) -> str:
    """A post when no passage fits: a clause compression of a top sentence that reads
    alone, else the best sentence cut at a word boundary."""
    top = ranking.pool(limit=8)
    if not top:
        return ""
    for i in top:
        short = compress(ranking.opening(i), max_chars=max_chars)
        if short and dependency(short) is None:
            return short
    return truncate_words(ranking.opening(top[0]), max_chars)


def _leans(previous: _Unit | None, unit: _Unit, text: str) -> bool:
    """Whether ``unit`` (rendered as ``text``) follows ``previous`` in the source and
    leans on it or completes it, so the two are never parted."""
    return previous is not None and previous.index == unit.index - 1 \
        and (dependency(text) is not None or completes(previous.text, text))


def _runs(sentences: list[tuple[_Unit, str]]) -> list[list[str]]:
    """Rendered sentences grouped so that one leaning on the sentence before it (which
    it follows in the source) is in that sentence's run."""
    runs: list[list[str]] = []
    previous: _Unit | None = None
    for unit, text in sentences:
        if _leans(previous, unit, text):
            runs[-1].append(text)
        else:
            runs.append([text])
        previous = unit
    return runs


def _pack(runs: list[list[str]], room: int, last_room: int) -> list[list[str]]:
    """Fill posts of at most ``room`` characters (the last at most ``last_room``) with
    runs of sentences in order, each post as its pieces; a run is split only when it
    alone is longer than a post."""
    posts: list[list[str]] = []
    for run in runs:
        whole = " ".join(run)
        pieces = [whole] if len(whole) <= room else \
            [piece for sentence in run for piece in split_to_fit(sentence, room)]
        for piece in pieces:
            if posts and len(" ".join(posts[-1])) + 1 + len(piece) <= room:
                posts[-1].append(piece)
            else:
                posts.append([piece])
    return _ending_within(posts, last_room)


def _ending_within(posts: list[list[str]], last_room: int,
                   most: int | None = None) -> list[list[str]]:
    """``posts`` (at most ``most`` of them) ending in one of at most ``last_room``
    characters: the last whole sentence of the last two posts that fits it ends the
    thread (in a post of its own when the post it is in is longer; the sentences after
    it are left out); when none fits, the last sentence is cut to fit."""
    if not posts or len(" ".join(posts[-1])) <= last_room:
        return posts
    for p in range(len(posts) - 1, max(-1, len(posts) - 3), -1):
        for k in range(len(posts[p]) - 1, -1, -1):
            piece = posts[p][k]
            if len(piece) > last_room or not ends_sentence(piece):
                continue
            kept = posts[p][:k + 1]
            if len(" ".join(kept)) <= last_room:
                return [*posts[:p], kept]
            if most is None or p + 2 <= most:
                return [*posts[:p], kept[:-1], [piece]]
    parts = split_to_fit(" ".join(posts[-1]), last_room)
    if most is not None:
        parts = parts[:max(1, most - len(posts) + 1)]
    return [*posts[:-1], *([part] for part in parts)]


@engine.hookimpl
def register_text_generators(register):
    register(ExtractiveGenerator)

