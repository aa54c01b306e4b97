"""Fixtures for the Coqui tests: tiny XTTS and VITS models with random weights, built
here from their configs (no download), and a reference recording.

These tests run only where the ``coqui`` extra is installed, as their own command:
``python -m pytest tests/coqui`` (the main run does not collect this folder). Coqui TTS
missing here is an error, not a skip.
"""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

TOKENS = ["[STOP]", "[UNK]", "[SPACE]", "[START]", "[en]"]
CHARACTERS = list("abcdefghijklmnopqrstuvwxyz',.?!-")


@pytest.fixture(autouse=True)
def no_hub(monkeypatch, tmp_path):
    """Coqui's model folder in a scratch place, and no network for the Hugging Face hub."""
    monkeypatch.setenv("TTS_HOME", str(tmp_path / "tts-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("REMIXER_XTTS_DIR", raising=False)


def build_tokenizer(path: Path) -> Path:
    """A character-level tokenizer file in XTTS's format (``tokenizers`` package)."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {token: i for i, token in enumerate(TOKENS + CHARACTERS)}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    tokenizer.add_special_tokens(TOKENS)
    tokenizer.save(str(path))
    return path


@pytest.fixture(scope="session")
def tiny_xtts(tmp_path_factory) -> Path:
    """An XTTS v2 model folder (config.json, model.pth, vocab.json): a 2-layer, 128-channel
    GPT with random weights and XTTS's own speaker encoder and HiFi-GAN decoder."""
    import torch
    from TTS.tts.configs.xtts_config import XttsArgs, XttsConfig
    from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
    from TTS.tts.models.xtts import Xtts

    folder = tmp_path_factory.mktemp("xtts")
    vocab = build_tokenizer(folder / "vocab.json")
    args = XttsArgs(gpt_layers=2, gpt_n_model_channels=128, gpt_n_heads=2,
                    decoder_input_dim=128, gpt_max_audio_tokens=40, gpt_max_text_tokens=200,
                    gpt_num_audio_tokens=1026, gpt_start_audio_token=1024,
                    gpt_stop_audio_token=1025, tokenizer_file=str(vocab))
    config = XttsConfig(model_args=args, languages=["en"])
    torch.manual_seed(0)
    model = Xtts.init_from_config(config)
    model.tokenizer = VoiceBpeTokenizer(vocab_file=str(vocab))
    model.init_models()                     # the GPT exists once the tokenizer is known
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder


@pytest.fixture(scope="session")
def tiny_vits(tmp_path_factory) -> Path:
    """A VITS model folder (config.json, model.pth) with small layers and random weights,
    reading characters (no phonemizer)."""
    import torch
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsArgs, VitsConfig
    from TTS.tts.models.vits import Vits

    folder = tmp_path_factory.mktemp("vits")
    args = VitsArgs(hidden_channels=32, hidden_channels_ffn_text_encoder=64,
                    num_heads_text_encoder=2, num_layers_text_encoder=2, num_layers_flow=2,
                    num_layers_posterior_encoder=2, resblock_type_decoder="2",
                    upsample_initial_channel_decoder=32, resblock_kernel_sizes_decoder=[3],
                    resblock_dilation_sizes_decoder=[[1, 3]],
                    upsample_rates_decoder=[8, 8, 4], upsample_kernel_sizes_decoder=[16, 16, 8],
                    init_discriminator=False)
    characters = CharactersConfig(characters="abcdefghijklmnopqrstuvwxyz",
                                  punctuations=" .,!?'-", pad="<PAD>", eos="<EOS>", bos="<BOS>",
                                  blank="<BLNK>",
                                  characters_class="TTS.tts.utils.text.characters.Graphemes")
    config = VitsConfig(model_args=args, use_phonemes=False, text_cleaner="basic_cleaners",
                        characters=characters)
    config.audio.sample_rate = 16000
    torch.manual_seed(0)
    model = Vits.init_from_config(config)
    torch.save({"model": model.state_dict(), "config": config.to_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder


@pytest.fixture(scope="session")
def reference_wav(tmp_path_factory) -> Path:
    """About 12 s of hibari's heart reading: a valid reference recording."""
    from engine.voices import synthesize_to_wav
    from plugins.speech.hibari_voice import HibariEngine

    path = tmp_path_factory.mktemp("reference") / "speaker.wav"
    synthesize_to_wav(HibariEngine(), (
        "The old lighthouse keeper climbed the stairs every evening. He checked the lamp "
        "and wiped the glass. Ships passed safely through the narrow channel, and nobody "
        "in the village ever thanked him."), "heart", path)
    with wave.open(str(path)) as wav:
        assert wav.getnframes() / wav.getframerate() > 8
    return path
