"""What a transcriber is: the speech-to-text engine behind the ``transcript`` transform.

Register one with ``register_transcribers``; recipes select it as ``NAME`` or
``NAME:MODEL`` (``whisper``, ``whisper:small.en``, ``openai:whisper-1``). The built-in
``whisper`` runs offline with a bundled model; others may need a download or a key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, ClassVar

from engine.artifacts import Transcript


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
