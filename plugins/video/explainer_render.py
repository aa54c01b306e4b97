"""The explainer's render: scenes composed by ffmpeg filter graphs, in segments.

Each scene is a stream of the frame size built from images drawn once
(:mod:`plugins.video.slides`): the background, a crop of a larger gradient that drifts
slowly with the video's clock; the picture with a slow pan and zoom (``zoompan``); the
slide's base layer; each key point faded in when its sentence is spoken; for a video
podcast, the host cards lit while each host speaks. Scenes are joined by ``xfade``;
the progress bar, then the captions (libass, the same events as ``captioned-video``)
go on top.

Memory stays flat with length: the video is rendered in segments of a few scenes, each
one ffmpeg run of its own, cut where a transition starts (the segment that follows
draws the outgoing scene's last moment again, as a function of the same clock, so the
cut does not show). The segments are joined without re-encoding, and the narration is
added (and padded under the closing card) in a last pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from engine import atomic, media
from engine.artifacts import Storyboard, Word
from plugins.video.ass import Event, ass_document, caption_events
from plugins.video.layout import Box, Frame
from plugins.video.render import CaptionParams, prepare_font
from plugins.video.slides import ACCENTS, SceneArt, _rgba
from plugins.video.timeline import Timeline, speaker_turns


@dataclass(frozen=True)
class Look:
    """How the render moves: transition kind, picture zoom, background drift, progress bar."""

    transition: str = "fade"
    zoom: float = 1.12
    drift: float = 0.12
    progress_bar: bool = True
    scenes_per_segment: int = 6


@dataclass(frozen=True)
class Clip:
    """Scene ``scene`` (position ``slot`` in the timeline) shown over [start, end) of the
    video; ``origin`` is when the scene's own clock starts (its extended start)."""

    slot: int
    scene: int
    start: float
    end: float
    origin: float


def scene_span(line: Timeline, slot: int) -> tuple[float, float]:
    """A scene's extended span: from the start of the transition into it to the end of
    the transition out of it (which ends when the next scene starts)."""
    return line.starts[slot] - line.fades[slot], line.ends[slot]


def segments(line: Timeline, per_segment: int) -> list[tuple[float, float]]:
    """Cut points ``(start, end)`` of the segments: at the start of a transition, every
    ``per_segment`` scenes."""
    cuts = [0.0]
    for slot in range(per_segment, len(line.starts), per_segment):
        cuts.append(line.starts[slot] - line.fades[slot])
    cuts.append(line.duration)
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b - a > 0]


def clips_in(line: Timeline, start: float, end: float) -> list[Clip]:
    out = []
    for slot, scene in enumerate(line.scenes):
        a, b = scene_span(line, slot)
        lo, hi = max(a, start), min(b, end)
        if hi - lo > 0.5 / line.fps:
            out.append(Clip(slot, scene, lo, hi, a))
    return out


# --------------------------------------------------------------------------- streams

def _still(path: Path, frames: int, fmt: str):
    """An image held for ``frames`` frames (decoded and converted once)."""
    import ffmpeg

    return (ffmpeg.input(media.media_path(path)).video
            .filter("format", fmt)
            .filter("loop", loop=max(frames - 1, 0), size=1, start=0))


def _own_copy(path: Path, index: int) -> Path:
    """A hard link (else a copy) of ``path`` for scene ``index``: ffmpeg-python merges
    inputs of the same file into one node, and each scene needs its own."""
    import os
    import shutil

    target = path.with_name(f"{path.stem}-{index:03d}{path.suffix}")
    if not target.exists():
        try:
            os.link(path, target)
        except OSError:
            shutil.copyfile(path, target)
    return target


def _clock(stream, fps: float):
    return stream.filter("setpts", f"N/({fps:g}*TB)")


