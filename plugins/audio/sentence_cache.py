"""Sentence-level speech: each sentence spoken once, cached, and spoken in parallel.

Narration and podcasts speak many sentences. Each is synthesised once per (voice and
its model, text, speed, normalisation and timing versions) and kept in the step cache
(``Context.recall``/``remember``: a WAV blob with the engine's word timings), so
editing one turn of a script re-synthesises only its changed sentences and the rest
come back from the cache. The misses of one step are synthesised on ``ctx.threads``
threads (onnxruntime and numpy release the GIL), reporting "synthesising 31/80
sentences" as they finish.
"""

from __future__ import annotations

import wave
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from engine.artifacts import Audio
from engine.transform import Context
from engine.voices import Synthesis, VoiceEngine, pcm16, trim_silence

from plugins.speech.engine_timing import VERSION as TIMING_VERSION
from plugins.speech.lexicon import Respelled, written_timings
from plugins.speech.normalize import VERSION as NORMALIZATION_VERSION

MEMO = "sentence-speech"


@dataclass(frozen=True)
class Sentence:
    """One sentence to speak, in one voice, at one speed; ``said`` is how the voice says
    it when a pronunciation lexicon respelled it (the written ``text`` stays for captions)."""

    engine: VoiceEngine
    voice: str
    text: str
    speed: float = 1.0
    said: Respelled | None = None

    def key(self, identity: str) -> dict:
        """The cache key, given the voice's ``identity`` (asked of the engine once per
        voice: some engines list their voices to answer)."""
        key = {"voice": identity, "text": self.text,
               "speed": self.speed, "normalization": NORMALIZATION_VERSION,
               "timing": TIMING_VERSION}
        if self.said is not None and self.said.spoken != self.text:
            key["said"] = self.said.spoken   # what the lexicon made of it
        return key


def speak_sentences(sentences: Sequence[Sentence], ctx: Context,
                    progress: Callable[[int, int], None] | None = None) -> Iterator[Synthesis]:
    """The speech of every sentence (trimmed of the engine's own edge silence), in order
    and as soon as it is ready (so what follows can start on the first sentences while
    the rest are spoken): from the cache where it was spoken before, the rest
    synthesised on ``ctx.threads`` threads. ``progress(done, total)`` counts sentences as
    they are ready. Sets ``ctx.metrics["sentences"]`` to how many were synthesised and
    how many reused once the last is given."""
    unique: dict[tuple, Sentence] = {}
    for sentence in sentences:
        unique.setdefault(_identity(sentence), sentence)
    identities: dict[tuple, str] = {}
    keys: dict[tuple, dict] = {}
    for ident, sentence in unique.items():
        voice = (sentence.engine.name, sentence.voice)
        if voice not in identities:
            identities[voice] = sentence.engine.identity(sentence.voice)
        keys[ident] = sentence.key(identities[voice])
    # what is ready: a cache hit (read when its turn comes) or a fresh synthesis, each
    # let go once said for the last time, so memory holds only what is still to come
    ready: dict[tuple, Synthesis | Audio] = {}
    for ident in unique:
        hit = ctx.recall(MEMO, keys[ident])
        if isinstance(hit, Audio) and hit.path.is_file():
            ready[ident] = hit
    missing = [ident for ident in unique if ident not in ready]
    total, done = len(unique), len(ready)
    uses = Counter(_identity(s) for s in sentences)
    if progress:
        progress(done, total)

    def synthesize(ident: tuple) -> Synthesis:
        s = unique[ident]
        if s.said is None or s.said.spoken == s.text:
            return trim_silence(s.engine.synthesize(s.text, s.voice, speed=s.speed))
        spoken = trim_silence(s.engine.synthesize(s.said.spoken, s.voice, speed=s.speed))
        return Synthesis(spoken.samples, spoken.sample_rate,
                         written_timings(s.said, spoken.words))

    threads = max(1, min(ctx.threads, len(missing)))
    pool = ThreadPoolExecutor(threads)
    try:
        finished = zip(missing, pool.map(synthesize, missing))
        for sentence in sentences:
            wanted = _identity(sentence)
            while wanted not in ready:
                ident, spoken = next(finished)
                ready[ident] = spoken
                ctx.remember(MEMO, keys[ident], _stored(spoken, ctx.work_dir))
                done += 1
                if progress:
                    progress(done, total)
            speech = ready[wanted]
            uses[wanted] -= 1
            if not uses[wanted]:
                del ready[wanted]
            yield _read(speech) if isinstance(speech, Audio) else speech
    finally:   # a consumer that stops early leaves no synthesis running
        pool.shutdown(cancel_futures=True)
    ctx.metrics["sentences"] = {"spoken": len(sentences), "unique": total,
                                "synthesised": len(missing), "from_cache": total - len(missing),
                                "threads": threads}


def _identity(sentence: Sentence) -> tuple:
    said = sentence.said.spoken if sentence.said is not None else None
    return (sentence.engine.name, sentence.voice, sentence.text, sentence.speed, said)


def _stored(spoken: Synthesis, work: Path) -> Audio:
    """A sentence's speech as a 16-bit WAV the cache can adopt, with its word timings."""
    import hashlib
    pcm = pcm16(spoken.samples)
    path = work / f"sentence-{hashlib.sha256(pcm).hexdigest()[:20]}.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(spoken.sample_rate)
        out.writeframes(pcm)
    return Audio(path=path, duration=spoken.duration, sample_rate=spoken.sample_rate,
                 words=spoken.words)


def _read(audio: Audio) -> Synthesis:
    import numpy as np

    with wave.open(str(audio.path), "rb") as source:
        pcm = source.readframes(source.getnframes())
    samples = np.frombuffer(pcm, "<i2").astype(np.float32) / 32767.0
    return Synthesis(samples, audio.sample_rate, tuple(audio.words))
