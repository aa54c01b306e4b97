"""Voice cloning: specs, the consent rule, profiles, reference checks, disclosure, the
offline ``match`` converter and the ``clone`` engine (the ``coqui`` engine without Coqui
installed too; with Coqui, see tests/coqui)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from engine.errors import ModelUnavailableError, PluginError
from engine.voices import synthesize_to_wav, trim_silence
from plugins.speech import coqui_voice
from plugins.speech.cloning import (CloneEngine, ConsentRequiredError, disclosure_metadata,
                                    looks_cloned, parse_clone_spec, resolve, with_consent)
from plugins.speech.cloning import match, reference
from plugins.speech.cloning.profiles import ProfileError, load_profile
from plugins.speech.cloning.reference import ReferenceAudioError, load_reference
from plugins.speech.hibari_voice import HibariEngine

RATE = 24000
SENTENCES = [
    "The old lighthouse keeper climbed the stairs every evening.",
    "He checked the lamp and wiped the glass.",
    "Ships passed safely through the narrow channel.",
    "Nobody in the village ever thanked him.",
    "On stormy nights he stayed awake until dawn.",
    "He listened to the wind and counted the waves.",
    "When he retired, the town built a bench in his honour.",
    "Children still sit there in the summer.",
]
CONSENT = "I, Ada Example, agree that remixer may narrate texts in a copy of my voice."


# --------------------------------------------------------------------------- audio helpers

def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def join(pieces: list[np.ndarray], gap: float = 0.4, rate: int = RATE) -> np.ndarray:
    silence = np.zeros(int(gap * rate), np.float32)
    return np.concatenate([x for piece in pieces for x in (piece, silence)])


def world_voice(samples: np.ndarray, *, pitch: float, formants: float) -> np.ndarray:
    """Another "speaker" made from hibari: F0 scaled, spectral envelope compressed or
    stretched along frequency (a longer or shorter vocal tract)."""
    import pyworld

    x = samples.astype(np.float64)
    f0, times = pyworld.dio(x, RATE, frame_period=5.0)
    f0 = pyworld.stonemask(x, f0, times, RATE)
    sp = pyworld.cheaptrick(x, f0, times, RATE)
    ap = pyworld.d4c(x, f0, times, RATE)
    bins = np.linspace(0, 1, sp.shape[1])
    source = np.clip(bins / formants, 0, 1)
    sp = np.stack([np.interp(source, bins, row) for row in sp])
    ap = np.stack([np.interp(source, bins, row) for row in ap])
    y = pyworld.synthesize(f0 * pitch, np.ascontiguousarray(sp), np.ascontiguousarray(ap),
                           RATE, 5.0)
    return (y * np.sqrt(np.mean(x ** 2) / np.mean(y ** 2))).astype(np.float32)


def median_f0(samples: np.ndarray, rate: int = RATE) -> float:
    import pyworld

    x = samples.astype(np.float64)
    f0, times = pyworld.dio(x, rate, frame_period=5.0)
    f0 = pyworld.stonemask(x, f0, times, rate)
    return float(np.median(f0[f0 > 0]))


@pytest.fixture(scope="module")
def heart() -> list[np.ndarray]:
    """The eight sentences spoken by hibari's heart (24 kHz), silence trimmed."""
    engine = HibariEngine()
    return [trim_silence(engine.synthesize(s, "heart")).samples for s in SENTENCES]


@pytest.fixture(scope="module")
def low_voice(heart) -> list[np.ndarray]:
    """A deep "speaker": heart an octave lower with a longer vocal tract."""
    return [world_voice(s, pitch=0.55, formants=0.82) for s in heart]


@pytest.fixture
def sample(tmp_path, low_voice) -> Path:
    """A good reference recording (about 18 s of one speaker)."""
    return write_wav(tmp_path / "me.wav", join(low_voice))