def scene_stream(clip: Clip, art: SceneArt, picture: Path | None, background: Path,
                 frame: Frame, line: Timeline, look: Look, turns, fps: float, kb_index: int):
    """The stream of one clip: frame-sized, ``fps``, lasting the clip."""
    import ffmpeg

    frames = max(line.frames(clip.end - clip.start), 1)
    width, height = frame.width, frame.height
    offset = clip.start  # video time of the clip's first frame
    bg = _clock(_still(_own_copy(background, clip.scene), frames, "yuv420p"), fps)
    # the drift follows the video's clock, so it is continuous across scenes and segments
    dx = f"(iw-{width})/2*(1+{look.drift * 5:.3f}*sin((t+{offset:.4f})/9))"
    dy = f"(ih-{height})/2*(1+{look.drift * 5:.3f}*cos((t+{offset:.4f})/13))"
    video = bg.filter("crop", width, height, x=f"min(max({dx},0),iw-{width})",
                      y=f"min(max({dy},0),ih-{height})")
    if picture is not None and art.picture is not None:
        box = art.picture
        span = max(line.frames(line.ends[clip.slot] - clip.origin), 1)
        first = line.frames(clip.start - clip.origin)
        progress = f"((on+{first})/{span})"
        zoom = look.zoom - 1
        if kb_index % 2 == 0:
            z = f"1+{zoom:.4f}*{progress}"
            x = f"(iw-iw/zoom)*{progress}"
        else:
            z = f"{look.zoom:.4f}-{zoom:.4f}*{progress}"
            x = f"(iw-iw/zoom)*(1-{progress})"
        pic = (ffmpeg.input(media.media_path(picture)).video
               .filter("zoompan", z=z, x=x, y="(ih-ih/zoom)/2", d=frames,
                       s=f"{box.w}x{box.h}", fps=f"{fps:g}")
               .filter("format", "yuv420p"))
        pic = _clock(pic, fps)
        video = ffmpeg.overlay(video, pic, x=box.x, y=box.y, eof_action="repeat")
    if art.base is not None:
        layer = _clock(_still(art.base.path, frames, "yuva420p"), fps)
        video = ffmpeg.overlay(video, layer, x=art.base.x, y=art.base.y, eof_action="repeat")
    for host, layer_art in art.speakers.items():
        spans = [(max(a, clip.start) - offset, min(b, clip.end) - offset)
                 for s, a, b in turns if s == host and b > clip.start and a < clip.end]
        if not spans:
            continue
        enable = "+".join(f"between(t,{a:.3f},{b - 0.001:.3f})" for a, b in spans)
        layer = _clock(_still(layer_art.path, frames, "yuva420p"), fps)
        video = ffmpeg.overlay(video, layer, x=layer_art.x, y=layer_art.y, enable=enable,
                               eof_action="repeat")
    for layer_art, at in zip(art.points, line.points[clip.slot]):
        if layer_art is None:
            continue
        local = at - offset
        if local >= clip.end - offset:
            continue
        layer = _clock(_still(layer_art.path, frames, "yuva420p"), fps)
        if local > 0:
            layer = layer.filter("fade", type="in", start_time=f"{local:.4f}", duration=0.3,
                                 alpha=1)
        video = ffmpeg.overlay(video, layer, x=layer_art.x, y=layer_art.y,
                               enable=f"gte(t,{max(local, 0):.4f})", eof_action="repeat")
    return video.filter("setsar", 1).filter("format", "yuv420p").filter("fps", f"{fps:g}")


def _joined(streams: Sequence, clips: Sequence[Clip], line: Timeline, kind: str):
    """The clips one after another: crossfaded where they overlap, else cut."""
    import ffmpeg

    video = streams[0]
    length = clips[0].end - clips[0].start
    for previous, clip, stream in zip(clips, clips[1:], streams[1:]):
        overlap = previous.end - clip.start
        if overlap < 0.5 / line.fps:
            video = ffmpeg.concat(video, stream, n=2, v=1, a=0)
            length += clip.end - clip.start
            continue
        video = ffmpeg.filter([video, stream], "xfade", transition=kind,
                              duration=f"{overlap:.4f}", offset=f"{length - overlap:.4f}")
        length += clip.end - clip.start - overlap
    return video


