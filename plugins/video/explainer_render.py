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
from plugins.video.layout import Frame
from plugins.video.pictures import is_clip
from plugins.video.branding import LogoArt, overlay_logo
from plugins.video.render import CaptionParams, prepare_font
from plugins.video.soundtrack import limited, sample_rate_of
from plugins.video.slides import ACCENTS, SceneArt, rgba
from plugins.video.timeline import Timeline, speaker_turns


@dataclass(frozen=True)
class Look:
    """How the render moves: transition kind, picture zoom, background drift, progress bar."""

    transition: str = "fade"
    zoom: float = 1.12
    drift: float = 0.12
    progress_bar: bool = True
    scenes_per_segment: int = 6
    bar_color: str = ACCENTS[0]
    #: the logo on every frame (``plugins.video.branding.LogoArt``), or None
    logo: LogoArt | None = None


@dataclass(frozen=True)
class Clip:
    """Scene ``scene`` (position ``slot`` in the timeline) shown over [start, end) of the
    video; ``origin`` is when the scene's own clock starts (its extended start)."""

    slot: int
    scene: int
    start: float
    end: float
    origin: float


@dataclass(frozen=True)
class Piece:
    """A stretch of the video: one scene alone, or a transition between two (an
    ``xfade`` fed only the overlapping frames: ffmpeg's xfade costs a blend per frame
    it passes, so it never sees a scene's whole length)."""

    start: float
    end: float
    clips: tuple[Clip, ...]


def pieces(line: Timeline) -> list[Piece]:
    """The video as scene bodies and transitions, in order, on frame boundaries."""
    out = []
    half = 0.5 / line.fps
    for slot, scene in enumerate(line.scenes):
        origin = line.starts[slot] - line.fades[slot]
        start = line.starts[slot] if slot else 0.0
        following = slot + 1 < len(line.scenes)
        fade_out = line.fades[slot + 1] if following else 0.0
        end = line.ends[slot] - fade_out
        if end - start > half:
            out.append(Piece(start, end, (Clip(slot, scene, start, end, origin),)))
        if fade_out > half:
            nxt = slot + 1
            out.append(Piece(end, line.ends[slot], (
                Clip(slot, scene, end, line.ends[slot], origin),
                Clip(nxt, line.scenes[nxt], end, line.ends[slot], end))))
    return out


def segments(parts: list[Piece], per_segment: int) -> list[list[Piece]]:
    """Consecutive pieces in groups of about ``per_segment`` scenes (one ffmpeg run each)."""
    size = max(per_segment * 2, 1)
    return [parts[i:i + size] for i in range(0, len(parts), size)]


# --------------------------------------------------------------------------- streams

def _still(path: Path, frames: int, fmt: str, tag: int):
    """An image held for ``frames`` frames (decoded and converted once). ``tag`` makes
    the input unique: ffmpeg-python merges identical inputs into one node, and a scene
    drawn twice (its body and a transition) needs two."""
    import ffmpeg

    return (ffmpeg.input(media.media_path(path), thread_queue_size=8 + tag).video
            .filter("format", fmt)
            .filter("loop", loop=max(frames - 1, 0), size=1, start=0))


def _clock(stream, fps: float):
    return stream.filter("setpts", f"N/({fps:g}*TB)")


