"""The ``coqui`` voice engine: any Coqui TTS model, for users who have or pull one.

``coqui:MODEL`` names a model of Coqui's list (``coqui:tts_models/en/ljspeech/vits``,
or without the ``tts_models/`` prefix: ``coqui:en/vctk/vits@p225`` picks a speaker of a
multi-speaker model) or a local folder holding ``config.json`` and a ``*.pth``
checkpoint (``coqui:/models/my-vits``). Models are not fetched behind your back (many
carry licence terms): ``remixer models pull coqui:MODEL`` downloads one through Coqui's
own model manager, showing its licence first.

An optional extra: ``pip install 'remixer[coqui]'`` (torch, torchaudio, coqui-tts).
Without it the engine is listed, not ready, with that hint. Models are loaded once per
process through Coqui's ``Synthesizer`` (its real loading path), on the CPU.

This module also registers ``remixer models pull`` (Coqui models and XTTS v2).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import engine
from engine.errors import ModelUnavailableError
from engine.voices import Synthesis, VoiceEngine, VoiceInfo, shared_model

EXTRA_HINT = "pip install 'remixer[coqui]'"
PREFIX = "tts_models/"
DEFAULT_MODEL = "tts_models/en/ljspeech/vits"


def installed() -> bool:
    return importlib.util.find_spec("TTS") is not None and importlib.util.find_spec("torch") is not None


def _manager():
    from TTS.utils.manage import ModelManager

    return ModelManager()


def full_name(model: str) -> str:
    """``en/ljspeech/vits`` -> ``tts_models/en/ljspeech/vits``; folders stay as they are."""
    model = model.strip()
    if model.startswith(PREFIX) or Path(model).expanduser().is_dir() or "/" not in model:
        return model
    return PREFIX + model


def split_speaker(voice: str) -> tuple[str, str | None]:
    """``en/vctk/vits@p225`` -> (``en/vctk/vits``, ``p225``)."""
    model, sep, speaker = voice.rpartition("@")
    return (model, speaker) if sep and model and "/" not in speaker else (voice, None)


def model_item(name: str) -> dict:
    """A model's entry in Coqui's list; unknown names raise a one-line error."""
    from engine.names import did_you_mean

    manager = _manager()
    try:
        model_type, lang, dataset, model = name.split("/")
        return dict(manager.models_dict[model_type][lang][dataset][model])
    except (ValueError, KeyError):
        names = manager.list_tts_models()
        raise ModelUnavailableError(f"Coqui has no model {name!r}{did_you_mean(name, names)}",
                                    hint="`remixer voices` lists the Coqui models") from None


def local_folder(name: str) -> Path | None:
    """Where a listed model's files are on this machine, or None. Never downloads."""
    if Path(name).expanduser().is_dir():
        return Path(name).expanduser().resolve()
    item = model_item(name)
    if "repo_id" in item:
        try:
            from huggingface_hub import snapshot_download
            return Path(snapshot_download(item["repo_id"], allow_patterns=item.get("allow"),
                                          ignore_patterns=item.get("ignore"),
                                          local_files_only=True))
        except Exception:  # noqa: BLE001 - not in the cache
            return None
    folder = _manager().output_prefix / name.replace("/", "--")
    return folder if folder.is_dir() and any(folder.iterdir()) else None


def model_files(folder: Path) -> tuple[Path, Path]:
    """(checkpoint, config.json) in a model folder."""
    from TTS.utils.manage import ModelManager

    try:
        return ModelManager._find_files(Path(folder))
    except (ValueError, UnboundLocalError):
        raise ModelUnavailableError(f"{folder} holds no Coqui model (config.json and a .pth)",
                                    hint="point coqui: at a model folder, or pull the model") from None


