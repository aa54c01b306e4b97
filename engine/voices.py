"""What a voice engine is: text in, speech samples out.

A voice engine (TTS) is registered through ``register_voices`` and addressed in recipes as
``ENGINE:VOICE`` (``piper:joe``, ``hibari:heart``; ``hibari`` alone means its default
voice). Engines synthesise one sentence or a short passage to float32 mono samples; the
helpers here turn a long text into a WAV file sentence by sentence, with even pauses and
bounded memory, and report where every sentence starts and ends so alignment and
captions can build on it.

Engines load their models lazily, once per process (:func:`shared_model`), never at
import time.
"""

from __future__ import annotations

import contextlib
import re
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Iterator

from engine.artifacts import Word
from engine import atomic
from engine.errors import ModelUnavailableError, TransformError
from engine.languages import same_language
from engine.names import did_you_mean, split_spec
from engine.sentences import split_sentences

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

Progress = Callable[[float], None]

#: silence between sentences and between paragraphs, in seconds at speed 1.0
SENTENCE_PAUSE = 0.35
PARAGRAPH_PAUSE = 0.7
#: silence kept around speech when trimming an engine's own leading/trailing silence
EDGE_MARGIN = 0.04


# --------------------------------------------------------------------------- data

@dataclass(frozen=True)
class VoiceInfo:
    """One voice of an engine, as ``remixer voices`` lists it."""

    name: str
    description: str
    language: str
    gender: str | None = None
    ready_offline: bool = True
    #: why the voice is not ready offline (empty when it is)
    reason: str = ""
    #: languages it speaks besides ``language`` (BCP 47); ``language="multilingual"``
    #: means any
    languages: tuple[str, ...] = ()

    def speaks(self, language: str) -> bool:
        """Whether the voice speaks ``language`` (any regional variant of it)."""
        if self.language in ("multilingual", "*"):
            return True
        return any(same_language(own, language) for own in (self.language, *self.languages))


@dataclass(frozen=True, eq=False)
class Synthesis:
    """Speech for one piece of text: float32 mono samples in [-1, 1]."""

    samples: "np.ndarray"
    sample_rate: int
    #: word timings relative to the start of ``samples``, when the engine knows them
    words: tuple[Word, ...] = ()

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True, eq=False)
class Utterance:
    """One sentence of a long text, spoken, and the silence that follows it."""

    text: str
    synthesis: Synthesis
    pause_after: float


@dataclass(frozen=True)
class SentenceSpan:
    """Where one sentence sits in the written audio, in seconds."""

    text: str
    start: float
    end: float
    #: word timings in the file's time, when the engine gave them
    words: tuple[Word, ...] = ()


# --------------------------------------------------------------------------- engines

class VoiceEngine:
    """Base class for text-to-speech engines.

    Subclasses set ``name``, ``version`` (bump when the same text would sound different)
    and ``default_voice``, and implement :meth:`voices` and :meth:`synthesize`. The
    constructor takes no arguments: load models lazily with :func:`shared_model`.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    default_voice: ClassVar[str]

    def voices(self) -> list[VoiceInfo]:
        """Every voice this engine offers, ready or not."""
        raise NotImplementedError

    def synthesize(self, text: str, voice: str, *, speed: float = 1.0) -> Synthesis:
        """Speak a sentence or short passage. ``speed`` 1.0 is natural pace, 2.0 twice as
        fast; engines change the pace of speech (not the pitch, no resampling)."""
        raise NotImplementedError

    def identity(self, voice: str | None) -> str:
        """What a cache key must change with: engine, its version, the voice and its model.
        Subclasses append the model's identity (a file digest or package version)."""
        return f"{self.name}:{self.voice(voice).name}@{self.version}"

    def templates(self) -> list[VoiceInfo]:
        """Voices made from an argument rather than listed by name (a cloning backend
        given a recording: ``match:RECORDING``), for ``remixer voices``. Most engines
        have none."""
        return []

    def claims(self, spec: str) -> bool:
        """Whether this engine speaks a voice spec that names no engine, such as a path to
        a reference recording (voice cloning). Most engines claim nothing."""
        return False

    def disclosure(self, voice: str | None) -> dict[str, str]:
        """Metadata every file made with this voice must carry, written into the file's
        tags and the manifest. Engines that imitate a real person (voice cloning) return
        a synthetic-voice statement here; the default needs none."""
        return {}

    def voice(self, name: str | None) -> VoiceInfo:
        """The named voice (the default for None); an unknown name raises a one-line error
        listing the voices there are."""
        name = name or self.default_voice
        voices = self.voices()
        for info in voices:
            if info.name == name:
                return info
        names = [v.name for v in voices]
        raise ModelUnavailableError(
            f"{self.name} has no voice {name!r}{did_you_mean(name, names)}",
            hint=f"available: {', '.join(names)}")

    def synthesize_long(self, text: str, voice: str, *, speed: float = 1.0,
                        progress: Progress | None = None) -> Iterator[Utterance]:
        """Speak a long text one sentence at a time, each with the pause that follows it.

        The engine's own leading and trailing silence is trimmed so pauses are the same
        for every engine: a short one after a sentence, a longer one after a paragraph,
        none after the last sentence. ``progress`` gets the fraction of text done.
        """
        plan = sentence_plan(text, speed)
        total = sum(len(s) for s, _ in plan) or 1
        done = 0
        for sentence, pause in plan:
            spoken = self.synthesize(sentence, voice, speed=speed)
            yield Utterance(sentence, trim_silence(spoken), pause)
            done += len(sentence)
            if progress:
                progress(done / total)


