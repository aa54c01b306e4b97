"""The explainer's render: scenes composed by ffmpeg filter graphs, in segments.

Each scene is a stream of the frame size built from images drawn once
(:mod:`plugins.video.slides`): the background, a crop of a larger gradient that drifts
slowly with the video's clock; the picture panning slowly (a window gliding across the
picture drawn larger: a moving ``crop``, nothing scaled per frame); the slide's base
layer; each key point faded in when its sentence is spoken; for a video podcast, the
host cards lit while each host speaks; the progress bar. Scenes are joined by ``xfade``
fed only the overlapping frames; the captions (libass, the same events as
``captioned-video``) go on top.

What keeps it near the cost of encoding alone (``bench/explainer_speed.py``):

* a drawn layer reaches ``overlay`` as one frame, held (see :class:`Stills`), and every
  image is decoded once per run;
* between its changes a scene is composed ten times a second (the drift, the pan and
  the bar move a pixel every few frames) and each composed frame held; a key point's
  fade, a transition, and every frame where a caption changes are composed exactly (see
  :class:`Piece`), and the captions are drawn on the composed frames, before they are
  held, so x264 receives repeated frames it codes almost for free.

Memory stays flat with length: the video is rendered in segments of a few scenes, each
one ffmpeg run of its own, cut where a scene body ends (the drift follows the video's
clock, so the cut does not show). The segments are joined without re-encoding, and the
narration is added (and padded under the closing card) in a last pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from engine import atomic, media
from engine.artifacts import Storyboard, Word
from plugins.video.ass import Event, ass_document, caption_events
from plugins.video.branding import LogoArt, overlay_logo
from plugins.video.layout import Frame
from plugins.video.pictures import is_clip
from plugins.video.render import CaptionParams, prepare_font
from plugins.video.slides import ACCENTS, SceneArt, rgba
from plugins.video.soundtrack import limited, sample_rate_of
from plugins.video.timeline import Timeline, speaker_turns


@dataclass(frozen=True)
class Look:
    """How the render moves: transition kind, how much larger than its box a picture is
    drawn (its pan travels the difference), background drift, progress bar."""

    transition: str = "fade"
    zoom: float = 1.12
    drift: float = 0.12
    progress_bar: bool = True
    scenes_per_segment: int = 3
    bar_color: str = ACCENTS[0]
    #: the logo on every frame (``plugins.video.branding.LogoArt``), or None
    logo: LogoArt | None = None


#: seconds a key point takes to fade in
POINT_FADE = 0.3
#: the background's drift: seconds per radian across and down (at 1080x1920 it moves
#: about 5 pixels a second at most: seen over a scene, and each move costs x264 a frame
#: of motion search, so it moves no faster than that)
DRIFT_PACE = (18, 26)


@dataclass(frozen=True)
class Job:
    """What one render draws from: the slides, pictures and background, the frame, the
    timeline, the look, the podcast's turns, and the progress bar's image (or None)."""

    arts: dict[int, SceneArt]
    pictures: dict[int, Path]
    background: Path
    frame: Frame
    line: Timeline
    look: Look
    turns: list
    bar: Path | None = None


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
    it passes, so it never sees a scene's whole length).

    ``runs``: ``(first frame, step)`` pairs, from the piece's first frame: from each
    run's first frame on, the piece is composed on every ``step``-th frame and each
    composed frame held until the next. Between a scene's changes only slow things move
    (the background drifts a pixel every few frames, the picture pans a pixel or two, the
    progress bar grows), so a scene body is composed ten times a second and looks the
    same; a key point fading in, and a transition, are composed on every frame. The
    captions go on every frame after."""

    start: float
    end: float
    clips: tuple[Clip, ...]
    runs: tuple[tuple[int, int], ...] = ((0, 1),)


#: the rate a scene body is composed at, at least (frames a second)
BODY_RATE = 10.0


