"""Text outputs: summaries, key points and social posts, written by any text generator.

The transforms only ask; the generator (``extractive`` offline by default, an LLM when
configured) decides how to write. So the same recipe runs with either.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

import engine
from engine.artifacts import Artifact, Document, Text, as_document
from engine.brand import checked_hashtags
from engine.errors import TranslationError
from engine.languages import LanguageTag, wrong_language
from engine.textgen import GeneratorSettings
from plugins.text.openai_generator import trim_chars
from plugins.text.wording import preferred_document, style_guide

TEXT_INPUTS = ("document", "transcript", "text", "script")
#: the fewest characters a post keeps for its text after the call to action and hashtags
MIN_POST_ROOM = 40


class TextParams(engine.Params):
    """Parameters every generated text shares."""

    generator: str = Field(
        "extractive", description="text generator as NAME or NAME:MODEL "
        "(extractive is offline; openai:gpt-4o-mini needs a key)",
        json_schema_extra={"registry": "text_generators"})
    tone: str = Field("", max_length=2000,
                      description="brand and tone guidance for generators that write "
                                  "(for example 'warm, plain English, no hype')")
    llm: GeneratorSettings = Field(default_factory=GeneratorSettings,
                                   description="endpoint, key variable, context size and "
                                               "retries for model-backed generators")
    language: LanguageTag | None = Field(
        None, description="language to write in, as a BCP 47 tag (pt-BR, es); a language "
                          "model writes in it, the extractive generator's text is translated "
                          "(see the translate step); empty: the source's language")


class AvoidingParams(TextParams):
    """Parameters of every text written from a source's sentences, words to avoid."""

    avoid: list[str] = Field([], max_length=500,
                             description="words and phrases never to use (whole words, any "
                                         "case): sentences containing one, or leaning on "
                                         "one, are left out, and a language model is told so")


def glossary_field(what: str):
    """The ``glossary`` parameter of a step whose ``what`` ``language:`` translates."""
    return Field([], max_length=2000, description=f"terms never translated when `language:` "
                                                  f"has the {what} translated (names, products)")


class OutputParams(AvoidingParams):
    """Parameters of summaries, key points and posts: the generated text's wording."""

    preferred: dict[str, str] = Field({}, description="preferred terms, {word used: word "
                                      "wanted}: the source is rewritten with them (whole "
                                      "words, case kept) before anything is written from it")
    glossary: list[str] = glossary_field("text")


def text_generator(params: TextParams, ctx: engine.Context) -> engine.TextGenerator:
    return ctx.registry.text_generator(params.generator, params.llm)


def record_usage(generator: engine.TextGenerator, ctx: engine.Context) -> None:
    """Put what the generator spent on this step, and what it remarked, into the manifest."""
    spent = generator.take_usage()
    if spent.requests:
        ctx.metrics["usage"] = spent.as_dict()
    for note in generator.take_notes():
        ctx.note(note)


class TextTransform(engine.Transform):
    """Shared plumbing: the generator's identity is part of the cache key, and what it
    spends is recorded."""

    consumes = TEXT_INPUTS
    produces = "text"
    Params = OutputParams

    @classmethod
    def brand_params(cls, brand) -> dict:
        words = brand.words
        return {"tone": words.tone or None, "avoid": list(words.avoid) or None,
                "preferred": dict(words.preferred) or None,
                "glossary": list(words.glossary) or None}

    def model_identity(self, params: TextParams, ctx: engine.Context) -> str:
        return writer_identity(params, ctx)

    def run(self, source: Artifact, params: OutputParams, ctx: engine.Context) -> Text:
        generator = text_generator(params, ctx)
        generator.take_usage()
        generator.take_notes()
        doc = preferred_document(as_document(source), params.preferred)
        params = params.model_copy(update={
            "tone": style_guide(params.tone, params.avoid, params.preferred)})
        try:
            if params.language and generator.writes_any_language:
                return self.finish(self._written_in(params.language, doc, generator, params,
                                                    ctx), params, ctx, translated=False)
            text = self.write(doc, generator, params, ctx)
        finally:
            record_usage(generator, ctx)
        if params.language:
            text = in_language(text, params.language, params.glossary, ctx)
        return self.finish(text, params, ctx, translated=bool(params.language))

    def _written_in(self, language: str, doc: Document, generator: engine.TextGenerator,
                    params: OutputParams, ctx: engine.Context) -> Text:
        """Ask the model to write in ``language``; an answer in another one is asked for
        again once, then the step fails (never another language under this label)."""
        tone = f"{params.tone}\nWrite the answer in the language with BCP 47 tag {language}.".strip()
        asking = params.model_copy(update={"tone": tone})
        for _attempt in range(2):
            text = self.write(doc, generator, asking, ctx)
            found = wrong_language(text.body, language)
            if not found:
                return text.model_copy(update={"language": language})
        raise TranslationError(f"generator {params.generator} wrote in {found!r} twice when "
                               f"asked for {language!r}",
                               hint="use a model that writes that language, or chain a "
                                    "translate step")

    def write(self, doc: Document, generator: engine.TextGenerator, params: OutputParams,
              ctx: engine.Context) -> Text:
        raise NotImplementedError

    def finish(self, text: Text, params: OutputParams, ctx: engine.Context, *,
               translated: bool) -> Text:
        """The text as delivered, once written and (``translated``) translated: what
        must never be translated is added here."""
        return text


