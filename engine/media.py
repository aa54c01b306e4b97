"""The one place that runs ffmpeg.

Every ffmpeg call in remixer goes through :func:`run_ffmpeg` or :func:`stream_ffmpeg`:
argv lists (never a shell), file names passed as absolute ``file:`` URLs (so names that
start with ``-``, contain ``:``, spaces, quotes or non-ASCII are never read as options or
protocols), stderr kept and turned into a :class:`~engine.errors.MediaError` with a hint.

The binary is imageio-ffmpeg's bundled build unless ``REMIXER_FFMPEG`` names another one.
That build has no ffprobe, so :func:`probe` parses ``ffmpeg -i`` output instead. Filter
graphs are built with ffmpeg-python and compiled to argv (:func:`graph_args`).

numpy, ffmpeg-python and imageio-ffmpeg are imported inside functions: importing this
module must stay cheap (``remixer --help``).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import threading
import wave
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from engine import atomic
from engine.errors import MediaError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

FFMPEG_ENV = "REMIXER_FFMPEG"

#: stderr lines kept per run; bounded so a 3-hour job cannot fill memory with log lines
_STDERR_LINES = 2000

#: (substring of ffmpeg's stderr, what it means for the user), most specific first
_HINTS: tuple[tuple[str, str], ...] = (
    ("moov atom not found", "the file is truncated or was not finished writing; export it again"),
    ("matches no streams", "the file has no stream of the kind needed here, for example no audio"),
    ("does not contain any stream", "the file has no stream of the kind needed here"),
    ("Invalid data found when processing input", "the file is corrupt or not a media file"),
    ("No such file or directory", "check the path"),
    ("Permission denied", "check the file's permissions"),
    ("Unknown encoder", f"this ffmpeg lacks the encoder; set {FFMPEG_ENV} to a fuller build"),
    ("No space left on device", "free some disk space"),
)

#: stderr lines that only repeat what a more specific line already said
_NOISE = re.compile(r"^(Error opening (input|output) files?\b|Conversion failed|Exiting normally"
                    r"|To ignore this, add a trailing|Error parsing options for)")
#: "[in#0 @ 0x55d0] Error opening input: " in front of the actual reason
_LOG_PREFIX = re.compile(r"^(\[[^\]]*@ 0x[0-9a-f]+\] ?)*(Error opening (input|output)( file)?: )?")
_PROGRESS_LINE = re.compile(r"^([a-z_0-9]+)=(.*)$")

TEXT_SUBTITLE_CODECS = frozenset({"subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text"})


# --------------------------------------------------------------------------- running

def ffmpeg_exe() -> str:
    """The ffmpeg binary: ``$REMIXER_FFMPEG`` (a path or a name on PATH), else the bundled one."""
    override = os.environ.get(FFMPEG_ENV)
    if override:
        found = shutil.which(override)
        if not found:
            raise MediaError(f"{FFMPEG_ENV}={override!r} is not an executable",
                             hint=f"point {FFMPEG_ENV} at an ffmpeg binary, or unset it to "
                                  "use the bundled one")
        return found
    import imageio_ffmpeg

    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as e:
        raise MediaError(f"no ffmpeg binary available: {e}",
                         hint=f"install imageio-ffmpeg or set {FFMPEG_ENV}") from None


def media_path(path: str | os.PathLike) -> str:
    """An input or output name ffmpeg reads literally: an absolute ``file:`` URL."""
    return "file:" + os.path.abspath(os.fspath(path))


@dataclass(frozen=True)
class FFmpegResult:
    argv: list[str]
    returncode: int
    stdout: bytes
    #: the last lines ffmpeg logged, progress reports removed
    stderr: str
    #: how far ffmpeg got, in seconds of output (from its progress reports)
    out_time: float | None


class _StderrReader(threading.Thread):
    """Drains ffmpeg's stderr: keeps the last log lines, turns progress reports into callbacks.

    Progress comes from ``-progress pipe:2`` as ``key=value`` lines mixed with the log.
    """

    def __init__(self, stream, progress: Callable[[float], None] | None, duration: float | None):
        super().__init__(daemon=True)
        self.stream = stream
        self.progress = progress
        self.duration = duration
        self.lines: deque[str] = deque(maxlen=_STDERR_LINES)
        self.out_time: float | None = None

    def run(self) -> None:
        for raw in self.stream:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            match = _PROGRESS_LINE.match(line)
            if match is None:
                self.lines.append(line)
            elif match[1] == "out_time_us" and match[2].strip().lstrip("-").isdigit():
                self._report(max(int(match[2]), 0) / 1e6)

    def _report(self, seconds: float) -> None:
        self.out_time = seconds
        if self.progress and self.duration:
            self.progress(min(seconds / self.duration, 1.0))

    def text(self) -> str:
        return "\n".join(self.lines)


def _start(args: list[str], loglevel: str, progress: Callable[[float], None] | None,
           duration: float | None, stdin=subprocess.DEVNULL
           ) -> tuple[list[str], subprocess.Popen, _StderrReader]:
    argv = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", loglevel,
            "-progress", "pipe:2", *args]
    try:
        proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except OSError as e:
        raise MediaError(f"cannot start ffmpeg ({argv[0]}): {e.strerror}", argv=argv,
                         hint=f"check {FFMPEG_ENV} or reinstall imageio-ffmpeg") from None
    reader = _StderrReader(proc.stderr, progress, duration)
    reader.start()
    return argv, proc, reader


def _finish(argv: list[str], proc: subprocess.Popen, reader: _StderrReader, what: str,
            check: bool, stdout: bytes = b"") -> FFmpegResult:
    returncode = proc.wait()
    reader.join()
    result = FFmpegResult(argv, returncode, stdout, reader.text(), reader.out_time)
    if check and returncode != 0:
        raise media_error(what, result.stderr, argv)
    return result


def media_error(what: str, stderr: str, argv: list[str] | None = None) -> MediaError:
    """A MediaError for a failed ffmpeg run: the last meaningful stderr lines and a hint."""
    lines = [_LOG_PREFIX.sub("", line).strip().rstrip(".") for line in stderr.splitlines()]
    meaningful = [line for line in lines if line and not _NOISE.match(line)]
    reason = "; ".join(dict.fromkeys(meaningful[-2:])) or "ffmpeg gave no reason"
    hint = next((h for needle, h in _HINTS if needle in stderr), None)
    return MediaError(f"ffmpeg could not {what}: {reason}", hint=hint, stderr=stderr, argv=argv)


def run_ffmpeg(args: list[str], *, what: str = "process the file", check: bool = True,
               loglevel: str = "error", progress: Callable[[float], None] | None = None,
               duration: float | None = None) -> FFmpegResult:
    """Run ffmpeg with ``args`` (everything after the global options) and wait for it.

    ``what`` completes the error message "ffmpeg could not ...". Output sent to ``pipe:1``
    is returned in ``stdout``. ``progress`` is called with the fraction done when
    ``duration`` (seconds of output expected) is given.
    """
    argv, proc, reader = _start(args, loglevel, progress, duration)
    stdout = proc.stdout.read()
    proc.stdout.close()
    return _finish(argv, proc, reader, what, check, stdout)


class FFmpegWriter:
    """An ffmpeg run that reads its ``pipe:0`` input from what is written to it, while the
    caller still makes it (an encoder fed a programme part by part). :meth:`close` ends
    the input and waits (raising MediaError if ffmpeg failed); :meth:`abort` stops it."""

    def __init__(self, args: list[str], *, what: str = "process the file",
                 loglevel: str = "error"):
        self.what = what
        self.argv, self.proc, self.reader = _start(args, loglevel, None, None,
                                                   stdin=subprocess.PIPE)
        self.proc.stdout.close()   # it writes to files, never to pipe:1

    def write(self, data: bytes) -> None:
        try:
            self.proc.stdin.write(data)
        except BrokenPipeError:   # ffmpeg stopped reading: its own error says why
            self.proc.stdin = None
            raise self._failure() from None

    def close(self) -> FFmpegResult:
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        return _finish(self.argv, self.proc, self.reader, self.what, check=True)

    def abort(self) -> None:
        self.proc.kill()
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except BrokenPipeError:
            pass
        _finish(self.argv, self.proc, self.reader, self.what, check=False)

    def _failure(self) -> MediaError:
        self.proc.wait()
        self.reader.join()
        return media_error(self.what, self.reader.text(), self.argv)


def stream_ffmpeg(args: list[str], *, block_size: int, what: str = "process the file",
                  loglevel: str = "error") -> Iterator[bytes]:
    """Run ffmpeg and yield its ``pipe:1`` output in blocks of ``block_size`` bytes.

    Memory stays bounded by one block. Closing the generator early stops ffmpeg; an
    ffmpeg failure raises MediaError after the last block it produced.
    """
    argv, proc, reader = _start(args, loglevel, None, None)
    finished = False
    try:
        while block := proc.stdout.read(block_size):
            yield block
        finished = True
    finally:
        if not finished:
            proc.kill()
        proc.stdout.close()
        _finish(argv, proc, reader, what, check=finished)


def graph_args(stream) -> list[str]:
    """An ffmpeg-python graph compiled to argv, without the binary."""
    return stream.compile(cmd="ffmpeg")[1:]


# --------------------------------------------------------------------------- probing

@dataclass(frozen=True)
class AudioStream:
    index: int
    codec: str
    sample_rate: int
    channels: int
    language: str | None = None


@dataclass(frozen=True)
class VideoStream:
    index: int
    codec: str
    width: int
    height: int
    fps: float
    language: str | None = None


@dataclass(frozen=True)
class SubtitleStream:
    index: int
    codec: str
    language: str | None = None

    @property
    def is_text(self) -> bool:
        """Text subtitles convert to SRT; image ones (DVD, PGS) would need OCR."""
        return self.codec in TEXT_SUBTITLE_CODECS


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    #: ffmpeg's demuxer names, for example ``"mov,mp4,m4a,3gp,3g2,mj2"`` or ``"wav"``
    container: str
    duration: float
    audio: tuple[AudioStream, ...] = ()
    video: tuple[VideoStream, ...] = ()
    subtitles: tuple[SubtitleStream, ...] = ()

    @property
    def has_audio(self) -> bool:
        return bool(self.audio)

    @property
    def has_video(self) -> bool:
        return bool(self.video)


_INPUT = re.compile(r"^Input #0, (.+?), from '", re.M)
_DURATION = re.compile(r"Duration: (?:(\d+):(\d+):(\d+(?:\.\d+)?)|N/A)")
_STREAM = re.compile(r"^\s*Stream #0:(\d+)(?:\[[^\]]*\])?(?:\((\w+)\))?: (\w+): (.*)$", re.M)
_SIZE = re.compile(r"(?<![\w.])([1-9]\d*)x([1-9]\d*)(?![\w.])")
_FPS = re.compile(r"([\d.]+)(k?) (?:fps|tbr)")
_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2, "downmix": 2, "quad": 4, "hexagonal": 6,
                    "octagonal": 8}


def probe(path: str | os.PathLike) -> MediaInfo:
    """What a media file holds, parsed from ``ffmpeg -i`` (the bundled build has no ffprobe).

    When the container does not state a duration (some WebM and streamed files), the
    file is read once to measure it.
    """
    path = Path(path)
    result = run_ffmpeg(["-i", media_path(path)], what=f"read {path.name!r}", check=False,
                        loglevel="info")
    header = _INPUT.search(result.stderr)
    if header is None:
        raise media_error(f"read {path.name!r}", result.stderr, result.argv)
    audio, video, subtitles = _parse_streams(result.stderr)
    duration = _parse_duration(result.stderr)
    if duration is None:
        duration = _measure_duration(path) if (audio or video) else 0.0
    return MediaInfo(path=path, container=header[1], duration=duration, audio=audio,
                     video=video, subtitles=subtitles)


def _parse_duration(stderr: str) -> float | None:
    match = _DURATION.search(stderr)
    if match is None or match[1] is None:
        return None
    return int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3])


def _parse_streams(stderr: str):
    audio, video, subtitles = [], [], []
    for match in _STREAM.finditer(stderr):
        index, language, kind, details = int(match[1]), match[2], match[3], match[4]
        language = None if language in (None, "und") else language
        codec = re.split(r"[ ,(]", details, maxsplit=1)[0]
        if kind == "Audio":
            audio.append(AudioStream(index, codec, _sample_rate(details), _channels(details),
                                     language))
        elif kind == "Video" and "(attached pic)" not in details:
            size = _SIZE.search(details)
            width, height = (int(size[1]), int(size[2])) if size else (0, 0)
            video.append(VideoStream(index, codec, width, height, _fps(details), language))
        elif kind == "Subtitle":
            subtitles.append(SubtitleStream(index, codec, language))
    return tuple(audio), tuple(video), tuple(subtitles)


def _sample_rate(details: str) -> int:
    match = re.search(r"(\d+) Hz", details)
    return int(match[1]) if match else 0


def _channels(details: str) -> int:
    """Channel count from the layout ffmpeg prints after the sample rate."""
    match = re.search(r"\d+ Hz, ([^,]+)", details)
    layout = match[1].strip() if match else ""
    if layout in _LAYOUT_CHANNELS:
        return _LAYOUT_CHANNELS[layout]
    if counted := re.match(r"(\d+) channels", layout):
        return int(counted[1])
    if surround := re.match(r"(\d+)\.(\d+)", layout):   # 5.1, 7.1(wide), 2.1 ...
        return int(surround[1]) + int(surround[2])
    return 1


def _fps(details: str) -> float:
    match = _FPS.search(details)
    if not match:
        return 0.0
    return float(match[1]) * (1000 if match[2] else 1)


def _measure_duration(path: Path) -> float:
    """Read the file's packets (stream copy, no decoding) to see where they end."""
    result = run_ffmpeg(["-i", media_path(path), "-map", "0", "-c", "copy", "-f", "null", "-"],
                        what=f"measure the duration of {path.name!r}")
    return result.out_time or 0.0


