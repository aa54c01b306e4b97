"""From a storyboard and its narration to the finished explainer (``explainer-video``'s work).

Times the scenes, prepares the pictures, draws the slides and the thumbnail, renders,
and returns the :class:`Video` with the timed storyboard in its metadata.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from engine import media
from engine.artifacts import Audio, Scene, Storyboard, Video
from engine.errors import TransformError
from engine.transform import Context
from plugins.video import pictures as pictures_
from plugins.video.explainer_render import Look, render_explainer
from plugins.video.branding import LogoArt, cache_root, place_logo, rasterise
from plugins.video.layout import Frame, caption_frame
from plugins.video.render import CaptionParams, words_transcript
from plugins.video.bumpers import attach, shift_transcript
from plugins.video.soundtrack import soundtrack_gain
from plugins.video.slides import (Palette, ThumbnailLogo, Typeface, draw_background, draw_scene,
                                  draw_thumbnail)
from plugins.video.timeline import Timeline, timeline

#: caption size in an explainer, as a share of the frame's short side (slides carry text too)
CAPTION_SIZE = 0.055
#: a wide video's thumbnail size; other shapes use the frame size
WIDE_THUMBNAIL = (1280, 720)


def caption_params(params: CaptionParams) -> CaptionParams:
    """The caption parameters with an explainer's smaller default size."""
    if params.font_size is not None:
        return params
    width, height = params.frame_size()
    return params.model_copy(update={"font_size": round(min(width, height) * CAPTION_SIZE)})


def explainer_frame(params: CaptionParams, cache_dir: Path | None = None) -> Frame:
    """The frame, with a caption band where the captions go when there are any, and the
    logo's place (see :func:`branded_frame`)."""
    return branded_frame(params, cache_dir)[0]


def branded_frame(params: CaptionParams, cache_dir: Path | None) -> tuple[Frame, LogoArt | None]:
    """The frame and the logo (when there is one), in its corner of the safe area away
    from the caption band; slide text keeps clear of the logo's rows."""
    width, height = params.frame_size()
    frame = caption_frame(params, width, height)
    logo = place_logo(params, frame, cache_dir)
    return (replace(frame, logo=logo.box) if logo else frame), logo