def _check_words(body: str, target: int, generator: str, ctx: engine.Context) -> None:
    """Note in the manifest when a summary misses its target by more than 20%."""
    count = len(body.split())
    if abs(count - target) > 0.2 * target:
        ctx.note(f"summary has {count} words for a target of {target} "
                 f"(generator {generator} got no closer)")


def writer_identity(params: TextParams, ctx: engine.Context) -> str:
    """What a written output's cache key changes with: the generator, and the translator
    when its text is translated into ``params.language`` afterwards."""
    generator = text_generator(params, ctx)
    if params.language and not generator.writes_any_language:
        translate = ctx.registry.transform("translate")
        return (f"{generator.identity()} then translate@{translate.version} "
                f"{translate.model_identity(translate.Params(language=params.language), ctx)}")
    return generator.identity()


def in_language(artifact: Artifact, language: str, glossary: list[str],
               ctx: engine.Context) -> Artifact:
    """A text or script in ``language`` through the ``translate`` transform (found in the
    registry: the translation family sits above this one), ``glossary`` kept as written."""
    translate = ctx.registry.transform("translate")
    return translate.run(artifact, translate.Params(language=language, glossary=glossary), ctx)


class Summary(TextTransform):
    """Summarise to a target length in words, from a one-line TL;DR to several paragraphs."""

    name = "summary"
    version = "3"  # 2: avoid, preferred; 3: extractive cohesion rules (mid-sentence "this X", "another", lead-ins)

    class Params(OutputParams):
        words: int = Field(150, ge=10, le=5000,
                           description="target length in words (met within +-20%, whole sentences)")

    def write(self, doc, generator, params: Params, ctx) -> Text:
        body = generator.summarize(doc, words=params.words, tone=params.tone,
                                   avoid=params.avoid)
        if not body.strip():
            raise engine.TransformError(f"the source {ctx.source_name} has no text to summarise",
                                        hint="check that the source has paragraphs")
        _check_words(body, params.words, params.generator, ctx)
        return Text(title=doc.title, body=body, target_words=params.words,
                    notes=tuple(ctx.notes))


class KeyPoints(TextTransform):
    """List the key points of a piece as bullets, one sentence each."""

    name = "key-points"
    version = "3"  # 2: avoid, preferred; 3: extractive cohesion rules (mid-sentence "this X", "another", lead-ins)

    class Params(OutputParams):
        count: int = Field(5, ge=1, le=50, description="how many points")

    def write(self, doc, generator, params: Params, ctx) -> Text:
        points = generator.key_points(doc, count=params.count, tone=params.tone,
                                      avoid=params.avoid)
        if not points:
            raise engine.TransformError(f"no key points found in {ctx.source_name}",
                                        hint="check that the source has paragraphs")
        body = "\n".join(f"- {point}" for point in points)
        return Text(title=doc.title, body=body, parts=tuple(points))


