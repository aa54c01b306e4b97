"""Source loaders for audio and video files, described by probing them with ffmpeg.

Files are recognised by their content, not their extension: an MP3 named ``.wav`` loads
fine, a text file named ``.mp3`` is refused with a one-line reason. A video whose
container carries a text subtitle stream gets it as ``captions``, so the ``transcript``
transform can use those words instead of recognising speech.
"""

from __future__ import annotations

from pathlib import Path

import engine
from engine import media
from engine.artifacts import Audio, Transcript, Video
from engine.errors import MediaError, SourceError
from engine.sources import SourceLoader
from plugins.sources.subtitles import parse_srt, transcript_from_segments


class AudioLoader(SourceLoader):
    """Audio files (the first audio stream of any file ffmpeg reads)."""

    name = "audio"
    version = "1"
    extensions = (".wav", ".mp3", ".m4a", ".flac", ".ogg", ".opus")
    produces = "audio"

    def load(self, path: Path) -> Audio:
        path = Path(path).resolve()
        info = _probe(path)
        if not info.has_audio:
            raise SourceError(f"{path.name!r} has no audio stream",
                              hint="check that the file is the recording you meant")
        stream = info.audio[0]
        # ffmpeg prints no rate for some damaged streams; 1 then stands for "unknown"
        return Audio(path=path, duration=info.duration, sample_rate=stream.sample_rate or 1,
                     channels=stream.channels, title=path.stem,
                     metadata={"container": info.container, "codec": stream.codec})


class VideoLoader(SourceLoader):
    """Video files, with the first text subtitle stream (if any) as captions."""

    name = "video"
    version = "1"
    extensions = (".mp4", ".mov", ".mkv", ".webm")
    produces = "video"

    def load(self, path: Path) -> Video:
        path = Path(path).resolve()
        info = _probe(path)
        if not info.has_video:
            hint = ("it holds only audio: rename it to .m4a (or .ogg, .mp3) to load it as audio"
                    if info.has_audio else "check that the file is the recording you meant")
            raise SourceError(f"{path.name!r} has no video stream", hint=hint)
        stream = info.video[0]
        metadata = {"container": info.container, "codec": stream.codec}
        captions = _captions(info)
        if captions is not None:
            metadata["captions"] = "subtitle stream"
        return Video(path=path, duration=info.duration, width=stream.width, height=stream.height,
                     fps=stream.fps, has_audio=info.has_audio, title=path.stem,
                     captions=captions, metadata=metadata)


def _probe(path: Path) -> media.MediaInfo:
    """Probe, turning unreadable files into one-line SourceErrors."""
    try:
        if path.stat().st_size == 0:
            raise SourceError(f"{path.name!r} is empty")
        return media.probe(path)
    except OSError as e:
        raise SourceError(f"cannot read {path.name!r}: {e.strerror}") from None
    except MediaError as e:
        raise SourceError(e.message, hint=e.hint) from e


def _captions(info: media.MediaInfo) -> Transcript | None:
    """The first text subtitle stream as a transcript; None if there is none or it is empty."""
    stream = next((s for s in info.subtitles if s.is_text), None)
    if stream is None:
        return None
    try:
        srt_text = media.extract_subtitles(info.path, stream.index)
        segments = parse_srt(srt_text, name=info.path.name)
    except (MediaError, SourceError):
        return None   # unreadable captions: the transcript transform falls back to speech
    if not segments:
        return None
    return transcript_from_segments(segments, title=info.path.stem,
                                    language=stream.language or "en")


@engine.hookimpl
def register_source_loaders(register):
    register(AudioLoader)
    register(VideoLoader)