class CoquiEngine(VoiceEngine):
    """Coqui TTS models (optional extra)."""

    name = "coqui"
    version = "1"
    default_voice = DEFAULT_MODEL

    def voices(self) -> list[VoiceInfo]:
        if not installed():
            return [VoiceInfo(DEFAULT_MODEL, "Coqui TTS model", "en", ready_offline=False,
                              reason=f"not installed: {EXTRA_HINT}")]
        infos = []
        for name in _manager().list_tts_models():
            infos.append(self._info(name))
        return infos

    def _info(self, name: str) -> VoiceInfo:
        folder_given = Path(name).expanduser().is_dir()
        language = "en" if folder_given else name.split("/")[1]
        description = "Coqui TTS model" + (f" in {name}" if folder_given else "")
        if not installed():
            return VoiceInfo(name, description, language, ready_offline=False,
                             reason=f"not installed: {EXTRA_HINT}")
        here = local_folder(name) is not None
        reason = "" if here else f"not downloaded: remixer models pull coqui:{name}"
        if not folder_given:
            item = model_item(name)
            description = f"{item.get('description') or 'Coqui model'} (licence: {item.get('license') or 'unknown'})"
        return VoiceInfo(name, description, language, ready_offline=here, reason=reason)

    def voice(self, name: str | None) -> VoiceInfo:
        model, speaker = split_speaker(full_name(name or self.default_voice))
        if Path(model).expanduser().is_dir():
            model = str(Path(model).expanduser().resolve())
        elif not installed():
            raise ModelUnavailableError("Coqui TTS is not installed", hint=EXTRA_HINT)
        info = self._info(model)
        if speaker:
            info = VoiceInfo(f"{model}@{speaker}", f"{info.description}, speaker {speaker}",
                             info.language, ready_offline=info.ready_offline, reason=info.reason)
        return info

    def identity(self, voice: str | None) -> str:
        info = self.voice(voice)
        model, _ = split_speaker(info.name)
        folder = local_folder(model) if installed() else None
        files = "not installed"
        if folder is not None:
            checkpoint, _ = model_files(folder)
            files = f"{checkpoint.name} {checkpoint.stat().st_size}"
        import importlib.metadata
        version = importlib.metadata.version("coqui-tts") if installed() else "-"
        return f"{self.name}:{info.name}@{self.version}/coqui-tts {version}/{files}"

    def synthesize(self, text: str, voice: str, *, speed: float = 1.0) -> Synthesis:
        import numpy as np

        from plugins.speech.normalize import normalize

        info = self.voice(voice)
        model, speaker = split_speaker(info.name)
        synthesizer = load(model)
        tts = synthesizer.tts_model
        kwargs = {}
        if speaker:
            kwargs["speaker_name"] = speaker
        base_scale = getattr(tts, "length_scale", None)
        try:
            if base_scale is not None:
                tts.length_scale = base_scale / speed  # VITS-like: slower pace, same pitch
            elif speed != 1.0:
                kwargs["speed"] = speed
            wav = synthesizer.tts(normalize(text), split_sentences=False, **kwargs)
        finally:
            if base_scale is not None:
                tts.length_scale = base_scale
        samples = np.clip(np.asarray(wav, dtype=np.float32).reshape(-1), -1.0, 1.0)
        return Synthesis(samples, int(synthesizer.output_sample_rate))


def load(model: str):
    """Coqui's Synthesizer for ``model`` (a listed name or a folder), once per process."""
    if not installed():
        raise ModelUnavailableError("Coqui TTS is not installed", hint=EXTRA_HINT)

    def create():
        from TTS.utils.synthesizer import Synthesizer

        folder = local_folder(model)
        if folder is None:
            raise ModelUnavailableError(f"Coqui model {model!r} is not on this machine",
                                        hint=f"remixer models pull coqui:{model}")
        checkpoint, config = model_files(folder)
        vocoder = {}
        if not Path(model).is_dir():
            default_vocoder = model_item(model).get("default_vocoder")
            if default_vocoder:
                vocoder_folder = _manager().output_prefix / default_vocoder.replace("/", "--")
                if not vocoder_folder.is_dir():
                    raise ModelUnavailableError(
                        f"Coqui model {model!r} needs its vocoder {default_vocoder!r}",
                        hint=f"remixer models pull coqui:{model}")
                vocoder_checkpoint, vocoder_config = model_files(vocoder_folder)
                vocoder = {"vocoder_checkpoint": vocoder_checkpoint,
                           "vocoder_config": vocoder_config}
        return Synthesizer(tts_checkpoint=checkpoint, tts_config_path=config, **vocoder)

    return shared_model(("coqui", model), create)


