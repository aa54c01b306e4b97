"""Whether a sentence stands on its own, and the smallest safe change that makes it.

A sentence lifted out of an article can lean on the one before it: a pronoun ("They need
loose soil"), a demonstrative ("That changed when..."), a definite description that names
a category instead of the thing ("The insect has since killed..."), an ordinal ("The
second is..."), an additive or temporal adverb ("also", "has since") or a discourse
connective ("However, ..."). Read alone, such a sentence either says nothing (whose
soil?) or claims a relation to something absent.

- :func:`dependency` names what a sentence leans on, or None when it stands alone.
- :func:`detach` applies the rewrites that keep a sentence true without its neighbour:
  a leading connective dropped ("However, X" -> "X"), "also", "too" and "as well"
  dropped, "has since" -> "has". Pronouns, demonstratives and category descriptions are
  never rewritten: the caller brings in the sentence before instead (:func:`passages`).
- :func:`completes` tells when a sentence finishes the one before ("Heaved sidewalks are
  not a sign of aggressive trees." / "They are a sign of starved ones."), so the two are
  never separated.

Rules over word lists, not a model: deterministic and fast, and wrong in both directions
now and then; they err towards flagging, since a flagged sentence only costs a neighbour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from engine.sentences import STOPWORDS, ends_sentence

#: personal pronouns that need an antecedent ("I", "we" and "you" point at the author
#: and the reader, who are always there)
PRONOUNS = frozenset("it its they them their theirs he him his she her hers".split())
DEMONSTRATIVES = frozenset("this these those".split())

#: opening connectives whose removal leaves a sentence that is still true: what follows
#: them is asserted either way ("However, X" asserts X). Longest first.
DROPPABLE_CONNECTIVES = tuple(sorted("""
however|but|and|so|yet|also|moreover|furthermore|besides|still|nevertheless|nonetheless
|thus|therefore|hence|consequently|meanwhile|likewise|similarly|indeed|then|instead
|in addition|additionally|as a result|in contrast|by contrast|on the other hand|even so
|after all|in fact|of course|that said|for example|for instance|again|finally|first
|second|third|secondly|thirdly|lastly|plus|accordingly|in short|in other words|overall
|rather|at the same time|by then|now|in particular|in general|in practice|in turn
|specifically|notably
""".replace("\n", "").split("|") + [  # "As mentioned above, X" asserts X, pointing back
    f"as {verb} {where}" for verb in "mentioned noted discussed described explained shown "
    "said seen".split() for where in ("above", "earlier", "before", "previously",
                                       "just above", "just before")
] + ["as we saw", "as we have seen"], key=len, reverse=True))
#: words after which an opening phrase is a preposition or a conjunction, not a
#: connective: "In addition to X, Y", "Instead of X", "Rather than X", "So that X"
_NOT_CONNECTIVE_AFTER = frozenset("to of than that with from".split())
#: openers that make what follows conditional or alternative: never dropped
KEEPING_CONNECTIVES = frozenset("otherwise or nor".split())
#: connectives that turn against the previous sentence
CONTRAST = frozenset("but however yet instead rather still nevertheless nonetheless".split())

#: nouns a writer uses to refer back to something named differently before
#: ("the emerald ash borer" ... "the insect")
CATEGORY_NOUNS = frozenset("""
insect insects beetle beetles pest pests fungus disease virus bug animal bird species
approach method technique strategy idea concept rule guideline policy law bill measure
proposal plan scheme program programme project effort initiative tool process procedure
change move decision step problem issue mistake error flaw result outcome finding
findings study report survey paper experiment analysis company firm group team
organisation organization agency man woman author researcher researchers scientist writer
number effect difference trend pattern practice feature option answer case example lesson
reason situation event phenomenon device machine same former latter rest remainder
alternative alternatives
latter former technology product service package library release version fix patch
""".split())
_SEQUENCE = frozenset("first second third fourth fifth last next former latter".split())
ORDINALS = frozenset("first second third fourth fifth last next other former latter "
                     "same two three four both remaining".split())
#: words that identify a category noun on the spot ("the idea that...", "the rule of ...")
_IDENTIFYING = frozenset("of that which who whose called named known in for from to "
                         "behind about with on at".split())
#: documents refer to themselves; that needs no antecedent
_SELF_NOUNS = frozenset("article guide document page section chapter tutorial book post "
                        "manual readme essay paper file library package module program "
                        "tool project function command option example release version "
                        "site website howto faq note list table".split())
#: "this spring", "this century": the writer's own time, not a reference back
_TIME_NOUNS = frozenset("morning afternoon evening night day week weekend month year "
                        "spring summer autumn fall winter season decade century time "
                        "quarter semester".split())
_RELATIVES = frozenset("that who which whose".split())
_POSSESSIVES = frozenset("its their his her".split())
_COPULAS = frozenset("is was 's will would can may might could seems appears takes took".split())
_PREPOSITIONS = tuple("of after before because about from for to with like in on "
                      "at by despite during".split())
_INTRODUCERS = frozenset("""after although as at because before by despite during for from
if in like on once over since though through to under unless unlike until when whenever
where whereas while with within without today now then yesterday later""".split())
_NEGATIONS = re.compile(r"\b(?:not|no longer|never|n't|nothing|none|neither)\b", re.I)

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.]*|[,;:]")
_QUOTES = "\"'“‘(["
_INNER_ADDITIVES = (
    (re.compile(r"^((?:\S+\s+){1,5}?)also\s+", re.I), r"\1"),
    (re.compile(r"\b(has|have|had)\s+since\s+(?=\w)", re.I), r"\1 "),
    (re.compile(r",?\s+(?:as well|too)(?=[.!?]?[\"'”’)]*$)", re.I), ""),
)


_CLITIC = re.compile(r"'(?:re|s|ll|ve|d)$", re.I)


def _raw_tokens(sentence: str) -> list[str]:
    """Words and clause marks; "they're" and "it's" count as "they" and "it"."""
    return [_CLITIC.sub("", t.replace("’", "'")) for t in _WORD.findall(sentence.lstrip(_QUOTES))]


def _tokens(sentence: str) -> list[str]:
    return [t.lower() for t in _raw_tokens(sentence)]


def _opening_connective(sentence: str) -> str | None:
    """The connective a sentence opens with ("However", "In addition"), if any."""
    text = sentence.lstrip(_QUOTES).lower()
    for phrase in DROPPABLE_CONNECTIVES:
        if text.startswith(phrase) and re.match(r"[\s,;:—–]", text[len(phrase):len(phrase) + 1]):
            following = text[len(phrase):].split(maxsplit=1)
            if following and following[0] in _NOT_CONNECTIVE_AFTER:
                return None
            return phrase
    return None


def _region(tokens: list[str]) -> list[int]:
    """Positions of the words that carry a sentence's subject: the first clause (at most
    five words), and after an introductory phrase ("In dry weather,") the next three."""
    head: list[int] = []
    for i, token in enumerate(tokens[:5]):
        if token in ",;:":
            break
        head.append(i)
    if tokens and tokens[0] in _INTRODUCERS and "," in tokens[:9]:
        comma = tokens.index(",")
        head += [i for i in range(comma + 1, min(comma + 4, len(tokens)))
                 if tokens[i] not in ",;:"]
    return head


def _expletive_it(tokens: list[str]) -> bool:
    """"It is easy to...", "It takes years for...": an "it" that points forward."""
    if tokens[:1] != ["it"] or len(tokens) < 4:
        return False
    rest = tokens[1:6]
    verb = rest[0]
    if verb in ("takes", "took", "seems", "seemed", "appears", "appeared", "turns", "pays"):
        return True
    if verb in _COPULAS or verb == "be":
        words = [w for w in rest[1:] if w not in ("be", "not", "also", "often", "very")]
        return (len(words) >= 2 and not words[0].endswith("ed")
                and words[1] in ("to", "that", "for", "whether", "how", "what", "when"))
    return False


def dependency(sentence: str) -> str | None:
    """What ``sentence`` leans on, or None when it stands alone.

    One of ``"connective"``, ``"pronoun"``, ``"demonstrative"``, ``"category"``,
    ``"ordinal"`` and ``"additive"``.
    """
    raw = _raw_tokens(sentence)
    tokens = [t.lower() for t in raw]
    if not tokens:
        return None
    if _opening_connective(sentence) or tokens[0] in KEEPING_CONNECTIVES:
        return "connective"
    region = _region(tokens)
    first, second = tokens[0], tokens[1] if len(tokens) > 1 else ""

    def at(i: int) -> str:
        return tokens[i] if 0 <= i < len(tokens) else ""

    if first in DEMONSTRATIVES or first in ("such", "that"):
        if not (first in ("this", "that") and second in _SELF_NOUNS | _TIME_NOUNS):
            return "demonstrative"
    for i in region:
        token = tokens[i]
        if token in PRONOUNS and not (i == 0 and _expletive_it(tokens)) and not (
                token in _POSSESSIVES and _RELATIVES & set(tokens[1:i])):
            return "pronoun"  # (but "Cities that meet their targets" refers inside)
        if i and token in DEMONSTRATIVES and at(i - 1) != "all" \
                and at(i + 1) not in _TIME_NOUNS \
                and not (token == "this" and at(i + 1) in _SELF_NOUNS):
            return "demonstrative"
        if i and token == "that" and at(i - 1) in _PREPOSITIONS + (",",):
            return "demonstrative"
    if first in ("another", "both", "neither", "either") and \
            not {"and", "or", "nor"} & set(tokens[1:5]):
        return "ordinal"
    the = [i for i in region if tokens[i] == "the"]
    if the:
        noun, following = at(the[0] + 1), at(the[0] + 2)
        if noun in ORDINALS and following in ("is", "are", "was", "were", "one", "ones", "of",
                                              ",", "has", "have", "two", "three"):
            return "ordinal"
        if noun in _SEQUENCE and following not in ("of", "time", "to"):
            return "ordinal"  # "The first request will be cached": first of which?
        named = the[0] + 2 < len(raw) and raw[the[0] + 2][:1].isupper()
        if noun in CATEGORY_NOUNS and following not in _IDENTIFYING and not named:
            return "category"  # (but "the researcher Frank Santamour" names its man)
    for i, token in enumerate(tokens[:12]):
        if token in ("one", "ones") and {"the", "a", "an"} & set(tokens[max(0, i - 3):i]) \
                and at(i + 1) in ("", ",", ";", "that", "which", "who", "of", "is", "was",
                                  "are", "were", "in"):
            return "pronoun"  # "Shade is the most obvious one."
    if re.search(r"\b(?:nothing|anything|something|everything|nobody|no one) else\b",
                 sentence, re.I):
        return "pronoun"  # "with nothing else": else than what?
    for i, token in enumerate(tokens):
        if token in ("this", "these") and at(i + 1) != ":" \
                and not {at(i + 1), at(i + 2), at(i + 3)} & (_SELF_NOUNS | _TIME_NOUNS):
            return "demonstrative"  # "faster in this scenario", "larger than this": which?
        if token == "another" and "one" not in tokens[:i]:
            return "ordinal"  # "the green ash, another tough tree": another than which?
    if re.search(r"\b(?:has|have|had)\s+since\s+\w", sentence, re.I):
        return "additive"
    if "also" in tokens[1:6] or re.search(r",?\s+(?:as well|too)[.!?]?[\"'”’)]*$", sentence):
        return "additive"
    return None


def detach(sentence: str) -> str:
    """``sentence`` with the references that can go safely removed: an opening connective
    (unless it makes the sentence conditional), "also", "too", "as well", "has since".
    Returns the sentence unchanged when nothing applies."""
    text = sentence
    for _ in range(3):  # "And so, however, ..." peels one connective at a time
        phrase = _opening_connective(text)
        if not phrase:
            break
        lead = len(text) - len(text.lstrip(_QUOTES))
        rest = text[lead + len(phrase):].lstrip(" ,;:—–")
        if len(rest.split()) < 3:
            return sentence
        text = text[:lead] + _capitalised(rest)
    for pattern, replacement in _INNER_ADDITIVES:
        text = pattern.sub(replacement, text, count=1)
    return text


def _capitalised(text: str) -> str:
    """``text`` with its first word capitalised, unless that word is a name written in
    its own case ("iPhone", "eBay") or code ("httplib2", "list.sort()")."""
    word = text.split(maxsplit=1)[0] if text.strip() else ""
    if not re.fullmatch(r"[a-z][a-z'’-]*[,;:]?", word):
        return text
    return text[0].upper() + text[1:]


def standalone(sentence: str) -> str | None:
    """``sentence`` made to stand alone by :func:`detach`, or None when it cannot."""
    text = detach(sentence)
    return text if dependency(text) is None else None


def completes(previous: str, sentence: str) -> bool:
    """Whether ``sentence`` finishes ``previous``: what a lead-in ending in a colon
    announces, a correction of a negated claim ("X is not A." / "It is B."), or a turn
    against it ("But...", "Instead, ...")."""
    tokens = _tokens(sentence)
    if not tokens:
        return False
    if previous.rstrip().endswith(":"):
        return ends_sentence(sentence)  # a sentence, not the first item of a list
    if tokens[0] in CONTRAST or (_opening_connective(sentence) or "") in CONTRAST:
        return bool(_NEGATIONS.search(previous)) or tokens[0] in ("instead", "rather")
    return bool(_NEGATIONS.search(previous)) and dependency(sentence) in ("pronoun",
                                                                          "demonstrative")


#: a sentence that announces what comes after it ("The following three types are
#: supported.", "... as follows.", "... listed below."): read without its list it says
#: nothing, and the list's items are fragments no passage takes
_POINTS_AHEAD = re.compile(r"\b(?:the following|as follows|(?:listed|shown|given|described|"
                           r"set out) below|below are)\b", re.IGNORECASE)


def announces(text: str) -> bool:
    """Whether ``text`` leads into what follows it: it ends in a colon, or it points
    ahead ("The following three types are supported.", "... as follows.")."""
    return text.rstrip().endswith(":") or bool(_POINTS_AHEAD.search(text))


def _whole(sentence: str) -> bool:
    """A sentence or a lead-in to one ("... as follows:"), not a fragment (a list item,
    a label) nor a sentence pointing ahead at a list with a full stop: a passage never
    includes one, as nothing can lean on it and it cannot be read alone."""
    if sentence.rstrip().endswith(":"):
        return True
    return ends_sentence(sentence) and not announces(sentence)


def _rest(sentence: str) -> bool:
    """The rest of a sentence cut before it ("you should use ...": a small word in lower
    case, after a lead-in), which cannot start a passage."""
    words = sentence.lstrip(_QUOTES).split()
    return bool(words) and words[0][:1].islower() and words[0].lower() in STOPWORDS


@dataclass(frozen=True)
class Passage:
    """Consecutive sentences ``start..stop`` (inclusive) that read on their own."""

    start: int
    stop: int


#: a sentence further than this from its antecedent is not worth the words between
MAX_REACH = 3


def passages(sentences: Sequence[str], blocks: Sequence[int]) -> list[Passage | None]:
    """For each sentence, the smallest passage that contains it and reads alone: back to
    the nearest sentence that stands alone (after :func:`detach`), forward over sentences
    that complete it. ``blocks`` numbers the section of each sentence; a passage never
    crosses one, nor includes a fragment (a list item, a label). None when no such
    passage reaches back ``MAX_REACH`` sentences.

    Passages nest: two of them either share their start or do not overlap, so a caller
    choosing at most one passage per start never repeats a sentence.
    """
    n = len(sentences)
    whole = [_whole(s) for s in sentences]
    free = [whole[i] and not _rest(s) and standalone(s) is not None
            for i, s in enumerate(sentences)]
    starts: list[int | None] = []
    for i in range(n):
        j = i
        while not free[j] and whole[j] and j > 0 and blocks[j - 1] == blocks[i] \
                and i - j < MAX_REACH:
            j -= 1
        starts.append(j if free[j] else None)
    result: list[Passage | None] = []
    for i in range(n):
        if starts[i] is None:
            result.append(None)
            continue
        stop = i
        while stop + 1 < n and blocks[stop + 1] == blocks[i] and starts[stop + 1] == starts[i] \
                and completes(sentences[stop], sentences[stop + 1]) and stop - i < 2:
            stop += 1
        result.append(Passage(starts[i], stop))
    return result
