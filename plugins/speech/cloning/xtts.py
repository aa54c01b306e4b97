"""The ``xtts`` cloning backend: Coqui XTTS v2 zero-shot voice cloning.

For users who have the model: ``remixer models pull xtts`` downloads it once through
Coqui's own model manager (``TTS.utils.manage.ModelManager``), after showing its licence
(the Coqui Public Model License: non-commercial use only, unless you hold a commercial
licence) and asking for confirmation. Needs the optional extra: ``pip install
'remixer[coqui]'`` (torch, torchaudio, coqui-tts).

The model is found, without any network access, in this order: ``$REMIXER_XTTS_DIR``
(a folder with ``config.json``, ``model.pth``, ``vocab.json``), then the copy Coqui's
model manager keeps (the Hugging Face cache, as downloaded by the pull command).

Conditioning: the checked reference recordings are decoded by remixer (ffmpeg) to
22.05 kHz, and XTTS's speaker embedding and GPT conditioning latents are computed from
those samples (:meth:`Xtts.get_speaker_embedding`, :meth:`Xtts.get_gpt_cond_latents`),
once per reference and process. Sampling is seeded per sentence, so the same text and
reference give the same audio.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from typing import Any

from engine.errors import ModelUnavailableError, TransformError
from engine.voices import Synthesis, shared_model

MODEL_NAME = "tts_models/multilingual/multi-dataset/xtts_v2"
DIR_ENV = "REMIXER_XTTS_DIR"
#: XTTS conditions on audio at this rate and speaks at OUTPUT_RATE
CONDITIONING_RATE = 22050
OUTPUT_RATE = 24000
LICENCE_NAME = "Coqui Public Model License 1.0.0 (CPML)"
LICENCE_URL = "https://coqui.ai/cpml"
LICENCE_SUMMARY = (
    "XTTS v2 is licensed under the Coqui Public Model License 1.0.0 (CPML):\n"
    "  - you may use the model and its output for NON-COMMERCIAL purposes only\n"
    "    (research, personal use, evaluation); commercial use needs a separate licence;\n"
    "  - you may not use it to train or improve other speech models;\n"
    "  - copies you share must carry the licence and its restrictions.\n"
    f"Full text: {LICENCE_URL}\n"
    "Coqui's model manager records your agreement next to the model.")
VERSION = "1"


def _require_tts() -> None:
    import importlib.util

    if importlib.util.find_spec("TTS") is None or importlib.util.find_spec("torch") is None:
        raise ModelUnavailableError("XTTS needs Coqui TTS, which is not installed",
                                    hint="pip install 'remixer[coqui]'")


def model_item() -> dict:
    """XTTS v2's entry in Coqui's model list (licence, repository)."""
    _require_tts()
    from TTS.utils.manage import ModelManager

    model_type, lang, dataset, model = MODEL_NAME.split("/")
    return dict(ModelManager().models_dict[model_type][lang][dataset][model])


def find_model_dir() -> Path | None:
    """A folder holding XTTS v2 (config.json, model.pth, vocab.json), or None. No network."""
    configured = os.environ.get(DIR_ENV)
    if configured:
        folder = Path(configured).expanduser()
        return folder if (folder / "config.json").is_file() else None
    try:
        item = model_item()
        from huggingface_hub import snapshot_download
        path = Path(snapshot_download(item["repo_id"], allow_patterns=item.get("allow"),
                                      ignore_patterns=item.get("ignore"),
                                      local_files_only=True))
    except ModelUnavailableError:
        raise
    except Exception:  # noqa: BLE001 - not in the cache (the hub's error types vary)
        return None
    return path if (path / "config.json").is_file() else None


def load_model(folder: str | Path):
    """An XTTS model from a folder (``config.json``, ``model.pth``, ``vocab.json``), in
    inference mode on the CPU. This is Coqui's own loading path."""
    _require_tts()
    from TTS.tts.configs.xtts_config import XttsConfig
    from TTS.tts.models.xtts import Xtts

    folder = Path(folder)
    config = XttsConfig()
    config.load_json(str(folder / "config.json"))
    model = Xtts.init_from_config(config)
    model.load_checkpoint(config, checkpoint_dir=str(folder), eval=True, use_deepspeed=False)
    model.cpu()
    model.eval()      # also switches the top module (dropout) off, not only GPT and decoder
    return model


def shared_xtts():
    """The installed XTTS v2, loaded once per process."""
    folder = find_model_dir()
    if folder is None:
        raise ModelUnavailableError(
            "XTTS v2 is not on this machine",
            hint=f"run `remixer models pull xtts` once (licence: CPML, non-commercial), "
                 f"or set {DIR_ENV} to a folder holding it")
    return shared_model(("xtts", str(folder)), lambda: load_model(folder))