class SocialPost(TextTransform):
    """Write a social post of at most N characters, or a thread of such posts."""

    name = "social-post"
    version = "4"  # 3: hashtags, avoid, preferred; 4: a thread's closing shortens only its last post; extractive cohesion rules; the closing is added after translation

    class Params(OutputParams):
        max_chars: int = Field(280, ge=40, le=10000,
                               description="hard limit on each post's length in characters")
        thread: bool = Field(False, description="write a thread of numbered posts instead of one")
        max_posts: int = Field(6, ge=2, le=50, description="most posts in a thread")
        call_to_action: str = Field("", max_length=200,
                                    description="a closing line for the post (the thread's "
                                                "last post), for example 'Read the full piece:'")
        link: str = Field("", max_length=500,
                          description="an address put after the call to action")
        hashtags: list[str] = Field([], max_length=30,
                                    description="hashtags after the call to action (with or "
                                                "without #), within max_chars: the last ones "
                                                "are left off, with a note, when they do not fit")

        @field_validator("hashtags")
        @classmethod
        def _tags(cls, tags: list[str]) -> list[str]:
            return ["#" + tag.lstrip("#") for tag in checked_hashtags(tags)]

    @classmethod
    def brand_params(cls, brand) -> dict:
        words, cta = brand.words, brand.words.call_to_action
        return {**super().brand_params(brand),
                "call_to_action": cta.text if cta else None,
                "link": cta.link or None if cta else None,
                "hashtags": list(words.hashtags) or None}

    def write(self, doc, generator, params: Params, ctx) -> Text:
        """The posts, the last one short of the room its closing takes (added by
        :meth:`finish`, after any translation)."""
        closing, _left_off = _closing(params, params.call_to_action)
        room = params.max_chars - (len(closing) + 2 if closing else 0)
        if params.thread:  # only the last post gives up room for the closing
            posts = generator.thread(doc, max_chars=params.max_chars,
                                     max_posts=params.max_posts, tone=params.tone,
                                     avoid=params.avoid, last_max_chars=room)
        else:
            posts = [generator.social_post(doc, max_chars=room, tone=params.tone,
                                           avoid=params.avoid)]
        return Text(title=doc.title, body="\n\n".join(posts),
                    parts=tuple(posts) if params.thread else (),
                    target_chars=params.max_chars)

    def finish(self, text: Text, params: Params, ctx: engine.Context, *,
               translated: bool) -> Text:
        """The posts with the closing on the last one: the call to action translated
        with the posts, the link and hashtags never ("#UrbanForestry" came back
        "-UrbanForestry (UrbanForestry)" and the lines ran together)."""
        posts = list(text.parts) if params.thread else [text.body]
        action = params.call_to_action
        if translated and action.strip():
            action = in_language(Text(title="", body=action), params.language or "",
                                 params.glossary, ctx).body
        closing, left_off = _closing(params, action)
        if left_off:
            ctx.note(f"left off {', '.join(left_off)}: no room in a "
                     f"{params.max_chars}-character post")
        if closing and posts:
            room = params.max_chars - len(closing) - 2
            if len(posts[-1]) > room:  # a translation made it longer
                posts[-1] = _shortened(posts[-1], room)
                ctx.note("the last post was shortened to leave room for its closing")
            posts[-1] = f"{posts[-1]}\n\n{closing}"
        too_long = [p for p in posts if len(p) > params.max_chars]
        if too_long or not any(p.strip() for p in posts):
            raise engine.TransformError(
                f"generator {params.generator} wrote a post over {params.max_chars} characters"
                if too_long else f"generator {params.generator} wrote an empty post",
                hint="try another generator or a larger max_chars")
        return text.model_copy(update={"body": "\n\n".join(posts),
                                       "parts": tuple(posts) if params.thread else ()})


#: a thread post's numbering, " 2/6" at its end
_NUMBERING = re.compile(r"^(.*?)( \d+/\d+)$", re.S)


def _shortened(post: str, room: int) -> str:
    """``post`` within ``room`` characters, its numbering kept (whole sentences while
    they fit, else a clause, else words)."""
    numbered = _NUMBERING.match(post)
    body, numbering = numbered.groups() if numbered else (post, "")
    return trim_chars(body, room - len(numbering)) + numbering


def _closing(params: SocialPost.Params, action: str) -> tuple[str, list[str]]:
    """The post's last lines, ``action`` (the call to action) with its link, then the
    hashtags, and the hashtags left off: as many are kept as leave the post
    ``MIN_POST_ROOM`` characters."""
    action = " ".join(part for part in (action.strip(), params.link.strip()) if part)
    tags = list(params.hashtags)
    while True:
        closing = "\n".join(line for line in (action, " ".join(tags)) if line)
        room = params.max_chars - (len(closing) + 2 if closing else 0)
        if room >= MIN_POST_ROOM or not tags:
            break
        tags.pop()
    if room < MIN_POST_ROOM:
        raise engine.TransformError(
            f"the call to action and link leave {room} characters of a "
            f"{params.max_chars}-character post", hint="shorten them or raise max_chars")
    return closing, params.hashtags[len(tags):]


@engine.hookimpl
def register_transforms(register):
    register(Summary)
    register(KeyPoints)
    register(SocialPost)
