"""Transforms ``podcast-script`` (a document talked through by 2-4 hosts) and ``podcast``
(a script spoken by one voice per host, mixed, mastered and tagged), and the batch feed.

``podcast-script`` asks the text generator for a dialogue (offline: the extractive
generator and ``plugins.text.podcast_script.write_dialogue``; ``openai:MODEL``: the model
writes it). ``podcast`` speaks each turn in its host's voice, leaves natural pauses
between turns (slightly varied, deterministically), adds an optional intro, outro and a
music bed that ducks under speech, normalises loudness to -16 LUFS with true peak below
-1 dBTP, and writes:

* ``podcast.mp3``: ID3 title, artist (the hosts), album (the show), a cover, the voice
  engines' disclosure statements (TXXX) and one chapter per section (CHAP/CTOC);
* ``podcast.json``: turns with their voices and times, chapters, word timings, loudness;
* ``podcast.chapters.json``: Podcasting 2.0 chapters, linked from the feed;
* ``podcast.cover.png`` (or .jpg): the cover.

After the batch, ``OUT/podcast.xml`` is an RSS 2.0 feed with every episode
(plugins/audio/feed.py).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from pydantic import Field, field_validator

import engine
from engine.artifacts import Artifact, Audio, Script, Turn, as_document, file_sha256
from engine.errors import TransformError
from engine.transform import Context

from plugins.audio import production
from plugins.audio.cover import CoverLook, cached_cover, missing_glyphs
from plugins.audio.feed import FeedChannel, feed_brand_params
from plugins.audio.narration import (AudioParams, audio_exports, language_problems,
                                     record_disclosure, render, speaking_progress,
                                     voice_engine)
from plugins.text.outputs import (AvoidingParams, glossary_field, in_language, record_usage,
                                  text_generator, writer_identity)
from plugins.text.wording import avoided_word, avoiding_document, preferred_document, style_guide
from plugins.text.podcast_script import script_brand_params, signed_off

#: speaking pace the scripts are planned at: the built-in voices with the pauses
#: between sentences and turns (measured on samples/article.md, see bench/podcast_e2e.py)
WORDS_PER_MINUTE = 160
OPENING_CHAPTER = "Introduction"
CLOSING_CHAPTER = "Wrap-up"
#: a pause at a change of chapter is this much longer than between turns
CHAPTER_PAUSE_FACTOR = 2.0


class PodcastScriptParams(AvoidingParams):
    hosts: list[str] = Field(["Alex", "Sam"], min_length=2, max_length=4,
                             description="the hosts' names, 2 to 4, in speaking order")
    minutes: float = Field(5.0, ge=0.5, le=180,
                           description="target length in minutes (met within +-25% when "
                                       "the source is long enough)")
    words_per_minute: int = Field(WORDS_PER_MINUTE, ge=80, le=260,
                                  description="speaking pace the length is planned at")
    sign_off: str = Field("", max_length=300,
                          description="the hosts' last line, said by the first host (for "
                                      "example the show's catchphrase)")
    preferred: dict[str, str] = Field({}, description="preferred terms, {word used: word "
                                      "wanted}: the source is rewritten with them (whole "
                                      "words, case kept) before the hosts say it")
    glossary: list[str] = glossary_field("script")

    @field_validator("hosts")
    @classmethod
    def _distinct(cls, hosts: list[str]) -> list[str]:
        names = [h.strip() for h in hosts]
        if not all(names) or len(set(names)) != len(names):
            raise ValueError("host names must be distinct and not empty")
        return names


def write_script(source: Artifact, params: PodcastScriptParams, ctx: Context) -> Script:
    """The dialogue a generator writes for ``source``, as a script with named chapters."""
    doc = avoiding_document(preferred_document(as_document(source), params.preferred),
                            params.avoid)
    generator = text_generator(params, ctx)
    generator.take_usage()
    ctx.phase("writing the script")   # a model writing it can take a while
    target = round(params.minutes * params.words_per_minute)
    tone = style_guide(params.tone, params.avoid, params.preferred)
    if params.language and generator.writes_any_language:
        tone = (f"{tone}\nWrite the dialogue in the language with BCP 47 tag "
                f"{params.language}.").strip()
    try:
        raw = generator.dialogue(doc, hosts=list(params.hosts), words=target, tone=tone)
    except NotImplementedError:
        raise TransformError(f"generator {params.generator} cannot write dialogues",
                             hint="use generator: extractive or an openai:MODEL") from None
    except ValueError as exc:
        raise TransformError(f"cannot write a podcast about {ctx.source_name}: {exc}",
                             hint="check that the source has text") from None
    finally:
        record_usage(generator, ctx)
    turns = name_chapters([(h, t, c) for h, t, c in raw if t and t.strip()], doc.title)
    unknown = sorted({t.speaker for t in turns} - set(params.hosts))
    if unknown:
        raise TransformError(f"generator {params.generator} wrote turns for {unknown}, who "
                             f"are not among the hosts {params.hosts}",
                             hint="try again or use another generator")
    if not turns:
        raise TransformError(f"generator {params.generator} wrote an empty dialogue",
                             hint="check that the source has text")
    said = avoided_word(" ".join(t.text for t in turns), params.avoid)
    if said:   # a model's slip, or a title or heading the questions name
        ctx.note(f"the script says {said!r}, which the brand avoids")
    turns = signed_off(turns, params.sign_off, params.hosts)
    words = sum(len(t.text.split()) for t in turns)
    ctx.metrics.update({"words": words, "target_words": target,
                        "estimated_minutes": round(words / params.words_per_minute, 2)})
    if abs(words - target) > 0.25 * target:
        ctx.note(f"the script has {words} words for a target of {target} "
                 f"({params.minutes:g} minutes); "
                 + ("the source is short" if words < target else "the generator overshot"))
    script = Script(title=doc.title, metadata=doc.metadata, speakers=tuple(params.hosts),
                    turns=tuple(turns))
    if not params.language:
        return script
    if generator.writes_any_language and not wrong_language(
            " ".join(t.text for t in turns), params.language):
        return script.model_copy(update={"language": params.language})
    # the extractive writer's dialogue (or a model's in another language), translated
    # turn by turn, hosts and chapters kept
    return in_language(script, params.language, params.glossary, ctx)


def name_chapters(raw: list[tuple[str, str, str | None]], title: str) -> list[Turn]:
    """Turns with every chapter named: the opening (chapter None before any section) is
    "Introduction", the closing (None after the last section) "Wrap-up", and a None in
    between belongs to the section before it."""
    named = [i for i, (_, _, chapter) in enumerate(raw) if chapter]
    turns = []
    for i, (host, text, chapter) in enumerate(raw):
        if not chapter:
            if not named or i < named[0]:
                chapter = OPENING_CHAPTER if named else (title or OPENING_CHAPTER)
            elif i > named[-1]:
                chapter = CLOSING_CHAPTER
            else:
                chapter = next(raw[j][2] for j in range(i, -1, -1) if raw[j][2])
        turns.append(Turn(speaker=host, text=" ".join(text.split()), chapter=chapter))
    return turns


class PodcastScript(engine.Transform):
    """Write a conversation about a document between 2-4 hosts, about N minutes long."""

    name = "podcast-script"
    version = "8"   # 2: conversational writer; 3: the markdown carries front matter and chapters (loads back); 4: sign_off; 5: preferred terms; 6: words to avoid; 7: no "topic: Title: subtitle"; 8: language
    consumes = ("document", "transcript")
    produces = "script"
    Params = PodcastScriptParams

    @classmethod
    def brand_params(cls, brand) -> dict:
        return script_brand_params(brand)

    def model_identity(self, params: PodcastScriptParams, ctx: Context) -> str:
        return writer_identity(params, ctx)

    def run(self, source: Artifact, params: PodcastScriptParams, ctx: Context) -> Script:
        return write_script(source, params, ctx)


# --------------------------------------------------------------------------- podcast

class PodcastParams(AudioParams, PodcastScriptParams):
    voices: list[str] = Field(["hibari:heart", "piper:joe"], min_length=1, max_length=4,
                              description="one voice per host, in the hosts' order, as "
                                          "ENGINE:VOICE (`remixer voices` lists them)",
                              json_schema_extra={"registry": "voices"})
    gap: float = Field(0.45, ge=0.0, le=5.0, description="pause between turns in seconds "
                       "(varied by up to 25% so it sounds natural; longer between chapters)")
    intro: str | None = Field(None, description="audio file played before the conversation")
    outro: str | None = Field(None, description="audio file played after the conversation")
    music: str | None = Field(None, description="music bed under the whole episode, looped; "
                              "it ducks under speech")
    music_volume: float = Field(0.25, ge=0.0, le=1.0,
                                description="music level in the pauses (1.0 = as recorded)")
    cover: str | None = Field(None, description="cover image (PNG or JPEG); default: a "
                              "generated one with the title, the show and the hosts")
    show: str = Field("", max_length=200, description="the show's name (ID3 album and the "
                      "feed's title); default: the episode title")
    feed: FeedChannel | None = Field(None, description="the podcast feed's channel (title, "
                                     "author, owner, category, artwork, base_url...), read "
                                     "by the feed written after the batch; a brand's `show` "
                                     "fills it")
    logo: str | None = Field(None, description="a logo (PNG or SVG) on the generated cover")
    colors: tuple[str, ...] = Field((), max_length=2, description=(
        "the generated cover's gradient, top and bottom; empty: a designed palette picked "
        "by the show's name"))
    accent_color: str | None = Field(None, description="the generated cover's accent (the "
                                     "show's name, bar and arcs)")
    heading_font: str | None = Field(None, description="font file for the generated cover's "
                                     "text; empty: Roboto")
    text_color: str | None = Field(None, description="the generated cover's text colour; "
                                   "empty: white")

    @field_validator("colors", "accent_color", "text_color")
    @classmethod
    def _colors(cls, value):
        for color in ([value] if isinstance(value, str) else value or ()):
            if not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
                raise ValueError(f"{color!r} is not a colour: write #RRGGBB")
        return value


def sound_brand_params(brand) -> dict:
    """What a brand (``engine.brand.Brand``) sets for how a podcast sounds and its
    generated cover looks: the hosts' voices (in the hosts' order), stings, music,
    loudness, the pronunciation lexicon, and the cover's palette, logo and font."""
    sound, colors = brand.sound, brand.look.colors
    defaults = PodcastParams.model_fields["voices"].default
    voices = [h.voice or defaults[i % len(defaults)] for i, h in enumerate(sound.hosts)]
    return {"voices": voices if any(h.voice for h in sound.hosts) else None,
            "intro": sound.intro, "outro": sound.outro, "music": sound.music,
            "music_volume": sound.music_volume, "loudness": sound.loudness.podcast,
            "pronunciation": dict(brand.words.pronunciation) or None,
            "logo": brand.look.logo, "accent_color": colors.accent, "text_color": colors.text,
            "colors": (colors.primary, colors.background)
            if colors.primary and colors.background else None,
            "heading_font": brand.look.fonts.heading}


