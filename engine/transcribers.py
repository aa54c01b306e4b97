"""What a transcriber is: the speech-to-text engine behind the ``transcript`` transform.

Register one with ``register_transcribers``; recipes select it as ``NAME`` or
``NAME:MODEL`` (``whisper``, ``whisper:small.en``, ``openai:whisper-1``). The built-in
``whisper`` runs offline with a bundled model; others may need a download or a key.

:func:`speech_windows` gives a transcriber its input the same way for every engine:
16 kHz mono windows cut in pauses, bounded memory, progress, a clear error for a file
without sound; :func:`in_file` turns a time inside a window into a time in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, ClassVar, Iterator

from engine import media
from engine.artifacts import Transcript
from engine.errors import MediaError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

#: what speech recognisers take: 16 kHz mono
SAMPLE_RATE = 16000


class Transcriber:
    """Base class for transcribers.

    ``model`` is the part after the colon in ``NAME:MODEL``; None selects
    ``default_model``. Load models lazily (in ``transcribe``, not ``__init__``): recipes
    are validated, and cache keys computed, without loading anything.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    #: the model used when a recipe names the transcriber without ``:MODEL``
    default_model: ClassVar[str | None] = None

    def __init__(self, model: str | None = None):
        self.model = model or self.default_model

    def identity(self) -> str:
        """What the cache key must change with: transcriber, version, model."""
        return f"{self.name}:{self.model or ''}@{self.version}"

    def transcribe(self, path: Path, *, language: str | None = None,
                   progress: Callable[[float], None] | None = None) -> Transcript:
        """The speech in the first audio stream of ``path``, with word timings where possible.

        ``language`` is an ISO 639-1 code, or None to detect it. ``progress`` is called
        with the fraction done. Silence gives a transcript with no segments; unreadable
        media raises :class:`engine.errors.MediaError`; a model that is not available
        raises :class:`engine.errors.ModelUnavailableError` naming how to get it.
        """
        raise NotImplementedError


def speech_windows(path: Path, *, window: float,
                   progress: Callable[[float], None] | None = None
                   ) -> Iterator[tuple[float, "np.ndarray"]]:
    """``path``'s first audio stream as ``(offset_seconds, samples)`` at 16 kHz mono.

    Windows last at most ``window`` seconds and are cut in pauses, so a transcriber can
    handle a three-hour file in the memory of one window. ``progress`` hears the
    fraction done after each window. A file without audio raises MediaError at once,
    before any window is read.
    """
    path = Path(path)
    info = media.probe(path)
    if not info.has_audio:
        raise MediaError(f"{path.name!r} has no audio stream, so there is no speech to "
                         "transcribe", hint="give a file with a sound track")
    return _windows(path, window, info.duration, progress)


def _windows(path: Path, window: float, duration: float,
             progress: Callable[[float], None] | None) -> Iterator[tuple[float, "np.ndarray"]]:
    for offset, samples in media.audio_windows(path, SAMPLE_RATE, window=window):
        yield offset, samples
        if progress and duration:
            progress(min((offset + len(samples) / SAMPLE_RATE) / duration, 1.0))


def in_file(seconds: float, offset: float) -> float:
    """A time within a window as a time in the file, to the millisecond."""
    return round(max(float(seconds), 0.0) + offset, 3)