@pytest.fixture
def library(tmp_path, monkeypatch, sample) -> Path:
    """A voice library with profile "ada" (consent given) and "bob" (no consent)."""
    root = tmp_path / "voices"
    for name, consent in (("ada", CONSENT), ("bob", "")):
        folder = root / name
        folder.mkdir(parents=True)
        (folder / "reading.wav").write_bytes(sample.read_bytes())
        text = f"speaker: {name.title()} Example\nnotes: studio, 2025\n"
        if consent:
            text += f"consent: {consent}\n"
        (folder / "profile.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("REMIXER_VOICES", str(root))
    return root


# --------------------------------------------------------------------------- specs

@pytest.mark.parametrize("name, parsed", [
    ("me.wav", (None, False, "me.wav")),
    ("clone:match:me.wav", ("match", False, "me.wav")),
    ("xtts+consent:ada", ("xtts", True, "ada")),
    ("+consent:C:/rec/me.wav", (None, True, "C:/rec/me.wav")),
    ("C:/rec/me.wav", (None, False, "C:/rec/me.wav")),
])
def test_parse_clone_spec(name, parsed):
    spec = parse_clone_spec(name)
    assert (spec.backend, spec.consent, spec.target) == parsed


def test_with_consent_marks_cloned_voices_only(library):
    assert with_consent("me.wav", True) == "clone:+consent:me.wav"
    assert with_consent("clone:xtts:ada", True) == "clone:xtts+consent:ada"
    assert with_consent("ada", True) == "clone:+consent:ada"        # a profile name
    assert with_consent("hibari:heart", True) == "hibari:heart"
    assert with_consent("me.wav", False) == "me.wav"
    assert looks_cloned("recordings/me.mp3") and not looks_cloned("piper:joe")


# --------------------------------------------------------------------------- consent rule

def test_a_recording_needs_a_consent_declaration(sample):
    with pytest.raises(ConsentRequiredError) as info:
        CloneEngine().voice(str(sample))
    message = str(info.value)
    assert "\n" not in message and "consent" in message and "voice_consent: true" in message
    voice = CloneEngine().voice(with_consent(str(sample), True).removeprefix("clone:"))
    assert voice.name == f"match+consent:{sample.resolve()}" and voice.ready_offline
    assert resolve(voice.name).consent_source == "flag"


def test_a_profile_carries_its_consent(library):
    clone = resolve("ada")
    assert (clone.consent, clone.consent_source, clone.speaker) == (CONSENT, "profile", "Ada Example")
    assert clone.samples == ((library / "ada" / "reading.wav").resolve(),)
    with pytest.raises(ConsentRequiredError, match="voice profile 'bob'"):
        CloneEngine().voice("bob")
    assert resolve("+consent:bob").consent_source == "flag"
    listed = {v.name: v for v in CloneEngine().voices()}
    assert listed["ada"].ready_offline and not listed["bob"].ready_offline
    assert "consent" in listed["bob"].reason


def test_profile_errors_are_one_line(library):
    (library / "ada" / "profile.yaml").write_text("speaker: Ada\nconsnet: yes\n")
    with pytest.raises(ProfileError, match="unknown key 'consnet' .did you mean 'consent'"):
        load_profile("ada")
    with pytest.raises(ModelUnavailableError, match="no voice profile 'adda' .did you mean 'ada'"):
        resolve("adda")
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        resolve("+consent:missing.wav")


def test_resolving_a_bare_recording_or_profile_through_the_registry(registry, library, sample):
    engine, voice = registry.resolve_voice("ada")
    assert engine.name == "clone" and voice.name == "match:ada"
    engine, voice = registry.resolve_voice(with_consent(str(sample), True))
    assert engine.name == "clone"
    assert registry.resolve_voice("hibari:heart")[0].name == "hibari"
    with pytest.raises(PluginError, match="did you mean 'hibari'"):
        registry.resolve_voice("hibary:heart")


# --------------------------------------------------------------------------- reference checks

def test_a_good_reference_passes(sample):
    ref = load_reference([sample])
    assert 12 < ref.speech_seconds < 22
    assert -35 < ref.level_dbfs < -15 and ref.clipped_fraction == 0
    assert ref.speaker_separation < reference.MAX_SPEAKER_SEPARATION
    assert ref.digest == hashlib.sha256(sample.read_bytes()).hexdigest()
    assert ref.rate == reference.ANALYSIS_RATE


def test_speech_is_counted_without_silence(tmp_path, low_voice):
    # 6 s of speech spread over ~35 s of silence passes; 3 s does not
    spread = join(low_voice[:3], gap=10.0)
    ref = load_reference([write_wav(tmp_path / "spread.wav", spread)])
    assert 5 <= ref.speech_seconds < 10
    with pytest.raises(ReferenceAudioError) as info:
        load_reference([write_wav(tmp_path / "short.wav", join(low_voice[:1], gap=5.0))])
    assert "only 2." in str(info.value) and "at least 5 s" in str(info.value)


@pytest.mark.parametrize("variant, expected", [
    ("silence", "is silent"),
    ("quiet", "too quiet"),
    ("clipped", "is clipped"),
])
def test_bad_references_get_a_clear_message(tmp_path, low_voice, variant, expected):
    audio = join(low_voice)
    audio = {"silence": np.zeros_like(audio), "quiet": audio * 0.002,
             "clipped": np.clip(audio * 30, -1, 1)}[variant]
    with pytest.raises(ReferenceAudioError) as info:
        load_reference([write_wav(tmp_path / f"{variant}.wav", audio)])
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_two_speakers_taking_turns_are_refused(tmp_path, heart, low_voice):
    turns = join([(heart if i % 2 else low_voice)[i] for i in range(len(SENTENCES))])
    with pytest.raises(ReferenceAudioError, match="more than one voice"):
        load_reference([write_wav(tmp_path / "two.wav", turns)])


@pytest.mark.slow
def test_a_single_piper_voice_is_never_taken_for_two(tmp_path):
    """piper's unseeded noise moves the score from run to run; a single voice stays clear."""
    from plugins.speech.piper_voice import PiperEngine

    piper = PiperEngine()
    for attempt in range(3):
        joe = [match.resample(trim_silence(piper.synthesize(s, "joe")).samples, 22050, RATE)
               for s in SENTENCES]
        load_reference([write_wav(tmp_path / f"joe-{attempt}.wav", join(joe))])


def test_a_reference_in_another_format_is_decoded(tmp_path, sample):
    from engine.media import encode_audio

    mp3 = encode_audio(sample, tmp_path / "me.mp3", bitrate="64k")
    ref = load_reference([mp3])
    assert 12 < ref.speech_seconds < 22


def test_a_missing_or_unreadable_reference(tmp_path):
    with pytest.raises(ReferenceAudioError, match="does not exist"):
        load_reference([tmp_path / "nobody.wav"])
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF not really")
    with pytest.raises(ReferenceAudioError, match="cannot read"):
        load_reference([bad])


# --------------------------------------------------------------------------- disclosure

def test_disclosure_names_the_speaker_the_method_and_the_consent(library):
    entries = CloneEngine().disclosure("ada")
    assert entries["synthetic-voice"].startswith("Synthetic voice:")
    assert "Ada Example" in entries["synthetic-voice"] and "not a recording" in entries["synthetic-voice"]
    assert entries["voice-cloned-from"] == "Ada Example"
    assert entries["voice-consent"] == CONSENT
    assert "hibari:heart" in entries["voice-clone-method"]
    assert entries["voice-reference-sha256"] == hashlib.sha256(
        (library / "ada" / "reading.wav").read_bytes()).hexdigest()
    assert disclosure_metadata("clone:ada") == entries
    assert disclosure_metadata("hibari:heart") == {}
    assert HibariEngine().disclosure("heart") == {}


def test_disclosure_is_written_into_id3_tags(tmp_path, library):
    """What the narration transform does with it: TXXX frames in the mp3."""
    from mutagen.id3 import ID3

    from engine.media import encode_audio
    from plugins.audio import production

    wav = write_wav(tmp_path / "x.wav", np.zeros(RATE, np.float32))
    mp3 = encode_audio(wav, tmp_path / "x.mp3")
    entries = disclosure_metadata("clone:ada")
    production.write_tags(mp3, production.Tags(title="t", artist="clone:ada", extra=entries))
    frames = {frame.desc: frame.text[0] for frame in ID3(str(mp3)).getall("TXXX")}
    assert frames["synthetic-voice"] == entries["synthetic-voice"]
    assert frames["voice-consent"] == CONSENT


# --------------------------------------------------------------------------- match

def test_match_moves_pitch_towards_the_reference(heart, low_voice):
    base = match.analyse(join(heart), RATE)
    target = match.analyse(join(low_voice), RATE)
    assert target.f0_hz < base.f0_hz * 0.7
    sentence = heart[0]
    converted = match.convert(sentence, RATE, base, target)
    assert converted.dtype == np.float32 and abs(len(converted) - len(sentence)) < RATE * 0.01
    before, after, wanted = median_f0(sentence), median_f0(converted), median_f0(join(low_voice))
    assert abs(np.log(after / wanted)) < 0.1, (before, after, wanted)   # within ~10%
    assert abs(np.log(after / wanted)) < abs(np.log(before / wanted)) / 4
    # level kept, no clipping
    assert np.sqrt(np.mean(converted ** 2)) == pytest.approx(np.sqrt(np.mean(sentence ** 2)), rel=0.05)
    assert np.abs(converted).max() < 1.0


@pytest.mark.slow
def test_match_moves_formants_and_spectrum_towards_the_reference(heart, low_voice):
    base = match.analyse(join(heart), RATE)
    target = match.analyse(join(low_voice), RATE)
    converted = join([match.convert(s, RATE, base, target) for s in heart])
    result = match.analyse(converted, RATE)
    before = match.distance(base, target)
    after = match.distance(result, target)
    assert after < before / 2, (before, after)


def test_clone_engine_speaks_and_identifies_the_reference(tmp_path, sample):
    engine = CloneEngine()
    voice = engine.voice(with_consent(str(sample), True)).name
    duration, spans = synthesize_to_wav(engine, "Hello there. This is my voice.", voice,
                                        tmp_path / "out.wav")
    assert len(spans) == 2 and 1.5 < duration < 6
    with wave.open(str(tmp_path / "out.wav")) as wav:
        assert wav.getframerate() == match.WORK_RATE
    identity = engine.identity(voice)
    digest = hashlib.sha256(sample.read_bytes()).hexdigest()[:16]
    assert identity.startswith("clone:match@1/ref " + digest) and "hibari:heart" in identity
    other = tmp_path / "other.wav"
    other.write_bytes(sample.read_bytes()[:-4800])
    assert engine.identity(with_consent(str(other), True).removeprefix("clone:")) != identity


@pytest.mark.slow
def test_match_output_stays_intelligible(tmp_path, sample):
    """The converted narration, transcribed by the embedded tiny.en, keeps its words."""
    from faster_whisper import WhisperModel

    from engine.media import decode_audio
    from plugins.speech.whisper import model_path

    text = " ".join(SENTENCES[:4])
    engine = CloneEngine()
    synthesize_to_wav(engine, text, engine.voice(with_consent(str(sample), True)).name,
                      tmp_path / "n.wav")
    whisper = WhisperModel(model_path("tiny.en"), device="cpu", compute_type="int8")
    segments, _ = whisper.transcribe(decode_audio(tmp_path / "n.wav", 16000), language="en",
                                     beam_size=5)
    heard = " ".join(s.text for s in segments)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.voice_clone_similarity import word_error_rate
    assert word_error_rate(text, heard) < 0.15, heard


# --------------------------------------------------------------------------- plugins

def test_the_plugins_register_their_engines():
    import plugins.speech.cloning as cloning

    registered = []
    cloning.register_voices(register=registered.append)
    coqui_voice.register_voices(register=registered.append)
    assert registered == [CloneEngine, coqui_voice.CoquiEngine]


def test_importing_the_cloning_plugins_loads_nothing_heavy():
    code = ("import sys, plugins.speech.cloning, plugins.speech.coqui_voice; "
            "heavy = ('numpy', 'pyworld', 'torch', 'TTS', 'onnxruntime'); "
            "print(sorted(m for m in heavy if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(coqui_voice.installed(), reason="Coqui TTS is installed here")
def test_without_coqui_the_engines_say_how_to_get_it(tmp_path, sample):
    (info,) = coqui_voice.CoquiEngine().voices()
    assert not info.ready_offline and "remixer[coqui]" in info.reason
    with pytest.raises(ModelUnavailableError, match=r"remixer\[coqui\]"):
        coqui_voice.CoquiEngine().synthesize("Hello.", "en/ljspeech/vits")
    voice = CloneEngine().voice(with_consent(f"clone:xtts:{sample}", True).removeprefix("clone:"))
    assert not voice.ready_offline and "remixer[coqui]" in voice.reason
    with pytest.raises(ModelUnavailableError, match=r"remixer\[coqui\]"):
        CloneEngine().synthesize("Hello.", voice.name)


@pytest.mark.skipif(coqui_voice.installed(), reason="Coqui TTS is installed here")
def test_models_pull_without_coqui_is_one_line():
    import click
    from click.testing import CliRunner

    from engine.cli import RemixerGroup

    @click.group(cls=RemixerGroup)
    def cli():
        pass

    coqui_voice.register_commands(cli=cli)
    result = CliRunner().invoke(cli, ["models", "pull", "xtts"])
    assert result.exit_code == 2
    assert "Coqui TTS, which is not installed" in result.output and "remixer[coqui]" in result.output


# --------------------------------------------------------------------------- the recipe

@pytest.mark.slow
def test_narrate_recipe_in_the_voice_of_a_recording(invoke, sample, tmp_path):
    """`remixer run recipes/narrate.yaml ARTICLE --set narration.voice=me.wav`, as issued."""
    from mutagen.id3 import ID3

    from .conftest import RECIPES

    article = tmp_path / "note.md"
    article.write_text("# A short note\n\nThis sentence is read in a cloned voice.\n")
    out = tmp_path / "out"
    refused = invoke("run", RECIPES / "narrate.yaml", article, "-o", out,
                     "--set", f"narration.voice={sample}", "--set", "narration.timing=estimated")
    assert refused.exit_code == 2  # refused while the recipe is validated, before any work
    assert "needs the speaker's consent" in refused.output
    assert not (out / "note" / "narration.mp3").exists()

    result = invoke("run", RECIPES / "narrate.yaml", article, "-o", out,
                    "--set", f"narration.voice={sample}", "--set", "narration.voice_consent=true",
                    "--set", "narration.timing=estimated")
    assert result.exit_code == 0, result.output
    tags = {frame.desc: frame.text[0]
            for frame in ID3(str(out / "note" / "narration.mp3")).getall("TXXX")}
    assert tags["synthetic-voice"].startswith("Synthetic voice")
    assert tags["voice-cloned-from"] == "me"
    manifest = json.loads((out / "note" / "manifest.json").read_text())
    (step,) = manifest["steps"]
    assert step["model"].startswith("clone:match@")
    assert step["metrics"]["disclosure"]["voice-consent"]