def conditioning(model, samples, rate: int, *, gpt_cond_len: int = 12,
                 gpt_cond_chunk_len: int = 4, max_ref_seconds: int = 10):
    """XTTS's (GPT conditioning latents, speaker embedding) for a speaker's samples
    (float mono at ``rate``), as ``Xtts.get_conditioning_latents`` computes them from
    files, without torchaudio's file loading."""
    import numpy as np
    import torch
    import torchaudio

    audio = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)).unsqueeze(0)
    if rate != CONDITIONING_RATE:
        audio = torchaudio.functional.resample(audio, rate, CONDITIONING_RATE)
    audio = audio.clamp(-1.0, 1.0)
    with torch.inference_mode():
        speaker = model.get_speaker_embedding(
            audio[:, :CONDITIONING_RATE * max_ref_seconds], CONDITIONING_RATE)
        latents = model.get_gpt_cond_latents(audio, CONDITIONING_RATE, length=gpt_cond_len,
                                             chunk_length=gpt_cond_chunk_len)
    return latents, speaker


def speak(model, text: str, latents, speaker, *, language: str = "en", speed: float = 1.0,
          seed: int = 0, **settings: Any) -> Synthesis:
    """One sentence or short passage in the conditioned voice (24 kHz)."""
    import numpy as np
    import torch

    config = model.config
    options = {"temperature": config.temperature, "length_penalty": config.length_penalty,
               "repetition_penalty": config.repetition_penalty, "top_k": config.top_k,
               "top_p": config.top_p}
    options.update(settings)
    torch.manual_seed(seed)
    with torch.inference_mode():
        out = model.inference(text, language, latents, speaker, speed=speed,
                              enable_text_splitting=False, **options)
    wav = np.asarray(out["wav"], dtype=np.float32).reshape(-1)
    rate = int(getattr(model.args, "output_sample_rate", OUTPUT_RATE) or OUTPUT_RATE)
    return Synthesis(np.clip(wav, -1.0, 1.0), rate)


class XttsBackend:
    """Coqui XTTS v2 zero-shot cloning (optional extra, model pulled once)."""

    name = "xtts"

    def ready(self) -> tuple[bool, str]:
        try:
            _require_tts()
            folder = find_model_dir()
        except ModelUnavailableError as exc:
            return False, str(exc)
        if folder is None:
            return False, "XTTS v2 not downloaded: remixer models pull xtts"
        return True, ""

    def identity(self, clone) -> str:
        folder = find_model_dir()
        if folder is None:
            return f"xtts {VERSION}/not installed"
        stat = (folder / "model.pth").stat() if (folder / "model.pth").is_file() else None
        size = f"{stat.st_size}" if stat else "?"
        return f"xtts {VERSION}/{folder.name}/{size}"

    def describe(self, clone) -> str:
        return "Coqui XTTS v2 zero-shot voice cloning (neural; CPML, non-commercial)"

    def synthesize(self, text: str, clone, *, speed: float = 1.0) -> Synthesis:
        from plugins.speech.cloning import reference_digest
        from plugins.speech.cloning.reference import load_reference

        model = shared_xtts()

        def condition():
            reference = load_reference(clone.samples, CONDITIONING_RATE)
            return conditioning(model, reference.samples, reference.rate)

        latents, speaker = shared_model(("xtts-conditioning", id(model),
                                         reference_digest(clone)), condition)
        language = (clone.language or "en").split("-")[0]
        if language not in getattr(model.config, "languages", [language]):
            raise TransformError(f"XTTS does not speak {language!r}",
                                 hint=f"use one of {', '.join(model.config.languages)}")
        return speak(model, text, latents, speaker, language=language, speed=speed,
                     seed=zlib.crc32(text.encode("utf-8")))


# --------------------------------------------------------------------------- pulling

def pull(*, assume_yes: bool, echo, confirm) -> Path:
    """Show the licence, ask, and download XTTS v2 through Coqui's model manager."""
    _require_tts()
    item = model_item()
    echo(f"XTTS v2 ({item.get('description', MODEL_NAME)})")
    echo(LICENCE_SUMMARY)
    if not assume_yes and not confirm(
            "Do you agree to the CPML (or hold a commercial licence from Coqui)?"):
        raise ModelUnavailableError("XTTS v2 was not downloaded: the licence was not accepted",
                                    hint="run the command again and answer yes to download it")
    from plugins.speech.coqui_voice import download

    folder = download(MODEL_NAME)
    echo(f"XTTS v2 is ready in {folder}; use it as clone:xtts:RECORDING_OR_PROFILE")
    return folder
