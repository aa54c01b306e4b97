"""Transform ``long-to-short``: the Nth best self-contained highlight of a long recording,
cut, reframed to 9:16 (or any frame) and captioned.

One step makes one artifact, so N clips are N nodes of one step. The step takes a
target length ``seconds`` and a ``rank``; a recipe fans ``rank`` out with a matrix::

    - id: clip
      use: long-to-short
      from: transcript          # or the source itself; see below
      matrix: {rank: [1, 2, 3]} # clip-1, clip-2, clip-3
      with: {seconds: 30}

Every node computes the same deterministic ranking of highlights for its length
(:func:`plugins.video.highlights.rank_highlights`: whole sentences, ±20% of the target,
no two overlapping, best first) and renders entry number ``rank``; so the clips of one
length never overlap and never repeat, and a cached re-run redoes nothing. Clips of
different lengths are ranked independently (a 60 s clip may contain a 30 s one).
The transcription behind the ranking happens once per recording (``ctx.memo``, shared
with ``captioned-video``); a ``transcript`` step's output can't be used as input because
the clip needs the media, so the source video (or audio) is the input.

The cut is frame-accurate (decode-and-trim, not keyframe copy) with short audio fades.
A video is reframed by ``reframe``: ``face`` follows the largest face (OpenCV Haar cascade,
smoothed: :mod:`plugins.video.reframe`) and falls back to ``blur`` when no face is seen;
``center`` crops the middle; ``blur`` shows the whole frame over a blurred copy. An audio
source gets an audiogram. Captions are drawn by the same code as ``captioned-video``.

Outputs: ``.mp4``, ``.srt``, ``.vtt`` and ``.json`` (the clip's place, title, the reason it
was picked, and the whole ranking for its length); the manifest gets the same as metrics
and a note.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field

import engine
from engine import media
from engine.artifacts import Audio, Video
from engine.errors import TransformError
from engine.transform import Context
from plugins.video.captioned_video import SpeechVideoTransform
from plugins.video import backgrounds
from plugins.video.branding import cache_root
from plugins.video.bumpers import shift_transcript
from plugins.video.highlights import rank_highlights
from plugins.video.render import (CaptionParams, render, shift_words, source_transcript,
                                  transcript_words, words_transcript)


class LongToShortParams(CaptionParams):
    seconds: float = Field(30, ge=5, le=600, description=(
        "target clip length in seconds (met within ±20%, whole sentences)"))
    rank: int = Field(1, ge=1, le=50, description=(
        "which highlight: 1 is the best; fan out with matrix: {rank: [1, 2, 3]}"))
    reframe: Literal["face", "center", "blur"] = Field("face", description=(
        "video sources: face follows the largest face (blur when none is found), center "
        "crops the middle, blur shows the whole picture over a blurred copy"))
    fade: float = Field(0.15, ge=0, le=2, description="audio fade in and out, in seconds")
    colors: tuple[str, ...] = Field(("#24386B", "#0D1322"), min_length=1, max_length=8,
                                    description="audio sources: audiogram background colours")
    wave_color: str = Field("#7FDBFF", description="audio sources: waveform colour")


class LongToShort(SpeechVideoTransform):
    """The Nth best highlight of a long recording as a captioned vertical clip."""

    name = "long-to-short"
    # 2: captions linger and bridge short pauses; 3: gradients span the frame; 4: logo,
    # bumpers, the soundtrack at -14 LUFS
    version = "4"
    Params = LongToShortParams

    def run(self, source: Audio | Video, params: LongToShortParams, ctx: Context) -> Video:
        with ctx.within(0.0, 0.5):
            transcript = source_transcript(source, params, ctx)
        ctx.phase("finding highlights", fraction=0.5)
        words = transcript_words(transcript)
        duration = source.duration or media.probe(source.path).duration
        ranking = rank_highlights(words, params.seconds, count=params.rank, media_end=duration)
        if len(ranking) < params.rank:
            raise TransformError(
                f"{source.title!r} has only {len(ranking)} separate highlight(s) of about "
                f"{params.seconds:g} s made of whole sentences, so there is no clip "
                f"number {params.rank}",
                hint="ask for fewer clips (rank) or another length (seconds)")
        clip = ranking[params.rank - 1]
        width, height = params.frame_size()
        video, audio = self._streams(source, clip.start, clip.duration, params, width, height, ctx)
        clip_words = shift_words(words, clip.start, clip.end)
        out = ctx.work_dir / "clip.mp4"
        ctx.phase("rendering", fraction=0.6)
        rendered = render(video, audio, clip_words, params, dst=out, duration=clip.duration,
                          work_dir=ctx.work_dir,
                          progress=lambda fraction: ctx.phase("rendering",
                                                              fraction=0.6 + 0.4 * fraction),
                          audio_path=Path(source.path), cache_root=cache_root(ctx),
                          start=clip.start)
        info = clip.manifest()
        ctx.metrics["highlight"] = info
        ctx.note(f"clip {clip.rank} of ~{params.seconds:g} s: {clip.start:.2f}-{clip.end:.2f} s, "
                 f"{clip.title!r}; picked because: {clip.reason}")
        manifest = {"source": source.title, "clip": info,
                    "ranking": [h.manifest() for h in ranking]}
        captions = words_transcript(clip_words, title=clip.title, duration=clip.duration)
        return Video(path=out, duration=round(rendered.duration, 3), width=width, height=height,
                     fps=params.fps, has_audio=audio is not None, title=clip.title,
                     captions=shift_transcript(captions, rendered.lead, rendered.duration),
                     metadata={"highlight": json.dumps(manifest, ensure_ascii=False),
                               "source": source.title, "start": f"{clip.start:.3f}",
                               "end": f"{clip.end:.3f}"})

    def _streams(self, source, start: float, duration: float, params: LongToShortParams,
                 width: int, height: int, ctx: Context):
        import ffmpeg

        inp = ffmpeg.input(media.media_path(source.path), ss=f"{start:.3f}", t=f"{duration:.3f}")
        has_audio = source.has_audio if isinstance(source, Video) else True
        audio = None
        if has_audio:
            audio = inp.audio
            if params.fade > 0:
                fade = min(params.fade, duration / 4)
                audio = (audio.filter("afade", t="in", st=0, d=f"{fade:.3f}")
                         .filter("afade", t="out", st=f"{duration - fade:.3f}", d=f"{fade:.3f}"))
        if isinstance(source, Audio):
            video = backgrounds.waveform(inp.audio, list(params.colors), params.wave_color,
                                         width, height, params.fps, duration)
            return video, audio
        return reframed(inp.video, source, start, duration, params, width, height, ctx), audio

    def exports(self, artifact: Video) -> dict[str, bytes | Path]:
        out = super().exports(artifact)
        if "highlight" in artifact.metadata:
            out["json"] = (json.dumps(json.loads(artifact.metadata["highlight"]), indent=2,
                                      ensure_ascii=False) + "\n").encode("utf-8")
        return out


def reframed(stream, source: Video, start: float, duration: float, params: LongToShortParams,
             width: int, height: int, ctx: Context):
    """The source's frames reframed to ``width x height`` as ``params.reframe`` says."""
    from plugins.video.reframe import crop_x_expression, detect_faces, smooth_track

    mode = params.reframe
    src_w, src_h = source.width, source.height
    crop_w = int(round(src_h * width / height / 2)) * 2 if src_h else 0
    if mode != "blur" and (not src_w or crop_w >= src_w):
        # the source is already as narrow as the frame: crop to fill
        return backgrounds.from_video(stream, width, height, params.fps, fit="crop")
    if mode == "center":
        return backgrounds.from_video(stream, width, height, params.fps, fit="crop")
    if mode == "face":
        ctx.phase("following faces", fraction=0.55)
        times, centers = detect_faces(Path(source.path), start=start, duration=duration)
        track = smooth_track(times, centers, crop_fraction=crop_w / src_w)
        if track is not None:
            ctx.metrics["face_found_share"] = round(track.found, 3)
            return backgrounds.from_video_track(
                stream, width, height, params.fps, crop_width=crop_w, crop_height=src_h,
                x_expr=crop_x_expression(track, src_w, crop_w))
        found = sum(c is not None for c in centers) / max(len(centers), 1)
        ctx.metrics["face_found_share"] = round(found, 3)
        ctx.note("no face was found in enough frames; showing the whole picture over a "
                 "blurred copy instead of following a face")
    return backgrounds.blur_pad(stream, width, height, params.fps)


@engine.hookimpl
def register_transforms(register):
    register(LongToShort)
