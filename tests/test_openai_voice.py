"""The openai voice engine against a local OpenAI-compatible server (never the network)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ModelUnavailableError
from engine.voices import synthesize_to_wav
from plugins.speech.openai_voice import SAMPLE_RATE, OpenAIVoiceEngine

from .fake_openai import FakeOpenAI, Reply, auto_reply

KEY = "sk-test-secret-0123456789"


def speech_reply(request) -> Reply:
    """Half a second of a 220 Hz tone per request, as 24 kHz 16-bit PCM."""
    if not request.path.endswith("/audio/speech"):
        return auto_reply(request)
    t = np.arange(SAMPLE_RATE // 2) / SAMPLE_RATE
    pcm = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2").tobytes()
    return Reply(200, pcm)


@pytest.fixture
def server(monkeypatch):
    with FakeOpenAI(speech_reply) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        yield fake


def test_speaks_through_the_audio_speech_endpoint(server):
    engine = OpenAIVoiceEngine()
    spoken = engine.synthesize("Hello there.", "nova", speed=1.1)
    assert spoken.sample_rate == SAMPLE_RATE and spoken.duration == pytest.approx(0.5)
    assert 0.2 < np.abs(spoken.samples).max() <= 0.31
    (request,) = server.requests
    assert request.path == "/v1/audio/speech"
    assert request.body == {"model": "gpt-4o-mini-tts", "voice": "nova", "input": "Hello there.",
                            "response_format": "pcm", "speed": 1.1}
    assert {k.lower(): v for k, v in request.headers.items()}["authorization"] == f"Bearer {KEY}"


def test_long_text_is_sent_sentence_by_sentence(server, tmp_path):
    engine = OpenAIVoiceEngine()
    duration, spans = synthesize_to_wav(engine, "One sentence. Another one. A third.", "alloy",
                                        tmp_path / "out.wav")
    assert len(server.requests) == 3 and len(spans) == 3
    assert duration > 1.5


def test_identity_names_model_and_endpoint_but_never_the_key(server, monkeypatch):
    engine = OpenAIVoiceEngine()
    monkeypatch.setenv("REMIXER_OPENAI_TTS_MODEL", "tts-1-hd")
    identity = engine.identity("echo")
    assert "echo" in identity and "tts-1-hd" in identity and server.base_url in identity
    assert KEY not in identity


def test_unknown_voice_lists_the_voices():
    with pytest.raises(Exception, match="no voice 'bob'.*alloy"):
        OpenAIVoiceEngine().voice("bob")


def test_voices_are_not_ready_offline():
    assert all(not v.ready_offline and "OPENAI_API_KEY" in v.reason
               for v in OpenAIVoiceEngine().voices())


def test_missing_key_for_openai_itself_is_one_line(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelUnavailableError, match=r"\$OPENAI_API_KEY is not set") as info:
        OpenAIVoiceEngine().synthesize("Hi.", "alloy")
    assert "\n" not in str(info.value)


def test_refused_key_never_shows_the_key(monkeypatch):
    with FakeOpenAI(lambda request: Reply(401, {"error": {"message": f"bad key {KEY}"}})) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        with pytest.raises(ModelUnavailableError, match="was refused") as info:
            OpenAIVoiceEngine().synthesize("Hi.", "alloy")
    assert KEY not in str(info.value)
