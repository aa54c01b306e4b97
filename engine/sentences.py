"""Sentence, word and clause geometry for English prose.

Rules, not models: good enough for edited articles and transcripts, fully deterministic
and fast (a 100,000-word text splits in well under a second).

- :func:`split_sentences` keeps abbreviations (Dr., e.g., U.S.), decimals, ellipses
  inside a sentence, URLs and e-mail addresses together; it never merges a list item or
  a heading line into the sentence around it.
- :func:`count_words` is the one word count used everywhere (whitespace tokens, the
  same as ``Document.word_count`` and ``Text.word_count``).
- :func:`compressions` / :func:`compress` shorten a sentence at a clause boundary
  while keeping it a sentence; :func:`split_to_fit` cuts an over-long one into pieces.
"""

from __future__ import annotations

import re

TERMINALS = ".!?…"
_CLOSERS = "\"'”’)]»"
_OPENERS = "\"'“‘([«"

#: English function words: not content for scoring, typical first words of a sentence
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each
even few for from further had has have having he her here hers herself him himself his
how however i if in into is it its itself just many may might more most much must my
myself no nor not now of off on once one only or other our ours ourselves out over own
same she should since so some such than that the their theirs them themselves then
there these they this those though through thus to too under until up upon very was we
were what when where which while who whom whose why will with within without would yet
you your yours yourself
""".split())

#: abbreviations that introduce what follows (a name, a number): never end a sentence
_PREFIX_ABBREVIATIONS = frozenset("""
mr mrs ms mx dr prof rev hon gen col capt lt sgt gov sen rep pres fig figs no nos vol
vols ch sec pp approx ca cf vs viz mt e.g i.e
""".split())

#: abbreviations that may also end a sentence: a boundary only before a typical opener
_FINAL_ABBREVIATIONS = frozenset("""
etc inc ltd co corp llc jr sr st ft al dept est jan feb mar apr jun jul aug sep sept oct
nov dec
""".split())

#: words after a comma that start a clause of their own, so the text before the comma
#: usually stands as a sentence
_CLAUSE_LINKERS = frozenset("""
and but or so yet which who whose where while although though because since whereas
including with as after before until unless when even
""".split())

#: first words of an introductory phrase ("After the storm, ..."): not a sentence alone
_INTRODUCERS = frozenset("""
after although as at because before by despite during for from if in like on once over
since though through to under unless unlike until when whenever where whereas while with
within without
""".split())

_BOUNDARY = re.compile(r"[.?!…]+[\"'”’)\]»]*(?=\s|$)")
_TOKEN_BEFORE = re.compile(r"\S+\Z")
_NEXT_WORD = re.compile(r"\s*(\S+)")
_INITIALISM = re.compile(r"(?:[a-z]\.)*[a-z]")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•‣◦▪–]|\(?\d{1,3}[.)])\s+")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_CLAUSE_MARK = re.compile(r"[,;:](?=\s)|\s+(?:[—–]|--)\s+|—")
#: a bracketed aside, or one between spaced dashes, or between unspaced em dashes
_ASIDE = re.compile(r"\s*\([^()]*\)"
                    r"|\s+(?:—|–|--)\s+[^—–]*?\s+(?:—|–|--)(?=\s)"
                    r"|—[^—]*—")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.;:!?])(?=\s|$)")  # not ".mjs"
_DASHES = re.compile(r"—|–|--")
_DANGLING = re.compile(r"\b(?:in other words|for example|for instance|that is|such as|"
                       r"i\.e\.?|e\.g\.?|namely|including|or|and|but)\s*$", re.I)


# --------------------------------------------------------------------------- words

def count_words(text: str) -> int:
    """Whitespace-separated tokens: the word count every target length refers to."""
    return len(text.split())


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace (newlines included) to single spaces."""
    return _SPACES.sub(" ", text).strip()


def ends_sentence(text: str) -> bool:
    """True when ``text`` ends with terminal punctuation (closing quotes allowed)."""
    core = text.rstrip().rstrip(_CLOSERS)
    return bool(core) and core[-1] in TERMINALS


# --------------------------------------------------------------------------- lines

def is_list_item(line: str) -> bool:
    """A bulleted or numbered line (``- x``, ``* x``, ``1. x``, ``2) x``)."""
    return bool(_LIST_MARKER.match(line))


def strip_list_marker(line: str) -> str:
    return _LIST_MARKER.sub("", line, count=1).strip()


def looks_like_heading(line: str) -> bool:
    """A short title-like line: at most 10 words, starting with a capital or digit,
    ending in a letter or digit, and not in a function word (which would suggest a
    line wrapped in the middle of a sentence)."""
    line = line.strip()
    words = line.split()
    return (0 < len(words) <= 10 and len(line) <= 80
            and (line[0].isupper() or line[0].isdigit())
            and line[-1].isalnum()
            and words[-1].lower() not in STOPWORDS)


def split_paragraphs(text: str) -> list[list[str]]:
    """Paragraphs (separated by blank lines) as lists of their stripped, non-empty lines."""
    paragraphs = [[line.strip() for line in block.splitlines() if line.strip()]
                  for block in _BLANK_LINES.split(text)]
    return [p for p in paragraphs if p]


