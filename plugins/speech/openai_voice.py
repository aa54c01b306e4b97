"""The ``openai`` voice engine: OpenAI's text-to-speech voices, for users with a key.

``openai:alloy`` (or any voice below) speaks through the ``/audio/speech`` endpoint of
OpenAI or of any server that copies it; the endpoint and key come from the same places
as the OpenAI text generator's (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``), and the model
from ``REMIXER_OPENAI_TTS_MODEL`` (default ``gpt-4o-mini-tts``). Audio is requested as
raw 24 kHz 16-bit PCM, so nothing needs decoding. The ``openai`` client retries rate
limits and server errors itself (honouring ``Retry-After``); a missing or refused key is
a one-line error that names the variable and never shows the key.
"""

from __future__ import annotations

import os

import engine
from engine.errors import ModelUnavailableError, RemixerError
from engine.textgen import GeneratorSettings
from engine.voices import Synthesis, VoiceEngine, VoiceInfo
from plugins.text.llm_client import redact, resolve_endpoint

MODEL_ENV = "REMIXER_OPENAI_TTS_MODEL"
DEFAULT_MODEL = "gpt-4o-mini-tts"
SAMPLE_RATE = 24000  # what the API's "pcm" format is
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage",
          "shimmer", "verse")
#: the longest input the endpoint takes; longer texts arrive sentence by sentence anyway
MAX_INPUT_CHARS = 4096


class OpenAIVoiceEngine(VoiceEngine):
    """OpenAI text-to-speech voices (need the network and OPENAI_API_KEY)."""

    name = "openai"
    version = "1"
    default_voice = "alloy"

    def __init__(self):
        self.settings = GeneratorSettings()
        self._client = None

    @property
    def model(self) -> str:
        return os.environ.get(MODEL_ENV) or DEFAULT_MODEL

    def voices(self) -> list[VoiceInfo]:
        reason = f"speaks through {resolve_endpoint(self.settings).url}: needs the network " \
                 f"and ${self.settings.api_key_env}"
        return [VoiceInfo(name=voice, description=f"OpenAI {voice} ({self.model})",
                          language="multilingual", ready_offline=False, reason=reason)
                for voice in VOICES]

    def identity(self, voice: str | None) -> str:
        return f"{super().identity(voice)}/{self.model}@{resolve_endpoint(self.settings).url}"

    def synthesize(self, text: str, voice: str, *, speed: float = 1.0) -> Synthesis:
        import numpy as np
        import openai

        if len(text) > MAX_INPUT_CHARS:
            raise RemixerError(f"OpenAI speech takes at most {MAX_INPUT_CHARS} characters at "
                               f"once, got {len(text)}", hint="split the text into sentences")
        endpoint = resolve_endpoint(self.settings)
        try:
            response = self._openai(endpoint).audio.speech.create(
                model=self.model, voice=self.voice(voice).name, input=text,
                response_format="pcm", speed=speed)
        except openai.AuthenticationError:
            raise ModelUnavailableError(f"the API key in ${endpoint.key_env} was refused by "
                                        f"{endpoint.url}", hint="check the key") from None
        except openai.APIError as exc:
            raise ModelUnavailableError(
                f"OpenAI speech at {endpoint.url} failed: "
                f"{redact(str(exc), endpoint.secrets)}",
                hint="check the network, the model name and the voice") from None
        pcm = np.frombuffer(response.content, dtype="<i2")
        return Synthesis(pcm.astype(np.float32) / 32768.0, SAMPLE_RATE)

    def _openai(self, endpoint):
        import openai

        if self._client is None:
            try:
                key = endpoint.api_key()
            except RemixerError as exc:
                raise ModelUnavailableError(exc.message, hint=exc.hint) from None
            self._client = openai.OpenAI(api_key=key, base_url=endpoint.base_url or None,
                                         organization=endpoint.organization,
                                         timeout=self.settings.timeout,
                                         max_retries=self.settings.max_retries)
        return self._client


@engine.hookimpl
def register_voices(register):
    register(OpenAIVoiceEngine)
