"""Transform ``captioned-video``: speech in, a captioned H.264/AAC mp4 out, with .srt and .vtt.

Input is an ``audio`` with word timings (a narration, a podcast; ``Audio.words``) or a
``video`` (its subtitle track as ``Video.captions``). Without timings the input is
transcribed once per file and transcriber, through ``ctx.memo``, so ``long-to-short`` and
this transform share one transcription of the same recording.

The frame: ``aspect`` 9:16 / 1:1 / 16:9 / 4:5 at ``resolution`` on the short side, or an
exact ``size: 1080x1920``. The background: ``color``/``gradient`` (``colors``), ``image``
(a still with a slow zoom), ``source`` (the input video, centre-cropped or, with
``fit: blur``, whole over a blurred copy) or ``waveform`` (an audiogram). Captions: see
:mod:`plugins.video.ass`. Everything is one ffmpeg filter graph
(:mod:`plugins.video.render`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

import engine
from engine import media
from engine.artifacts import Audio, Video
from engine.errors import TransformError
from engine.transform import Context, Transform
from plugins.speech.captions import to_srt, to_vtt, transcript_cues
from plugins.video import backgrounds
from plugins.video.branding import cache_root
from plugins.video.bumpers import shift_transcript
from plugins.video.ass import parse_color
from plugins.video.render import CaptionParams, render, source_transcript, transcript_words


class CaptionedVideoParams(CaptionParams):
    background: Literal["auto", "color", "gradient", "image", "source", "waveform"] = Field(
        "auto", description=(
            "auto: the source video for a video input, a gradient for audio; color or "
            "gradient: `colors`; image: `image` with a slow zoom; source: the input video; "
            "waveform: an audiogram of the sound over `colors`"))
    colors: tuple[str, ...] = Field(("#24386B", "#0D1322"), min_length=1, max_length=8,
                                    description="background colour, or colours top to bottom "
                                                "for a gradient")
    image: str | None = Field(None, description="background image file, for background: image")
    zoom: float = Field(1.12, ge=1.0, le=2.0, description=(
        "image background: how far the slow zoom goes in over the whole video"))
    fit: Literal["crop", "blur"] = Field("crop", description=(
        "source background: crop fills the frame; blur shows the whole picture over a "
        "blurred copy of itself"))
    wave_color: str = Field("#7FDBFF", description="waveform background: colour of the wave")

    @model_validator(mode="after")
    def _background(self):
        for color in (*self.colors, self.wave_color):
            parse_color(color)
        if self.background == "image":
            if not self.image:
                raise ValueError("background: image needs `image`, the path of a picture")
            if not Path(self.image).expanduser().is_file():
                raise ValueError(f"image {self.image!r} does not exist")
        return self


class SpeechVideoTransform(Transform):
    """What the video transforms share: speech in (audio or video), a captioned mp4 with
    .srt and .vtt out, and the transcriber that may time the words in the cache key."""

    consumes = ("audio", "video")
    produces = "video"

    def model_identity(self, params: CaptionParams, ctx: Context) -> str:
        from plugins.speech.transcript import get_transcriber

        from plugins.video.branding import files_identity

        return "+".join(filter(None, [get_transcriber(ctx, params.transcriber).identity(),
                                      files_identity(params)]))

    @classmethod
    def brand_params(cls, brand) -> dict:
        """The brand's look: logo, bumpers, fonts, palette, caption style, loudness."""
        from plugins.video.branding import look_params

        return look_params(brand)

    def exports(self, artifact: Video) -> dict[str, bytes | Path]:
        return video_exports(artifact)