def body_step(fps: float) -> int:
    """Frames per composed frame in a scene body (1 at 10 fps or less, 3 at 30)."""
    return max(int(fps // BODY_RATE), 1)


def pieces(line: Timeline, *, step: int = 1, full_rate: frozenset[int] = frozenset(),
           marks: Sequence[float] = ()) -> list[Piece]:
    """The video as scene bodies and transitions, in order, on frame boundaries.

    A body's runs start where a key point starts to fade in (composed on every frame:
    the point appears on its exact frame), where its fade ends (every ``step`` frames
    again) and on the first frame at or after each of ``marks`` (when a caption changes,
    so the captions, drawn on the composed frames, change on their exact frame); the
    slots in ``full_rate`` (a clip playing in the picture box, a podcast's lit speaker)
    are composed on every frame throughout."""
    out = []
    half = 0.5 / line.fps
    fade = line.frames(POINT_FADE)
    for slot, scene in enumerate(line.scenes):
        origin = line.starts[slot] - line.fades[slot]
        start = line.starts[slot] if slot else 0.0
        following = slot + 1 < len(line.scenes)
        fade_out = line.fades[slot + 1] if following else 0.0
        end = line.ends[slot] - fade_out
        if end - start > half:
            slow = 1 if slot in full_rate else step
            length = line.frames(end - start)
            runs = [(0, slow)]
            for at in sorted(line.points[slot]):
                first = line.frames(at - start)
                if at <= line.starts[slot] or not 0 <= first < length:
                    continue
                while runs and runs[-1][0] >= first:   # a run the fade starts inside
                    runs.pop()
                runs.append((first, 1))
                if first + fade < length:
                    runs.append((first + fade, slow))
            runs = [run for n, run in enumerate(runs) if not n or run[1] != runs[n - 1][1]]
            frames = {math.ceil((m - start) * line.fps - 1e-6) for m in marks}
            out.append(Piece(start, end, (Clip(slot, scene, start, end, origin),),
                             _marked(runs, sorted(f for f in frames if 0 < f < length))))
        if fade_out > half:
            nxt = slot + 1
            out.append(Piece(end, line.ends[slot], (
                Clip(slot, scene, end, line.ends[slot], origin),
                Clip(nxt, line.scenes[nxt], end, line.ends[slot], end))))
    return out


def _marked(runs: list[tuple[int, int]], frames: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """``runs`` with a run restarting on each of ``frames`` that a slow run would skip."""
    out = list(runs)
    for frame in frames:
        n = max(i for i, (first, _) in enumerate(out) if first <= frame)
        first, step = out[n]
        if (frame - first) % step:
            out.insert(n + 1, (frame, step))
    return tuple(out)


def schedule(runs: Sequence[tuple[int, int]], total: int) -> tuple[int, str]:
    """How many frames ``runs`` compose over ``total`` frames, and the ``setpts``
    expression placing the N-th on its frame (in frames).

    The runs are chosen by a balanced tree of ``if(lt(N,...))``: ffmpeg's expression
    parser refuses nesting past about a hundred levels, and a karaoke-captioned scene
    has a run per spoken word (hundreds in a long section)."""
    bounds = [first for first, _ in runs[1:]] + [total]
    placed, done = [], 0   # (frames composed before the run, its first frame, its step)
    for (first, step), until in zip(runs, bounds):
        count = max(-(-(until - first) // step), 0)
        if count:
            placed.append((done, first, step))
            done += count
    if not placed:
        return 0, "N"

    def choose(lo: int, hi: int) -> str:
        if hi - lo == 1:
            before, first, step = placed[lo]
            return f"({first}+(N-{before})*{step})"
        mid = (lo + hi) // 2
        return f"if(lt(N,{placed[mid][0]}),{choose(lo, mid)},{choose(mid, hi)})"

    return done, choose(0, len(placed))


def segments(parts: list[Piece], per_segment: int) -> list[list[Piece]]:
    """Consecutive pieces in groups of ``per_segment`` scenes (one ffmpeg run each); a
    transition goes with the scene it leaves."""
    groups: list[list[Piece]] = []
    for piece in parts:
        group = piece.clips[0].slot // max(per_segment, 1)
        if not groups or groups[-1][0].clips[0].slot // max(per_segment, 1) != group:
            groups.append([])
        groups[-1].append(piece)
    return groups


# --------------------------------------------------------------------------- streams

class Stills:
    """The images of one ffmpeg run, each read and decoded once and ``split`` to every
    place that shows it (a scene's slide is drawn in its body and in its transitions).

    What keeps the render cheap is that a drawn layer reaches ``overlay`` as ONE frame
    (``eof_action=repeat`` holds it): ``overlay`` copies the whole main frame before
    blending whenever its other input's next frame is not known yet, which a looped
    layer causes on every frame (a 1080x1920 copy each, per layer), while an input that
    has ended is out of that check. Only what moves is looped: the background, a
    picture's pan, a key point's fade (its few frames)."""

    def __init__(self, fps: float):
        self.fps = fps
        self._uses: dict[tuple[str, str], tuple[object, list[int]]] = {}
        self._clips = 0

    def frame(self, path: Path, fmt: str):
        """The image as one frame in ``fmt`` (one output of its ``split``)."""
        import ffmpeg

        key = (str(path), fmt)
        if key not in self._uses:
            node = (ffmpeg.input(media.media_path(path), framerate=f"{self.fps:g}").video
                    .filter("format", fmt).filter_multi_output("split"))
            self._uses[key] = (node, [0])
        node, count = self._uses[key]
        count[0] += 1
        return node.stream(count[0] - 1)

    def clip(self, path: Path):
        """A video file, looped, opened anew for each use (each plays its own frames;
        the queue size only keeps ffmpeg-python from merging the inputs into one)."""
        import ffmpeg

        self._clips += 1
        return ffmpeg.input(media.media_path(path), stream_loop=-1,
                            thread_queue_size=8 + self._clips).video

    def held(self, path: Path, frames: int, fmt: str, at: float = 0.0, when: str = "N"):
        """The image repeated for ``frames`` frames, the N-th on frame ``when`` (an
        expression of N) counted from ``at`` seconds."""
        return (self.frame(path, fmt).filter("loop", loop=max(frames - 1, 0), size=1, start=0)
                .filter("setpts", f"({when})/({self.fps:g}*TB)+{at:.6f}/TB"))


def glide(clip: Clip, line: Timeline) -> tuple[str, str]:
    """Ken Burns as a moving window: ``crop`` x and y expressions (of the clip's ``t``)
    taking the window across the picture over the scene's whole length, one way on even
    scenes and back on odd ones, so a transition continues the same glide."""
    span = max(line.frames(line.ends[clip.slot] - clip.origin), 1)
    first = line.frames(clip.start - clip.origin)
    progress = f"((t*{line.fps:g}+{first})/{span})"
    if clip.slot % 2:
        progress = f"(1-{progress})"
    return f"(iw-ow)*{progress}", f"(ih-oh)*(0.25+0.5*{progress})"


def pan(clip: Clip, box, line: Timeline, stills: Stills, picture: Path, frames: int,
        when: str):
    """A still's Ken Burns: the box's window gliding across the picture drawn
    ``look.zoom`` times larger (a moving ``crop``: nothing scaled per frame, and motion
    x264 predicts exactly)."""
    x, y = glide(clip, line)
    return stills.held(picture, frames, "yuv420p", when=when).filter(
        "crop", box.w, box.h, x=x, y=y, exact=1)


def scene_stream(clip: Clip, job: Job, stills: Stills,
                 runs: Sequence[tuple[int, int]] = ((0, 1),)):
    """The stream of one clip: frame-sized, ``fps``, exactly the clip's frames, composed
    as ``runs`` say (see :class:`Piece`), the progress bar included."""
    import ffmpeg

    art, picture = job.arts[clip.scene], job.pictures.get(clip.scene)
    frame, line, look, turns = job.frame, job.line, job.look, job.turns
    fps = stills.fps
    total = max(line.frames(clip.end - clip.start), 1)
    frames, when = schedule(runs, total)   # the frames composed, and on which frame
    width, height = frame.width, frame.height
    offset = clip.start  # video time of the clip's first frame
    # the drift follows the video's clock, so it is continuous across scenes and segments
    dx = f"(iw-{width})/2*(1+{look.drift * 5:.3f}*sin((t+{offset:.4f})/{DRIFT_PACE[0]}))"
    dy = f"(ih-{height})/2*(1+{look.drift * 5:.3f}*cos((t+{offset:.4f})/{DRIFT_PACE[1]}))"
    video = stills.held(job.background, frames, "yuv420p", when=when).filter(
        "crop", width, height, x=f"min(max({dx},0),iw-{width})",
        y=f"min(max({dy},0),ih-{height})")
    if picture is not None and art.picture is not None and is_clip(picture):
        box = art.picture
        first = line.frames(clip.start - clip.origin)
        wide, high = (max(int(side * look.zoom) // 2 * 2, side) for side in (box.w, box.h))
        pic = (stills.clip(picture)
               .filter("fps", f"{fps:g}")
               .filter("trim", start_frame=first, end_frame=first + frames)
               .filter("setpts", "PTS-STARTPTS")
               .filter("scale", wide, high, force_original_aspect_ratio="increase")
               .filter("crop", wide, high))
        if look.zoom > 1:   # the same slow glide as a still's
            x, y = glide(clip, line)
            pic = pic.filter("crop", box.w, box.h, x=x, y=y, exact=1)
        pic = pic.filter("setsar", 1).filter("format", "yuv420p")
        video = ffmpeg.overlay(video, pic, x=box.x, y=box.y, eof_action="repeat")
    elif picture is not None and art.picture is not None:
        box = art.picture
        video = ffmpeg.overlay(video, pan(clip, box, line, stills, picture, frames, when),
                               x=box.x, y=box.y, eof_action="repeat")
    if art.base is not None:
        video = ffmpeg.overlay(video, stills.frame(art.base.path, "yuva420p"),
                               x=art.base.x, y=art.base.y, eof_action="repeat")
    for host, layer_art in art.speakers.items():
        spans = [(max(a, clip.start) - offset, min(b, clip.end) - offset)
                 for s, a, b in turns if s == host and b > clip.start and a < clip.end]
        if not spans:
            continue
        enable = "+".join(f"between(t,{a:.3f},{b - 0.001:.3f})" for a, b in spans)
        video = ffmpeg.overlay(video, stills.frame(layer_art.path, "yuva420p"),
                               x=layer_art.x, y=layer_art.y, enable=enable,
                               eof_action="repeat")
    for layer_art, at in zip(art.points, line.points[clip.slot]):
        if layer_art is None or at >= clip.end:
            continue
        if at <= line.starts[clip.slot] or at + POINT_FADE <= clip.start + 0.5 / fps:
            # shown with the scene, or its fade is over: the layer as it is
            layer = stills.frame(layer_art.path, "yuva420p")
        else:
            # the point fades in from the frame its sentence starts on (nothing is drawn
            # before the layer's first frame); when the fade's frames end, the last holds
            first = line.frames(max(at - offset, 0.0))
            count = max(min(line.frames(at + POINT_FADE - offset), total) - first, 1)
            layer = (stills.held(layer_art.path, count, "yuva420p", at=first / fps)
                     .filter("fade", type="in", start_time=f"{at - offset:.4f}",
                             duration=POINT_FADE, alpha=1))
        video = ffmpeg.overlay(video, layer, x=layer_art.x, y=layer_art.y, eof_action="repeat")
    if job.bar is not None:
        # the bar grows with the video's clock (a pixel every few frames), so it is drawn
        # with the scene, at the scene's rate
        video = ffmpeg.overlay(video, stills.frame(job.bar, "yuv420p"),
                               x=f"-w+w*(t+{offset:.4f})/{line.duration:.4f}", y="H-h",
                               eval="frame", eof_action="repeat")
    # the composed frames only (the segment holds each until the next); an overlay runs
    # on while its longest input lasts, so cut after the last
    return video.filter("setsar", 1).filter("trim", end=f"{(total - 0.5) / fps:.6f}")


def piece_stream(piece: Piece, draw, transition: str, fps: float, at: float):
    """A scene body, or two scenes crossfaded (``draw(clip, runs)`` makes a clip's
    stream), its frames timed from ``at`` seconds (the piece's place in its segment)."""
    import ffmpeg

    if len(piece.clips) == 1:
        video = draw(piece.clips[0], piece.runs)
    else:
        outgoing, incoming = piece.clips
        frames = round((piece.end - piece.start) * fps)
        mixed = ffmpeg.filter([draw(outgoing), draw(incoming)], "xfade", transition=transition,
                              duration=f"{piece.end - piece.start:.4f}", offset=0)
        # xfade can give one frame fewer than the overlap: hold its last frame, then cut
        # to the exact count, so the scenes after it keep their times
        video = mixed.filter("tpad", stop_mode="clone", stop=2).filter("trim", end_frame=frames)
    return video.filter("setpts", f"PTS-STARTPTS+{at:.6f}/TB")


def _bar(frame: Frame, work_dir: Path, color: str = ACCENTS[0]) -> Path:
    """The progress bar's image: ``color``, the frame's width, a thin strip."""
    from PIL import Image

    height = max(int(frame.unit * 0.7) // 2 * 2, 2)
    path = work_dir / "progress-bar.png"
    Image.new("RGB", (frame.width, height), rgba(color)[:3]).save(path)
    return path


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
                     progress: Callable[[str, float], None] | None = None,
                     gain: float = 0.0) -> Path:
    """Render the whole video to ``dst`` (see the module docstring); ``progress(label,
    fraction)`` hears "rendering segment 2/5" and "joining" as they go."""
    fps = params.fps
    events, style, font, fonts_dir = [], None, None, None
    if params.caption_style != "none" and words:
        font, fonts_dir = prepare_font(params, work_dir)
        style = params.caption_style_for(frame.width, frame.height)
        events = caption_events(words, style, font, frame.width, frame.height)
    job = Job(arts, pictures, background, frame, line, look, speaker_turns(words),
              _bar(frame, work_dir, look.bar_color) if look.progress_bar else None)
    parts = []
    full_rate = frozenset(slot for slot, index in enumerate(line.scenes)
                          if arts[index].speakers or (index in pictures
                                                      and is_clip(pictures[index])))
    marks = sorted({t for e in events for t in (e.start, e.end)})
    groups = segments(pieces(line, step=body_step(fps), full_rate=full_rate, marks=marks),
                      look.scenes_per_segment)
    for n, group in enumerate(groups):
        import ffmpeg

        stills = Stills(fps)

        def draw(clip: Clip, runs=((0, 1),), stills: Stills = stills):
            return scene_stream(clip, job, stills, runs)

        start, end = group[0].start, group[-1].end
        streams = [piece_stream(p, draw, look.transition, fps, p.start - start) for p in group]
        # the pieces' frames in time order (``concat`` would guess the length of a piece
        # whose frames are not evenly spaced)
        video = streams[0] if len(streams) == 1 else ffmpeg.filter(streams, "interleave",
                                                                   nb_inputs=len(streams))
        video = overlay_logo(video, look.logo)
        if events:
            video = _captions(video, events, style, font, fonts_dir, frame, start, end,
                              work_dir / f"captions-{n:03d}.ass")
        # every frame of the segment: each composed frame held until the next
        count = line.frames(end - start)
        video = (video.filter("fps", f"{fps:g}")
                 .filter("tpad", stop_mode="clone", stop=max(body_step(fps), 2))
                 .filter("trim", end_frame=count).filter("setpts", "PTS-STARTPTS"))
        part = work_dir / f"segment-{n:03d}.mp4"

        def report(fraction: float, n=n) -> None:
            if progress:
                progress(f"rendering segment {n + 1}/{len(groups)}", 0.97 * (n + fraction)
                         / len(groups))

        media.render_mp4(video, None, part, duration=end - start, fps=fps, crf=params.crf,
                         preset=params.preset, what=f"render part {n + 1} of the explainer",
                         progress=report)
        parts.append(part)
    if progress:
        progress("joining", 0.97)
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