def _progress_bar(video, frame: Frame, start: float, duration: float, total: float, fps: float):
    import ffmpeg

    height = max(int(frame.unit * 0.7) // 2 * 2, 2)
    r, g, b, _ = _rgba(ACCENTS[0])
    bar = ffmpeg.input(f"color=c=0x{r:02X}{g:02X}{b:02X}:s={frame.width}x{height}:r={fps:g}"
                       f":d={duration + 1:.3f}", f="lavfi").video
    x = f"-w+w*(t+{start:.4f})/{total:.4f}"
    return ffmpeg.overlay(video, bar, x=x, y=frame.height - height, eval="frame",
                          eof_action="pass")


def _captions(video, events: Sequence[Event], style, font, fonts_dir: Path, frame: Frame,
              start: float, end: float, path: Path):
    shifted = [Event(round(max(e.start - start, 0), 3), round(min(e.end, end) - start, 3), e.text)
               for e in events if e.end > start and e.start < end]
    if not shifted:
        return video
    path.write_text(ass_document(shifted, style, font, frame.width, frame.height), encoding="utf-8")
    return video.filter("ass", filename=str(path), fontsdir=str(fonts_dir))


# --------------------------------------------------------------------------- render

def render_explainer(board: Storyboard, arts: dict[int, SceneArt], pictures: dict[int, Path],
                     background: Path, frame: Frame, line: Timeline, look: Look,
                     words: Sequence[Word], audio: Path | None, params: CaptionParams,
                     dst: Path, work_dir: Path,
                     progress: Callable[[float], None] | None = None) -> Path:
    """Render the whole video to ``dst`` (see the module docstring)."""
    fps = params.fps
    events, style, font, fonts_dir = [], None, None, None
    if params.caption_style != "none" and words:
        font, fonts_dir = prepare_font(params, work_dir)
        style = params.caption_style_for(frame.width, frame.height)
        events = caption_events(words, style, font, frame.width, frame.height)
    turns = speaker_turns(words)
    parts = []
    pieces = segments(line, look.scenes_per_segment)
    for n, (start, end) in enumerate(pieces):
        clips = clips_in(line, start, end)
        streams = [scene_stream(c, arts[c.scene], pictures.get(c.scene), background, frame,
                                line, look, turns, fps, c.slot) for c in clips]
        video = _joined(streams, clips, line, look.transition)
        if look.progress_bar:
            video = _progress_bar(video, frame, start, end - start, line.duration, fps)
        if events:
            video = _captions(video, events, style, font, fonts_dir, frame, start, end,
                              work_dir / f"captions-{n:03d}.ass")
        part = work_dir / f"segment-{n:03d}.mp4"

        def report(fraction: float, n=n) -> None:
            if progress:
                progress((n + fraction) / len(pieces))

        media.render_mp4(video, None, part, duration=end - start, fps=fps, crf=params.crf,
                         preset=params.preset, what=f"render part {n + 1} of the explainer",
                         progress=report)
        parts.append(part)
    _join(parts, audio, dst, line.duration, work_dir)
    return dst


def _join(parts: Sequence[Path], audio: Path | None, dst: Path, duration: float,
          work_dir: Path) -> None:
    """The segments joined without re-encoding, with the narration (padded) as AAC."""
    listing = work_dir / "segments.txt"
    listing.write_text("".join(f"file '{p.resolve()}'\n" for p in parts), encoding="utf-8")
    with atomic.replacing(dst) as partial:
        args = ["-y", "-f", "concat", "-safe", "0", "-i", media.media_path(listing)]
        if audio is not None:
            args += ["-i", media.media_path(audio), "-map", "0:v:0", "-map", "1:a:0",
                     "-af", "apad", "-c:a", "aac", "-b:a", "128k"]
        args += ["-c:v", "copy", "-t", f"{duration:.3f}", "-movflags", "+faststart",
                 "-f", "mp4", media.media_path(partial)]
        media.run_ffmpeg(args, what="join the explainer's parts")
