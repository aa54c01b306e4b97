"""The ``openai`` text generator: any OpenAI-compatible chat model writes the text outputs.

``generator: openai:MODEL`` (default model gpt-4o-mini) works with OpenAI itself and
with anything that speaks its chat-completions API: Azure-style gateways, Ollama, vLLM,
LM Studio, llama.cpp's server. Where requests go comes from the step's ``llm:`` block
(``base_url``, ``api_key_env``, ``organization``) or the usual environment variables
(``OPENAI_BASE_URL``, the variable named by ``api_key_env``, ``OPENAI_ORG_ID``).

How it stays dependable (see :mod:`plugins.text.llm_client` and
:mod:`plugins.text.mapreduce`):

- key points, threads and dialogues come back as JSON validated by pydantic; an answer
  that fails is sent back with the validation error, at most twice, then the step fails;
- lengths are checked after generation: one corrective request, then a summary is
  trimmed at a sentence boundary (too long) or accepted (too short, the transform notes
  it); a post is never returned over its limit;
- a source longer than ``llm.context_tokens`` is summarised part by part first
  (map-reduce), and every request, answer included, fits the context;
- prompts are plain template files (``plugins/text/prompts``), each replaceable per
  recipe with ``llm.prompts``; their digest is part of :meth:`identity`, so the step
  cache notices an edited prompt. They show the shape of an answer with placeholders
  (``<first post>``), never with sample text a weak model could hand back;
- every answer is checked for text copied from the prompt's instructions or examples
  and for leaked markup (:mod:`plugins.text.answer_checks`), and sent back when found;
- notes on the parts of a long document are checked too: cut off, over their length or
  mostly copied from the part, they are asked for again, then the part is summarised
  extractively and the manifest says so;
- the context size is the smaller of ``llm.context_tokens`` and what the server reports
  (:mod:`plugins.text.context_probe`); the manifest says which was used.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import math
import re
import string
from pathlib import Path
from typing import Any, Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

import engine
from engine.artifacts import Document, Section
from engine.errors import UnusableAnswerError
from engine.textgen import GeneratorSettings, Usage, thread_room
from plugins.text import context_probe, llm_client, mapreduce
from plugins.text.answer_checks import (copied_from_prompt, copied_share, repeated_sentence,
                                        unrelated)
from plugins.text.extractive import ExtractiveGenerator
from plugins.text.llm_client import Answer, ChatClient, Unusable, extract_json
from plugins.text.wording import avoided_word
from engine.sentences import (compress, count_words, ends_sentence, split_sentences,
                                    truncate_words)

DEFAULT_MODEL = "gpt-4o-mini"
PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
PROMPT_NAMES = ("system", "tone", "summary", "key_points", "post", "thread", "dialogue",
                "map", "fix_json", "fix_words", "fix_chars", "fix_thread", "fix_dialogue")
#: summary and dialogue length tolerance, as a fraction of the target
TOLERANCE = 0.2
#: tokens kept free in every request, on top of the estimates
MARGIN = 64
#: long documents are condensed to notes of at most this share of the context
NOTES_SHARE = 0.45
#: how many documents' notes a generator remembers (several steps read the same source)
_NOTES_KEPT = 8
#: notes whose words are at least this share verbatim runs of their part are a copy
NOTES_COPY_LIMIT = 0.6

log = logging.getLogger("remixer.openai")


# --------------------------------------------------------------------------- prompts

class Prompts:
    """The prompt templates in use: built-in files, each overridable from a folder."""

    def __init__(self, folder: str | None = None):
        override = Path(folder).expanduser() if folder else None
        if override is not None:
            if not override.is_dir():
                raise engine.GeneratorError(
                    f"the prompts folder {override} does not exist",
                    hint="set llm.prompts to a folder of .txt templates, or remove it")
            unknown = sorted(p.stem for p in override.glob("*.txt")
                             if p.stem not in PROMPT_NAMES)
            if unknown:
                close = difflib.get_close_matches(unknown[0], PROMPT_NAMES, n=1)
                maybe = f" (did you mean {close[0]}.txt?)" if close else ""
                raise engine.GeneratorError(
                    f"{override / (unknown[0] + '.txt')} replaces no built-in prompt{maybe}",
                    hint=f"name override files after the built-in ones: "
                         f"{', '.join(n + '.txt' for n in PROMPT_NAMES)}")
        self.texts: dict[str, str] = {}
        for name in PROMPT_NAMES:
            path = override / f"{name}.txt" if override else None
            if path is None or not path.is_file():
                path = PROMPTS_DIR / f"{name}.txt"
            self.texts[name] = path.read_text(encoding="utf-8")
        digest = hashlib.sha256()
        for name in PROMPT_NAMES:
            digest.update(f"{name}\0{self.texts[name]}\0".encode("utf-8"))
        self.digest = digest.hexdigest()

    def render(self, name: str, **values: Any) -> str:
        try:
            return string.Template(self.texts[name]).substitute(
                {k: str(v) for k, v in values.items()}).strip()
        except KeyError as exc:
            raise engine.GeneratorError(
                f"prompt template {name}.txt uses ${exc.args[0]}, which it is not given",
                hint=f"use only ${', $'.join(sorted(values))} (write $$ for a dollar sign)"
            ) from None
        except ValueError as exc:
            raise engine.GeneratorError(f"prompt template {name}.txt is malformed: {exc}",
                                        hint="write $$ for a dollar sign") from None


# --------------------------------------------------------------------------- answers

def _clean_item(text: str) -> str:
    """One list item without bullets, numbering or surrounding quotes."""
    text = re.sub(r"^\s*(?:[-*•‣◦▪–]|\(?\d{1,3}[.)/]\s*(?:\d{1,3}\)?)?)\s+", "", text)
    return _strip_quotes(" ".join(text.split()))


def _strip_quotes(text: str) -> str:
    text = text.strip()
    for left, right in (('"', '"'), ("“", "”"), ("'", "'")):
        if len(text) > 1 and text.startswith(left) and text.endswith(right) and \
                text.count(left) + (text.count(right) if left != right else 0) == 2:
            return text[1:-1].strip()
    return text


def _clean_text(text: str) -> str:
    """A prose answer without code fences, wrapping quotes or a "Summary:" label."""
    text = text.strip()
    fenced = re.fullmatch(r"```[a-z]*\s*(.*?)```", text, re.S)
    if fenced:
        text = fenced.group(1).strip()
    text = re.sub(r"^(?:summary|post|tl;?dr|notes)\s*:\s*", "", text, flags=re.I)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return _strip_quotes("\n\n".join(paragraphs))


def _drop_partial_sentence(text: str) -> str:
    """An answer cut off by the token limit, without its unfinished last sentence."""
    if ends_sentence(text):
        return text
    paragraphs = text.split("\n\n")
    last = split_sentences(paragraphs[-1])
    if len(last) > 1:
        paragraphs[-1] = " ".join(last[:-1])
    elif len(paragraphs) > 1:
        paragraphs.pop()
    return "\n\n".join(paragraphs)


#: "1/5 " before a post or " (1/5)" after it: remixer numbers the posts itself
_NUMBERING = re.compile(r"^\s*\(?\d{1,2}\s*/\s*\d{1,2}\)?[.:]?\s+"
                        r"|\s+\(?\d{1,2}\s*/\s*\d{1,2}\)?\s*$")


class KeyPointsAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    points: list[str] = Field(min_length=1)

    @field_validator("points")
    @classmethod
    def _check(cls, points: list[str], info: ValidationInfo) -> list[str]:
        cleaned = [_clean_item(p) for p in points]
        if not all(cleaned):
            raise ValueError("every point must be a non-empty sentence")
        count = (info.context or {}).get("count")
        if count and len(cleaned) > count:
            raise ValueError(f"there must be at most {count} points, not {len(cleaned)}")
        return cleaned

    def texts(self) -> list[tuple[str, str]]:
        return [(f"point {i}", p) for i, p in enumerate(self.points, start=1)]


class ThreadAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    posts: list[str] = Field(min_length=1)

    @field_validator("posts")
    @classmethod
    def _check(cls, posts: list[str], info: ValidationInfo) -> list[str]:
        cleaned = [" ".join(_NUMBERING.sub("", p).split()) for p in posts]
        cleaned = [p for p in cleaned if p]
        if not cleaned:
            raise ValueError("the posts must not be empty")
        most = (info.context or {}).get("max_posts")
        if most and len(cleaned) > most:
            raise ValueError(f"there must be at most {most} posts, not {len(cleaned)}")
        return cleaned

    def texts(self) -> list[tuple[str, str]]:
        return [(f"post {i}", p) for i, p in enumerate(self.posts, start=1)]


class DialogueTurn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    host: str
    text: str = Field(min_length=1)
    chapter: str | None = None


class DialogueAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    turns: list[DialogueTurn] = Field(min_length=2)

    @field_validator("turns")
    @classmethod
    def _check(cls, turns: list[DialogueTurn], info: ValidationInfo) -> list[DialogueTurn]:
        hosts: list[str] = (info.context or {}).get("hosts") or []
        by_name = {h.casefold(): h for h in hosts}
        fixed = []
        for i, turn in enumerate(turns):
            host = by_name.get(turn.host.strip().rstrip(":").casefold())
            if hosts and host is None:
                raise ValueError(f"turn {i + 1} has host {turn.host!r}, which is not one of "
                                 f"{', '.join(hosts)}")
            text = " ".join(turn.text.split())
            if not text:
                raise ValueError(f"turn {i + 1} has no text")
            fixed.append(DialogueTurn(host=host or turn.host, text=text, chapter=turn.chapter))
        if len(hosts) > 1 and len({t.host for t in fixed}) < 2:
            raise ValueError("at least two different hosts must speak")
        return fixed

    def texts(self) -> list[tuple[str, str]]:
        return [(f"turn {i}", t.text) for i, t in enumerate(self.turns, start=1)]


_DOCUMENT = re.compile(r"<document>(.*?)</document>", re.S)


class Asked:
    """What an answer is checked against: the request's instructions (its text without
    the document or its title: an answer must not copy them) and the document (an answer
    must be about it)."""

    def __init__(self, messages: list[dict], title: str):
        asked = "\n".join(str(m.get("content") or "") for m in messages
                          if m.get("role") != "assistant")
        self.document = "\n".join([title, *_DOCUMENT.findall(asked)])
        instructions = _DOCUMENT.sub("\n", asked)
        self.instructions = instructions.replace(title, "\n") if title.strip() else instructions

    def check(self, texts: list[tuple[str, str]]) -> None:
        """Unusable when any (label, text) copies the prompt, or when all of them together
        loop or say nothing about the document."""
        for label, text in texts:
            copied = copied_from_prompt(text, self.instructions)
            if copied:
                quoted = copied if len(copied) <= 60 else copied[:57] + "..."
                raise Unusable(f"{label} copies the prompt's instructions or example "
                               f"({quoted!r}) instead of saying something about the "
                               f"document; write it from the document, in your own words")
        whole = "\n".join(text for _, text in texts)
        loop = repeated_sentence(whole, self.document)
        if loop:
            quoted = loop if len(loop) <= 60 else loop[:57] + "..."
            raise Unusable(f"the answer repeats itself ({quoted!r} comes twice); say each "
                           f"thing once")
        if unrelated(whole, self.document) and not _in_another_language(whole, self.document):
            raise Unusable("the answer says nothing about the document (it shares no word "
                           "with it); answer the request about the document")


def _in_another_language(answer: str, document: str) -> bool:
    """An answer written in another language than the document (a step with ``language:``)
    shares no words with it and is still about it."""
    from engine.languages import detect, same_language

    found, document_language = detect(answer)[0], detect(document)[0]
    return bool(found and document_language and not same_language(found, document_language))


def _json_parser(model: type[BaseModel], request: Asked,
                 **context: Any) -> Callable[[Answer], BaseModel]:
    def parse(answer: Answer) -> BaseModel:
        data = extract_json(answer.text)
        if isinstance(data, list) and len(model.model_fields) == 1:
            data = {next(iter(model.model_fields)): data}  # a bare list of the one field
        if not isinstance(data, dict):
            raise Unusable(f"the answer must be a JSON object, not {type(data).__name__}")
        value = model.model_validate(data, context=context)
        request.check(value.texts())
        return value
    return parse


def _text_parser(request: Asked, label: str) -> Callable[[Answer], str]:
    def parse(answer: Answer) -> str:
        text = _clean_text(answer.text)
        if answer.truncated:
            text = _drop_partial_sentence(text)
        if not text:
            raise Unusable("the answer was empty")
        request.check([(label, text)])
        return text
    return parse


# --------------------------------------------------------------------------- fitting

def trim_words(text: str, limit: int) -> str:
    """``text`` cut after its last whole sentence within ``limit`` words (paragraphs kept).

    When even the first sentence is longer, it is shortened at a clause, else at a word.
    """
    out: list[str] = []
    used = 0
    for paragraph in text.split("\n\n"):
        kept: list[str] = []
        for sentence in split_sentences(paragraph):
            n = count_words(sentence)
            if used + n > limit:
                break
            kept.append(sentence)
            used += n
        else:
            out.append(" ".join(kept))
            continue
        if kept:
            out.append(" ".join(kept))
        break
    if out:
        return "\n\n".join(out)
    first = (split_sentences(text) or [text])[0]
    short = compress(first, max_words=limit)
    if short:
        return short
    return " ".join(first.split()[:limit]).rstrip(" ,;:—–-") + "…"


def trim_chars(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters: whole sentences, else a clause, else words."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in split_sentences(text):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    if kept:
        return kept
    first = (split_sentences(text) or [text])[0]
    return compress(first, max_chars=limit) or truncate_words(first, limit)


def _words(turns: list[DialogueTurn]) -> int:
    return sum(count_words(t.text) for t in turns)


# --------------------------------------------------------------------------- generator

class OpenAIGenerator(engine.TextGenerator):
    """Any OpenAI-compatible chat model (OpenAI, Azure-style gateways, Ollama, vLLM,
    LM Studio, llama.cpp)."""

    name = "openai"
    version = "1"
    writes_any_language = True

    def __init__(self, model: str | None = None,
                 settings: GeneratorSettings = GeneratorSettings()):
        super().__init__(model or DEFAULT_MODEL, settings)
        #: waits between retries; None uses ``llm_client.sleep`` (tests inject their own)
        self.sleep: Callable[[float], None] | None = None
        self._prompts: Prompts | None = None
        self._client: ChatClient | None = None
        #: notes on long documents, with what the manifest must say about how they were made
        self._notes: dict[tuple, tuple[str, list[str]]] = {}
        #: what the server said about its context size, per endpoint URL
        self._discovered: dict[str, context_probe.Discovered | None] = {}

    # -- identity and plumbing ----------------------------------------------------------

    @property
    def prompts(self) -> Prompts:
        if self._prompts is None:
            self._prompts = Prompts(self.settings.prompts)
        return self._prompts

    def identity(self) -> str:
        """Model, endpoint (never the key), temperature, context size, generator version
        and the digest of the prompt templates: what the answers depend on."""
        endpoint = llm_client.resolve_endpoint(self.settings)
        return (f"openai:{self.model}@{self.version} url={endpoint.url} "
                f"temperature={self.settings.temperature:g} "
                f"context={self.settings.context_tokens} prompts={self.prompts.digest[:16]}")

    @property
    def context_tokens(self) -> int:
        """The context size requests are fitted to: the smaller of ``llm.context_tokens``
        and what the server reports (asked once per endpoint, on first use: a cached run
        asks nothing).
        Every step that used it says in its manifest which it was."""
        tokens, source = self._discover_context()
        self.note(f"context: {tokens} tokens, {source}")
        return tokens

    def _discover_context(self) -> tuple[int, str]:
        configured = self.settings.context_tokens
        endpoint = llm_client.resolve_endpoint(self.settings)
        if endpoint.base_url is None:  # OpenAI itself does not say
            return configured, "from llm.context_tokens"
        if endpoint.url not in self._discovered:
            headers = {"Authorization": f"Bearer {endpoint.api_key()}"}
            self._discovered[endpoint.url] = context_probe.discover(endpoint.base_url,
                                                                    self.model, headers)
        found = self._discovered[endpoint.url]
        if found is None:
            return configured, "from llm.context_tokens (the server does not report its size)"
        if found.tokens < configured:
            return found.tokens, (f"reported by {found.source}, smaller than "
                                  f"llm.context_tokens={configured}")
        return configured, (f"from llm.context_tokens ({found.source} reports "
                            f"{found.tokens})")

    @property
    def client(self) -> ChatClient:
        if self._client is None:
            settings = self.settings.model_copy(update={"context_tokens": self.context_tokens})
            self._client = ChatClient(self.model, settings, on_usage=self._answered,
                                      on_request=self._sent, sleep=self._wait)
        return self._client

    def _wait(self, seconds: float) -> None:
        (self.sleep or llm_client.sleep)(seconds)

    def _sent(self) -> None:
        self.usage.add(Usage(requests=1, failed_requests=1))

    def _answered(self, answer: Answer) -> None:
        self.usage.add(Usage(0, answer.prompt_tokens, answer.completion_tokens,
                             failed_requests=-1))

    def _messages(self, task: str, tone: str, **values: Any) -> list[dict]:
        tone_block = self.prompts.render("tone", tone=tone.strip()) if tone.strip() else ""
        values = {"tone": tone.strip(), "tone_block": tone_block, **values}
        return [{"role": "system", "content": self.prompts.render("system", **values)},
                {"role": "user", "content": self.prompts.render(task, **values)}]

    def _fix(self, template: str, **values: Any) -> Callable[[str], str]:
        return lambda error: self.prompts.render(template, error=error, **values)

    def _fit(self, doc: Document, task: str, tone: str, answer: int, *, what: str,
             **values: Any) -> list[dict]:
        """The request for ``task`` with the document, or notes on it when it is too long
        for the context (leaving room for the answer, a correction and its answer)."""
        context = self.context_tokens
        values.setdefault("title", doc.title)
        empty = self._messages(task, tone, document="", **values)
        fixes = max(mapreduce.estimate_tokens(self.prompts.texts[name])
                    for name in PROMPT_NAMES if name.startswith("fix_")) + 120
        budget = context - mapreduce.estimate_messages(empty) - 2 * answer - fixes - MARGIN
        if budget < 200:
            raise engine.GeneratorError(
                f"a context of {context} tokens leaves no room for the source next to {what}",
                hint="raise llm.context_tokens to the model's real size, or ask for less")
        text = mapreduce.document_text(doc)
        if mapreduce.estimate_tokens(text) > budget:
            text = self._condensed(doc, min(budget, int(context * NOTES_SHARE)), tone)
        return self._messages(task, tone, document=text, **values)

    def _condensed(self, doc: Document, target: int, tone: str) -> str:
        """Notes on a long document within ``target`` tokens (map-reduce), remembered."""
        endpoint = llm_client.resolve_endpoint(self.settings)
        key = (endpoint.url, doc.digest(), target, tone)
        if key in self._notes:
            notes, remarks = self._notes[key]
            for remark in remarks:
                self.note(remark)
            return notes
        context = self.context_tokens
        remarks: list[str] = []
        max_words = max(40, min(400, int(context * 0.1 / mapreduce.TOKENS_PER_WORD)))
        empty = self._messages("map", tone, document="", title=doc.title, part=99, parts=99,
                               words=max_words)
        reserve = mapreduce.answer_tokens(max_words)
        chunk_budget = context - mapreduce.estimate_messages(empty) - reserve - MARGIN

        def summarise(text: str, part: int, parts: int, words: int) -> str:
            messages = self._messages("map", tone, document=text, title=doc.title, part=part,
                                      parts=parts, words=words)
            parse = _notes_parser(text, words, Asked(messages, doc.title))
            try:
                notes, _ = self.client.ask(
                    messages, parse, what=f"notes on part {part} of {parts}",
                    max_tokens=mapreduce.answer_tokens(words),
                    fix=lambda error: f"{error}. Write the notes again, at most "
                                      f"{max(20, words // 2)} words.")
                return notes
            except UnusableAnswerError as exc:
                remark = (f"notes on part {part} of {parts} were picked from its own "
                          f"sentences (extractive): the model's were unusable "
                          f"({exc.message.split(': ', 1)[-1]})")
                log.warning("%s", remark)
                remarks.append(remark)
                self.note(remark)
                return _extractive_notes(text, doc.title, words)

        notes = mapreduce.condense(doc, target=target, chunk_budget=chunk_budget,
                                   max_words=max_words, summarise=summarise)
        notes = ("(The document is long: below are notes on each of its parts, in order.)"
                 f"\n\n{notes}")
        if len(self._notes) >= _NOTES_KEPT:
            self._notes.pop(next(iter(self._notes)))
        self._notes[key] = (notes, remarks)
        return notes

    def _avoided(self, text: str, avoid: Sequence[str]) -> str:
        """``text``, noting in the manifest a word to avoid the model used anyway (the
        prompt's tone asked it not to: see ``plugins.text.wording.style_guide``)."""
        found = avoided_word(text, avoid)
        if found:
            self.note(f"the model used {found!r}, which the brand avoids")
        return text

    # -- tasks --------------------------------------------------------------------------

    def summarize(self, doc: Document, *, words: int, tone: str = "",
                  avoid: Sequence[str] = ()) -> str:
        lo, hi = math.ceil(words * (1 - TOLERANCE)), math.floor(words * (1 + TOLERANCE))
        if doc.word_count() <= hi:  # nothing to shorten: the source itself, as extractive
            return doc.text()
        layout = ("one paragraph" if words <= 100 else
                  "a few short paragraphs separated by blank lines")
        values = dict(words=words, min_words=lo, max_words=hi, layout=layout)
        max_tokens = mapreduce.answer_tokens(hi)
        messages = self._fit(doc, "summary", tone, max_tokens,
                             what=f"a {words}-word summary", **values)
        first, conversation = self.client.ask(
            messages, _text_parser(Asked(messages, doc.title), "the summary"),
            what="summary", max_tokens=max_tokens,
            fix=lambda error: f"{error}. Write the summary again.")
        if lo <= count_words(first) <= hi:
            return self._avoided(first, avoid)
        follow_up = conversation + [{"role": "user", "content": self.prompts.render(
            "fix_words", actual=count_words(first), **values)}]
        second, _ = self.client.ask(follow_up, _text_parser(
                                        Asked(follow_up, doc.title), "the summary"),
                                    what="summary",
                                    max_tokens=max_tokens,
                                    fix=lambda error: f"{error}. Write the summary again.")
        candidates = [trim_words(t, hi) if count_words(t) > hi else t for t in (second, first)]
        in_range = [t for t in candidates if lo <= count_words(t) <= hi]
        best = in_range[0] if in_range else min(candidates,
                                                key=lambda t: abs(count_words(t) - words))
        return self._avoided(best, avoid)

    def key_points(self, doc: Document, *, count: int, tone: str = "",
                   avoid: Sequence[str] = ()) -> list[str]:
        if count < 1:
            return []
        max_tokens = mapreduce.answer_tokens(count * 32) + 10 * count
        messages = self._fit(doc, "key_points", tone, max_tokens,
                             what=f"{count} key points", count=count)
        parse = _json_parser(KeyPointsAnswer, Asked(messages, doc.title), count=count)
        answer, _ = self.client.ask(messages, parse,
                                    what="key points", max_tokens=max_tokens, json_mode=True,
                                    fix=self._fix("fix_json"))
        self._avoided(" ".join(answer.points), avoid)
        return answer.points

    def social_post(self, doc: Document, *, max_chars: int, tone: str = "",
                    avoid: Sequence[str] = ()) -> str:
        max_tokens = math.ceil(max_chars / 2.5) + 60
        messages = self._fit(doc, "post", tone, max_tokens,
                             what=f"a post of {max_chars} characters", max_chars=max_chars)
        post, conversation = self.client.ask(
            messages, _text_parser(Asked(messages, doc.title), "the post"),
            what="post", max_tokens=max_tokens,
            fix=lambda error: f"{error}. Write the post again.")
        if len(post) > max_chars:
            follow_up = conversation + [{"role": "user", "content": self.prompts.render(
                "fix_chars", actual=len(post), max_chars=max_chars)}]
            post, _ = self.client.ask(follow_up, _text_parser(
                                          Asked(follow_up, doc.title), "the post"),
                                      what="post",
                                      max_tokens=max_tokens,
                                      fix=lambda error: f"{error}. Write the post again.")
        if len(post) > max_chars:
            post = trim_chars(post, max_chars)
        return self._avoided(post, avoid)

    def thread(self, doc: Document, *, max_chars: int, max_posts: int,
               tone: str = "", avoid: Sequence[str] = (),
               last_max_chars: int | None = None) -> list[str]:
        if max_posts < 1:
            return []
        room = thread_room(max_chars, max_posts)
        last_room = room if last_max_chars is None else \
            min(room, thread_room(last_max_chars, max_posts))
        max_tokens = math.ceil(max_posts * (room / 2.5 + 12)) + 60
        values = dict(max_posts=max_posts, room=room, max_chars=max_chars,
                      last_post=f" The last post must be at most {last_room} characters: a "
                                "closing line is added to it." if last_room < room else "")
        messages = self._fit(doc, "thread", tone, max_tokens,
                             what=f"a thread of {max_posts} posts", **values)
        parse = _json_parser(ThreadAnswer, Asked(messages, doc.title),
                             max_posts=max_posts)
        answer, conversation = self.client.ask(messages, parse, what="thread",
                                               max_tokens=max_tokens, json_mode=True,
                                               fix=self._fix("fix_json"))
        posts = answer.posts
        too_long = [i + 1 for i, p in enumerate(posts) if len(p) > _limit(i, posts, room,
                                                                          last_room)]
        if too_long:
            follow_up = conversation + [{"role": "user", "content": self.prompts.render(
                "fix_thread", numbers=", ".join(map(str, too_long)), **values)}]
            answer, _ = self.client.ask(follow_up, parse, what="thread", max_tokens=max_tokens,
                                        json_mode=True, fix=self._fix("fix_json"))
            posts = answer.posts
        posts = [p if len(p) <= (limit := _limit(i, posts, room, last_room))
                 else trim_chars(p, limit) for i, p in enumerate(posts)]
        self._avoided(" ".join(posts), avoid)
        return [f"{post} {i}/{len(posts)}" for i, post in enumerate(posts, start=1)]

    def dialogue(self, doc: Document, *, hosts: list[str], words: int,
                 tone: str = "") -> list[tuple[str, str, str | None]]:
        hosts = [h.strip() for h in hosts if h and h.strip()]
        if not hosts:
            raise engine.GeneratorError("a dialogue needs at least one host",
                                        hint="name the hosts")
        lo, hi = math.ceil(words * (1 - TOLERANCE)), math.floor(words * (1 + TOLERANCE))
        chapters = [s.heading for s in doc.sections if s.heading]
        values = dict(words=words, min_words=lo, max_words=hi, hosts=", ".join(hosts),
                      first_host=hosts[0],
                      chapters="; ".join(chapters) if chapters else "(none: use null)")
        max_tokens = mapreduce.answer_tokens(hi) + 15 * math.ceil(hi / 25)
        messages = self._fit(doc, "dialogue", tone, max_tokens,
                             what=f"a {words}-word dialogue", **values)
        parse = _json_parser(DialogueAnswer, Asked(messages, doc.title), hosts=hosts)
        answer, conversation = self.client.ask(messages, parse, what="dialogue",
                                               max_tokens=max_tokens, json_mode=True,
                                               fix=self._fix("fix_json"))
        turns = answer.turns
        if not lo <= _words(turns) <= hi:
            follow_up = conversation + [{"role": "user", "content": self.prompts.render(
                "fix_dialogue", actual=_words(turns), **values)}]
            second, _ = self.client.ask(follow_up, parse, what="dialogue",
                                        max_tokens=max_tokens, json_mode=True,
                                        fix=self._fix("fix_json"))
            if abs(_words(second.turns) - words) < abs(_words(turns) - words):
                turns = second.turns
        return [(t.host, t.text, _chapter(t.chapter, chapters)) for t in turns]


def _limit(i: int, posts: list[str], room: int, last_room: int) -> int:
    """The characters post ``i`` of ``posts`` may have: the last one has less."""
    return last_room if i == len(posts) - 1 else room


def _notes_parser(part: str, words: int, request: Asked) -> Callable[[Answer], str]:
    """Notes on one part of a long document, refused when cut off, over their length, or
    mostly a word-for-word copy of the part (what a weak model does when it cannot
    summarise)."""
    prose = _text_parser(request, "the notes")
    shorter = max(20, words // 2)

    def parse(answer: Answer) -> str:
        if answer.truncated:
            raise Unusable(f"the notes must be at most {shorter} words")
        notes = prose(answer)
        if count_words(notes) > words * 1.5 + 10:
            raise Unusable(f"the notes have {count_words(notes)} words, more than the "
                           f"{words} asked for")
        share = copied_share(notes, part)
        if share >= NOTES_COPY_LIMIT:
            raise Unusable(f"{share:.0%} of the notes is copied word for word from the part; "
                           f"write short notes in your own words")
        return notes
    return parse


def _extractive_notes(part: str, title: str, words: int) -> str:
    """Notes on a part made of its own most central sentences (the fallback)."""
    lines = [line for line in part.splitlines()
             if not line.lstrip().startswith(("## ", "[Part "))]
    paragraphs = tuple(p.strip() for p in "\n".join(lines).split("\n\n") if p.strip())
    doc = Document(title=title, sections=(Section(paragraphs=paragraphs),))
    return ExtractiveGenerator().summarize(doc, words=words)


def _chapter(name: str | None, chapters: list[str]) -> str | None:
    """The document heading a turn's chapter names (exactly, loosely, or not at all)."""
    if not name or not chapters:
        return None
    by_fold = {c.casefold(): c for c in chapters}
    if name.strip().casefold() in by_fold:
        return by_fold[name.strip().casefold()]
    close = difflib.get_close_matches(name.strip().casefold(), list(by_fold), n=1, cutoff=0.6)
    return by_fold[close[0]] if close else None


@engine.hookimpl
def register_text_generators(register):
    register(OpenAIGenerator)
