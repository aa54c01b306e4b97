"""Transforms ``storyboard`` and ``explainer-video``: a source becomes a designed video.

``storyboard`` plans the video (:mod:`plugins.video.storyboard`) and exports it as
``<step>.storyboard.json`` (edit it, and give it back with ``storyboard: FILE``) and
``<step>.storyboard.md``. ``explainer-video`` takes a document (or text, or a
storyboard) and narrates it with a voice of the registry; a narration (audio with word
timings of the exact script); or a podcast script or episode, which gives a video
podcast (host cards, the speaker lit, chapter cards). It times the scenes from the
words (:mod:`plugins.video.timeline`), draws each slide once
(:mod:`plugins.video.slides`), renders with ffmpeg (:mod:`plugins.video.explainer_render`)
and writes the mp4, .srt/.vtt captions, ``<step>.thumbnail.jpg`` and the timed
``<step>.storyboard.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

import engine
from engine.artifacts import (Artifact, Audio, Document, Script, Storyboard, Video, as_document,
                              file_sha256)
from engine.errors import TransformError
from engine.transform import Context, Transform
from plugins.audio.narration import AudioParams, voice_engine, voice_field
from plugins.text.outputs import AvoidingParams, record_usage, text_generator
from plugins.text.wording import avoided_word, avoiding_document, preferred_document, style_guide
from plugins.video import storyboard as planning
from plugins.video.captioned_video import video_exports
from plugins.video.ass import parse_color
from plugins.video.render import CaptionParams
from plugins.video.slides import BACKGROUND

class StoryboardParams(AvoidingParams):
    points: int = Field(3, ge=1, le=3, description="key points per scene")
    max_scenes: int = Field(12, ge=1, le=100, description=(
        "scenes at most, besides the title and closing cards; neighbouring sections are "
        "merged beyond it"))
    narrate: Literal["full", "key-points"] = Field("full", description=(
        "full: every paragraph is read; key-points: each scene reads its heading and its "
        "key points' sentences only (a short)"))
    call_to_action: str = Field("", max_length=200, description="closing card: what to do next "
                                "('Read the full article'); also read aloud")
    link: str = Field("", max_length=300, description="closing card: a web address")
    media_library: str | None = Field(None, description=(
        "a folder of your pictures and clips: scenes without a picture of the source get "
        "the item that matches their text best (needs the `broll` extra); off by default"))
    library_threshold: float = Field(0.3, ge=0.0, le=1.0, description=(
        "media library: the least similarity an item needs (0 unrelated, 1 a paraphrase)"))
    stock: str | None = Field(None, description=(
        "a stock provider (`pexels`, with PEXELS_API_KEY) for scenes that still have no "
        "picture; credited in credits.txt and the manifest; off by default"))
    stock_media: Literal["photo", "video"] = Field("photo", description=(
        "stock: photos, or clips (they play in the picture's box, panning like a photo)"))
    preferred: dict[str, str] = Field({}, description="preferred terms, {word used: word "
                                      "wanted}: a document is rewritten with them (whole "
                                      "words, case kept) before its scenes are planned")

    @model_validator(mode="after")
    def _library(self):
        if self.media_library and not Path(self.media_library).expanduser().is_dir():
            raise ValueError(f"media_library {self.media_library!r} is not a folder")
        return self


def plan(source: Artifact, params: StoryboardParams, ctx: Context,
         orientation: str = "landscape") -> Storyboard:
    """The storyboard of any input (see the module docstring), with pictures from the
    media library and stock when asked; the generator's spending goes into the manifest."""
    if isinstance(source, Storyboard):
        return source
    from plugins.video import visuals

    board = _planned(source, params, ctx)
    if params.media_library:
        board = visuals.from_library(board, Path(params.media_library).expanduser(), ctx,
                                     threshold=params.library_threshold)
    if params.stock:
        board = visuals.from_stock(board, params.stock, orientation, ctx, params.stock_media)
    return board


def _planned(source: Artifact, params: StoryboardParams, ctx: Context) -> Storyboard:
    """The plan, noting a word to avoid it says anyway (a model's slip, a heading, or
    what a narration or podcast given as input said)."""
    generator = text_generator(params, ctx)
    generator.take_usage()
    try:
        board = _drafted(source, params, generator)
    finally:
        record_usage(generator, ctx)
    said = avoided_word(" ".join(text for scene in board.scenes for text in (
        scene.heading, scene.narration, scene.quote, scene.stat_label,
        *(point.text for point in scene.points))), params.avoid)
    if said:
        ctx.note(f"the plan says {said!r}, which the brand avoids")
    return board


