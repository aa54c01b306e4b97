"""Names of registered things: ``NAME[:MODEL]`` specs and "did you mean" hints.

The lowest layer of the engine: every module that names a plugin, voice or key may use it.
"""

from __future__ import annotations

import difflib
from typing import Iterable


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'summary'?)"`` or an empty string."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def split_spec(spec: str) -> tuple[str, str | None]:
    """``"openai:gpt-4o-mini"`` -> ``("openai", "gpt-4o-mini")``; ``"whisper"`` -> ``("whisper", None)``."""
    name, sep, rest = spec.partition(":")
    return name, (rest if sep and rest else None)
