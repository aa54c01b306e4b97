"""Questions built from headings and titles, grammatical whatever the heading's shape.

A heading is a noun phrase ("The lesson of the elms"), a gerund ("Counting every tree"),
a clause ("Planting is the easy part"), a wh-clause ("Why a canopy matters", "How cities
rebuild their canopy"), a how-to ("How to plant a tree"), an imperative ("Install the
package") or already a question. Pasting any of them into "What did you find out about
{heading}?" gives "what did you find out about planting is the easy part?", so
:func:`heading_shape` tells them apart and :func:`as_question` turns each into a question
of its own kind: "Why is planting the easy part?", "Why does a canopy matter?", "How do
cities rebuild their canopy?", "How do you plant a tree?". Word lists and suffix rules, no
tagger: a heading it cannot parse becomes "What can you tell us about ...?", which is
grammatical for any phrase.
"""

from __future__ import annotations

import re

WH_WORDS = frozenset("why how what when where who which".split())
#: auxiliaries and copulas that invert in a question ("planting is" -> "is planting")
AUXILIARIES = frozenset("is are was were can could will would should may might must "
                        "does do did has have had".split())
_HAVE = frozenset("has have had".split())
_PARTICIPLE = re.compile(r"(?:ed|en|wn|ne|lt|pt|ght|been|got|done|made|run|put|set)$")
DETERMINERS = frozenset("a an the this that these those every each one its their our your "
                        "my his her some any no many most".split())
_PERSONAL = frozenset("we you they i".split())
#: verbs documentation headings start with ("Install the package", "Use a cache")
IMPERATIVES = frozenset("""
install use configure run build create add set get make write read choose keep avoid
start stop check update remove test deploy learn define call pass return open close save
load plan measure plant water prune protect enable disable upgrade migrate debug handle
find fix understand compare select convert import export connect store send publish
""".split())
#: words ending in -ing that are not gerunds
_NOT_GERUNDS = frozenset("thing something nothing everything anything spring string king "
                         "ring wing morning evening ceiling during bring sing sling "
                         "nothing".split())
_NOT_VERBS_S = ("ss", "us", "is", "'s", "ics", "ous")
#: words that follow a noun rather than a verb ("uses for", "devices and")
_AFTER_NOUNS = frozenset("of for in on with to and or at by from under over into as "
                         "vs versus".split())
_RELATIVE = frozenset("where that which who whose when".split())


def keeps_capital(word: str, body: str) -> bool:
    """Whether ``word`` is written with its capital inside a sentence: an acronym, a
    name with inner capitals, or a word ``body`` capitalises mid-sentence."""
    if len(word) > 1 and (word.isupper() or any(c.isupper() for c in word[1:])):
        return True  # acronyms and names like SQLite, iPhone
    if not word[:1].isupper():
        return False
    capital = len(re.findall(rf"[a-z,;] {re.escape(word)}\b", body))
    lower = len(re.findall(rf"\b{re.escape(word.lower())}\b", body))
    return capital > lower  # "Berlin" always, "Functions" in a link but "functions" in prose


def spoken_heading(heading: str, body: str) -> str:
    """A heading as words inside a sentence: lower case except acronyms and the names the
    body capitalises mid-sentence ("The Cost Of Delay in Berlin" -> "the cost of delay in
    Berlin"); a lone common noun gets "the" ("Background" -> "the background")."""
    heading = re.sub(r"^(?:\d+\.)*\d+\.?\s+(?=\S)", "", heading.strip())  # "4.1. Does ..."
    words = [w if keeps_capital(w, body) else w.lower()
             for w in heading.rstrip(".:!?").split()]
    phrase = " ".join(words)
    return f"the {phrase}" if len(words) == 1 and phrase.islower() else phrase


def base_form(verb: str) -> str:
    """The bare infinitive of a third-person -s verb: matters -> matter, carries -> carry,
    watches -> watch, has -> have, does -> do, goes -> go."""
    irregular = {"has": "have", "does": "do", "goes": "go", "is": "be"}
    if verb in irregular:
        return irregular[verb]
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    if verb.endswith(("ches", "shes", "sses", "xes", "zzes", "oes")):
        return verb[:-2]
    return verb[:-1] if verb.endswith("s") else verb


def _is_s_verb(word: str) -> bool:
    return len(word) > 3 and word.isalpha() and word.endswith("s") \
        and not word.endswith(_NOT_VERBS_S)