def build(board: Storyboard, audio: Audio, params, ctx: Context) -> Video:
    params = caption_params(params)
    words = list(audio.words)
    if not words:
        raise TransformError(f"the narration of {board.title!r} has no word timings",
                             hint="feed it the output of a narration or podcast step")
    duration = audio.duration or media.probe(audio.path).duration
    fps = params.fps
    width, height = params.frame_size()
    frame, logo = branded_frame(params, cache_root(ctx))
    line = timeline(board, words, duration, fps,
                    transition=0.0 if params.transition == "none" else params.transition_seconds,
                    tail=params.tail)
    for note in line.notes:
        ctx.note(note)
    work = ctx.work_dir
    slides_dir = work / "slides"
    slides_dir.mkdir(parents=True, exist_ok=True)
    typeface = Typeface.of(params.font, heading=params.heading_font, body=params.body_font)
    palette = Palette.of(params)
    background = draw_background(width, height, slides_dir / "background.png",
                                 colors=palette.background)
    arts, pictures, originals = {}, {}, {}
    notes: list[str] = []
    # large enough for the zoom on the frame and for the thumbnail
    longest = int(max(width, height, *WIDE_THUMBNAIL) * params.zoom)
    for slot, index in enumerate(line.scenes):
        scene = board.scenes[index]
        picture = None
        if scene.visual is not None:
            picture, note = pictures_.prepare(scene.visual, work / "pictures", longest,
                                              allow_fetch=params.fetch_images,
                                              name=f"scene-{index:03d}")
            if note:
                notes.append(f"scene {index + 1}: {note}")
        art = draw_scene(board, index, frame, typeface, slides_dir,
                         has_picture=picture is not None, palette=palette)
        notes += [f"scene {index + 1}: {n}" for n in art.notes]
        if picture is not None and art.picture is not None:
            originals[index] = picture
            pictures[index] = picture if pictures_.is_clip(picture) else \
                _fit_picture(picture, art.picture.w, art.picture.h, params.zoom)
        arts[index] = art
        ctx.phase("drawing slides", slot + 1, len(line.scenes), fraction=0.1 * (slot + 1) /
                  len(line.scenes))
    for note in dict.fromkeys(notes):
        ctx.note(note)
    look = Look(transition="fade" if params.transition == "none" else params.transition,
                zoom=params.zoom, progress_bar=params.progress_bar,
                scenes_per_segment=params.scenes_per_segment, bar_color=palette.accents[0],
                logo=logo)
    out = work / "explainer.mp4"
    bumpers = {k: Path(v).expanduser() for k in ("intro", "outro") if (v := getattr(params, k))}
    main = work / "main.mp4" if bumpers else out
    render_explainer(board, arts, pictures, background, frame, line, look, words,
                     Path(audio.path), params, main, work,
                     progress=lambda label, f: ctx.phase(label, fraction=0.1 + 0.85 * f),
                     gain=_gain(audio, params.loudness))
    lead, total = 0.0, line.duration
    if bumpers:
        ctx.phase("adding the bumpers", fraction=0.96)
        lead = attach(main, out, intro=bumpers.get("intro"), outro=bumpers.get("outro"),
                      width=width, height=height, fps=fps, crf=params.crf,
                      preset=params.preset, work_dir=work)
        total = round(media.probe(out).duration, 3)
    key = next((originals[i] for i in line.scenes
                if i in originals and not pictures_.is_clip(originals[i])), None)
    size = list(WIDE_THUMBNAIL) if width >= height * 1.25 else [width, height]
    mark = None
    if params.logo:
        png, _, _ = rasterise(params, size[0], cache_root(ctx), size[1])
        mark = ThumbnailLogo(png, params.logo_position)
    thumb, _, thumb_notes = draw_thumbnail(board, key, (size[0], size[1]), typeface,
                                           work / "thumbnail.jpg", palette=palette, logo=mark,
                                           channel=params.channel)
    for note in dict.fromkeys(thumb_notes):
        ctx.note(f"thumbnail: {note}")
    kept = _keep(ctx, thumb)
    timed = timed_board(board, line)
    ctx.metrics.update({"size": f"{width}x{height}", "scenes": len(line.scenes),
                        "pictures": len(pictures), "duration": total})
    if lead or bumpers:
        ctx.metrics["bumpers"] = {"intro": lead, "main": line.duration}
    ctx.progress(1.0)
    captions = words_transcript(words, title=board.title, duration=line.duration)
    return Video(path=out, duration=total, width=width, height=height, fps=fps,
                 has_audio=True, title=board.title,
                 captions=shift_transcript(captions, lead, total),
                 metadata={"thumbnail": str(kept), "storyboard": timed.model_dump_json(),
                           "caption_style": params.caption_style})



def _gain(audio: Audio, target: float | None) -> float:
    """The gain that brings the narration to ``target`` LUFS (0 for None or silence);
    a narration made here was already mastered to it."""
    return soundtrack_gain(Path(audio.path), target, audio.loudness_lufs) or 0.0


def _fit_picture(path: Path, width: int, height: int, zoom: float) -> Path:
    """The picture cropped to the box's shape and ``zoom`` times its size: the pan's
    window (the box) glides across it without scaling anything per frame."""
    from PIL import Image, ImageOps

    scale = max(zoom, 1.0)
    target = (max(int(width * scale) // 2 * 2, width), max(int(height * scale) // 2 * 2, height))
    with Image.open(path) as image:
        fitted = ImageOps.fit(image.convert("RGB"), target, Image.LANCZOS)
    dst = path.with_name(path.stem + f"-{width}x{height}.png")
    fitted.save(dst, compress_level=0)
    return dst


def _keep(ctx: Context, path: Path) -> Path:
    """Store the thumbnail in the cache by content, as the narration keeps its wav (a
    file-carrying artifact is what the cache knows how to adopt)."""
    from plugins.audio.narration import keep_file

    return Path(keep_file(ctx, "explainer-thumbnail",
                          Audio(path=path, duration=0, sample_rate=1)).path)


def timed_board(board: Storyboard, line: Timeline) -> Storyboard:
    """The storyboard with each shown scene's start, end and point times filled in."""
    scenes: list[Scene] = []
    for index, scene in enumerate(board.scenes):
        if index in line.scenes:
            slot = line.scenes.index(index)
            scene = scene.model_copy(update={"start": line.starts[slot], "end": line.ends[slot],
                                             "point_times": line.points[slot]})
        scenes.append(scene)
    return board.model_copy(update={"scenes": tuple(scenes)})
