"""An offline, deterministic podcast script: two to four hosts talk a document through.

:func:`write_dialogue` turns a :class:`Document` into a :class:`Script` that sounds like
a conversation rather than a read-out: an opening that names the topic and the hosts;
for every section one host asks (a question built from its heading), another explains
with the section's key sentences in a spoken style, a third (or the asker) reacts and
prompts; a recap and a sign-off. A document without headings (a transcript) is talked
through in parts of consecutive paragraphs instead. Phrasing varies, chosen from a hash of the content (not
at random), so the same document always gives the same script and no phrase is used
twice in a row.

Length: the script aims at ``target_minutes x words_per_minute`` words by choosing how
many key sentences each section gets (in proportion to the section's length). Which
sentences is up to ``key_sentences``, a ``pick(section_text, n_words) -> sentences``
callable: :func:`first_sentences` by default, or any text generator through
:func:`generator_picker` (the extractive one ranks sentences by importance).
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from dataclasses import dataclass
from typing import Callable, Sequence

from engine.artifacts import Document, Script, Section, Turn
from engine.textgen import TextGenerator
from engine.sentences import STOPWORDS, count_words, normalize_space, split_sentences

Pick = Callable[[str, int], list[str]]

#: words one explaining turn holds before another host chimes in
TURN_WORDS = 40
#: a document without headings is talked through in parts, one per this many target words
PART_WORDS = 250
#: sentences longer than this are split at "; " or ", but" and the like
LONG_SENTENCE = 25
#: fixed cost of opening, recap and sign-off, and of each section's questions and
#: reactions, in words: used to decide how many sections fit a short target
BASE_OVERHEAD, SECTION_OVERHEAD, MIN_SECTION_CONTENT = 70, 25, 20

# --------------------------------------------------------------------------- phrasing

WELCOMES = (
    "Hi, and welcome. I'm {me}, and I'm here with {others}.",
    "Hello and welcome to the show. I'm {me}, joined today by {others}.",
    "Hey everyone, I'm {me}, and with me {are} {others}.",
)
TOPICS = (
    "Today we're talking about {title}.",
    "Today's topic: {title}.",
    "We're digging into {title} today.",
)
REPLIES = ("Thanks, {name}.", "Great to be here.", "Hi everyone.", "Glad to be here, {name}.")
TEASERS = (
    "There's a lot in this one, so let's get going.",
    "I've been looking forward to this one.",
    "Some of this surprised me, honestly.",
)
GREETINGS = ("Hi, everyone!", "Hello, hello.", "Happy to be here.", "Hey, good to be back.")
#: said before the question that opens a section
TRANSITIONS = (
    "Okay, moving on.",
    "Let's switch gears.",
    "Alright, next up.",
    "Here's where it gets interesting.",
    "Let's keep going.",
    "Now, something a bit different.",
    "On to the next piece.",
)
FIRST_TRANSITIONS = ("Let's dive right in.", "Let's start at the beginning.",
                     "Okay, let's get into it.")
QUESTIONS = (
    "So, {topic}. What's the story there?",
    "What should people know about {topic}?",
    "{name}, walk us through {topic}.",
    "Tell me about {topic}. Where does it start?",
    "{name}, what did you find out about {topic}?",
    "How would you explain {topic} to someone new to it?",
)
#: for a heading that is itself a question
QUESTION_LEADS = ("{name}, {question}", "So, {question}", "Here's my question: {question}")
#: for the parts of a document without headings
FIRST_PART_QUESTIONS = ("{name}, what's this one about?", "{name}, what stood out to you first?",
                        "Where does it start, {name}?")
PART_QUESTIONS = (
    "What else is in here, {name}?",
    "{name}, what's the next piece of this?",
    "So where does it go from there?",
    "What did you make of the rest, {name}?",
)
REACTIONS = (
    "Right.",
    "Huh, interesting.",
    "Okay, that makes sense.",
    "I didn't know that.",
    "Oh, that's a good point.",
    "Hmm.",
    "Wow.",
)
#: reactions that echo a figure just said
ECHOES = ("{echo}? That surprised me too.", "Wait, {echo}? Really?", "{echo}. Huh.")
FOLLOW_UPS = (
    "Why does that matter?",
    "How so?",
    "Go on.",
    "Can you unpack that a bit?",
    "And what does that mean in practice?",
    "Say more about that.",
    "What happens next?",
)
WRAPS = (
    "Makes sense.",
    "Good to know.",
    "Fair enough.",
    "That's really helpful.",
    "Okay, got it.",
    "I like that way of putting it.",
)
HEADING_WRAPS = WRAPS + ("So that's {topic} in a nutshell.",)
RECAPS = (
    "So, quick recap. We talked about {topics}.",
    "Let's sum up. We covered {topics}.",
    "To wrap up: we went through {topics}.",
)
PLAIN_RECAPS = ("So, quick recap.", "Let's sum up.", "To wrap up.")
TAKEAWAYS = ("If you remember one thing, it's this: {point}", "The big takeaway for me: {point}")
SIGN_OFFS = (
    "That's all for today. Thanks for listening, and thanks to {others}.",
    "And that's a wrap. Thanks so much for listening.",
    "That's it from us. Thanks for spending the time with us.",
)
GOODBYES = ("See you next time.", "Bye, everyone!", "Take care!")


class Phrases:
    """Deterministic variety: a pool's pick depends on a hash of the content, and never
    repeats any of the pool's last ``len(pool) // 2`` picks."""

    def __init__(self, seed: str):
        self.seed = seed
        self.recent: dict[int, deque[int]] = {}

    def pick(self, pool: Sequence[str], key: str) -> str:
        digest = hashlib.sha256(f"{self.seed}\0{pool[0]}\0{key}".encode()).digest()
        index = int.from_bytes(digest[:4], "big") % len(pool)
        recent = self.recent.setdefault(id(pool), deque(maxlen=max(len(pool) // 2, 1)))
        while index in recent:
            index = (index + 1) % len(pool)
        recent.append(index)
        return pool[index]


# --------------------------------------------------------------------------- spoken style

_BRACKETED = re.compile(r"\s*(?:\([^()]*\)|\[[^\]]*\])")
_CONNECTIVES = {
    "However": "But", "Therefore": "So", "Thus": "So", "Consequently": "So",
    "In addition": "Also", "Additionally": "Also", "Moreover": "And", "Furthermore": "Plus",
    "Nevertheless": "Still", "Nonetheless": "Still",
}
_CONNECTIVE = re.compile(rf"^({'|'.join(_CONNECTIVES)}),\s+(\w)")
_CONTRACTIONS = {
    "it is": "it's", "that is": "that's", "there is": "there's", "what is": "what's",
    "do not": "don't", "does not": "doesn't", "did not": "didn't", "is not": "isn't",
    "are not": "aren't", "was not": "wasn't", "were not": "weren't", "cannot": "can't",
    "will not": "won't", "would not": "wouldn't", "should not": "shouldn't",
    "could not": "couldn't", "have not": "haven't", "has not": "hasn't", "had not": "hadn't",
    "we are": "we're", "they are": "they're", "you are": "you're",
    "we will": "we'll", "they will": "they'll", "you will": "you'll", "i am": "I'm",
}
#: a contraction only before another word: "it is clear" -> "it's clear", never "as it is."
_CONTRACTION = re.compile(rf"\b({'|'.join(_CONTRACTIONS)})\b(?=\s+\w)", re.IGNORECASE)
_SPLIT_POINT = re.compile(r";\s+|,\s+(?=(?:but|and|so|yet)\s)")


def spoken(sentence: str) -> list[str]:
    """A written sentence as one or more spoken ones: bracketed asides dropped, formal
    connectives made plain, contractions, and long sentences cut at '; ' or ', but'."""
    text = normalize_space(_BRACKETED.sub("", sentence))
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = _CONNECTIVE.sub(lambda m: f"{_CONNECTIVES[m.group(1)]} {m.group(2)}", text)
    text = _CONTRACTION.sub(_contract, text)
    return _shorten(text)


def _contract(m: re.Match) -> str:
    found = m.group(1)
    short = _CONTRACTIONS[found.lower()]
    return short[0].upper() + short[1:] if found[0].isupper() else short


def _shorten(sentence: str) -> list[str]:
    """Cut at the split point nearest the middle while the sentence is long and both
    halves have six words or more."""
    if count_words(sentence) <= LONG_SENTENCE:
        return [sentence]
    middle = len(sentence) / 2
    points = [m for m in _SPLIT_POINT.finditer(sentence)
              if count_words(sentence[:m.start()]) >= 6 and count_words(sentence[m.end():]) >= 6]
    if not points:
        return [sentence]
    cut = min(points, key=lambda m: abs(m.start() - middle))
    head = sentence[:cut.start()].rstrip(",;") + "."
    tail = sentence[cut.end():]
    return _shorten(head) + _shorten(tail[0].upper() + tail[1:])


def spoken_heading(heading: str, body: str) -> str:
    """A heading as words inside a sentence: lower case except acronyms and the names the
    body capitalises mid-sentence ("The Cost Of Delay in Berlin" -> "the cost of delay in
    Berlin"); a lone common noun gets "the" ("Background" -> "the background")."""
    words = [w if _keeps_capital(w, body) else w.lower()
             for w in heading.strip().rstrip(".:!?").split()]
    phrase = " ".join(words)
    return f"the {phrase}" if len(words) == 1 and phrase.islower() else phrase


def _keeps_capital(word: str, body: str) -> bool:
    if len(word) > 1 and word.isupper():
        return True
    return word[:1].isupper() and re.search(rf"[a-z,;] {re.escape(word)}\b", body) is not None


# --------------------------------------------------------------------------- key sentences

def first_sentences(text: str, n_words: int) -> list[str]:
    """The opening sentences of ``text``, about ``n_words`` words (at least one): stops
    where adding the next sentence would overshoot by more than stopping undershoots."""
    chosen: list[str] = []
    total = 0
    for sentence in split_sentences(text):
        size = count_words(sentence)
        if chosen and total + size - n_words > n_words - total:
            break
        chosen.append(sentence)
        total += size
    return chosen


def generator_picker(generator: TextGenerator) -> Pick:
    """Use a text generator's ``summarize`` to choose a section's key sentences."""
    def pick(text: str, n_words: int) -> list[str]:
        doc = Document(title="", sections=(Section(paragraphs=(text,)),))
        return split_sentences(generator.summarize(doc, words=max(n_words, 10)))
    return pick


# --------------------------------------------------------------------------- the script

@dataclass(frozen=True)
class Topic:
    """A section to talk about: its heading (None for text before the first heading)."""

    heading: str | None
    text: str

    @property
    def words(self) -> int:
        return count_words(self.text)

    @property
    def key(self) -> str:
        """What phrase choices for this topic hash."""
        return self.heading or self.text[:80]


def write_dialogue(doc: Document, hosts: list[str], target_minutes: float,
                   words_per_minute: float = 150, key_sentences: Pick = first_sentences
                   ) -> Script:
    """A conversation about ``doc`` between ``hosts`` (2 to 4), about ``target_minutes``
    long at ``words_per_minute``. Turn chapters are the section headings (None for the
    opening and the closing). Shorter than the target only when the document is."""
    if not 2 <= len(hosts) <= 4 or len(set(hosts)) != len(hosts) or not all(hosts):
        raise ValueError(f"a podcast needs 2 to 4 distinct host names, got {hosts!r}")
    target = target_minutes * words_per_minute
    intro, topics = _topics(doc, target)
    if not topics:
        raise ValueError(f"document {doc.title!r} has no text to talk about")
    topics = _fitting(topics, target)
    parts = [intro, *topics] if intro else topics
    writer = _Writer(doc, hosts)
    budgets = _allocate(parts, target - BASE_OVERHEAD - SECTION_OVERHEAD * len(topics))
    best: list[Turn] = []
    for _ in range(4):  # re-plan with the overhead measured on the previous draft
        picks = [key_sentences(part.text, max(round(b), 1)) for part, b in zip(parts, budgets)]
        turns = writer.write(intro, topics, picks)
        total = _words(turns)
        if not best or abs(total - target) < abs(_words(best) - target):
            best = turns
        content = sum(count_words(" ".join(p)) for p in picks)
        if abs(total - target) <= 0.05 * target or not content:
            break
        wanted = target - (total - content)
        budgets = [max(b * wanted / content, 1.0) for b in budgets]
    return Script(title=doc.title, speakers=tuple(hosts), turns=tuple(best))


def _topics(doc: Document, target: float) -> tuple[Topic | None, list[Topic]]:
    """The untitled opening text (if any) and the titled sections that have text; a
    document without headings (a transcript, plain text) is cut into parts instead."""
    untitled = [p for s in doc.sections if not s.heading for p in s.paragraphs if p.strip()]
    topics = [Topic(s.heading, " ".join(s.paragraphs)) for s in doc.sections
              if s.heading and s.paragraphs]
    if topics:
        return (Topic(None, " ".join(untitled)) if untitled else None), topics
    count = max(1, min(len(untitled), round(target / PART_WORDS)))
    size = -(-len(untitled) // count)
    return None, [Topic(None, " ".join(untitled[i:i + size]))
                  for i in range(0, len(untitled), size)]


def _fitting(topics: list[Topic], target: float) -> list[Topic]:
    """As many sections as the target has room for, the longest ones, in document order."""
    room = int((target - BASE_OVERHEAD) // (SECTION_OVERHEAD + MIN_SECTION_CONTENT))
    if len(topics) <= max(room, 1):
        return topics
    keep = sorted(sorted(range(len(topics)), key=lambda i: -topics[i].words)[:max(room, 1)])
    return [topics[i] for i in keep]


def _allocate(parts: list[Topic], content_words: float) -> list[float]:
    total = sum(p.words for p in parts) or 1
    return [max(content_words, 1.0) * p.words / total for p in parts]


def _words(turns: Sequence[Turn]) -> int:
    return sum(count_words(t.text) for t in turns)


def _names(names: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


#: a figure worth echoing: "12%", "$50,000", "3 million people", "25 sites" (not a year)
_FIGURE = re.compile(r"(?<![\w.,$€£])[$€£]?(?!(?:1\d|20)\d\d\b)\d+(?:[,.]\d+)*"
                     r"(?:%| percent|(?: (?:thousand|million|billion))?(?: ([a-z]{3,}))?)")


class _Writer:
    """Writes the turns for one set of picked sentences.

    Who speaks: in section i, host i asks, host i+1 explains and host i+2 reacts (the
    asker again with two hosts), all modulo the number of hosts. The section ends with
    the reactor, and the explainer asks next, so no host ever speaks twice in a row.
    """

    def __init__(self, doc: Document, hosts: list[str]):
        self.doc = doc
        self.hosts = hosts
        self.body = doc.text()

    def write(self, intro: Topic | None, topics: list[Topic], picks: list[list[str]]) -> list[Turn]:
        self.phrases = Phrases(f"{self.doc.title}\0{'|'.join(self.hosts)}")
        self.echoed = ""
        teaser = self._content(picks[0]) if intro else []
        turns = self._opening(teaser)
        covered: list[tuple[Topic, list[str]]] = []
        for topic, picked in zip(topics, picks[1:] if intro else picks):
            content = self._content(picked)
            if content:
                turns += self._exchange(len(covered), topic, content)
                covered.append((topic, content))
        return turns + self._closing(covered, turns[-1].speaker)

    @staticmethod
    def _content(sentences: list[str]) -> list[str]:
        return [s for sentence in sentences for s in spoken(sentence) if s]

    def _say(self, pool: Sequence[str], key: str, **values: str) -> str:
        return self.phrases.pick(pool, key).format(**values)

    # -- opening -------------------------------------------------------------------

    def _opening(self, teaser: list[str]) -> list[Turn]:
        me, *others = self.hosts
        title = spoken_heading(self.doc.title, self.body) if self.doc.title else "today's piece"
        welcome = (self._say(WELCOMES, "welcome", me=me, others=_names(others),
                             are="is" if len(others) == 1 else "are")
                   + " " + self._say(TOPICS, "topic", title=title))
        reply = self._say(REPLIES, "reply", name=me) + " " + (
            " ".join(teaser) or self._say(TEASERS, title))
        turns = [Turn(speaker=me, text=welcome)]
        turns += [Turn(speaker=host, text=self._say(GREETINGS, host)) for host in others[1:]]
        return turns + [Turn(speaker=others[0], text=reply)]

    # -- one section ---------------------------------------------------------------

    def _exchange(self, index: int, topic: Topic, content: list[str]) -> list[Turn]:
        n = len(self.hosts)
        asker, explainer, reactor = (self.hosts[(index + k) % n] for k in range(3))
        chapter = topic.heading
        phrase = spoken_heading(topic.heading, self.body) if topic.heading else ""
        turns = [Turn(speaker=asker, chapter=chapter,
                      text=self._question(index, topic, phrase, explainer))]
        chunks = _chunks(content)
        for number, chunk in enumerate(chunks):
            turns.append(Turn(speaker=explainer, text=" ".join(chunk), chapter=chapter))
            key = f"{topic.key}\0{number}"
            if number < len(chunks) - 1:
                prompt = (self._reaction(chunk, key) + " " + self._say(FOLLOW_UPS, key))
                turns.append(Turn(speaker=reactor, text=prompt, chapter=chapter))
        wrap = self._say(HEADING_WRAPS if phrase else WRAPS, topic.key, topic=phrase)
        return turns + [Turn(speaker=reactor, text=wrap, chapter=chapter)]

    def _question(self, index: int, topic: Topic, phrase: str, explainer: str) -> str:
        lead = self._say(FIRST_TRANSITIONS if index == 0 else TRANSITIONS, topic.key)
        if not topic.heading:
            pool = FIRST_PART_QUESTIONS if index == 0 else PART_QUESTIONS
            question = self._say(pool, topic.key, name=explainer)
        elif topic.heading.rstrip().endswith("?"):
            question = self._say(QUESTION_LEADS, topic.key, name=explainer, question=phrase + "?")
        else:
            question = self._say(QUESTIONS, topic.key, topic=phrase, name=explainer)
        return f"{lead} {question[0].upper()}{question[1:]}"

    def _reaction(self, chunk: list[str], key: str) -> str:
        """A plain reaction, or (every other time, by hash) one that echoes a figure."""
        figure = _figure(" ".join(chunk))
        if figure and figure != self.echoed and hashlib.sha256(key.encode()).digest()[0] % 2:
            self.echoed = figure
            return self._say(ECHOES, key, echo=figure)
        return self._say(REACTIONS, key)

    # -- closing -------------------------------------------------------------------

    def _closing(self, covered: list[tuple[Topic, list[str]]], last: str) -> list[Turn]:
        turns: list[Turn] = []
        if covered:
            last = next(h for h in reversed(self.hosts) if h != last)
            headings = [spoken_heading(t.heading, self.body) for t, _ in covered if t.heading]
            recap = (self._say(RECAPS, "recap", topics=_names(headings)) if headings
                     else self._say(PLAIN_RECAPS, "recap"))
            point = min((content[0] for _, content in covered), key=count_words)
            recap += " " + self._say(TAKEAWAYS, "takeaway", point=point)
            turns.append(Turn(speaker=last, text=recap))
        closer = next(h for h in self.hosts if h != last)
        others = [h for h in self.hosts if h != closer]
        turns.append(Turn(speaker=closer, text=self._say(SIGN_OFFS, "signoff",
                                                         others=_names(others))))
        turns += [Turn(speaker=host, text=self._say(GOODBYES, host)) for host in others]
        return turns


def _figure(text: str) -> str:
    """The first figure in ``text``, with its noun unless that is a function word."""
    m = _FIGURE.search(text)
    if not m:
        return ""
    noun = m.group(1)
    return m.group(0)[:m.start(1) - m.start() - 1] if noun in STOPWORDS else m.group(0)


def _chunks(sentences: list[str]) -> list[list[str]]:
    """Sentences grouped into explaining turns of about ``TURN_WORDS`` words, evenly (no
    long turn followed by a one-sentence stub)."""
    total = count_words(" ".join(sentences))
    size = total / max(round(total / TURN_WORDS), 1)
    chunks: list[list[str]] = [[]]
    done = 0
    for sentence in sentences:
        if chunks[-1] and done >= size * len(chunks) - count_words(sentence) / 2:
            chunks.append([])
        chunks[-1].append(sentence)
        done += count_words(sentence)
    return chunks