def sentence_plan(text: str, speed: float = 1.0) -> list[tuple[str, float]]:
    """The sentences of a long text, each with the pause that follows it: a short one
    after a sentence, a longer one after a paragraph, none after the last."""
    sentences = [(s, i == len(para) - 1) for para in _paragraphs(text)
                 for i, s in enumerate(para)]
    plan = []
    for index, (sentence, ends_paragraph) in enumerate(sentences):
        pause = 0.0
        if index < len(sentences) - 1:
            pause = (PARAGRAPH_PAUSE if ends_paragraph else SENTENCE_PAUSE) / speed
        plan.append((sentence, pause))
    return plan


def parse_voice_spec(spec: str) -> tuple[str, str | None]:
    """``"piper:joe"`` -> ``("piper", "joe")``; ``"hibari"`` -> ``("hibari", None)``."""
    engine, voice = split_spec(spec.strip())
    if not engine:
        raise ValueError(f"voice {spec!r} names no engine; write ENGINE:VOICE, e.g. piper:joe")
    return engine, voice


def resolve_voice(spec: str, lookup: Callable[[str], VoiceEngine]) -> tuple[VoiceEngine, VoiceInfo]:
    """The engine and voice an ``ENGINE:VOICE`` spec names, both checked to exist.
    ``lookup`` finds an engine by name (``registry.voice_engine``) or raises."""
    name, voice = parse_voice_spec(spec)
    engine = lookup(name)
    return engine, engine.voice(voice)


_MODELS: dict[Any, Any] = {}
_MODELS_LOCK = threading.RLock()


def shared_model(key: Any, load: Callable[[], Any]) -> Any:
    """``load()`` once per process for ``key``, then the same object every time.

    Engines are instantiated per registry (and registries per test or worker); the
    models behind them are large, so they are shared process-wide. ``load`` may itself
    call ``shared_model`` (a voice sharing a G2P with other voices).
    """
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = load()
        return _MODELS[key]


# --------------------------------------------------------------------------- writing

def synthesize_to_wav(engine: VoiceEngine, text: str, voice: str, path: Path, *,
                      speed: float = 1.0, progress: Progress | None = None
                      ) -> tuple[float, list[SentenceSpan]]:
    """Speak ``text`` into a 16-bit mono WAV file, one sentence at a time.

    Memory stays bounded by the longest sentence, and the file appears under its name only
    when complete (a killed run leaves a ``.part`` file that the runner sweeps away).
    Returns the duration in seconds and the span of every sentence.
    """
    with atomic.replacing(Path(path)) as part:
        utterances = engine.synthesize_long(text, voice, speed=speed, progress=progress)
        duration, spans = write_utterances(utterances, part)
    return duration, spans


def write_utterances(utterances: Iterable[Utterance], path: Path) -> tuple[float, list[SentenceSpan]]:
    """Write spoken sentences and their pauses into a 16-bit mono WAV at ``path``;
    returns the duration and every sentence's span (word timings moved to file time)."""
    import numpy as np

    spans: list[SentenceSpan] = []
    frames, rate = 0, 0
    with contextlib.ExitStack() as stack:
        for utterance in utterances:
            spoken = utterance.synthesis
            if not rate:
                rate = spoken.sample_rate
                out = stack.enter_context(wave.open(str(path), "wb"))
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(rate)
            start = frames / rate
            out.writeframes(pcm16(spoken.samples))
            frames += len(spoken.samples)
            words = tuple(w.model_copy(update={"start": w.start + start, "end": w.end + start})
                          for w in spoken.words)
            spans.append(SentenceSpan(utterance.text, start, frames / rate, words))
            silence = int(round(utterance.pause_after * rate))
            out.writeframes(np.zeros(silence, "<i2").tobytes())
            frames += silence
    if not rate:
        raise TransformError("there is no text to speak",
                             hint="give the step a source with some text in it")
    return frames / rate, spans


def trim_silence(spoken: Synthesis, *, margin: float = EDGE_MARGIN,
                 threshold: float = 0.03) -> Synthesis:
    """Cut leading and trailing silence (below ``threshold`` x peak), keeping ``margin``
    seconds either side. Engines pad sentences differently; this evens that out."""
    import numpy as np

    samples = spoken.samples
    if not len(samples):
        return spoken
    loud = np.flatnonzero(np.abs(samples) > threshold * float(np.abs(samples).max()))
    if not len(loud):
        return spoken
    keep = int(margin * spoken.sample_rate)
    first = max(int(loud[0]) - keep, 0)
    last = min(int(loud[-1]) + keep + 1, len(samples))
    shift = first / spoken.sample_rate
    words = tuple(w.model_copy(update={"start": max(w.start - shift, 0.0),
                                       "end": max(w.end - shift, 0.0)}) for w in spoken.words)
    return Synthesis(samples[first:last], spoken.sample_rate, words)


def pcm16(samples: "np.ndarray") -> bytes:
    """Float samples as 16-bit little-endian PCM, rounded (so PCM read back as
    ``pcm / 32767`` gives the same bytes again)."""
    import numpy as np

    return np.rint(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


# --------------------------------------------------------------------------- sentences

def _paragraphs(text: str) -> list[list[str]]:
    """Sentences grouped by paragraph (blank-line separated)."""
    paras = (split_sentences(p) for p in re.split(r"\n\s*\n", text))
    return [p for p in paras if p]