def _file(value: str | None, what: str) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise TransformError(f"the {what} file {value!r} does not exist",
                             hint=f"give the path of an existing file, or remove {what}")
    return path.resolve()


def host_voices(script: Script, params: PodcastParams, ctx: Context):
    """``{host: (engine, voice, spec)}``; the voice count must cover the hosts."""
    hosts = list(script.speakers) or list(dict.fromkeys(t.speaker for t in script.turns))
    if len(params.voices) < len(hosts):
        raise TransformError(
            f"the script has {len(hosts)} hosts ({', '.join(hosts)}) but only "
            f"{len(params.voices)} voices ({', '.join(params.voices)})",
            hint="give one voice per host in order, e.g. --set podcast.voices="
                 "[" + ",".join(["hibari:heart", "piper:joe", "hibari", "piper"][:len(hosts)])
                 + "]")
    if len(params.voices) > len(hosts):
        ctx.note(f"{len(params.voices) - len(hosts)} voice(s) unused: the script has "
                 f"{len(hosts)} hosts")
    table = {}
    for host, spec in zip(hosts, params.voices):
        engine_, voice = voice_engine(spec, ctx, params.voice_consent)
        table[host] = (engine_, voice, spec)
    return hosts, table


class Podcast(engine.Transform):
    """Speak a script with one voice per host: mixed, -16 LUFS, chapters, cover, feed."""

    name = "podcast"
    version = "9"  # 2: titled cover; 3: engine word timings; 4: sign_off, feed; 5: one-run mastering by chapter; 6: preferred terms; 7: words to avoid; 8: the opening reworded; 9: language
    consumes = ("script", "document", "transcript")
    produces = "audio"
    Params = PodcastParams

    @classmethod
    def brand_params(cls, brand) -> dict:
        return {**script_brand_params(brand), **feed_brand_params(brand),
                **sound_brand_params(brand)}

    def check(self, params: PodcastParams, registry) -> list[tuple[str, str]]:
        """Every host's voice must speak ``language`` when one is asked for."""
        return [("voices", problem) for spec in params.voices
                for _, problem in language_problems(spec, params.language, registry)]

    def model_identity(self, params: PodcastParams, ctx: Context) -> str:
        parts = []
        for spec in params.voices:
            engine_, voice = voice_engine(spec, ctx, params.voice_consent)
            parts.append(engine_.identity(voice))
        if params.timing != "estimated":
            parts.append(ctx.registry.transcriber(params.transcriber).identity())
        parts.append(writer_identity(params, ctx))
        if params.language:   # a script given in another language is translated too
            translate = ctx.registry.transform("translate")
            parts.append(f"translate@{translate.version} " + translate.model_identity(
                translate.Params(language=params.language), ctx))
        for what in ("intro", "outro", "music", "cover", "logo", "heading_font"):
            path = _file(getattr(params, what), what)
            if path is not None:
                parts.append(f"{what}={file_sha256(path)[:16]}")
        return "+".join(parts)

    def run(self, source: Artifact, params: PodcastParams, ctx: Context) -> Audio:
        timings: dict[str, float] = {}

        def timer(name: str, seconds: float) -> None:
            timings[name] = timings.get(name, 0.0) + seconds

        started = time.perf_counter()
        script = source if isinstance(source, Script) else write_script(source, params, ctx)
        if isinstance(source, Script) and params.language:
            script = in_language(script, params.language, params.glossary, ctx)
        timer("script", time.perf_counter() - started)
        if not script.turns:
            raise TransformError(f"the script for {ctx.source_name} has no turns",
                                 hint="check the podcast-script step")
        intro, outro = _file(params.intro, "intro"), _file(params.outro, "outro")
        music, cover_file = _file(params.music, "music"), _file(params.cover, "cover")
        hosts, voices = host_voices(script, params, ctx)
        passages = [production.Passage(turn.text, voices[turn.speaker][0], voices[turn.speaker][1],
                               speaker=turn.speaker, chapter=turn.chapter)
                    for turn in script.turns]
        started = time.perf_counter()
        spoken = production.speak(passages, ctx, speed=params.speed,
                                  progress=speaking_progress(ctx), lexicon=params.pronunciation)
        timer("synthesis", time.perf_counter() - started)
        gaps = []
        for i, item in enumerate(spoken):
            if i == len(spoken) - 1:
                gaps.append(0.0)
                continue
            base = params.gap / params.speed
            if spoken[i + 1].passage.chapter != item.passage.chapter:
                base *= CHAPTER_PAUSE_FACTOR
            gaps.append(production.pause(base, f"{i}\0{item.passage.text}"))
        bed = production.Bed(music, params.music_volume) if music else None
        out = render(spoken, gaps, "podcast", params, ctx, timer, intro=intro, outro=outro,
                     bed=bed)
        mp3, loudness, duration = out.mp3, out.loudness, out.duration
        starts, words, chapters = out.starts, out.words, out.chapters
        ctx.phase("tagging", fraction=0.95)

        title = script.title or Path(ctx.source_name).stem
        if cover_file:
            cover = cover_file.read_bytes()
        else:
            cover = cached_cover(ctx, title, show=params.show, hosts=hosts,
                                 look=cover_look(params, ctx))
            if missing_glyphs(title):
                ctx.note(f"the cover's font (Roboto) has no glyphs for "
                         f"{missing_glyphs(title)[:20]!r}: the title is left off the cover")
        mime = production.image_mime(cover_file) if cover_file else "image/png"
        disclosure = production.disclosures([(e, v) for e, v, _ in voices.values()])
        artist = " & ".join(hosts)
        started = time.perf_counter()
        production.write_tags(mp3, production.Tags(
            title=title, artist=artist, album=params.show or title,
            comment="voices: " + ", ".join(f"{h}={voices[h][2]}" for h in hosts),
            extra=disclosure, chapters=tuple(chapters), cover=cover, cover_mime=mime))
        timer("tagging", time.perf_counter() - started)

        turns = [{"speaker": item.passage.speaker, "voice": voices[item.passage.speaker][2],
                  "chapter": item.passage.chapter, "start": round(start, 3),
                  "end": round(start + item.duration, 3)}
                 for item, start in zip(spoken, starts)]
        metadata = {"script": production.spoken_text(spoken),
                    "voices": ", ".join(voices[h][2] for h in hosts),
                    "hosts": ", ".join(hosts), "show": params.show or title,
                    "cover": "given" if cover_file else "generated",
                    "timing": json.dumps(ctx.metrics["timing"]),
                    "true_peak_dbtp": f"{loudness.true_peak_dbfs:.2f}",
                    "turns": json.dumps(turns, separators=(",", ":")),
                    **record_disclosure(disclosure, ctx)}
        date = _source_date(source)
        if date:
            metadata["date"] = date
        speech = sum(s.duration for s in spoken)
        ctx.metrics.update({
            "loudness_lufs": loudness.integrated_lufs, "true_peak_dbtp": loudness.true_peak_dbfs,
            "duration": round(duration, 3), "speech_seconds": round(speech, 3),
            "words": len(words), "turns": len(turns),
            "seconds": {k: round(v, 3) for k, v in timings.items()}})
        if timings.get("synthesis"):
            ctx.metrics["synthesis_realtime_factor"] = round(speech / timings["synthesis"], 2)
        if not isinstance(source, Script):
            target = params.minutes * 60
            if abs(duration - target) > 0.25 * target:
                ctx.note(f"the episode is {duration / 60:.1f} minutes for a target of "
                         f"{params.minutes:g}")
        ctx.progress(1.0)
        return Audio(path=mp3, duration=duration, sample_rate=production.MIX_RATE, channels=1,
                     title=title, loudness_lufs=round(loudness.integrated_lufs, 2),
                     words=tuple(words), chapters=tuple(chapters), metadata=metadata)

    def exports(self, artifact: Audio) -> dict[str, bytes | Path]:
        from plugins.audio.feed import chapters_json, cover_of

        turns = json.loads(artifact.metadata.get("turns", "[]"))
        out = audio_exports(artifact, wav=False, hosts=artifact.metadata.get("hosts", ""),
                            show=artifact.metadata.get("show", ""),
                            cover=artifact.metadata.get("cover", ""),
                            date=artifact.metadata.get("date"), turns=turns)
        out["chapters.json"] = chapters_json(artifact.chapters)
        cover = cover_of(artifact.path)
        if cover is not None:
            out["cover." + cover[1]] = cover[0]
        return out


def cover_look(params: PodcastParams, ctx: Context) -> CoverLook | None:
    """The generated cover's palette, logo and font, when the step sets any."""
    if not (params.colors or params.accent_color or params.logo or params.heading_font
            or params.text_color):
        return None
    logo = None
    if params.logo:
        from plugins.brands.logo import logo_png

        cache = getattr(ctx, "cache", None)
        logo = logo_png(_file(params.logo, "logo"), 360,
                        cache_dir=cache.root if cache is not None else None)
    return CoverLook(colors=tuple(params.colors), accent=params.accent_color, logo=logo,
                     font=_file(params.heading_font, "heading_font"), text=params.text_color)


def _source_date(source: Artifact) -> str | None:
    metadata = getattr(source, "metadata", None) or {}
    return metadata.get("date") or None


@engine.hookimpl
def register_transforms(register):
    register(PodcastScript)
    register(Podcast)


@engine.hookimpl
def batch_finished(out_dir, results):
    from plugins.audio.feed import write_feed

    write_feed(Path(out_dir), results)