class CaptionedVideo(SpeechVideoTransform):
    """Captioned video (vertical short, square, wide, audiogram) with .srt and .vtt."""

    name = "captioned-video"
    # 2: captions linger and bridge short pauses; 3: gradients span the frame; 4: logo,
    # bumpers, the soundtrack at -14 LUFS
    version = "4"
    Params = CaptionedVideoParams

    def run(self, source: Audio | Video, params: CaptionedVideoParams, ctx: Context) -> Video:
        ctx.phase("timing the words", fraction=0.0)
        transcript = source_transcript(source, params, ctx)
        words = transcript_words(transcript)
        duration = source.duration or media.probe(source.path).duration
        if duration <= 0:
            raise TransformError(f"{source.title!r} has no duration", hint="check the file")
        width, height = params.frame_size()
        video, audio = background_streams(source, params, width, height, duration)
        out = ctx.work_dir / "captioned.mp4"
        ctx.phase("rendering", fraction=0.05)
        rendered = render(video, audio, words, params, dst=out, duration=duration,
                          work_dir=ctx.work_dir,
                          progress=lambda f: ctx.phase("rendering", fraction=0.05 + 0.95 * f),
                          audio_path=Path(source.path), cache_root=cache_root(ctx),
                          loudness=source.loudness_lufs if isinstance(source, Audio) else None)
        ctx.metrics["captions"] = rendered.captions
        ctx.metrics["size"] = f"{width}x{height}"
        disclosure = carried_disclosure(source)
        if disclosure:
            write_mp4_disclosure(out, disclosure)
            ctx.metrics["disclosure"] = disclosure
        captions = shift_transcript(transcript, rendered.lead, rendered.duration)
        return Video(path=out, duration=round(rendered.duration, 3), width=width, height=height,
                     fps=params.fps, has_audio=audio is not None, title=source.title,
                     captions=captions.model_copy(update={"title": source.title}),
                     metadata={"caption_style": params.caption_style,
                               **{f"{DISCLOSURE}{k}": v for k, v in disclosure.items()}})



#: prefix of the metadata keys in which narration and podcasts carry a synthetic-voice
#: disclosure (see plugins/audio/narration.py record_disclosure)
DISCLOSURE = "disclosure:"


def carried_disclosure(source: Audio | Video) -> dict[str, str]:
    """The synthetic-voice disclosure an input carries (a cloned narration), by key."""
    return {k[len(DISCLOSURE):]: v for k, v in source.metadata.items() if k.startswith(DISCLOSURE)}


def write_mp4_disclosure(path: Path, disclosure: dict[str, str]) -> None:
    """Write the disclosure into the mp4's tags: a comment and ``----:com.remixer:KEY`` atoms."""
    from mutagen.mp4 import MP4, MP4FreeForm

    tags = MP4(str(path))
    if tags.tags is None:
        tags.add_tags()
    statement = disclosure.get("synthetic-voice")
    if statement:
        tags.tags["\xa9cmt"] = [statement]
    for key, value in disclosure.items():
        tags.tags[f"----:com.remixer:{key}"] = [MP4FreeForm(value.encode("utf-8"))]
    tags.save()


def video_exports(artifact: Video) -> dict[str, bytes | Path]:
    """The mp4 and, when it has captions, the same captions as .srt and .vtt sidecars."""
    out: dict[str, bytes | Path] = {"mp4": artifact.path}
    if artifact.captions is not None:
        cues = transcript_cues(artifact.captions)
        out["srt"] = to_srt(cues).encode("utf-8")
        out["vtt"] = to_vtt(cues).encode("utf-8")
    return out


def background_streams(source: Audio | Video, params: CaptionedVideoParams, width: int,
                       height: int, duration: float):
    """(video stream of the frame size, audio stream or None) for the chosen background."""
    import ffmpeg

    fps = params.fps
    kind = params.background
    if kind == "auto":
        kind = "source" if isinstance(source, Video) else "gradient"
    if kind == "source" and not isinstance(source, Video):
        raise TransformError("background: source needs a video input",
                             hint="use gradient, color, image or waveform for audio")
    has_audio = source.has_audio if isinstance(source, Video) else True
    inp = ffmpeg.input(media.media_path(source.path))
    audio = inp.audio if has_audio else None
    if kind == "source":
        video = backgrounds.from_video(inp.video, width, height, fps, fit=params.fit)
    elif kind == "color":
        video = backgrounds.solid(params.colors[0], width, height, fps, duration)
    elif kind == "gradient":
        video = backgrounds.gradient(list(params.colors), width, height, fps, duration)
    elif kind == "image":
        video = backgrounds.still(Path(params.image).expanduser(), width, height, fps,
                                  duration, zoom=params.zoom)
    else:
        if audio is None:
            raise TransformError("background: waveform needs sound", hint="use another background")
        video = backgrounds.waveform(audio, list(params.colors), params.wave_color, width,
                                     height, fps, duration)
    return video, audio


@engine.hookimpl
def register_transforms(register):
    register(CaptionedVideo)
