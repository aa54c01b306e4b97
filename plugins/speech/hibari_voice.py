"""The ``hibari`` voice engine: small English voices (hibari-tts) that run ~90x realtime
on one CPU core.

"heart" (American, female) ships inside the package and is the default narrator; the
other voices are fetched once from Hugging Face on first use into hibari's cache
(``HIBARI_HOME``). Output is deterministic: the noise component is seeded.
"""

from __future__ import annotations

import os

import engine
from engine.errors import ModelUnavailableError
from engine.voices import Synthesis, VoiceEngine, VoiceInfo, shared_model
from plugins.speech.normalize import HIBARI_CATEGORIES, normalize

#: fixed noise seed, so the same text gives the same samples (and the same cache blob)
SEED = 0


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
        samples = tts(normalize(text, HIBARI_CATEGORIES), speed=speed, seed=SEED)
        return Synthesis(samples, tts.sample_rate)


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


@engine.hookimpl
def register_voices(register):
    register(HibariEngine)