def _finite(words: list[str]) -> tuple[int, str] | None:
    """Where a clause's finite verb is and how it inverts: ("aux", k), ("s", k) for a
    third-person verb that takes "does", ("plural", k) for a bare verb that takes "do".
    None when the words do not parse as a clause."""
    for k, word in enumerate(words[1:6], start=1):
        if _RELATIVE & set(words[:k]) or any(w.endswith(":") for w in words[:k + 1]):
            return None  # "situations where a server may work better": a noun phrase
        following = words[k + 1] if k + 1 < len(words) else ""
        if word in AUXILIARIES:
            if word in _HAVE and not (k + 1 < len(words) and _PARTICIPLE.search(words[k + 1])):
                return k, "s" if word == "has" else "plural"  # "has a cost": main verb
            return k, "aux"
        if word in ("a", "an", "the") or word in ("of", "for", "in", "on", "with", "to"):
            if k == 1 and words[0] not in DETERMINERS:
                return None  # "uses for SQLite": a noun phrase
            continue
        if _is_s_verb(word) and words[k - 1] not in DETERMINERS \
                and not _AFTER_NOUNS & set(words[1:k]) and (
                following not in _AFTER_NOUNS or (following == "like" and k >= 2)) and (
                words[0] in DETERMINERS or k >= 2 or not _is_s_verb(words[0])):
            return k, "s"
    first = words[0]
    if len(words) >= 2 and (first in _PERSONAL or (_is_s_verb(first) and first not in DETERMINERS)):
        verb = words[1]
        if verb.isalpha() and verb not in DETERMINERS | _AFTER_NOUNS \
                and not verb.endswith(("ly", "s")):
            return 1, "plural"
    if len(words) >= 3 and first in DETERMINERS and _is_s_verb(words[1]):
        verb = words[2]
        if verb.isalpha() and verb not in DETERMINERS | _AFTER_NOUNS \
                and not verb.endswith(("ly", "s")):
            return 2, "plural"
    return None


def heading_shape(phrase: str) -> str:
    """One of "question", "how-to", "wh-clause", "clause", "gerund", "imperative",
    "noun" for a heading already in spoken form (:func:`spoken_heading`)."""
    if phrase.rstrip().endswith("?"):
        return "question"
    words = phrase.lower().split()
    if not words:
        return "noun"
    if words[:2] == ["how", "to"] and len(words) > 2:
        return "how-to"
    if words[0] in WH_WORDS and len(words) > 1:
        return "wh-clause"
    if words[0] in IMPERATIVES and len(words) > 1 and words[1] not in AUXILIARIES \
            and not (len(words) == 2 and _is_s_verb(words[1])):  # "Build instructions"
        return "imperative"
    found = _finite(words)
    if found is not None and len(words) >= 3 and (
            found[1] == "aux" or words[found[0]] in _HAVE or words[0] in DETERMINERS | _PERSONAL):
        return "clause"  # not "Operator Module Functions", a noun compound
    if words[0].endswith("ing") and len(words[0]) > 5 and words[0] not in _NOT_GERUNDS:
        return "gerund"
    return "noun"


def _invert(wh: str, words: list[str]) -> str | None:
    """``wh`` + the clause ``words`` as a question ("why", "a canopy matters" -> "why does
    a canopy matter"), or None when the clause does not parse."""
    found = _finite(words)
    if found is None:
        return None
    k, kind = found
    subject, verb, rest = words[:k], words[k], words[k + 1:]
    if kind == "aux":
        return " ".join([wh, verb, *subject, *rest])
    if kind == "s":
        return " ".join([wh, "does", *subject, base_form(verb), *rest])
    return " ".join([wh, "do", *subject, verb, *rest])


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def as_question(heading: str, body: str = "") -> str:
    """A grammatical question from a heading (see the module doc); ``body`` is the text
    the heading belongs to, which tells names from title-case words."""
    if heading.rstrip().endswith("?"):
        return _capital(spoken_heading(heading, body)) + "?"
    phrase = spoken_heading(heading, body)
    shape = heading_shape(phrase)
    words = phrase.split()
    if shape == "question":
        return _capital(phrase)
    if shape == "how-to":
        return _capital(f"how do you {' '.join(words[2:])}?")
    if shape == "imperative":
        return _capital(f"how do you {phrase[0].lower()}{phrase[1:]}?")
    if shape == "wh-clause":
        head, clause = words[0].lower(), words[1:]
        if clause[0] in AUXILIARIES or (_is_s_verb(clause[0]) and head in ("what", "who")):
            return _capital(f"{phrase}?")  # "What happens next", "Who pays"
        inverted = _invert(head, clause)
        return _capital(f"{inverted}?") if inverted else \
            f"What can you tell us about {phrase[0].lower()}{phrase[1:]}?"
    if shape == "clause":
        inverted = _invert("why", words)
        if inverted:
            return _capital(f"{inverted}?")
    if shape == "gerund":
        return f"What does {phrase} involve?"
    return f"What should we know about {re.sub(r'^about ', '', phrase, flags=re.I)}?"


#: titles that name a part of a document, or what kind of thing it is, rather than what
#: it is about (a file named talk.mp4 is titled "Talk")
_GENERIC_TITLES = frozenset("introduction overview readme summary abstract contents preface "
                            "foreword index notes changelog untitled talk video audio "
                            "recording episode transcript document article post".split())


def title_question(title: str, body: str) -> str:
    """A question a title asks: the part after a colon when that is a clause or a
    question ("Roots Under the Pavement: How Cities Rebuild Their Tree Canopy" -> "How do
    cities rebuild their tree canopy?"), else the whole title. Empty for no title, and
    for one that names a part of a document rather than its subject ("Introduction",
    "zstd readme"): "What should we know about the introduction?" asks nothing."""
    title = title.strip()
    words = [w for w in re.findall(r"[a-z]+", title.lower()) if w not in ("the", "a", "an")]
    if not words or "readme" in words or (len(words) == 1 and words[0] in _GENERIC_TITLES):
        return ""
    head, _, tail = title.partition(": ")
    if tail and (tail.rstrip().endswith("?")
                 or heading_shape(spoken_heading(tail, body)) not in ("noun", "gerund")):
        title = tail
    return as_question(title, body)