# --------------------------------------------------------------------------- models pull

def pull_coqui(model: str, *, assume_yes: bool, echo, confirm) -> Path:
    """Show a Coqui model's licence, ask, and download it (and its vocoder)."""
    if not installed():
        raise ModelUnavailableError("Coqui TTS is not installed", hint=EXTRA_HINT)
    from TTS.utils.manage import LICENSE_URLS

    name = full_name(model)
    item = model_item(name)
    licence = item.get("license") or "unknown"
    echo(f"{name}: {item.get('description') or 'Coqui TTS model'}")
    echo(f"Licence: {licence}"
         + (f" ({LICENSE_URLS[licence.lower()]})" if licence.lower() in LICENSE_URLS else ""))
    if not assume_yes and not confirm("Download it and accept its licence?"):
        raise ModelUnavailableError(f"{name} was not downloaded: the licence was not accepted",
                                    hint="run the command again and answer yes")
    folder = download(name)
    echo(f"{name} is ready in {folder}; use it as coqui:{name}")
    return folder


def download(name: str) -> Path:
    """Download a Coqui model (and its vocoder) through Coqui's own model manager, once the
    user has accepted its licence; returns the model's folder."""
    manager = _manager()
    manager.progress_bar = True
    previous = os.environ.get("COQUI_TOS_AGREED")
    os.environ["COQUI_TOS_AGREED"] = "1"  # agreed just now; Coqui would ask on stdin
    try:
        model_path, config_path, item = manager.download_model(name)
        if item and item.get("default_vocoder"):
            manager.download_model(item["default_vocoder"])
    except Exception as exc:  # noqa: BLE001 - network and hub errors of many kinds
        raise ModelUnavailableError(f"could not download {name}: {exc}",
                                    hint="check the network connection and try again") from exc
    finally:
        if previous is None:
            os.environ.pop("COQUI_TOS_AGREED", None)
        else:
            os.environ["COQUI_TOS_AGREED"] = previous
    return Path(config_path).parent if config_path else Path(model_path)


def models_group(cli):
    """The ``remixer models`` group (created once, shared by the plugins that add to it)."""
    group = cli.commands.get("models")
    if group is None:
        @cli.group("models")
        def group():
            """Download optional models (Coqui TTS voices, XTTS v2 for cloning)."""
    return group


@engine.hookimpl
def register_voices(register):
    register(CoquiEngine)


@engine.hookimpl
def register_commands(cli):
    import click

    group = models_group(cli)

    @group.command("pull")
    @click.argument("model")
    @click.option("-y", "--yes", "assume_yes", is_flag=True,
                  help="Accept the model's licence without asking.")
    def pull(model, assume_yes):
        """Download MODEL once: `xtts` (XTTS v2, for clone:xtts:...), coqui:NAME or
        piper:NAME (a Piper catalogue voice such as piper:pt_BR-faber-medium).

        The model's licence is shown first and must be accepted (XTTS v2: Coqui Public
        Model License, non-commercial use only)."""
        confirm = lambda question: click.confirm(question, default=False)  # noqa: E731
        if model.startswith("piper:"):
            from plugins.speech.piper_voice import pull as pull_piper
            pull_piper(model[len("piper:"):], echo=click.echo)
            return
        if model in ("xtts", "xtts_v2", "xtts-v2"):
            from plugins.speech.cloning.xtts import pull as pull_xtts
            pull_xtts(assume_yes=assume_yes, echo=click.echo, confirm=confirm)
            return
        name = model[len("coqui:"):] if model.startswith("coqui:") else model
        pull_coqui(name, assume_yes=assume_yes, echo=click.echo, confirm=confirm)