def _blocks(text: str) -> list[str]:
    """Units that never share a sentence: paragraphs, list items, heading lines.

    Lines inside a paragraph are joined (soft wraps); a list item runs on over the
    following lines until the next item; a heading line stands alone when it starts the
    paragraph or follows a finished sentence and more text follows it.
    """
    blocks: list[str] = []
    for lines in split_paragraphs(text):
        current: list[str] = []
        for i, line in enumerate(lines):
            previous_done = i == 0 or ends_sentence(lines[i - 1]) or not current
            if _MD_HEADING.match(line) or (previous_done and i + 1 < len(lines)
                                           and looks_like_heading(line)):
                blocks += [" ".join(current), _MD_HEADING.sub("", line)]
                current = []
            elif is_list_item(line):
                blocks.append(" ".join(current))
                current = [strip_list_marker(line)]
            else:
                current.append(line)
        blocks.append(" ".join(current))
    return [normalize_space(b) for b in blocks if b.strip()]


# --------------------------------------------------------------------------- sentences

def _is_opener(word: str) -> bool:
    """A word that typically starts a sentence (The, It, In, ...)."""
    return word.strip(_OPENERS).rstrip(".,;:!?").lower() in STOPWORDS


def _is_boundary(token: str, punct: str, next_word: str | None) -> bool:
    """Whether ``token`` + ``punct`` followed by ``next_word`` ends a sentence."""
    if next_word is None:
        return True
    first = next_word.lstrip(_OPENERS)[:1]
    if first.islower():
        return False
    if not punct.startswith(".") or punct.startswith(".."):
        return True  # ? ! or an ellipsis before a capital
    core = token.lstrip(_OPENERS).lower()
    if core in _PREFIX_ABBREVIATIONS:
        return False
    if core in _FINAL_ABBREVIATIONS or _INITIALISM.fullmatch(core):
        return _is_opener(next_word)
    return True