def scene_stream(clip: Clip, art: SceneArt, picture: Path | None, background: Path,
                 frame: Frame, line: Timeline, look: Look, turns, fps: float, tag: int):
    """The stream of one clip: frame-sized, ``fps``, lasting the clip."""
    import ffmpeg

    frames = max(line.frames(clip.end - clip.start), 1)
    width, height = frame.width, frame.height
    offset = clip.start  # video time of the clip's first frame
    bg = _clock(_still(background, frames, "yuv420p", tag), fps)
    # the drift follows the video's clock, so it is continuous across scenes and segments
    dx = f"(iw-{width})/2*(1+{look.drift * 5:.3f}*sin((t+{offset:.4f})/9))"
    dy = f"(ih-{height})/2*(1+{look.drift * 5:.3f}*cos((t+{offset:.4f})/13))"
    video = bg.filter("crop", width, height, x=f"min(max({dx},0),iw-{width})",
                      y=f"min(max({dy},0),ih-{height})")
    if picture is not None and art.picture is not None and is_clip(picture):
        box = art.picture
        first = line.frames(clip.start - clip.origin)
        pic = (ffmpeg.input(media.media_path(picture), stream_loop=-1,
                            thread_queue_size=8 + tag).video
               .filter("fps", f"{fps:g}")
               .filter("trim", start_frame=first, end_frame=first + frames)
               .filter("setpts", "PTS-STARTPTS")
               .filter("scale", box.w, box.h, force_original_aspect_ratio="increase")
               .filter("crop", box.w, box.h).filter("setsar", 1).filter("format", "yuv420p"))
        video = ffmpeg.overlay(video, pic, x=box.x, y=box.y, eof_action="repeat")
    elif picture is not None and art.picture is not None:
        box = art.picture
        span = max(line.frames(line.ends[clip.slot] - clip.origin), 1)
        first = line.frames(clip.start - clip.origin)
        progress = f"((on+{first})/{span})"
        zoom = look.zoom - 1
        if clip.slot % 2 == 0:
            z = f"1+{zoom:.4f}*{progress}"
            x = f"(iw-iw/zoom)*{progress}"
        else:
            z = f"{look.zoom:.4f}-{zoom:.4f}*{progress}"
            x = f"(iw-iw/zoom)*(1-{progress})"
        # one zoompan frame per looped input frame (d=1): zoompan emits all of an input
        # frame's ``d`` frames at once, so d=frames would queue the whole scene in memory
        pic = (_still(picture, frames, "yuv420p", tag)
               .filter("zoompan", z=z, x=x, y="(ih-ih/zoom)/2", d=1,
                       s=f"{box.w}x{box.h}", fps=f"{fps:g}"))
        pic = _clock(pic, fps)
        video = ffmpeg.overlay(video, pic, x=box.x, y=box.y, eof_action="repeat")
    if art.base is not None:
        layer = _clock(_still(art.base.path, frames, "yuva420p", tag), fps)
        video = ffmpeg.overlay(video, layer, x=art.base.x, y=art.base.y, eof_action="repeat")
    for host, layer_art in art.speakers.items():
        spans = [(max(a, clip.start) - offset, min(b, clip.end) - offset)
                 for s, a, b in turns if s == host and b > clip.start and a < clip.end]
        if not spans:
            continue
        enable = "+".join(f"between(t,{a:.3f},{b - 0.001:.3f})" for a, b in spans)
        layer = _clock(_still(layer_art.path, frames, "yuva420p", tag), fps)
        video = ffmpeg.overlay(video, layer, x=layer_art.x, y=layer_art.y, enable=enable,
                               eof_action="repeat")
    for layer_art, at in zip(art.points, line.points[clip.slot]):
        if layer_art is None:
            continue
        local = at - offset
        if local >= clip.end - offset:
            continue
        # the layer's frames begin when it appears (the overlay shows nothing before its
        # first frame), so the fade touches only the frames of the fade itself
        skip = line.frames(max(local, 0.0))
        layer = (_still(layer_art.path, frames - skip, "yuva420p", tag)
                 .filter("setpts", f"N/({fps:g}*TB)+{skip / fps:.6f}/TB"))
        if local > 0:
            layer = layer.filter("fade", type="in", start_time=f"{skip / fps:.4f}",
                                 duration=0.3, alpha=1)
        video = ffmpeg.overlay(video, layer, x=layer_art.x, y=layer_art.y, eof_action="repeat")
    # exactly the clip's frames: an overlay runs on while its longest input lasts
    return (video.filter("setsar", 1).filter("format", "yuv420p").filter("fps", f"{fps:g}")
            .filter("trim", end_frame=frames).filter("setpts", "PTS-STARTPTS"))