def _drafted(source: Artifact, params: StoryboardParams, generator) -> Storyboard:
    """The plan of a script, a narration or podcast (audio), or a document; a model is
    told the tone and the word rules."""
    tone = style_guide(params.tone, params.avoid, params.preferred)
    words = {"tone": tone, "avoid": params.avoid}
    if isinstance(source, Script):
        return planning.plan_podcast(
            source.title or "Podcast", source.speakers or tuple(dict.fromkeys(
                t.speaker for t in source.turns)), planning.script_chapters(source),
            generator, metadata=source.metadata, call_to_action=params.call_to_action,
            link=params.link, **words)
    if isinstance(source, Audio):
        if not source.words:
            raise TransformError(f"{source.title!r} has no word timings",
                                 hint="feed it the output of a narration or podcast step")
        if is_podcast(source):
            return planning.plan_podcast(
                source.title or "Podcast", tuple(dict.fromkeys(
                    w.speaker for w in source.words if w.speaker)),
                planning.podcast_chapters(source), generator, metadata=source.metadata,
                call_to_action=params.call_to_action, link=params.link, **words)
        doc = planning.audio_document(source)
        return planning.plan_document(doc, generator, points=params.points,
                                      max_scenes=params.max_scenes, narrate="full",
                                      call_to_action="", link=params.link, **words)
    doc = avoiding_document(preferred_document(as_document(source), params.preferred),
                            params.avoid)
    return planning.plan_document(doc, generator, points=params.points,
                                  max_scenes=params.max_scenes, narrate=params.narrate,
                                  call_to_action=params.call_to_action, link=params.link,
                                  **words)


def is_podcast(audio: Audio) -> bool:
    """Audio whose words carry more than one speaker: a conversation."""
    return len({w.speaker for w in audio.words if w.speaker}) > 1


def unplanned_language(params: StoryboardParams) -> list[tuple[str, str]]:
    """A plan is written in its source's language: the storyboard's ``language:``
    (inherited from the text parameters) is refused with the way to get one, rather than
    silently ignored."""
    if not params.language:
        return []
    return [("language", f"an explainer is planned in its source's language, not "
                         f"translated to {params.language}: put a translate step before it "
                         f"(use: translate, with: {{language: {params.language}}}) and give "
                         f"it a voice that speaks {params.language}")]


class StoryboardTransform(Transform):
    """Plan an explainer video: title card, a scene per section, closing card (JSON, Markdown)."""

    name = "storyboard"
    version = "6"  # 2: whole key points; 3: merged sections keep their headings, podcast points are statements; 4: preferred terms; 5: words to avoid; 6: the brand's call to action
    consumes = ("document", "text", "transcript", "script", "audio")
    produces = "storyboard"
    Params = StoryboardParams

    @classmethod
    def brand_params(cls, brand) -> dict:
        """The brand's tone, words to avoid and preferred terms, for the plan's words, and
        its call to action and link for the closing card."""
        cta = brand.words.call_to_action
        return {"tone": brand.words.tone or None, "avoid": list(brand.words.avoid) or None,
                "preferred": dict(brand.words.preferred) or None,
                "call_to_action": cta.text if cta else None,
                "link": (cta.link or None) if cta else None}

    def check(self, params: StoryboardParams, registry) -> list[tuple[str, str]]:
        return unplanned_language(params)

    def model_identity(self, params: StoryboardParams, ctx: Context) -> str:
        return text_generator(params, ctx).identity()

    def run(self, source: Artifact, params: StoryboardParams, ctx: Context) -> Storyboard:
        board = plan(source, params, ctx)
        for note in board.notes:
            ctx.note(note)
        ctx.metrics["scenes"] = len(board.scenes)
        return board


#: the files a video podcast's sound takes, as ExplainerParams fields -> PodcastParams fields
SOUND_FILES = {"intro_sting": "intro", "outro_sting": "outro", "music": "music"}


