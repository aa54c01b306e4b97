"""Intro and outro bumpers: short videos joined before and after a rendered video.

Each bumper is encoded once to match the video (its frame size, scaled to fit and
padded with black; its frame rate; H.264 with the same settings; its sound resampled to
the video's rate and channels, or silence when it has none), then the three files are
joined by ffmpeg's concat demuxer without re-encoding the main video. The captions move
by the intro's length (:func:`shift_transcript`).
"""

from __future__ import annotations

from pathlib import Path

from engine import atomic, media
from engine.artifacts import Transcript


def attach(main: Path, dst: Path, *, intro: Path | None, outro: Path | None, width: int,
           height: int, fps: float, crf: int, preset: str, work_dir: Path) -> float:
    """Write ``intro + main + outro`` to ``dst``; returns the intro's length in seconds
    (0 without one). The main video is copied, not encoded again."""
    info = media.probe(main)
    sound = info.audio[0] if info.audio else None
    parts, lead = [], 0.0
    for name, path in (("intro", intro), ("outro", outro)):
        if path is None:
            continue
        part = work_dir / f"bumper-{name}.mp4"
        length = _encode(Path(path), part, width, height, fps, crf, preset, sound)
        parts.append((name, part))
        if name == "intro":
            lead = length
    files = [p for n, p in parts if n == "intro"] + [main] + [p for n, p in parts if n == "outro"]
    listing = work_dir / "bumpers.txt"
    listing.write_text("".join(f"file '{p.resolve()}'\n" for p in files), encoding="utf-8")
    with atomic.replacing(dst) as partial:
        media.run_ffmpeg(["-y", "-f", "concat", "-safe", "0", "-i", media.media_path(listing),
                          "-c", "copy", "-movflags", "+faststart", "-f", "mp4",
                          media.media_path(partial)], what="join the bumpers to the video")
    return lead


def _encode(src: Path, dst: Path, width: int, height: int, fps: float, crf: int, preset: str,
            sound) -> float:
    """``src`` as a part the concat demuxer can join to the main video; its length."""
    import ffmpeg

    info = media.probe(src)
    if not info.video:
        raise media.MediaError(f"bumper {src.name!r} has no video stream",
                               hint="give intro and outro videos (mp4, mov, webm)")
    length = info.duration
    inp = ffmpeg.input(media.media_path(src))
    video = (inp.video.filter("scale", width, height, force_original_aspect_ratio="decrease")
             .filter("pad", width, height, "(ow-iw)/2", "(oh-ih)/2", color="black")
             .filter("setsar", 1).filter("fps", f"{fps:g}").filter("format", "yuv420p"))
    audio = None
    if sound is not None:
        layout = "mono" if (sound.channels or 1) == 1 else "stereo"
        rate = sound.sample_rate or 44100
        if info.audio:
            audio = inp.audio
        else:
            audio = ffmpeg.input(f"anullsrc=r={rate}:cl={layout}", f="lavfi").audio
        audio = audio.filter("aformat", sample_rates=rate, channel_layouts=layout)
    media.render_mp4(video, audio, dst, duration=length, fps=fps, crf=crf, preset=preset,
                     what=f"encode the bumper {src.name!r}")
    return media.probe(dst).duration


def shift_transcript(transcript: Transcript, offset: float, duration: float) -> Transcript:
    """``transcript`` later by ``offset`` seconds (words and segments), lasting ``duration``."""
    if offset <= 0:
        return transcript.model_copy(update={"duration": duration})

    def later(item):
        return item.model_copy(update={"start": round(item.start + offset, 3),
                                       "end": round(item.end + offset, 3)})

    segments = tuple(later(s).model_copy(update={"words": tuple(later(w) for w in s.words)})
                     for s in transcript.segments)
    return transcript.model_copy(update={"segments": segments, "duration": duration})