def _split_block(block: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(block):
        before = _TOKEN_BEFORE.search(block[max(0, match.start() - 60):match.start()])
        token = before.group() if before else ""
        following = _NEXT_WORD.match(block, match.end())
        next_word = following.group(1) if following else None
        punct = match.group().rstrip(_CLOSERS)
        if token and _is_boundary(token, punct, next_word):
            sentences.append(block[start:match.end()].strip())
            start = match.end()
    tail = block[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def split_sentences(text: str, language: str | None = None) -> list[str]:
    """Split text into sentences, whitespace-normalised, in order.

    ``language`` (a BCP 47 tag) other than English uses pysbd's rules for it when pysbd
    has them (Spanish, French, German, Japanese, Chinese and others: sentence ends
    without a following space, such as Japanese 。, included); English, None and
    languages pysbd lacks (Portuguese among them) use the rules above.
    """
    split_block = _split_block if _is_english(language) else _block_splitter(language)
    return [s for block in _blocks(text) for s in split_block(block)]


def _is_english(language: str | None) -> bool:
    return language is None or language.split("-")[0].lower() == "en"


def _block_splitter(language: str):
    """pysbd's segmenter for ``language`` as a block splitter, else the English rules."""
    from pysbd.languages import LANGUAGE_CODES

    code = language.split("-")[0].lower()
    if code not in LANGUAGE_CODES:
        return _split_block
    import pysbd

    segmenter = pysbd.Segmenter(language=code, clean=False)
    return lambda block: [s.strip() for s in segmenter.segment(block) if s.strip()]


# --------------------------------------------------------------------------- clauses

def _depths(sentence: str) -> list[int]:
    """Nesting depth (brackets and double quotes) before each character."""
    depths, depth, in_quote = [], 0, False
    for char in sentence:
        depths.append(depth + in_quote)
        if char in "([{“":
            depth += 1
        elif char in ")]}”":
            depth = max(0, depth - 1)
        elif char == '"':
            in_quote = not in_quote
    return depths


def _clause_marks(sentence: str) -> list[re.Match]:
    """Clause punctuation (, ; : and dashes) outside brackets and quotes."""
    depths = _depths(sentence)
    return [m for m in _CLAUSE_MARK.finditer(sentence)
            if depths[m.start()] == 0 and m.end() < len(sentence.rstrip())]


def split_clauses(sentence: str, *, min_words: int = 3) -> list[str]:
    """Cut a sentence at clause punctuation where both sides have ``min_words`` words.

    Each piece keeps its trailing punctuation, so ``" ".join(pieces)`` reads as the
    sentence (up to spacing around unspaced dashes).
    """
    pieces: list[str] = []
    start = 0
    for mark in _clause_marks(sentence):
        left = sentence[start:mark.end()]
        right = sentence[mark.end():]
        if count_words(left) >= min_words and count_words(right) >= min_words:
            pieces.append(left.strip())
            start = mark.end()
    pieces.append(sentence[start:].strip())
    return pieces


def _standalone_prefix(sentence: str, mark: re.Match, earlier_marks: int) -> bool:
    """Whether the text before ``mark`` reads as a sentence of its own."""
    prefix = sentence[:mark.start()]
    prefix_words = prefix.split()
    if len(prefix_words) < 4 or len(_DASHES.findall(prefix)) % 2:
        return False  # too short, or inside a dash-enclosed aside
    if _DANGLING.search(prefix):
        return False  # "..., or in other words" leads into what was cut
    if mark.group().strip() != ",":
        return True  # ; : and dashes end a clause
    first = prefix_words[0].strip(_OPENERS).lower()
    if earlier_marks == 0 and first in _INTRODUCERS:
        return False  # "After the storm of 2011," is not a sentence
    following = _NEXT_WORD.match(sentence, mark.end())
    linked = following is not None and following.group(1).lower() in _CLAUSE_LINKERS
    return linked or len(prefix_words) >= 6


def _as_statement(text: str) -> str:
    return text.rstrip().rstrip(",;:—–- ") + "."


def compressions(sentence: str) -> list[str]:
    """Shorter versions of a sentence that still read as sentences, longest first.

    First without bracketed or dash-enclosed asides, then cut at each clause boundary
    whose left side stands alone (``The city planted 4,000 trees, which ...`` becomes
    ``The city planted 4,000 trees.``). Each ends with a period. Questions and
    exclamations are not shortened: a cut question no longer asks anything.
    """
    if not sentence.rstrip().rstrip(_CLOSERS).endswith("."):
        return []
    bases = [sentence]
    without_asides = normalize_space(_ASIDE.sub(" ", sentence))
    without_asides = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", without_asides)
    if without_asides != sentence and count_words(without_asides) >= 4:
        bases.insert(0, without_asides)
    variants: list[str] = []
    for base in bases:
        marks = _clause_marks(base)
        variants += [_as_statement(base[:m.start()]) for i, m in enumerate(marks)
                     if _standalone_prefix(base, m, i)]
    if len(bases) == 2:
        variants.append(without_asides)
    original = len(sentence)
    unique = {v for v in variants if len(v) < original}
    return sorted(unique, key=lambda v: (-len(v), v))


def compress(sentence: str, *, max_words: int | None = None,
             max_chars: int | None = None) -> str | None:
    """The longest of :func:`compressions` within the limits, or None."""
    for variant in compressions(sentence):
        if ((max_words is None or count_words(variant) <= max_words)
                and (max_chars is None or len(variant) <= max_chars)):
            return variant
    return None


# --------------------------------------------------------------------------- fitting

#: a number (with its sign, unit symbol or range) that belongs with the word after it
_NUMBER = re.compile(r"[$€£¥~≈±+-]?\d[\d.,:/–-]*[%°]?")


def _bound_words(text: str) -> list[str]:
    """Whitespace words, a number joined to the word after it ("100 litres") so that no
    cut falls between them."""
    words: list[str] = []
    for word in text.split():
        if words and _NUMBER.fullmatch(words[-1].rsplit(" ", 1)[-1]) and " " not in words[-1]:
            words[-1] = f"{words[-1]} {word}"
        else:
            words.append(word)
    return words


def _split_words(text: str, max_chars: int) -> list[str]:
    """Greedy word-boundary chunks of at most ``max_chars`` (a longer word is cut), never
    between a number and the word after it unless they alone are too long."""
    chunks: list[str] = []
    current = ""
    for word in [part for bound in _bound_words(text)
                 for part in ([bound] if len(bound) <= max_chars else bound.split())]:
        while len(word) > max_chars:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(word[:max_chars])
            word = word[max_chars:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= max_chars:
            current = candidate
        else:
            chunks.append(current)
            current = word
    if current:
        chunks.append(current)
    return chunks


def split_to_fit(sentence: str, max_chars: int) -> list[str]:
    """Cut text into pieces of at most ``max_chars``: at clauses first, then at words."""
    if len(sentence) <= max_chars:
        return [sentence]
    pieces: list[str] = []
    for clause in split_clauses(sentence, min_words=1):
        for part in _split_words(clause, max_chars) if len(clause) > max_chars else [clause]:
            candidate = f"{pieces[-1]} {part}" if pieces else part
            if pieces and len(candidate) <= max_chars:
                pieces[-1] = candidate
            else:
                pieces.append(part)
    return pieces


def truncate_words(text: str, max_chars: int, *, ellipsis: str = "…") -> str:
    """``text`` cut at a word boundary so that it and ``ellipsis`` fit ``max_chars``."""
    if len(text) <= max_chars:
        return text
    room = max_chars - len(ellipsis)
    cut = text.rfind(" ", 0, room + 1)
    head = text[:cut] if cut > 0 else text[:max(room, 0)]
    while True:  # not "around 100…" for "100 litres", nor "in the…"
        last = head.rsplit(" ", 1)
        if len(last) < 2 or not (_NUMBER.fullmatch(last[1])
                                 or last[1].lower().strip(",;:") in STOPWORDS):
            break
        head = last[0].rstrip(" ,;:—–-")
    return head.rstrip(" ,;:—–-") + ellipsis
