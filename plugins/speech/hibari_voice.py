"""The ``hibari`` voice engine: small English voices (hibari-tts) that run ~90x realtime
on one CPU core.

"heart" (American, female) ships inside the package and is the default narrator; the
other voices are fetched once from Hugging Face on first use into hibari's cache
(``HIBARI_HOME``). Output is deterministic: the noise component is seeded.

Word timings come from the model itself: its duration predictor's output (the tensor
``/Clip_output_0``, phoneme durations in units of two 12.5 ms frames) is added as a
graph output in memory (:mod:`plugins.speech.engine_timing`), and the sentence is
synthesised exactly as ``Hibari.stream`` does, so the samples are the same bits.
Without the ``onnx`` package the engine still speaks, without word timings.
"""

from __future__ import annotations

import functools
import os

import engine
from engine.errors import ModelUnavailableError
from engine.voices import Synthesis, VoiceEngine, VoiceInfo, shared_model
from plugins.speech.normalize import HIBARI_CATEGORIES, normalize

#: fixed noise seed, so the same text gives the same samples (and the same cache blob)
SEED = 0
#: the duration predictor's output in hibari's ONNX graph (phoneme durations)
DURATIONS = "/Clip_output_0"


class HibariEngine(VoiceEngine):
    """hibari-tts voices: "heart" is in the package, the others are downloaded once."""

    name = "hibari"
    version = "1"
    default_voice = "heart"

    def voices(self) -> list[VoiceInfo]:
        from hibari.voices import VOICES

        return [_info(name, entry) for name, entry in VOICES.items()]

    def identity(self, voice: str) -> str:
        import hibari
        from hibari.voices import VOICES

        digest = VOICES[self.voice(voice).name]["sha256"][:16]
        return f"{super().identity(voice)}/hibari-tts {hibari.__version__}/{digest}"

    def synthesize(self, text: str, voice: str, *, speed: float = 1.0) -> Synthesis:
        tts = _load(self.voice(voice).name)
        spoken = normalize(text, HIBARI_CATEGORIES)
        timed = _timed_session(self.voice(voice).name)
        if timed is None:
            return Synthesis(tts(spoken, speed=speed, seed=SEED), tts.sample_rate)
        return _synthesize_timed(tts, timed, text, spoken, speed)


def _synthesize_timed(tts, session, text: str, spoken: str, speed: float) -> Synthesis:
    """``tts(spoken)``, sentence by sentence as ``Hibari.stream`` does, with the model's
    phoneme durations turned into timings of the words of ``text``."""
    import numpy as np
    from hibari import dsp

    from plugins.speech.engine_timing import words_from_phonemes

    rng = np.random.default_rng(SEED)
    parts, phonemes = [], []
    for chunk in tts.phonemize(spoken):
        ids = tts.ids(chunk)
        if len(ids) < 3:
            continue
        out = session.run(None, {"ids": np.asarray([ids], np.int64),
                                 "speed": np.asarray([speed], np.float32)})
        audio = dsp.synth(*(o[0] for o in out[:6]), rng)
        units = np.asarray(out[6]).reshape(-1)
        seconds = len(audio) / tts.sample_rate / max(float(units.sum()), 1.0)
        symbols = ["^", *[c for c in chunk if c in tts.vocab], "$"]
        phonemes += [(symbol, float(u) * seconds) for symbol, u in zip(symbols, units)]
        parts.append(audio)
    samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    words = words_from_phonemes(text, phonemes, lambda token: _token_phonemes(tts.voice, token))
    return Synthesis(samples, tts.sample_rate, words)


def _info(name: str, entry: dict) -> VoiceInfo:
    local = entry.get("bundled") or os.path.exists(_cached_path(entry))
    reason = "" if local else (f"downloaded once from Hugging Face on first use "
                               f"({entry['bytes'] / 1e6:.1f} MB)")
    return VoiceInfo(name=name, description=f"{entry['accent']} English, {entry['gender']}",
                     language=entry["language"], gender=entry["gender"],
                     ready_offline=bool(local), reason=reason)


def _cached_path(entry: dict) -> str:
    from hibari.voices import cache_dir

    return os.path.join(cache_dir(), entry["file"])


def _load(voice: str):
    """The voice's model, loaded once per process; voices of one accent share the G2P."""
    def load():
        from hibari import Hibari
        from hibari.g2p import G2P
        from hibari.voices import VOICES

        british = VOICES[voice]["british"]
        g2p = shared_model(("hibari-g2p", british), lambda: G2P(british=british))
        try:
            return Hibari(voice=voice, g2p=g2p)
        except RuntimeError as exc:  # hibari's download failure
            raise ModelUnavailableError(
                f"hibari voice {voice!r} is not on this machine and could not be downloaded",
                hint=f"connect once so hibari can fetch it, or copy "
                     f"{VOICES[voice]['file']} to {_cached_path(VOICES[voice])}") from exc

    return shared_model(("hibari", voice), load)


@functools.lru_cache(maxsize=20000)
def _token_phonemes(voice: str, token: str) -> str:
    """One token as the voice reads it on its own (hibari's G2P is per word: cacheable)."""
    return "".join(_load(voice).phonemize(normalize(token)))


def _timed_session(voice: str):
    """An onnxruntime session of the voice's model that also returns phoneme durations;
    None when the ``onnx`` package is missing or the graph is not the expected one."""
    def load():
        import onnxruntime
        from hibari.voices import voice_path

        from plugins.speech.engine_timing import with_duration_output

        try:
            model = with_duration_output(voice_path(voice), DURATIONS)
        except (ImportError, ValueError):
            return None
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        return session if len(session.get_outputs()) == 7 else None

    return shared_model(("hibari-timed", voice), load)


@engine.hookimpl
def register_voices(register):
    register(HibariEngine)