# --------------------------------------------------------------------------- audio

def _decode_args(path: Path, sample_rate: int) -> list[str]:
    import ffmpeg

    stream = ffmpeg.input(media_path(path))["a:0"]
    return graph_args(stream.output("pipe:1", format="f32le", ac=1, ar=sample_rate))


def decode_audio(path: str | os.PathLike, sample_rate: int = 16000) -> "np.ndarray":
    """The first audio stream as float32 mono samples at ``sample_rate``.

    Holds the whole file in memory; use :func:`stream_audio` or :func:`audio_windows`
    for long recordings.
    """
    import numpy as np

    path = Path(path)
    result = run_ffmpeg(_decode_args(path, sample_rate), what=f"decode audio from {path.name!r}")
    return np.frombuffer(result.stdout, dtype="<f4").copy()


def stream_audio(path: str | os.PathLike, sample_rate: int = 16000, *,
                 block_seconds: float = 30.0) -> Iterator["np.ndarray"]:
    """Decode the first audio stream in blocks of ``block_seconds`` (the last may be shorter)."""
    import numpy as np

    path = Path(path)
    block_size = max(int(block_seconds * sample_rate), 1) * 4
    for block in stream_ffmpeg(_decode_args(path, sample_rate), block_size=block_size,
                               what=f"decode audio from {path.name!r}"):
        yield np.frombuffer(block, dtype="<f4").copy()


