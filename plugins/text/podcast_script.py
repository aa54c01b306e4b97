"""An offline, deterministic podcast script: two to four hosts talk a document through.

:func:`write_dialogue` turns a :class:`Document` into a :class:`Script` that sounds like
a conversation rather than a read-out: an opening that names the topic and the hosts;
for every section one host asks (a grammatical question built from its heading, whatever
its shape: :mod:`plugins.text.questions`), another answers, starting with the section's
sentence that best answers it, a third (or the asker) reacts to a key phrase of what was
just said, sometimes sums it up in fewer words or asks for an example the section gives;
a recap that names each section's key point, and a sign-off. Article sentences are used
whole, each in one turn, and a sentence that leans on or turns against the one before it
(:mod:`plugins.text.cohesion`) stays in the same turn. A document without headings (a transcript) is talked
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
from engine.sentences import (STOPWORDS, compress, count_words, ends_sentence,
                              normalize_space, split_sentences)
from plugins.text.cohesion import completes, dependency
from plugins.text.questions import as_question, heading_shape, keeps_capital, spoken_heading

Pick = Callable[[str, int], list[str]]

#: words one explaining turn holds before another host chimes in
TURN_WORDS = 40
#: a document without headings is talked through in parts, one per this many target words
PART_WORDS = 250
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
    "Our topic today is {title}.",
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
#: for a heading that is a noun phrase or a gerund ("The lesson of the elms")
QUESTIONS = (
    "So, {topic}. What's the story there?",
    "What should people know about {topic}?",
    "{name}, what can you tell us about {topic}?",
    "{name}, what did you find out about {topic}?",
    "How would you explain {topic} to someone new to it?",
)
#: for a heading that is a question, a clause or a how-to, asked as its own question
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
#: reactions that take up a key phrase of what was just said
ECHOES = (
    "{Phrase}. I hadn't thought about that.",
    "Huh, {phrase}. That's a detail I wouldn't have guessed.",
    "Right, {phrase}.",
    "Interesting, {phrase}.",
)
#: reactions when no phrase stands out
REACTIONS = ("Right.", "Huh, interesting.", "Okay, that makes sense.", "I see.")
#: the co-host sums up the previous turn in fewer words
SUMMARIES = ("So, in short: {summary}", "In other words, {summary}", "So basically, {summary}")
#: prompts that presuppose nothing about what comes next
FOLLOW_UPS = (
    "Go on.",
    "Tell me more.",
    "What else is there?",
    "Keep going.",
    "Say more about that.",
)
EXAMPLE_ASKS = ("Can you give us an example?", "Do you have an example of that?",
                "What does that look like in practice?")
WRAPS = (
    "Makes sense.",
    "Good to know.",
    "Fair enough.",
    "That's really helpful.",
    "Okay, got it.",
    "I like that way of putting it.",
)
HEADING_WRAPS = WRAPS + ("So that's {topic} in a nutshell.",)
RECAPS = ("So, quick recap.", "Let's sum up.", "To wrap up.")
#: how the recap introduces each section's key point, in order
RECAP_STEPS = ("First, {point}", "Then, {point}", "Next, {point}", "Also, {point}")
RECAP_LAST = "And finally, {point}"
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


def spoken(sentence: str) -> list[str]:
    """A written sentence as a spoken one: bracketed asides dropped, formal connectives
    made plain, contractions. Always whole: one sentence in, one out (a list, empty when
    nothing is left)."""
    text = normalize_space(_BRACKETED.sub("", sentence))
    text = re.sub(r"\s+([,.;:!?])(?=\s|$)", r"\1", text)  # not ".mjs" or ".js"
    text = _CONNECTIVE.sub(lambda m: f"{_CONNECTIVES[m.group(1)]} {m.group(2)}", text)
    text = _CONTRACTION.sub(_contract, text)
    return [text] if text else []


def _contract(m: re.Match) -> str:
    found = m.group(1)
    short = _CONTRACTIONS[found.lower()]
    return short[0].upper() + short[1:] if found[0].isupper() else short


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


def signed_off(turns: Sequence[Turn], line: str, hosts: Sequence[str]) -> list[Turn]:
    """``turns`` ending with ``line`` (a brand's sign-off), said by the first host, who
    opened the show; added to that host's turn when it is already the last one."""
    line = normalize_space(line)
    if not line or not turns:
        return list(turns)
    last = turns[-1]
    speaker = hosts[0] if hosts else last.speaker
    if last.speaker == speaker:
        return [*turns[:-1], Turn(speaker=speaker, text=f"{last.text} {line}",
                                  chapter=last.chapter)]
    return [*turns, Turn(speaker=speaker, text=line, chapter=last.chapter)]


def script_brand_params(brand) -> dict:
    """What a brand (``engine.brand.Brand``) sets for a podcast script: the hosts' names,
    the sign-off, the tone, the words to avoid, the preferred terms and the glossary."""
    return {"hosts": [host.name for host in brand.sound.hosts] or None,
            "sign_off": brand.words.sign_off or None, "tone": brand.words.tone or None,
            "avoid": list(brand.words.avoid) or None,
            "preferred": dict(brand.words.preferred) or None,
            "glossary": list(brand.words.glossary) or None}


def generator_picker(generator: TextGenerator) -> Pick:
    """Use a text generator's ``summarize`` to choose a section's key sentences."""
    def pick(text: str, n_words: int) -> list[str]:
        doc = Document(title="", sections=(Section(paragraphs=(text,)),))
        whole = split_sentences(text)
        return [_whole(sentence, whole) for sentence in
                split_sentences(generator.summarize(doc, words=max(n_words, 10)))]
    return pick


def _whole(sentence: str, sentences: list[str]) -> str:
    """The source sentence a summary's sentence was shortened from (a script reads
    sentences whole); the sentence itself when it is whole or no source one starts
    like it."""
    if sentence in sentences:
        return sentence
    stem = " ".join(sentence.rstrip(".!?").split()[:6])
    return next((s for s in sentences if s.startswith(stem) and len(s) > len(sentence)),
                sentence)


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
    topics = [Topic(s.heading, "\n\n".join(s.paragraphs)) for s in doc.sections
              if s.heading and s.paragraphs]
    if topics:
        return (Topic(None, "\n\n".join(untitled)) if untitled else None), topics
    count = max(1, min(len(untitled), round(target / PART_WORDS)))
    size = -(-len(untitled) // count)
    return None, [Topic(None, "\n\n".join(untitled[i:i + size]))
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


#: words that mark a sentence as giving an example
_EXAMPLE = re.compile(r"\b(?:for example|for instance|e\.g\.)(?=[\s,])", re.I)
_CAUSAL = re.compile(r"\b(?:because|so that|which is why|that is why|since|means|matters?)\b",
                     re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


#: verbs headings share with too many sentences to say what a sentence is about
_GENERIC = frozenset("matter look like work need make get use go come happen".split())


def _terms(text: str) -> set[str]:
    return {w.lower().rstrip("s") for w in _WORD.findall(text)
            if w.lower() not in STOPWORDS and len(w) > 2} - _GENERIC


def _lower_first(sentence: str, body: str) -> str:
    """A sentence to be said after "First," or "So,": its first word in lower case
    unless the body writes it with a capital mid-sentence (a name) or it is an acronym."""
    first, _, rest = sentence.partition(" ")
    if first in ("I", "I'm", "I've", "I'd", "I'll") or keeps_capital(first, body):
        return sentence
    return f"{first.lower()} {rest}".rstrip()


#: a comma right before the verb: an aside was cut out of the subject
_SEAM = re.compile(r", (?:is|are|was|were|has|have|had|can|will|do|does)\b")

#: words a noun phrase follows
_NOUN_LEADS = frozenset("a an the of in on by with for from into under over about their its "
                        "our your his her had has have is are was were some many more few "
                        "at".split())
_ADVERBS = frozenset("often always never still even just very quite much rather soon "
                     "almost already perhaps".split())


def key_phrase(sentence: str, frequency: dict[str, int]) -> str:
    """Two consecutive content words of ``sentence`` worth repeating back
    ("compacted gravel", "structural soil"): no numbers, no function words, no adverbs,
    not ending in a verb form; the rarest in the document wins (ties: the earliest).
    Empty when none qualifies."""
    runs: list[list[str]] = [[]]
    before: list[str] = [""]  # the word before each run
    for token in re.findall(r"[A-Za-z][A-Za-z'’-]*|\S", sentence):
        lower = token.lower()
        if _WORD.fullmatch(token) and lower not in STOPWORDS | _ADVERBS and len(lower) > 2 \
                and not lower.endswith(("ly", "’s", "'s")):
            runs[-1].append(token)
        else:
            runs.append([])
            before.append(lower)
    best: tuple[float, int, str] | None = None
    for position, (run, lead) in enumerate(zip(runs, before)):
        if len(run) != 2 or run[-1].lower().endswith(("ed", "ing")) or lead not in _NOUN_LEADS:
            continue  # two words after an article, a preposition or a copula: a noun phrase
        rarity = sum(1 / max(1, frequency.get(w.lower(), 1)) for w in run) / len(run)
        if best is None or (rarity, -position) > best[:2]:
            best = (rarity, -position, " ".join(run))
    return best[2] if best else ""


def _runs(sentences: list[str]) -> list[list[str]]:
    """Sentences grouped so that one leaning on the sentence before it ("They are a sign
    of starved ones.") or turning against it stays with it."""
    runs: list[list[str]] = []
    for sentence in sentences:
        if runs and (dependency(sentence) is not None or completes(runs[-1][-1], sentence)):
            runs[-1].append(sentence)
        else:
            runs.append([sentence])
    return runs


def _answer_first(runs: list[list[str]], question: str, heading: str) -> list[list[str]]:
    """The runs with the one that best answers the section's question first: most words
    shared with the heading, a reason for a "why" question; ties keep document order."""
    if len(runs) < 2:
        return runs
    wanted = _terms(heading)
    why = question.lower().startswith(("why", "so, why")) or " why " in question.lower()

    def fit(run: list[str]) -> float:
        return len(wanted & _terms(run[0])) + (0.5 if why and _CAUSAL.search(" ".join(run))
                                               else 0.0)

    best = max(range(len(runs)), key=lambda i: (fit(runs[i]), -i))
    if fit(runs[best]) <= fit(runs[0]):
        return runs
    return [runs[best], *runs[:best], *runs[best + 1:]]


def _chunks(runs: list[list[str]]) -> list[list[str]]:
    """Runs grouped into explaining turns of about ``TURN_WORDS`` words, evenly (no long
    turn followed by a one-sentence stub); a run is never split across turns."""
    total = sum(count_words(" ".join(run)) for run in runs)
    size = total / max(round(total / TURN_WORDS), 1)
    chunks: list[list[str]] = [[]]
    done = 0
    for run in runs:
        words = count_words(" ".join(run))
        if chunks[-1] and done >= size * len(chunks) - words / 2:
            chunks.append([])
        chunks[-1].extend(run)
        done += words
    return chunks


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
        self.frequency: dict[str, int] = {}
        for word in _WORD.findall(self.body):
            self.frequency[word.lower()] = self.frequency.get(word.lower(), 0) + 1

    def write(self, intro: Topic | None, topics: list[Topic], picks: list[list[str]]) -> list[Turn]:
        self.phrases = Phrases(f"{self.doc.title}\0{'|'.join(self.hosts)}")
        teaser = self._content(picks[0]) if intro else []
        turns = self._opening(teaser)
        covered: list[tuple[Topic, list[str]]] = []
        for topic, picked in zip(topics, picks[1:] if intro else picks):
            content = self._content(picked)
            if content:
                exchange, answer = self._exchange(len(covered), topic, content)
                turns += exchange
                covered.append((topic, answer))
        return turns + self._closing(covered, turns[-1].speaker)

    @staticmethod
    def _content(sentences: list[str]) -> list[str]:
        """The sentences in spoken form; lines that are not sentences (labels, a page's
        navigation) are not read out."""
        return [s for sentence in sentences if ends_sentence(sentence) or
                count_words(sentence) > 12 for s in spoken(sentence) if s]

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

    def _exchange(self, index: int, topic: Topic, content: list[str]
                  ) -> tuple[list[Turn], list[str]]:
        """The section's turns, and the run of sentences that answered its question."""
        n = len(self.hosts)
        asker, explainer, reactor = (self.hosts[(index + k) % n] for k in range(3))
        chapter = topic.heading
        phrase = spoken_heading(topic.heading, self.body) if topic.heading else ""
        question = self._question(index, topic, phrase, explainer)
        runs = _answer_first(_runs(content), question, topic.heading or "")
        example = self._example(topic, content)
        told = [run for run in runs[1:] if example and example[-1] in run]
        if told:  # the example is picked already: it becomes the last turn, asked for
            example = told[0]
            runs.remove(example)
        chunks = _chunks(runs)
        if example and (told or example[-1] not in content):
            chunks.append(example)
        turns = [Turn(speaker=asker, chapter=chapter, text=question)]
        for number, chunk in enumerate(chunks):
            turns.append(Turn(speaker=explainer, text=" ".join(chunk), chapter=chapter))
            if number == len(chunks) - 1:
                break
            key = f"{topic.key}\0{number}"
            ask = (self._say(EXAMPLE_ASKS, key) if example and chunks[number + 1] is example
                   else self._say(FOLLOW_UPS, key))
            turns.append(Turn(speaker=reactor, chapter=chapter,
                              text=self._reaction(chunk, key) + " " + ask))
        noun = phrase and heading_shape(phrase) in ("noun", "gerund")
        wrap = self._say(HEADING_WRAPS if noun else WRAPS, topic.key, topic=phrase)
        return turns + [Turn(speaker=reactor, text=wrap, chapter=chapter)], runs[0]

    def _question(self, index: int, topic: Topic, phrase: str, explainer: str) -> str:
        lead = self._say(FIRST_TRANSITIONS if index == 0 else TRANSITIONS, topic.key)
        if not topic.heading:
            pool = FIRST_PART_QUESTIONS if index == 0 else PART_QUESTIONS
            question = self._say(pool, topic.key, name=explainer)
        elif heading_shape(phrase) in ("noun", "gerund") and not topic.heading.endswith("?"):
            question = self._say(QUESTIONS, topic.key, topic=phrase, name=explainer)
        else:
            asked = _lower_first(as_question(topic.heading, self.body), self.body)
            question = self._say(QUESTION_LEADS, topic.key, name=explainer, question=asked)
        return f"{lead} {question[0].upper()}{question[1:]}"

    def _example(self, topic: Topic, content: list[str]) -> list[str]:
        """The section's first sentence that gives an example (with the sentence it leans
        on), spoken; empty when the section gives none or it does not read alone."""
        sentences = split_sentences(topic.text)
        for i, sentence in enumerate(sentences):
            if not _EXAMPLE.search(sentence):
                continue
            run = [sentence]
            if dependency(sentence) is not None:
                if i == 0 or dependency(sentences[i - 1]) is not None:
                    continue
                run = [sentences[i - 1], sentence]
            spoken_run = self._content(run)
            if any(s in content for s in spoken_run[:-1]) and spoken_run[-1] not in content:
                continue  # half of it is already said elsewhere
            return spoken_run
        return []

    def _reaction(self, chunk: list[str], key: str) -> str:
        """A co-host's answer to a turn: a summary of its opening sentence in fewer words
        (one time in three, when a clause compression exists), else a key phrase of its
        last sentence taken up, else a plain acknowledgement."""
        digest = hashlib.sha256(key.encode()).digest()[0]
        if digest % 3 == 0:
            short = compress(chunk[0], max_words=16)
            if short and dependency(short) is None and count_words(short) < count_words(chunk[0]) \
                    and not _SEAM.search(short):
                return self._say(SUMMARIES, key, summary=_lower_first(short, self.body))
        phrase = key_phrase(chunk[-1], self.frequency)
        if phrase:
            phrase = _lower_first(phrase, self.body)
            return self._say(ECHOES, key, phrase=phrase, Phrase=phrase[0].upper() + phrase[1:])
        return self._say(REACTIONS, key)

    # -- closing -------------------------------------------------------------------

    def _closing(self, covered: list[tuple[Topic, list[str]]], last: str) -> list[Turn]:
        turns: list[Turn] = []
        points = [p for p in (self._point(answer) for _, answer in covered) if p]
        if points:
            last = next(h for h in reversed(self.hosts) if h != last)
            steps = [self._say(RECAP_STEPS[:1] if i == 0 else RECAP_STEPS[1:], f"step{i}",
                               point=point) for i, point in enumerate(points[:-1])]
            steps.append(RECAP_LAST.format(point=points[-1]) if len(points) > 1
                         else points[0][:1].upper() + points[0][1:])
            turns.append(Turn(speaker=last, text=" ".join([self._say(RECAPS, "recap"), *steps])))
        closer = next(h for h in self.hosts if h != last)
        others = [h for h in self.hosts if h != closer]
        turns.append(Turn(speaker=closer, text=self._say(SIGN_OFFS, "signoff",
                                                         others=_names(others))))
        turns += [Turn(speaker=host, text=self._say(GOODBYES, host)) for host in others]
        return turns

    def _point(self, answer: list[str]) -> str:
        """A section's key point for the recap: its answering sentence, compressed to
        about 16 words when a clause compression allows; empty when it does not read
        alone."""
        sentence = answer[0]
        if dependency(sentence) is not None or not ends_sentence(sentence) \
                or count_words(sentence) < 5:
            return ""
        if len(answer) > 1 and completes(sentence, answer[1]):
            return _lower_first(f"{sentence} {answer[1]}", self.body)  # "not A. It is B."
        short = compress(sentence, max_words=16) if count_words(sentence) > 16 else None
        if short and count_words(short) < 8:  # "Beginning with SQLite version 3.7.17."
            short = None
        if not short and count_words(sentence) > 30:
            return ""
        return _lower_first(short or sentence, self.body)
