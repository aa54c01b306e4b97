"""The one render path of captioned videos, shared by ``captioned-video`` and ``long-to-short``.

:class:`CaptionParams` are the parameters both transforms take for the frame and the
captions; :func:`render` composes background, captions (libass ``ass`` filter, the font's
folder as ``fontsdir``) and audio into ONE ffmpeg filter graph and encodes it through
:func:`engine.media.render_mp4`.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, Sequence

from pydantic import Field, field_validator, model_validator

from engine import media
from engine.artifacts import Audio, Transcript, Video, Word
from engine.errors import TransformError
from engine.transform import Context, Params
from plugins.speech.captions import estimate_words
from plugins.video.ass import CaptionStyle, ass_document, caption_events, parse_color
from plugins.video.branding import overlay_logo, place_logo
from plugins.video.fonts import Font, load_font
from plugins.video.layout import caption_frame
from plugins.video.soundtrack import soundtrack

ASPECTS = {"9:16": (9, 16), "1:1": (1, 1), "16:9": (16, 9), "4:5": (4, 5)}
_SIZE = re.compile(r"^(\d{2,5})x(\d{2,5})$")


class CaptionParams(Params):
    """Frame and caption parameters shared by captioned-video and long-to-short."""

    aspect: Literal["9:16", "1:1", "16:9", "4:5"] = Field(
        "9:16", description="frame shape: 9:16 vertical short, 1:1 square post, 16:9 wide, "
                            "4:5 portrait post (ignored when `size` is set)")
    resolution: int = Field(1080, ge=144, le=2160, description=(
        "pixels on the short side of the frame (1080 gives 1080x1920 for 9:16)"))
    size: str | None = Field(None, description=(
        "exact frame size WIDTHxHEIGHT such as '1080x1920' (even numbers); overrides "
        "aspect and resolution"))
    fps: float = Field(30, ge=1, le=60, description="frames per second of the output")
    caption_style: Literal["karaoke", "phrases", "subtitles", "none"] = Field(
        "karaoke", description=(
            "karaoke: one or two lines, the spoken word highlighted; phrases: 1 to "
            "`words_per_caption` words popping in; subtitles: classic two-line cues; none"))
    words_per_caption: int = Field(3, ge=1, le=4, description="phrases style: words at most")
    font: str | None = Field(None, description=(
        "caption font file (.ttf/.otf); empty for the bundled Roboto Bold"))
    font_size: float | None = Field(None, gt=4, le=400, description=(
        "caption font size in pixels; empty for 7.5% of the frame's short side"))
    text_color: str = Field("white", description="caption colour: #RRGGBB or a name")
    highlight_color: str = Field("#FFD60A", description="colour of the word being spoken")
    outline_color: str = Field("black", description="colour of the text outline")
    outline: float | None = Field(None, ge=0, le=40, description=(
        "outline thickness in pixels; empty for 8% of the font size"))
    box_color: str | None = Field(None, description=(
        "draw an opaque box in this colour behind captions instead of an outline"))
    position: Literal["top", "middle", "bottom"] = Field("bottom", description=(
        "where captions sit"))
    safe_margin: float = Field(0.07, ge=0, le=0.3, description=(
        "fraction of the width kept clear of text on the left and on the right"))
    margin_y: float | None = Field(None, ge=0, le=0.45, description=(
        "distance from the top or bottom edge to the captions, as a fraction of the "
        "height; empty for 0.22 on vertical frames (clear of app buttons), else 0.08"))
    uppercase: bool = Field(False, description="captions in capital letters")
    crf: int = Field(23, ge=0, le=51, description="H.264 quality (lower is better, bigger)")
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium",
                    "slow"] = Field("veryfast", description="H.264 speed/size trade-off")
    transcriber: str = Field("whisper", description=(
        "speech-to-text engine when the input carries no word timings"))
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}$", description=(
        "language spoken (ISO 639-1), for the transcriber; empty to detect it"))
    logo: str | None = Field(None, description=(
        "logo file (PNG with transparency, or SVG) shown on the whole video, in a corner "
        "of the safe area clear of captions and slide text; empty for none"))
    logo_position: Literal["top-left", "top-right", "bottom-left", "bottom-right"] = Field(
        "top-right", description="the logo's corner (the other vertical side when the "
                                 "captions take this one)")
    logo_opacity: float = Field(0.9, ge=0.05, le=1.0, description="the logo's opacity")
    logo_size: float = Field(0.14, ge=0.03, le=0.5, description=(
        "the logo's width as a share of the frame's width"))
    intro: str | None = Field(None, description=(
        "a video played before this one (a bumper), scaled and padded to the frame, with "
        "its sound"))
    outro: str | None = Field(None, description="a video played after this one (a bumper)")
    loudness: float | None = Field(-14.0, ge=-30.0, le=-9.0, description=(
        "the soundtrack's integrated loudness in LUFS (EBU R128; -14 suits video "
        "platforms), under a true-peak limiter; empty keeps the input's level"))

    @field_validator("size")
    @classmethod
    def _size(cls, value: str | None) -> str | None:
        if value is None:
            return value
        match = _SIZE.match(value.strip().lower())
        if match is None:
            raise ValueError("write the size as WIDTHxHEIGHT, e.g. 1080x1920")
        width, height = int(match[1]), int(match[2])
        if width % 2 or height % 2 or not (64 <= width <= 4096 and 64 <= height <= 4096):
            raise ValueError("width and height must be even numbers from 64 to 4096")
        return f"{width}x{height}"

    @field_validator("text_color", "highlight_color", "outline_color", "box_color")
    @classmethod
    def _color(cls, value: str | None) -> str | None:
        if value is not None:
            parse_color(value)
        return value

    @model_validator(mode="after")
    def _font_exists(self):
        if self.font is not None and not Path(self.font).expanduser().is_file():
            raise ValueError(f"font file {self.font!r} does not exist")
        for what in ("logo", "intro", "outro"):
            value = getattr(self, what)
            if value is not None and not Path(value).expanduser().is_file():
                raise ValueError(f"{what} file {value!r} does not exist")
        return self

    def frame_size(self) -> tuple[int, int]:
        if self.size:
            width, height = self.size.split("x")
            return int(width), int(height)
        w, h = ASPECTS[self.aspect]
        short = self.resolution
        if w <= h:
            return short // 2 * 2, int(round(short * h / w / 2)) * 2
        return int(round(short * w / h / 2)) * 2, short // 2 * 2

    def caption_style_for(self, width: int, height: int) -> CaptionStyle:
        size = self.font_size or round(min(width, height) * 0.075)
        outline = self.outline if self.outline is not None else round(size * 0.08, 1)
        margin_y = self.margin_y
        if margin_y is None:
            margin_y = 0.22 if height > width and self.position == "bottom" else 0.08
        mode = "karaoke" if self.caption_style == "none" else self.caption_style
        return CaptionStyle(mode=mode, font_size=size, color=self.text_color,
                            highlight_color=self.highlight_color,
                            outline_color=self.outline_color, outline=outline,
                            box_color=self.box_color, position=self.position,
                            margin_x=int(round(width * self.safe_margin)),
                            margin_y=int(round(height * margin_y)),
                            words_per_caption=self.words_per_caption,
                            uppercase=self.uppercase)


# --------------------------------------------------------------------------- words

def transcript_words(transcript: Transcript) -> list[Word]:
    """Every word of a transcript; segments without word timings get estimated ones."""
    return [w for s in transcript.segments for w in (s.words or estimate_words(s))]


def words_transcript(words: Sequence[Word], *, title: str = "", duration: float = 0.0,
                     language: str = "en") -> Transcript:
    """Timed words as a transcript of one segment per sentence (for sidecars and JSON)."""
    from plugins.speech.alignment import segments_from_words

    return Transcript(language=language, duration=duration, title=title,
                      segments=tuple(segments_from_words(list(words))))


def source_transcript(source: Audio | Video, params: CaptionParams, ctx: Context) -> Transcript:
    """The timed words of the input: its own (Audio.words, Video.captions), else transcribed
    once per file and transcriber (``ctx.memo``). Raises when there are none."""
    if isinstance(source, Audio) and source.words:
        return words_transcript(source.words, title=source.title, duration=source.duration)
    if isinstance(source, Video) and source.captions is not None:
        if transcript_words(source.captions):
            return source.captions
    if isinstance(source, Video) and not source.has_audio:
        raise TransformError(f"{source.title!r} has no captions and no sound to transcribe",
                             hint="give a video with speech or a subtitle track")
    from plugins.speech.transcript import transcribe_file

    ctx.note(f"no word timings came with the input; transcribed with {params.transcriber}")
    transcript = transcribe_file(ctx, Path(source.path), params.transcriber, params.language)
    if not transcript_words(transcript):
        what = "audio" if isinstance(source, Audio) else "video"
        raise TransformError(
            f"the {what} {source.title!r} has no word timings and the transcriber "
            f"({params.transcriber}) recognised no speech in it, so there is nothing to caption",
            hint="feed it the output of a narration or align step, or a recording with speech")
    return transcript


# --------------------------------------------------------------------------- render

@dataclass(frozen=True)
class Rendered:
    path: Path
    width: int
    height: int
    fps: float
    #: the whole video's length, bumpers included
    duration: float
    captions: int
    #: the intro bumper's length: the captions start this much later
    lead: float = 0.0


def prepare_font(params: CaptionParams, work_dir: Path) -> tuple[Font, Path]:
    """The font, and a folder holding only it (passed to libass as ``fontsdir``; copying
    keeps odd characters of the user's path out of the filter graph)."""
    font = load_font(params.font)
    folder = work_dir / "fonts"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / ("caption" + font.path.suffix.lower())
    if not target.exists():
        shutil.copyfile(font.path, target)
    return font, folder


def burn_captions(video, words: Sequence[Word], params: CaptionParams, width: int,
                  height: int, work_dir: Path, *, name: str = "captions") -> tuple[object, int]:
    """``video`` with the captions of ``words`` drawn by libass; also the event count."""
    if params.caption_style == "none" or not words:
        return video, 0
    font, fonts_dir = prepare_font(params, work_dir)
    style = params.caption_style_for(width, height)
    events = caption_events(words, style, font, width, height)
    ass_path = work_dir / f"{name}.ass"
    ass_path.write_text(ass_document(events, style, font, width, height), encoding="utf-8")
    return video.filter("ass", filename=str(ass_path), fontsdir=str(fonts_dir)), len(events)


def render(video, audio, words: Sequence[Word], params: CaptionParams, *, dst: Path,
           duration: float, work_dir: Path,
           progress: Callable[[float], None] | None = None, audio_path: Path | None = None,
           loudness: float | None = None, cache_root: Path | None = None,
           start: float | None = None) -> Rendered:
    """Captions and the logo on ``video`` (a stream already ``frame_size()``), muxed with
    ``audio`` brought to ``params.loudness`` (``loudness``: the input's own, when known;
    else ``audio_path`` is measured, from ``start`` for ``duration`` when the video is a
    part of it), then the bumpers joined around it."""
    from plugins.video.bumpers import attach

    width, height = params.frame_size()
    captioned, count = burn_captions(video, words, params, width, height, work_dir)
    frame = caption_frame(params, width, height)
    logo = place_logo(params, frame, cache_root)
    captioned = overlay_logo(captioned, logo)
    if audio is not None and audio_path is not None:
        window = (start, duration) if start is not None else None
        audio = soundtrack(audio, params.loudness, audio_path, loudness, window)
    bumpers = {k: Path(v).expanduser() for k in ("intro", "outro") if (v := getattr(params, k))}
    main = work_dir / "main.mp4" if bumpers else dst
    media.render_mp4(captioned, audio, main, duration=duration, fps=params.fps, crf=params.crf,
                     preset=params.preset, what="render the captioned video",
                     progress=progress)
    lead, total = 0.0, duration
    if bumpers:
        lead = attach(main, dst, intro=bumpers.get("intro"), outro=bumpers.get("outro"),
                      width=width, height=height, fps=params.fps, crf=params.crf,
                      preset=params.preset, work_dir=work_dir)
        total = media.probe(dst).duration
    return Rendered(dst, width, height, params.fps, total, count, lead)


def shift_words(words: Sequence[Word], start: float, end: float) -> list[Word]:
    """The words inside [start, end], re-timed to start at 0."""
    out = []
    for w in words:
        if w.end <= start or w.start >= end:
            continue
        out.append(w.model_copy(update={"start": round(max(w.start - start, 0.0), 3),
                                        "end": round(min(w.end, end) - start, 3)}))
    return out


__all__ = ["CaptionParams", "Rendered", "burn_captions", "render", "shift_words",
           "source_transcript", "transcript_words", "words_transcript"]