def audio_windows(path: str | os.PathLike, sample_rate: int = 16000, *, window: float = 600.0,
                  search: float = 20.0) -> Iterator[tuple[float, "np.ndarray"]]:
    """Yield ``(offset_seconds, samples)`` windows of at most ``window`` seconds.

    Each window ends at the quietest moment of its last ``search`` seconds (at most half
    the window), so a cut falls in a pause rather than inside a word; memory stays at
    about one window.
    """
    import numpy as np

    size = int(window * sample_rate)
    span = min(int(search * sample_rate), size // 2)   # never a tiny window
    offset, pending, pending_len = 0, [], 0
    for block in stream_audio(path, sample_rate, block_seconds=min(search, window)):
        pending.append(block)
        pending_len += len(block)
        while pending_len >= size:
            buffer = np.concatenate(pending)
            cut = size - span + _quietest(buffer[size - span:size], sample_rate)
            yield offset / sample_rate, buffer[:cut]
            offset += cut
            pending, pending_len = [buffer[cut:]], len(buffer) - cut
    if pending_len:
        yield offset / sample_rate, np.concatenate(pending)


def _quietest(samples: "np.ndarray", sample_rate: int, frame_seconds: float = 0.03) -> int:
    """Index of the middle of the quietest frame (lowest energy) in ``samples``; at least 1."""
    import numpy as np

    frame = max(int(frame_seconds * sample_rate), 1)
    count = len(samples) // frame
    if count == 0:
        return max(len(samples), 1)
    energy = np.square(samples[:count * frame].reshape(count, frame)).mean(axis=1)
    return max(int(np.argmin(energy)) * frame + frame // 2, 1)


def wav_bytes(samples: "np.ndarray", sample_rate: int) -> bytes:
    """Float samples in [-1, 1] (mono) as a 16-bit PCM WAV file's bytes."""
    import numpy as np

    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def write_wav(path: str | os.PathLike, samples: "np.ndarray", sample_rate: int) -> Path:
    """Write float mono samples as a 16-bit WAV file; returns the path."""
    path = Path(path)
    path.write_bytes(wav_bytes(samples, sample_rate))
    return path


#: ffmpeg muxer per output extension (named explicitly: the partial file's name hides it)
_MUXERS = {".mp3": "mp3", ".m4a": "ipod", ".aac": "adts", ".ogg": "ogg", ".opus": "opus",
           ".flac": "flac", ".wav": "wav"}


def encode_audio(src: str | os.PathLike, dst: str | os.PathLike, *, bitrate: str | None = "192k",
                 sample_rate: int | None = None, channels: int | None = None,
                 loudness: float | None = None,
                 progress: Callable[[float], None] | None = None) -> Path:
    """Convert audio; the format follows ``dst``'s extension (.mp3 .m4a .aac .ogg .opus .flac .wav).

    ``loudness`` normalises to that integrated loudness in LUFS (EBU R128; -16 suits
    podcasts). The file appears at ``dst`` only when complete; a killed run leaves a
    hidden ``.part`` file that the runner sweeps away.
    """
    import ffmpeg

    src, dst = Path(src), Path(dst)
    if dst.suffix.lower() not in _MUXERS:
        raise MediaError(f"cannot encode audio to {dst.suffix or 'a file without extension'}",
                         hint="use one of " + " ".join(_MUXERS))
    stream = ffmpeg.input(media_path(src)).audio
    if loudness is not None:
        stream = stream.filter("loudnorm", I=loudness, TP=-1.5, LRA=11)
    options = {k: v for k, v in {"b:a": bitrate, "ar": sample_rate, "ac": channels}.items()
               if v is not None}
    duration = probe(src).duration if progress else None
    with atomic.replacing(dst) as partial:
        args = graph_args(stream.output(media_path(partial), format=_MUXERS[dst.suffix.lower()],
                                        **options))
        run_ffmpeg(["-y", *args], what=f"encode {src.name!r} to {dst.suffix}",
                   progress=progress, duration=duration)
    return dst


@dataclass(frozen=True)
class Loudness:
    """EBU R128 measurements of a whole file."""

    integrated_lufs: float
    range_lu: float
    true_peak_dbfs: float


_LOUDNESS = re.compile(r"I:\s+(-?[\d.]+|-?inf) LUFS.*?LRA:\s+(-?[\d.]+) LU"
                       r"(?:.*?Peak:\s+(-?[\d.]+|-?inf) dBFS)?", re.S)


def measure_loudness(path: str | os.PathLike, *, start: float | None = None,
                     duration: float | None = None) -> Loudness:
    """Integrated loudness, loudness range and true peak (ffmpeg's ebur128 filter), of
    the whole file or of ``duration`` seconds from ``start``."""
    import ffmpeg

    path = Path(path)
    window = {k: f"{v:.3f}" for k, v in (("ss", start), ("t", duration)) if v is not None}
    graph = (ffmpeg.input(media_path(path), **window)["a:0"]
             .filter("ebur128", peak="true", framelog="verbose")
             .output("-", format="null"))
    result = run_ffmpeg(graph_args(graph), what=f"measure the loudness of {path.name!r}",
                        loglevel="info")
    return loudness_of(result, f"measure the loudness of {path.name!r}")


def loudness_summaries(result: FFmpegResult) -> list[Loudness]:
    """Every ``ebur128`` summary in a run's log, in log order (true peak NaN where the
    filter measured none): a run may measure several branches of its graph."""
    out = []
    for block in result.stderr.split("Summary:")[1:]:
        match = _LOUDNESS.search(block)
        if match is not None:
            peak = float(match[3]) if match[3] is not None else float("nan")
            out.append(Loudness(float(match[1]), float(match[2]), peak))
    return out


def loudness_of(result: FFmpegResult, what: str) -> Loudness:
    """The summary of an ``ebur128`` filter in a run at loglevel info, so a run that
    writes a file can measure it on the way (one pass, not two). Without ``peak="true"``
    the true peak is not measured (NaN)."""
    match = _LOUDNESS.search(result.stderr[result.stderr.rfind("Summary:"):])
    if match is None:
        raise media_error(what, result.stderr, result.argv)
    peak = float(match[3]) if match[3] is not None else float("nan")
    return Loudness(float(match[1]), float(match[2]), peak)


# --------------------------------------------------------------------------- subtitles

def extract_subtitles(path: str | os.PathLike, index: int) -> str:
    """Stream ``index`` (absolute, as in :class:`SubtitleStream`) converted to SRT text."""
    path = Path(path)
    result = run_ffmpeg(["-i", media_path(path), "-map", f"0:{index}", "-c:s", "srt",
                         "-f", "srt", "pipe:1"],
                        what=f"read subtitle stream {index} of {path.name!r}")
    return result.stdout.decode("utf-8", "replace")


# --------------------------------------------------------------------------- video rendering
# Added for captioned-video and long-to-short (issue #5): encode a composed filter graph to
# an H.264/AAC mp4, read frames for analysis, grab single frames for checks.

#: the encoder settings every rendered video uses (the benchmark's bare encode uses them too)
H264_SETTINGS = {"vcodec": "libx264", "pix_fmt": "yuv420p", "preset": "veryfast", "crf": 23,
                 "profile:v": "high", "movflags": "+faststart"}


def render_mp4(video, audio, dst: str | os.PathLike, *, duration: float, fps: float,
               crf: int | None = None, preset: str | None = None, audio_bitrate: str = "128k",
               threads: int | None = None, what: str = "render the video",
               progress: Callable[[float], None] | None = None) -> Path:
    """Encode ffmpeg-python ``video`` (and ``audio``, or None) streams to an mp4 at ``dst``.

    H.264 (``H264_SETTINGS``) and AAC; the output lasts exactly ``duration`` seconds at
    ``fps``. The file appears at ``dst`` only when complete (a ``.part`` file meanwhile).
    """
    import ffmpeg

    dst = Path(dst)
    options = dict(H264_SETTINGS)
    if crf is not None:
        options["crf"] = crf
    if preset is not None:
        options["preset"] = preset
    if threads is not None:
        options["threads"] = threads
    options.update({"r": f"{fps:g}", "t": f"{duration:.3f}", "format": "mp4"})
    streams = [video]
    if audio is not None:
        streams.append(audio)
        options.update({"acodec": "aac", "b:a": audio_bitrate})
    with atomic.replacing(dst) as partial:
        args = graph_args(ffmpeg.output(*streams, media_path(partial), **options))
        run_ffmpeg(["-y", *args], what=what, progress=progress, duration=duration)
    return dst


def video_frames(path: str | os.PathLike, *, start: float = 0.0, duration: float | None = None,
                 fps: float = 2.0, width: int = 320) -> Iterator[tuple[float, "np.ndarray"]]:
    """``(time, gray frame)`` pairs sampled at ``fps`` from ``start``, ``width`` pixels wide
    (height keeps the aspect ratio, rounded to even). Memory: one frame at a time."""
    import ffmpeg
    import numpy as np

    path = Path(path)
    info = probe(path)
    if not info.video:
        raise MediaError(f"{path.name!r} has no video stream")
    src_w, src_h = info.video[0].width or width, info.video[0].height or width
    height = max(int(round(width * src_h / src_w / 2)) * 2, 2)
    kwargs = {"ss": f"{start:.3f}"}
    if duration is not None:
        kwargs["t"] = f"{duration:.3f}"
    graph = (ffmpeg.input(media_path(path), **kwargs).video
             .filter("fps", f"{fps:g}")
             .filter("scale", width, height)
             .output("pipe:1", format="rawvideo", pix_fmt="gray"))
    size = width * height
    for index, block in enumerate(stream_ffmpeg(graph_args(graph), block_size=size,
                                                what=f"read frames of {path.name!r}")):
        if len(block) < size:
            break
        yield start + index / fps, np.frombuffer(block, np.uint8).reshape(height, width)


def frame_at(path: str | os.PathLike, seconds: float) -> "np.ndarray":
    """The frame shown at ``seconds`` as an RGB array (height, width, 3)."""
    import numpy as np

    path = Path(path)
    info = probe(path)
    if not info.video:
        raise MediaError(f"{path.name!r} has no video stream")
    width, height = info.video[0].width, info.video[0].height
    result = run_ffmpeg(["-i", media_path(path), "-ss", f"{seconds:.4f}", "-frames:v", "1",
                         "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
                        what=f"read a frame of {path.name!r}")
    return np.frombuffer(result.stdout[:width * height * 3], np.uint8).reshape(height, width, 3)
