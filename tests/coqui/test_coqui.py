"""Coqui TTS through remixer: XTTS v2 cloning (``clone:xtts:...``), the ``coqui:MODEL``
engine and ``remixer models pull``, on tiny models with random weights built from their
configs (conftest). Run with the ``coqui`` extra installed: ``pytest tests/coqui``."""

from __future__ import annotations

import os

import click
import numpy as np
import pytest
from click.testing import CliRunner

from engine.cli import RemixerGroup
from engine.errors import ModelUnavailableError
from plugins.speech import coqui_voice
from plugins.speech.cloning import CloneEngine, with_consent, xtts
from plugins.speech.coqui_voice import CoquiEngine


def test_coqui_is_installed_here():
    assert coqui_voice.installed(), "run tests/coqui where remixer[coqui] is installed"


# --------------------------------------------------------------------------- XTTS

def test_xtts_loads_through_coquis_checkpoint_loader(tiny_xtts):
    import torch
    from TTS.tts.models.xtts import Xtts

    model = xtts.load_model(tiny_xtts)
    assert isinstance(model, Xtts) and not model.training
    assert model.args.gpt_layers == 2 and model.args.gpt_n_model_channels == 128
    saved = torch.load(tiny_xtts / "model.pth", map_location="cpu")["model"]
    name = "gpt.text_embedding.weight"
    assert torch.equal(model.state_dict()[name], saved[name])
    assert model.tokenizer.encode("hi there", "en")[0] == model.tokenizer.tokenizer.token_to_id("[en]")


def test_clone_xtts_speaks_in_the_conditioned_voice(tiny_xtts, reference_wav, monkeypatch):
    monkeypatch.setenv(xtts.DIR_ENV, str(tiny_xtts))
    engine = CloneEngine()
    voice = engine.voice(with_consent(f"clone:xtts:{reference_wav}", True).removeprefix("clone:"))
    assert voice.ready_offline and voice.name.startswith("xtts+consent:")
    spoken = engine.synthesize("Hello world.", voice.name)
    assert spoken.sample_rate == xtts.OUTPUT_RATE
    assert spoken.samples.dtype == np.float32 and len(spoken.samples) > 1000
    assert np.all(np.isfinite(spoken.samples)) and np.abs(spoken.samples).max() <= 1.0
    again = engine.synthesize("Hello world.", voice.name)
    assert np.array_equal(spoken.samples, again.samples), "seeded per sentence"
    identity = engine.identity(voice.name)
    assert identity.startswith("clone:xtts@1/ref ") and "/xtts 1/" in identity
    assert "XTTS v2" in engine.disclosure(voice.name)["voice-clone-method"]


def test_xtts_conditioning_matches_coquis_file_based_path(tiny_xtts, reference_wav):
    """Our in-memory conditioning gives the speaker embedding Coqui's own computes."""
    import torch

    from plugins.speech.cloning.reference import decode

    model = xtts.load_model(tiny_xtts)
    samples = decode(reference_wav, xtts.CONDITIONING_RATE)
    latents, speaker = xtts.conditioning(model, samples, xtts.CONDITIONING_RATE)
    audio = torch.from_numpy(samples).unsqueeze(0)[:, :xtts.CONDITIONING_RATE * 10]
    expected = model.get_speaker_embedding(audio, xtts.CONDITIONING_RATE)
    assert torch.allclose(speaker, expected, atol=1e-5)
    assert latents.shape[0] == 1 and latents.shape[-1] == 128


def test_xtts_missing_says_how_to_get_it(tmp_path, reference_wav, monkeypatch):
    monkeypatch.setenv(xtts.DIR_ENV, str(tmp_path / "nothing"))
    engine = CloneEngine()
    voice = engine.voice(f"xtts+consent:{reference_wav}")
    assert not voice.ready_offline and "remixer models pull xtts" in voice.reason
    with pytest.raises(ModelUnavailableError, match="remixer models pull xtts"):
        engine.synthesize("Hello.", voice.name)


def _cli():
    @click.group(cls=RemixerGroup)
    def cli():
        pass

    coqui_voice.register_commands(cli=cli)
    return cli