class ExplainerParams(CaptionParams, StoryboardParams, AudioParams):
    aspect: Literal["9:16", "1:1", "16:9", "4:5"] = Field(
        "16:9", description="frame shape: 16:9 wide, 9:16 vertical short, 1:1 square, 4:5 "
                            "portrait (ignored when `size` is set)")
    voice: str = voice_field("hibari:heart", "narrator's voice for a document, text or "
                             "storyboard input, as ENGINE:VOICE (`remixer voices`)")
    voices: list[str] = Field(["hibari:heart", "piper:joe"], min_length=1, max_length=4,
                              description="podcast script input: one voice per host",
                              json_schema_extra={"registry": "voices"})
    timing: Literal["aligned", "estimated"] = Field(
        "estimated", description="word timings of the narration made here: 'estimated' "
        "shares each sentence's time by word length (scenes change at sentence boundaries "
        "either way); 'aligned' times every word with the transcriber (closer captions)")
    storyboard: str | None = Field(None, description=(
        "a storyboard JSON file (a storyboard step's output, edited) to use instead of "
        "planning one"))
    transition: Literal["fade", "fadeblack", "slideleft", "smoothleft", "circleopen",
                        "dissolve", "none"] = Field("fade", description=(
                            "how one scene gives way to the next (ffmpeg xfade), or none"))
    transition_seconds: float = Field(0.5, ge=0.1, le=2.0, description="length of a transition")
    zoom: float = Field(1.12, ge=1.0, le=1.5, description=(
        "Ken Burns: a picture is shown this much enlarged and pans slowly across (one way "
        "in a scene, back in the next); 1 holds it still"))
    progress_bar: bool = Field(True, description="a thin bar along the bottom edge")
    fetch_images: bool = Field(False, description=(
        "download the source's remote images (http/https); off: remote images are left out"))
    tail: float = Field(3.0, ge=0.5, le=15.0, description="seconds the closing card stays")
    scenes_per_segment: int = Field(3, ge=1, le=40, description=(
        "scenes rendered per ffmpeg run (memory stays flat with length)"))
    heading_font: str | None = Field(None, description=(
        "font file for titles and headings on slides and the thumbnail; empty: `font`, "
        "else Roboto Black and Bold"))
    body_font: str | None = Field(None, description=(
        "font file for key points, quotes and picture captions; empty: `font`, else "
        "Roboto Medium"))
    colors: tuple[str, ...] = Field(BACKGROUND, min_length=1, max_length=2, description=(
        "the background gradient, top and bottom (one colour: flat)"))
    accent_color: str | None = Field(None, description=(
        "one accent for every scene (kickers, bars, stat numbers, the progress bar); "
        "empty: a designed set taking turns"))
    marker_color: str | None = Field(None, description=(
        "the key points' markers; empty: the scene's accent"))
    channel: str = Field("", max_length=100, description=(
        "your channel's or publication's name, shown on the thumbnail"))
    intro_sting: str | None = Field(None, description=(
        "podcast script input: an audio file played before the conversation (a brand's "
        "sound.intro); `intro` is a video played before the whole video"))
    outro_sting: str | None = Field(None, description=(
        "podcast script input: an audio file played after the conversation"))
    music: str | None = Field(None, description=(
        "podcast script input: a music bed under the episode, looped; it ducks under speech"))
    music_volume: float = Field(0.25, ge=0.0, le=1.0, description=(
        "podcast script input: the music's level in the pauses (1.0 = as recorded)"))

    @field_validator("colors", "accent_color", "marker_color")
    @classmethod
    def _colors(cls, value):
        for color in ([value] if isinstance(value, str) else value or ()):
            parse_color(color)
        return value

    @model_validator(mode="after")
    def _storyboard_file(self):
        if self.storyboard and not Path(self.storyboard).expanduser().is_file():
            raise ValueError(f"storyboard {self.storyboard!r} does not exist")
        for what in ("heading_font", "body_font", *SOUND_FILES):
            value = getattr(self, what)
            if value and not Path(value).expanduser().is_file():
                raise ValueError(f"{what} file {value!r} does not exist")
        return self


