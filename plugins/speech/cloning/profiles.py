"""Voice profiles: a folder per cloned voice, with its samples, consent and notes.

A voice library is a folder of profiles::

    voices/
      ada/
        profile.yaml
        reading-1.wav
        reading-2.wav

``profile.yaml``::

    speaker: Ada Lovelace            # who the voice belongs to (shown in disclosures)
    samples: [reading-1.wav, reading-2.wav]   # default: every audio file in the folder
    consent: >                       # the speaker's own statement (required to clone,
      I, Ada Lovelace, agree that Example Press may narrate its articles in a
      synthetic copy of my voice. 2025-01-10.
    consent_file: consent-signed.pdf # optional: the signed document, kept beside
    backend: match                   # match (offline, default) or xtts
    base: hibari:heart               # optional: the embedded voice `match` starts from
    language: en
    notes: Studio recording, SM7B, 2025-01-10.

Recipes name it ``clone:ada`` (or ``clone:xtts:ada``). Libraries are searched in the
folders listed in ``$REMIXER_VOICES`` (separated by ``:``), else ``./voices`` and
``~/.local/share/remixer/voices`` (``$XDG_DATA_HOME/remixer/voices``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import ModelUnavailableError, TransformError
from engine.names import did_you_mean
from plugins.speech.cloning.reference import AUDIO_EXTENSIONS

LIBRARY_ENV = "REMIXER_VOICES"
PROFILE_FILE = "profile.yaml"
BACKENDS = ("match", "xtts")


class ProfileError(TransformError):
    """A voice profile is missing or invalid."""


class ProfileFile(BaseModel):
    """The schema of ``profile.yaml``; unknown keys are errors (typos must not pass)."""

    model_config = ConfigDict(extra="forbid")

    speaker: str = Field("", description="whose voice this is, as disclosures name them")
    samples: list[str] = Field(default_factory=list,
                               description="reference recordings, relative to the folder")
    consent: str = Field("", description="the speaker's consent statement")
    consent_file: str = Field("", description="a signed consent document in the folder")
    backend: Literal["match", "xtts"] = Field("match", description="cloning backend")
    base: str = Field("", description="embedded voice `match` converts (ENGINE:VOICE)")
    language: str = Field("en", description="language of the samples")
    notes: str = Field("", description="anything worth knowing about the recordings")


@dataclass(frozen=True)
class VoiceProfile:
    """A loaded profile: absolute sample paths and its settings."""

    name: str
    folder: Path
    speaker: str
    samples: tuple[Path, ...]
    consent: str
    consent_file: Path | None
    backend: str
    base: str
    language: str
    notes: str


def library_dirs() -> list[Path]:
    """Where voice profiles are looked for, in order."""
    raw = os.environ.get(LIBRARY_ENV)
    if raw is not None:
        return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return [Path("voices"), data / "remixer" / "voices"]


def profile_names() -> list[str]:
    """Every profile in the libraries (the first folder wins for a repeated name)."""
    names: list[str] = []
    for directory in library_dirs():
        if directory.is_dir():
            for child in sorted(directory.iterdir()):
                if (child / PROFILE_FILE).is_file() and child.name not in names:
                    names.append(child.name)
    return names


def find_profile(name: str) -> Path | None:
    """The folder of profile ``name``, or None."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    for directory in library_dirs():
        folder = directory / name
        if (folder / PROFILE_FILE).is_file():
            return folder
    return None


def load_profile(name_or_folder: str | Path) -> VoiceProfile:
    """Read and check a profile by name (in the libraries) or by folder, through
    remixer's bounded YAML reader."""
    import yaml

    from engine.safe_yaml import parse_yaml

    folder = Path(name_or_folder)
    if not (folder / PROFILE_FILE).is_file():
        found = find_profile(str(name_or_folder))
        if found is None:
            names = profile_names()
            raise ModelUnavailableError(
                f"no voice profile {str(name_or_folder)!r}{did_you_mean(str(name_or_folder), names)}",
                hint=(f"profiles: {', '.join(names)}" if names else
                      f"make voices/{name_or_folder}/{PROFILE_FILE} (see `remixer voices`) "
                      "or give the path of a recording"))
        folder = found
    where = folder / PROFILE_FILE
    try:
        raw = parse_yaml(where.read_text(encoding="utf-8"), str(where)) or {}
    except (yaml.YAMLError, ValueError) as exc:
        raise ProfileError(f"{where} is not valid YAML: {str(exc).splitlines()[0]}",
                           hint="fix the file") from None
    if not isinstance(raw, dict):
        raise ProfileError(f"{where} must be a mapping of keys to values",
                           hint="see the profile format in `remixer voices --help`")
    try:
        data = ProfileFile.model_validate(raw)
    except ValidationError as exc:
        raise ProfileError(f"{where}: {_first_problem(exc)}", hint="fix the profile") from None
    if data.samples:
        samples = tuple(folder / s for s in data.samples)
    else:
        samples = tuple(p for p in sorted(folder.iterdir())
                        if p.suffix.lower() in AUDIO_EXTENSIONS)
    if not samples:
        raise ProfileError(f"voice profile {folder.name!r} has no recordings",
                           hint=f"put WAV or MP3 files in {folder} or list them under samples:")
    missing = [s.name for s in samples if not s.is_file()]
    if missing:
        raise ProfileError(f"voice profile {folder.name!r} lists {missing[0]!r}, which is not "
                           f"in {folder}", hint="fix samples: in the profile")
    consent_file = folder / data.consent_file if data.consent_file else None
    if consent_file is not None and not consent_file.is_file():
        raise ProfileError(f"voice profile {folder.name!r} names consent_file "
                           f"{data.consent_file!r}, which is not in {folder}",
                           hint="put the document there or remove the line")
    return VoiceProfile(name=folder.name, folder=folder.resolve(),
                        speaker=data.speaker.strip() or folder.name,
                        samples=tuple(s.resolve() for s in samples),
                        consent=" ".join(data.consent.split()),
                        consent_file=consent_file.resolve() if consent_file else None,
                        backend=data.backend, base=data.base.strip(),
                        language=data.language, notes=data.notes.strip())


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    key = ".".join(str(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        return (f"unknown key {key!r}{did_you_mean(key, ProfileFile.model_fields)}; keys: "
                f"{', '.join(ProfileFile.model_fields)}")
    return f"{key}: {error['msg']}"
