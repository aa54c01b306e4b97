"""Voice cloning: the ``clone`` voice engine, consent and disclosure.

A cloned voice is just another voice to the rest of remixer. Its spec is
``clone:[BACKEND][+consent]:TARGET``:

- ``TARGET`` is a reference recording (``me.wav``, ``~/rec/ada.mp3``) or the name of a
  voice profile (a folder ``voices/NAME/`` with ``profile.yaml``, see
  :mod:`plugins.speech.cloning.profiles`);
- ``BACKEND`` is ``match`` (offline default: an embedded voice converted towards the
  reference, :mod:`.match`) or ``xtts`` (Coqui XTTS v2 zero-shot cloning, :mod:`.xtts`,
  after ``remixer models pull xtts``);
- ``+consent`` records that the user declared having the speaker's consent (what a
  transform's ``voice_consent: true`` adds, see :func:`with_consent`).

Examples: ``clone:me.wav``, ``clone:match:me.wav``, ``clone:ada``, ``clone:xtts:ada``,
``clone:match+consent:me.wav``. The engine also claims (:meth:`CloneEngine.claims`) a
bare recording path or profile name (``me.wav``, ``ada``), so ``Registry.resolve_voice``
accepts them wherever a voice spec is accepted.

**Consent rule**: cloning needs either a ``consent:`` statement in the voice's profile or
the explicit ``+consent`` declaration; otherwise :class:`ConsentRequiredError`, raised as
soon as the voice is resolved (before any synthesis).

**Disclosure**: :meth:`CloneEngine.disclosure` (and :func:`disclosure_metadata`) give the
entries every file made with a cloned voice carries in its tags (ID3 TXXX frames, MP4
freeform atoms) and in the manifest: a "synthetic voice" statement, whose voice it
imitates, how, the consent and the reference's digest.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import engine
from engine.errors import ModelUnavailableError, TransformError
from engine.voices import Synthesis, VoiceEngine, VoiceInfo
from plugins.speech.cloning.profiles import (BACKENDS, VoiceProfile, find_profile, load_profile,
                                             profile_names)
from plugins.speech.cloning.reference import AUDIO_EXTENSIONS, is_audio_path

ENGINE_NAME = "clone"
DEFAULT_BACKEND = "match"
CONSENT_MARK = "+consent"
#: what ``+consent`` records, in disclosures and the manifest
FLAG_CONSENT = ("the user of remixer declared having the speaker's consent "
                "(voice_consent: true)")
_HEAD = re.compile(r"^(?P<backend>match|xtts)?(?P<consent>\+consent)?$")


class ConsentRequiredError(TransformError):
    """A cloned voice was used without a consent statement or declaration."""


@dataclass(frozen=True)
class CloneSpec:
    """A parsed cloned-voice name (what follows ``clone:``)."""

    backend: str | None
    consent: bool
    target: str


@dataclass(frozen=True)
class ClonedVoice:
    """A resolved cloned voice: its recordings, settings and consent."""

    #: the canonical voice name (``match+consent:/abs/me.wav``, ``xtts:ada``)
    name: str
    backend: str
    samples: tuple[Path, ...]
    #: whose voice (the profile's speaker, else the recording's file name)
    speaker: str
    consent: str
    #: "profile" or "flag"
    consent_source: str
    profile: VoiceProfile | None = None
    #: the embedded voice ``match`` converts, "" to choose the closest
    base: str = ""
    language: str = "en"


# --------------------------------------------------------------------------- specs

def parse_clone_spec(name: str) -> CloneSpec:
    """``"match+consent:me.wav"`` -> CloneSpec("match", True, "me.wav")."""
    name = (name or "").strip()
    if name.startswith(ENGINE_NAME + ":"):
        name = name[len(ENGINE_NAME) + 1:]
    head, sep, rest = name.partition(":")
    match = _HEAD.match(head.lower()) if sep and head else None
    if match and rest:
        return CloneSpec(match["backend"], bool(match["consent"]), rest.strip())
    return CloneSpec(None, False, name)


def format_clone_spec(spec: CloneSpec) -> str:
    head = (spec.backend or "") + (CONSENT_MARK if spec.consent else "")
    return f"{head}:{spec.target}" if head else spec.target


def looks_cloned(spec: str) -> bool:
    """Whether a voice spec names a cloned voice: ``clone:...``, a recording's path, or
    the name of a voice profile."""
    spec = (spec or "").strip()
    if spec.startswith(ENGINE_NAME + ":"):
        return True
    parsed = parse_clone_spec(spec)
    if parsed.backend or parsed.consent:
        return True
    target = parsed.target
    return bool(target) and (is_audio_path(target) or "/" in target or os.sep in target
                             or find_profile(target) is not None)


def with_consent(spec: str, consent: bool) -> str:
    """The voice spec with the user's consent declaration added when ``consent`` is true
    and the spec names a cloned voice; otherwise ``spec`` unchanged. Transforms call
    this with their ``voice_consent`` parameter before resolving the voice."""
    if not consent or not looks_cloned(spec):
        return spec
    parsed = parse_clone_spec(spec)
    return f"{ENGINE_NAME}:" + format_clone_spec(
        CloneSpec(parsed.backend, True, parsed.target))


def resolve(name: str) -> ClonedVoice:
    """Resolve a cloned-voice name (with or without ``clone:``): find the profile or the
    recording and apply the consent rule. Audio is not decoded here."""
    spec = parse_clone_spec(name)
    if not spec.target:
        raise ModelUnavailableError(
            "a cloned voice needs a reference recording or a voice profile",
            hint="write clone:path/to/speaker.wav or clone:PROFILE (`remixer voices` lists profiles)")
    profile = None
    target = Path(spec.target).expanduser()
    if not (target.is_file() or is_audio_path(spec.target) or "/" in spec.target):
        profile = load_profile(spec.target)   # raises naming the profiles there are
    if profile is not None:
        backend = spec.backend or profile.backend
        samples, speaker, base = profile.samples, profile.speaker, profile.base
        key, language = profile.name, profile.language
    else:
        if not target.is_file():
            raise ModelUnavailableError(
                f"reference recording {spec.target!r} does not exist",
                hint="give the path of a WAV or MP3 file of the speaker, or a profile name")
        backend = spec.backend or DEFAULT_BACKEND
        samples, speaker, base = (target.resolve(),), target.stem, ""
        key, language = str(target.resolve()), "en"
    if backend not in BACKENDS:  # pragma: no cover - the grammar allows only these
        raise ModelUnavailableError(f"unknown cloning backend {backend!r}",
                                    hint=f"use one of {', '.join(BACKENDS)}")
    if profile is not None and profile.consent:
        consent, source = profile.consent, "profile"
    elif spec.consent:
        consent, source = FLAG_CONSENT, "flag"
    else:
        where = (f"voice profile {profile.name!r}" if profile is not None
                 else f"the recording {target.name!r}")
        raise ConsentRequiredError(
            f"cloning the voice in {where} needs the speaker's consent",
            hint=("add a `consent:` statement to its profile.yaml, or set voice_consent: true "
                  "to declare that you have it"))
    canonical = format_clone_spec(CloneSpec(backend, spec.consent, key))
    return ClonedVoice(name=canonical, backend=backend, samples=tuple(samples),
                       speaker=speaker, consent=consent, consent_source=source,
                       profile=profile, base=base, language=language)


# --------------------------------------------------------------------------- backends

def backend_for(name: str):
    """The backend object for ``match`` or ``xtts`` (imported lazily)."""
    if name == "match":
        from plugins.speech.cloning.match import MatchBackend
        return MatchBackend()
    if name == "xtts":
        from plugins.speech.cloning.xtts import XttsBackend
        return XttsBackend()
    raise ModelUnavailableError(f"unknown cloning backend {name!r}",
                                hint=f"use one of {', '.join(BACKENDS)}")


# --------------------------------------------------------------------------- disclosure

def disclosure_metadata(voice: "str | ClonedVoice") -> dict[str, str]:
    """Tag and manifest entries for audio made with ``voice`` (a spec or a resolved
    voice); empty for voices that are not cloned.

    Keys are written as ID3 TXXX descriptions (and MP4 ``----:com.remixer:KEY`` atoms):
    ``synthetic-voice`` (the statement), ``voice-cloned-from``, ``voice-clone-method``,
    ``voice-consent`` and ``voice-reference-sha256``.
    """
    if isinstance(voice, str):
        if not looks_cloned(voice):
            return {}
        voice = resolve(voice)
    backend = backend_for(voice.backend)
    method = backend.describe(voice)
    from plugins.speech.cloning.reference import file_digest
    return {
        "synthetic-voice": (f"Synthetic voice: this speech was generated by remixer and "
                            f"imitates the voice of {voice.speaker}; it is not a recording "
                            f"of them."),
        "voice-cloned-from": voice.speaker,
        "voice-clone-method": method,
        "voice-consent": voice.consent,
        "voice-reference-sha256": _cached_digest(voice.samples, file_digest),
    }


_DIGESTS: dict[tuple, str] = {}


def _cached_digest(paths: tuple[Path, ...], digest) -> str:
    key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
    if key not in _DIGESTS:
        _DIGESTS[key] = digest(paths)
    return _DIGESTS[key]


def reference_digest(voice: ClonedVoice) -> str:
    """sha256 of the voice's recordings (cached by path, size and modification time)."""
    from plugins.speech.cloning.reference import file_digest
    return _cached_digest(voice.samples, file_digest)