def test_models_pull_xtts_shows_the_licence_and_needs_a_yes(monkeypatch, tmp_path):
    from TTS.utils.manage import ModelManager

    calls = []

    def fake_download(self, name):
        calls.append((name, os.environ.get("COQUI_TOS_AGREED")))
        (tmp_path / "config.json").write_text("{}")
        return tmp_path / "model.pth", tmp_path / "config.json", {}

    monkeypatch.setattr(ModelManager, "download_model", fake_download)
    monkeypatch.delenv("COQUI_TOS_AGREED", raising=False)
    refused = CliRunner().invoke(_cli(), ["models", "pull", "xtts"], input="n\n")
    assert refused.exit_code == 2 and calls == []
    assert "Coqui Public Model License" in refused.output and "NON-COMMERCIAL" in refused.output
    assert "the licence was not accepted" in refused.output
    accepted = CliRunner().invoke(_cli(), ["models", "pull", "xtts"], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert calls == [(xtts.MODEL_NAME, "1")] and "COQUI_TOS_AGREED" not in os.environ
    assert "clone:xtts:" in accepted.output
    CliRunner().invoke(_cli(), ["models", "pull", "xtts", "--yes"])
    assert len(calls) == 2


# --------------------------------------------------------------------------- coqui:MODEL

def test_coqui_engine_loads_a_model_folder(tiny_vits):
    import torch

    engine = CoquiEngine()
    voice = engine.voice(str(tiny_vits))
    assert voice.ready_offline and voice.name == str(tiny_vits.resolve())
    torch.manual_seed(0)
    spoken = engine.synthesize("Hello there, how are you?", voice.name)
    assert spoken.sample_rate == 16000 and spoken.samples.dtype == np.float32
    assert len(spoken.samples) > 1000 and np.all(np.isfinite(spoken.samples))
    torch.manual_seed(0)
    slow = engine.synthesize("Hello there, how are you?", voice.name, speed=0.5)
    assert len(slow.samples) > 1.5 * len(spoken.samples)
    assert coqui_voice.load(voice.name) is coqui_voice.load(voice.name), "loaded once"
    assert "model.pth" in engine.identity(voice.name)


def test_coqui_engine_lists_coquis_models(monkeypatch):
    voices = {v.name: v for v in CoquiEngine().voices()}
    vits = voices["tts_models/en/ljspeech/vits"]
    assert not vits.ready_offline
    assert "remixer models pull coqui:tts_models/en/ljspeech/vits" in vits.reason
    assert "licence" in vits.description
    assert CoquiEngine().voice("en/ljspeech/vits").name == "tts_models/en/ljspeech/vits"
    assert CoquiEngine().voice("en/vctk/vits@p225").name == "tts_models/en/vctk/vits@p225"
    with pytest.raises(ModelUnavailableError, match="did you mean"):
        CoquiEngine().voice("tts_models/en/ljspeech/vitz")
    with pytest.raises(ModelUnavailableError, match="remixer models pull coqui:"):
        CoquiEngine().synthesize("Hello.", "en/ljspeech/vits")


def test_a_pulled_model_is_found_where_coquis_manager_put_it(tiny_vits, monkeypatch):
    """A model in Coqui's folder layout (as `models pull` leaves it) loads by name."""
    import shutil

    from TTS.utils.manage import ModelManager

    name = "tts_models/en/ljspeech/vits"
    shutil.copytree(tiny_vits, ModelManager().output_prefix / name.replace("/", "--"))
    engine = CoquiEngine()
    assert engine.voice(name).ready_offline
    assert len(engine.synthesize("Hi.", name).samples) > 0


def test_models_pull_a_coqui_model(monkeypatch, tmp_path):
    from TTS.utils.manage import ModelManager

    calls = []

    def fake_download(self, name):
        calls.append(name)
        return tmp_path / "model.pth", tmp_path / "config.json", {"default_vocoder": None}

    monkeypatch.setattr(ModelManager, "download_model", fake_download)
    result = CliRunner().invoke(_cli(), ["models", "pull", "coqui:en/ljspeech/vits"],
                                input="y\n")
    assert result.exit_code == 0, result.output
    assert calls == ["tts_models/en/ljspeech/vits"]
    assert "Licence:" in result.output