def piece_stream(piece: Piece, draw, tag: int):
    """A scene body, or two scenes crossfaded (``draw(clip, tag)`` makes a clip's stream)."""
    import ffmpeg

    if len(piece.clips) == 1:
        return draw(piece.clips[0], tag)
    outgoing, incoming = piece.clips
    frames = round((piece.end - piece.start) * draw.fps)
    mixed = ffmpeg.filter([draw(outgoing, tag), draw(incoming, tag + 1)], "xfade",
                          transition=draw.transition, duration=f"{piece.end - piece.start:.4f}",
                          offset=0)
    # xfade can give one frame fewer than the overlap: hold its last frame, then cut to
    # the exact count, so the scenes after it keep their times
    return (mixed.filter("tpad", stop_mode="clone", stop=2).filter("trim", end_frame=frames)
            .filter("setpts", "PTS-STARTPTS"))


def _progress_bar(video, frame: Frame, start: float, duration: float, total: float, fps: float,
                  color: str = ACCENTS[0]):
    import ffmpeg

    height = max(int(frame.unit * 0.7) // 2 * 2, 2)
    r, g, b, _ = rgba(color)
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
                     progress: Callable[[float], None] | None = None, gain: float = 0.0) -> Path:
    """Render the whole video to ``dst`` (see the module docstring)."""
    fps = params.fps
    events, style, font, fonts_dir = [], None, None, None
    if params.caption_style != "none" and words:
        font, fonts_dir = prepare_font(params, work_dir)
        style = params.caption_style_for(frame.width, frame.height)
        events = caption_events(words, style, font, frame.width, frame.height)
    turns = speaker_turns(words)

    def draw(clip: Clip, tag: int):
        return scene_stream(clip, arts[clip.scene], pictures.get(clip.scene), background,
                            frame, line, look, turns, fps, tag)

    draw.transition = look.transition
    draw.fps = fps
    parts = []
    groups = segments(pieces(line), look.scenes_per_segment)
    for n, group in enumerate(groups):
        import ffmpeg

        start, end = group[0].start, group[-1].end
        streams = [piece_stream(p, draw, 2 * k) for k, p in enumerate(group)]
        video = streams[0] if len(streams) == 1 else ffmpeg.concat(*streams, n=len(streams),
                                                                   v=1, a=0)
        if look.progress_bar:
            video = _progress_bar(video, frame, start, end - start, line.duration, fps,
                                  look.bar_color)
        video = overlay_logo(video, look.logo)
        if events:
            video = _captions(video, events, style, font, fonts_dir, frame, start, end,
                              work_dir / f"captions-{n:03d}.ass")
        part = work_dir / f"segment-{n:03d}.mp4"

        def report(fraction: float, n=n) -> None:
            if progress:
                progress((n + fraction) / len(groups))

        media.render_mp4(video, None, part, duration=end - start, fps=fps, crf=params.crf,
                         preset=params.preset, what=f"render part {n + 1} of the explainer",
                         progress=report)
        parts.append(part)
    _join(parts, audio, dst, line.duration, work_dir, gain)
    return dst


def _join(parts: Sequence[Path], audio: Path | None, dst: Path, duration: float,
          work_dir: Path, gain: float = 0.0) -> None:
    """The segments joined without re-encoding, with the narration (padded, ``gain`` dB
    louder under a true-peak limiter when asked) as AAC."""
    import ffmpeg

    listing = work_dir / "segments.txt"
    listing.write_text("".join(f"file '{p.resolve()}'\n" for p in parts), encoding="utf-8")
    streams = [ffmpeg.input(media.media_path(listing), f="concat", safe=0).video]
    options = {"vcodec": "copy", "t": f"{duration:.3f}", "movflags": "+faststart",
               "format": "mp4"}
    if audio is not None:
        sound = ffmpeg.input(media.media_path(audio)).audio
        if abs(gain) >= 0.05:
            sound = limited(sound, gain, sample_rate_of(audio))
        streams.append(sound.filter("apad"))
        options.update({"acodec": "aac", "b:a": "128k"})
    with atomic.replacing(dst) as partial:
        args = media.graph_args(ffmpeg.output(*streams, media.media_path(partial), **options))
        media.run_ffmpeg(["-y", *args], what="join the explainer's parts")