# --------------------------------------------------------------------------- the engine

#: what each cloning backend does, in one line (``remixer voices``)
_BACKEND_SUMMARY = {
    "match": "clone a reference recording offline: an embedded voice converted towards it "
             "(WORLD vocoder)",
    "xtts": "clone a reference recording with Coqui XTTS v2 (neural, non-commercial licence)",
}


class CloneEngine(VoiceEngine):
    """Cloned voices: ``clone:[match|xtts][+consent]:RECORDING_OR_PROFILE``."""

    name = ENGINE_NAME
    version = "1"
    default_voice = ""

    def voices(self) -> list[VoiceInfo]:
        infos = []
        for name in profile_names():
            try:
                profile = load_profile(name)
            except (TransformError, ModelUnavailableError) as exc:
                infos.append(VoiceInfo(name, "voice profile (invalid)", "en",
                                       ready_offline=False, reason=str(exc)))
                continue
            ready, reason = backend_for(profile.backend).ready()
            if ready and not profile.consent:
                ready, reason = False, "no consent: statement in its profile.yaml"
            infos.append(VoiceInfo(name, f"cloned voice of {profile.speaker} "
                                         f"({profile.backend})", profile.language,
                                   ready_offline=ready, reason=reason))
        return infos

    def templates(self) -> list[VoiceInfo]:
        """One row per backend, given a recording or a profile of the voice library."""
        from plugins.speech.cloning.profiles import library_dirs

        where = ", ".join(str(d) for d in library_dirs())
        rows = []
        for backend in BACKENDS:
            ready, reason = backend_for(backend).ready()
            rows.append(VoiceInfo(f"{backend}:RECORDING_OR_PROFILE",
                                  f"{_BACKEND_SUMMARY[backend]}; profiles are looked for in "
                                  f"{where}", "any", ready_offline=ready, reason=reason))
        return rows

    def claims(self, spec: str) -> bool:
        """A recording's path or a voice profile's name, with no ``clone:`` in front."""
        return looks_cloned(spec)

    def voice(self, name: str | None) -> VoiceInfo:
        clone = resolve(name or "")
        ready, reason = backend_for(clone.backend).ready()
        return VoiceInfo(clone.name, f"cloned voice of {clone.speaker} ({clone.backend})",
                         clone.language, ready_offline=ready, reason=reason)

    def identity(self, voice: str | None) -> str:
        clone = resolve(voice or "")
        backend = backend_for(clone.backend)
        return (f"{self.name}:{clone.backend}@{self.version}/ref {reference_digest(clone)[:16]}"
                f"/{backend.identity(clone)}")

    def synthesize(self, text: str, voice: str, *, speed: float = 1.0) -> Synthesis:
        clone = resolve(voice)
        return backend_for(clone.backend).synthesize(text, clone, speed=speed)

    def disclosure(self, voice: str | None) -> dict[str, str]:
        return disclosure_metadata(resolve(voice or ""))


@engine.hookimpl
def register_voices(register):
    register(CloneEngine)


__all__ = ["CloneEngine", "ClonedVoice", "CloneSpec", "ConsentRequiredError",
           "disclosure_metadata", "looks_cloned", "parse_clone_spec", "resolve",
           "with_consent", "AUDIO_EXTENSIONS"]