class ExplainerVideo(Transform):
    """A designed video from a document, narration or podcast: scenes, pictures, captions."""

    name = "explainer-video"
    version = "12"  # 2: brand look; 3: whole key points, held frames, panning pictures; 4: merged headings, stated points; 5: preferred terms; 6: words to avoid; 7: a script's podcast with stings and music; 8: a wrapped heading keeps " · " at the end of its line; 9: a picture gives up room before key points shrink; 10: the brand's call to action on the closing card; 11: a first key point said late shows once the heading is said, a title alone on a wide thumbnail takes its width; 12: a picture that gave up room is centred
    consumes = ("document", "text", "storyboard", "audio", "script")
    produces = "video"
    Params = ExplainerParams

    @classmethod
    def brand_params(cls, brand) -> dict:
        """The brand's look (as every video), the narrator's and hosts' voices, the
        podcast's stings and music (for a script, spoken here), the pronunciation lexicon,
        and what the storyboard takes from a brand."""
        from plugins.audio.podcast import sound_brand_params
        from plugins.video.branding import look_params

        sound = sound_brand_params(brand)
        return {**StoryboardTransform.brand_params(brand), **look_params(brand),
                "voices": sound["voices"], "music_volume": sound["music_volume"],
                **{ours: sound[theirs] for ours, theirs in SOUND_FILES.items()},
                "voice": brand.sound.narrator,
                "pronunciation": dict(brand.words.pronunciation) or None}

    def model_identity(self, params: ExplainerParams, ctx: Context) -> str:
        parts = [text_generator(params, ctx).identity()]
        for spec in [params.voice, *params.voices]:
            engine_, voice = voice_engine(spec, ctx, params.voice_consent)
            parts.append(engine_.identity(voice))
        if params.timing == "aligned":
            parts.append(ctx.registry.transcriber(params.transcriber).identity())
        if params.storyboard:
            parts.append(file_sha256(Path(params.storyboard).expanduser()))
        from plugins.video.branding import files_identity

        for what in SOUND_FILES:
            if getattr(params, what):
                parts.append(f"{what}={file_sha256(Path(getattr(params, what)).expanduser())[:16]}")
        return "+".join(filter(None, [*parts, files_identity(params)]))

    def run(self, source: Artifact, params: ExplainerParams, ctx: Context) -> Video:
        from plugins.video.explainer_build import build

        ctx.phase("planning", fraction=0.0)
        if params.storyboard:
            board = planning.read_storyboard(Path(params.storyboard))
        else:
            width, height = params.frame_size()
            board = plan(source, params, ctx, "landscape" if width > height * 1.1 else
                         "portrait" if height > width * 1.1 else "square")
        for note in board.notes:
            ctx.note(note)
        audio = self._audio(source, board, params, ctx)   # its own phases: synthesising...
        return build(board, audio, params, ctx)

    def _audio(self, source: Artifact, board: Storyboard, params: ExplainerParams,
               ctx: Context) -> Audio:
        """The narration: the input's own (audio), else spoken here."""
        if isinstance(source, Audio) and not params.storyboard:
            return source
        if isinstance(source, Script):
            from plugins.audio.podcast import Podcast, PodcastParams

            speak = PodcastParams(voices=params.voices, hosts=list(source.speakers) or
                                  list(dict.fromkeys(t.speaker for t in source.turns)),
                                  timing=params.timing, transcriber=params.transcriber,
                                  speed=params.speed, voice_consent=params.voice_consent,
                                  pronunciation=params.pronunciation,
                                  loudness=params.loudness or PodcastParams().loudness,
                                  music_volume=params.music_volume,
                                  **{theirs: getattr(params, ours)
                                     for ours, theirs in SOUND_FILES.items()})
            return Podcast().run(source, speak, ctx)
        from plugins.audio.narration import Narration, NarrationParams
        from engine.artifacts import Section

        doc = Document(title=board.title, sections=tuple(
            Section(paragraphs=(scene.narration,)) for scene in board.scenes
            if scene.narration.strip()))
        speak = NarrationParams(voice=params.voice, speed=params.speed, timing=params.timing,
                                transcriber=params.transcriber, read_title=False,
                                voice_consent=params.voice_consent,
                                pronunciation=params.pronunciation,
                                loudness=params.loudness or NarrationParams().loudness)
        return Narration().run(doc, speak, ctx)

    def exports(self, artifact: Video) -> dict[str, bytes | Path]:
        out = video_exports(artifact)
        thumbnail = artifact.metadata.get("thumbnail")
        if thumbnail and Path(thumbnail).is_file():
            out["thumbnail.jpg"] = Path(thumbnail)
        if artifact.metadata.get("storyboard"):
            from plugins.video.visuals import credits_of

            board = Storyboard.model_validate_json(artifact.metadata["storyboard"])
            out.update(board.exports())
            credits = credits_of(board)
            if credits:
                out["credits.txt"] = credits.encode("utf-8")
        return out


@engine.hookimpl
def register_transforms(register):
    register(StoryboardTransform)
    register(ExplainerVideo)
