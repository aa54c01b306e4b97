"""Checks on what a model wrote, before any of it is used.

Small local models fail in ways a schema does not catch (all seen with SmolLM2-135M
behind llama.cpp's server):

- they copy the prompt: its shape example (``"First post."``), its placeholders
  (``<what the host says>``) or its instructions ("Answer with only the text of the
  post") come back as the answer, well-formed and so "valid";
- they leak markup: the prompt's ``</document>`` delimiter or the chat template's
  end-of-turn token (``<|im_end|>``, ``<|eot_id|>``...) at the end of an answer;
- asked for notes on a text, they copy the text until the token limit cuts them off;
- they loop, writing the same paragraph again and again until the token limit;
- they answer as a chat assistant ("I'm ready to help. What's your request?"), saying
  nothing about the document at all.

:func:`strip_markup` removes leaked markup from the edges of an answer and
:func:`leftover_markup` names any still inside it (that answer is sent back);
:func:`copied_from_prompt` finds text copied from the instructions;
:func:`copied_share` measures how much of an answer is a verbatim copy of a source text;
:func:`repeated_sentence` finds a loop; :func:`unrelated` an answer sharing no words
with the document.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from engine.sentences import split_sentences

#: chat-template control tokens of the common model families, and prompt delimiters
_TOKEN = (r"<\|[a-z_]{2,24}\|>"                                   # <|im_end|>, <|eot_id|>
          r"|</?s>|\[/?INST\]|<</?SYS>>"                           # llama 2, mistral
          r"|<(?:start|end)_of_turn>"                              # gemma
          r"|</?(?:document|documents|source|text|notes)>"          # our prompts' delimiters
          r"|</[a-z_]{1,20}>")                                     # any closing tag (</post>)
MARKUP = re.compile(_TOKEN, re.I)
#: a role name a template token may leave behind ("<|im_start|>assistant")
_ROLE = r"(?:\s*(?:system|user|assistant|model)\b:?)?"
_EDGE_START = re.compile(rf"^\s*(?:(?:{_TOKEN}){_ROLE}\s*)+", re.I)
_EDGE_END = re.compile(rf"(?:\s*(?:{_TOKEN}){_ROLE})+\s*$", re.I)
#: a placeholder in angle brackets, as the prompts show the shape of an answer
PLACEHOLDER = re.compile(r"<[^<>/\n][^<>\n]{1,59}>")
#: an opening tag alone at an edge of an answer (``<post>``), taken off like markup
_EDGE_TAG_START = re.compile(r"^\s*<[a-z_]{1,20}>\s*", re.I)
#: copied word runs at least this long count towards an echo or a copy
RUN_WORDS = 4


def strip_markup(text: str) -> str:
    """``text`` without template tokens or prompt delimiters at its start or end."""
    text = _EDGE_TAG_START.sub("", _EDGE_START.sub("", text))
    return _EDGE_END.sub("", text).strip()


def leftover_markup(text: str) -> str | None:
    """A template token or delimiter still inside ``text`` (after :func:`strip_markup`),
    or None."""
    found = MARKUP.search(text)
    return found.group(0) if found else None


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.casefold())


def _covered(words: list[str], source: list[str], run: int) -> int:
    """How many of ``words`` lie in runs of at least ``run`` words also found in
    ``source``, in the same order."""
    if not words or not source:
        return 0
    matcher = SequenceMatcher(None, words, source, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks() if block.size >= run)


def copied_share(text: str, source: str, run: int = 8) -> float:
    """The share of ``text``'s words that are verbatim runs (``run`` words or more) of
    ``source``: 1.0 for a straight copy, near 0 for text in other words."""
    words = _words(text)
    return _covered(words, _words(source), run) / len(words) if words else 0.0


def copied_from_prompt(text: str, instructions: str) -> str | None:
    """What ``text`` copies from a prompt's ``instructions`` (the prompt without the
    document it is about), or None.

    A placeholder (``<first post>``) is always a copy; a short text (up to
    :data:`RUN_WORDS` words) is one when it appears whole in the instructions; a longer
    one when at least half its words are runs of :data:`RUN_WORDS` words taken from them.
    """
    placeholder = PLACEHOLDER.search(text)
    if placeholder:
        return placeholder.group(0)
    words = _words(text)
    if not words:
        return None
    source = _words(instructions)
    if len(words) < 2:  # one word proves nothing
        return None
    if len(words) <= RUN_WORDS:
        joined = f" {' '.join(words)} "
        return text.strip() if joined in f" {' '.join(source)} " else None
    if _covered(words, source, RUN_WORDS) * 2 >= len(words):
        return text.strip()
    return None


#: a sentence at least this long said twice in one answer is a loop, not emphasis
_LOOP_WORDS = 8
#: words too common to show that an answer is about a document
_COMMON = frozenset("""about after also been before being could does each from have here
into just like more most much only other over said same some such than that their them
then there these they this those very what when where which while will with would your
you're what's that's it's i'm""".split())


def _long_sentences(text: str) -> list[tuple[tuple[str, ...], str]]:
    found = [(tuple(_words(s)), s) for s in split_sentences(" ".join(text.split()))]
    return [(words, s) for words, s in found if len(words) >= _LOOP_WORDS]


def repeated_sentence(text: str, document: str = "") -> str | None:
    """A sentence of :data:`_LOOP_WORDS` words or more that ``text`` says more often than
    once (and than ``document`` does, which may repeat itself), or None."""
    counts: dict[tuple[str, ...], int] = {}
    for words, sentence in _long_sentences(text):
        counts[words] = counts.get(words, 0) + 1
        if counts[words] == 2:
            allowed = sum(1 for w, _ in _long_sentences(document) if w == words)
            if counts[words] > max(1, allowed):
                return sentence
    return None


def _content(text: str) -> set[str]:
    return {w for w in _words(text) if len(w) >= 4 and w not in _COMMON}


def unrelated(text: str, document: str) -> bool:
    """True when ``text`` (three content words or more) shares none of them with
    ``document``: an answer about something else, or about nothing."""
    words = _content(text)
    return len(words) >= 3 and not words & _content(document)
