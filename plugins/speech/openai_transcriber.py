"""The ``openai`` transcriber: OpenAI's transcription API, for users with a key.

``openai`` uses ``whisper-1``, which returns word and segment timestamps; other models
(``openai:gpt-4o-transcribe``) return text only, so each uploaded window becomes one
segment without words. The key and endpoint come from ``OPENAI_API_KEY`` and
``OPENAI_BASE_URL`` (any OpenAI-compatible server works), or the constructor.

Audio is uploaded in windows of at most ten minutes (16 kHz mono WAV, about 19 MB, under
the API's 25 MB limit), cut in pauses, so long files work and memory stays bounded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import engine
from engine import media
from engine.artifacts import Segment, Transcript, Word
from engine.errors import ModelUnavailableError, TransformError
from engine.transcribers import SAMPLE_RATE, Transcriber, in_file, speech_windows

WINDOW_SECONDS = 600.0
KEY_ENV = "OPENAI_API_KEY"
URL_ENV = "OPENAI_BASE_URL"


class OpenAITranscriber(Transcriber):
    """OpenAI's speech-to-text API (``whisper-1`` gives word timings)."""

    name = "openai"
    version = "1"
    default_model = "whisper-1"

    def __init__(self, model: str | None = None, *, api_key: str | None = None,
                 base_url: str | None = None, timeout: float = 300.0, max_retries: int = 2):
        super().__init__(model)
        self.api_key = api_key or os.environ.get(KEY_ENV)
        self.base_url = base_url or os.environ.get(URL_ENV)
        self.timeout = timeout
        self.max_retries = max_retries

    def transcribe(self, path: Path, *, language: str | None = None,
                   progress: Callable[[float], None] | None = None) -> Transcript:
        path = Path(path)
        client = self._client()
        segments: list[Segment] = []
        decoded, detected = 0.0, None
        for offset, samples in speech_windows(path, window=WINDOW_SECONDS, progress=progress):
            response = self._request(client, media.wav_bytes(samples, SAMPLE_RATE), language)
            decoded = offset + len(samples) / SAMPLE_RATE
            segments += _segments(response, offset, decoded)
            detected = detected or getattr(response, "language", None)
        return Transcript(language=language or _language_code(detected),
                          duration=round(decoded, 3), title=path.stem, segments=tuple(segments))

    def _client(self):
        if not self.api_key:
            raise ModelUnavailableError("the openai transcriber needs an API key",
                                        hint=f"set {KEY_ENV}, or use the offline 'whisper'")
        import openai

        return openai.OpenAI(api_key=self.api_key, base_url=self.base_url,
                             timeout=self.timeout, max_retries=self.max_retries)

    def _request(self, client, wav: bytes, language: str | None):
        import openai

        options = {"model": self.model, "file": ("audio.wav", wav, "audio/wav")}
        if language:
            options["language"] = language
        if self.model.startswith("whisper"):
            options |= {"response_format": "verbose_json",
                        "timestamp_granularities": ["word", "segment"]}
        try:
            return client.audio.transcriptions.create(**options)
        except openai.APIConnectionError:
            raise ModelUnavailableError(f"cannot reach the OpenAI API at {client.base_url}",
                                        hint=f"check the connection or {URL_ENV}") from None
        except openai.APIStatusError as e:
            raise TransformError(f"the OpenAI API refused the transcription "
                                 f"({e.status_code}): {self._scrub(_api_message(e))}",
                                 hint=_status_hint(e.status_code)) from None

    def _scrub(self, text: str) -> str:
        """Never let the key reach a message, even if a server echoes it."""
        return text.replace(self.api_key, "***") if self.api_key else text


def _api_message(error) -> str:
    body = error.body
    if isinstance(body, dict):
        detail = body.get("error", body)
        if isinstance(detail, dict) and detail.get("message"):
            return str(detail["message"])
    return error.message


def _status_hint(status: int) -> str | None:
    return {401: f"check {KEY_ENV}", 403: f"check {KEY_ENV} and the account's access",
            404: "check the model name and OPENAI_BASE_URL",
            429: "wait, or check the account's quota"}.get(status)


def _segments(response, offset: float, window_end: float) -> list[Segment]:
    """Our segments from one window's response; words are given to segments by time."""
    words = [Word(text=w.word.strip(), start=in_file(w.start, offset),
                  end=in_file(max(w.end, w.start), offset))
             for w in (getattr(response, "words", None) or []) if w.word.strip()]
    pieces = getattr(response, "segments", None)
    if not pieces:
        text = response.text.strip()
        return [Segment(start=round(offset, 3), end=round(window_end, 3), text=text,
                        words=tuple(words))] if text else []
    segments, taken = [], 0
    for index, piece in enumerate(pieces):
        start, end = in_file(piece.start, offset), in_file(max(piece.end, piece.start), offset)
        first = taken
        while taken < len(words) and (index == len(pieces) - 1 or words[taken].start < end):
            taken += 1
        if piece.text.strip():
            segments.append(Segment(start=start, end=end, text=piece.text.strip(),
                                    words=tuple(words[first:taken])))
    return segments


def _language_code(language: str | None) -> str:
    """whisper-1 names the language it detected in English ("english"); the transcript
    wants a code. Names not listed here are kept as they are."""
    names = {"english": "en", "german": "de", "french": "fr", "spanish": "es",
             "italian": "it", "portuguese": "pt", "dutch": "nl", "japanese": "ja",
             "chinese": "zh", "russian": "ru", "korean": "ko", "polish": "pl"}
    if not language:
        return "en"
    return names.get(language.lower(), language.lower())


@engine.hookimpl
def register_transcribers(register):
    register(OpenAITranscriber)
