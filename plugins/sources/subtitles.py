"""Source loader for subtitle files: SRT and WebVTT become transcripts directly.

Each cue becomes a segment (its lines joined, formatting tags removed). Subtitles carry
no word timings, so the segments have no words; caption writers estimate them.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import engine
from engine.artifacts import Segment, Transcript
from engine.errors import SourceError
from engine.sources import SourceLoader
from plugins.sources.textfile import read_text

_TAGS = re.compile(r"<[^>]*>|\{\\[^}]*\}")   # <i>, <v Name>, <00:01.000>, {\an8}


class SubtitleLoader(SourceLoader):
    """SubRip (.srt) and WebVTT (.vtt) files, as transcripts."""

    name = "subtitles"
    version = "1"
    extensions = (".srt", ".vtt")
    produces = "transcript"

    def load(self, path: Path) -> Transcript:
        path = Path(path)
        text, _ = read_text(path)
        if path.suffix.lower() == ".vtt":
            segments = parse_vtt(text, name=path.name)
        else:
            segments = parse_srt(text, name=path.name)
        if not segments:
            raise SourceError(f"{path.name!r} has no subtitle cues",
                              hint="check that it holds timed cues with text")
        return transcript_from_segments(segments, title=path.stem)


def transcript_from_segments(segments: list[Segment], *, title: str = "",
                             language: str = "en") -> Transcript:
    return Transcript(title=title, language=language, segments=tuple(segments),
                      duration=max((s.end for s in segments), default=0.0))


def parse_srt(text: str, *, name: str = "subtitles") -> list[Segment]:
    """Segments of SubRip text, in time order. Raises SourceError if it is not SRT."""
    import srt

    try:
        cues = list(srt.parse(text))
    except srt.SRTParseError:
        raise SourceError(f"{name!r} is not a valid SRT file",
                          hint="each cue needs a number, a 'HH:MM:SS,mmm --> HH:MM:SS,mmm' "
                               "line and its text") from None
    return _segments((c.start.total_seconds(), c.end.total_seconds(), c.content, None)
                     for c in cues)


def parse_vtt(text: str, *, name: str = "subtitles") -> list[Segment]:
    """Segments of WebVTT text (``<v Name>`` voices become speakers). Raises SourceError."""
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    try:
        captions = list(webvtt.from_string(text))
    except (MalformedFileError, MalformedCaptionError):
        raise SourceError(f"{name!r} is not a valid WebVTT file",
                          hint="it must start with 'WEBVTT' and hold cues timed "
                               "'HH:MM:SS.mmm --> HH:MM:SS.mmm'") from None
    return _segments((c.start_time.in_milliseconds() / 1000, c.end_time.in_milliseconds() / 1000,
                      c.raw_text, c.voice) for c in captions)


def _segments(cues) -> list[Segment]:
    segments = []
    for start, end, raw, speaker in cues:
        text = " ".join(html.unescape(_TAGS.sub("", raw)).split())
        if text:
            start = max(start, 0.0)
            segments.append(Segment(start=start, end=max(end, start), text=text, speaker=speaker))
    return sorted(segments, key=lambda s: s.start)


@engine.hookimpl
def register_source_loaders(register):
    register(SubtitleLoader)
