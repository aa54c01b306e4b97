"""Domain errors. Every message names the problem and, where one exists, the fix.

The CLI prints ``str(error)`` on one line without a traceback (``--debug`` shows it),
so keep messages to one sentence of problem plus one of fix.
"""

from __future__ import annotations

from dataclasses import dataclass


class RemixerError(Exception):
    """Base class for every error remixer reports to a user.

    ``hint`` is the fix, appended to the message; keep both short.
    """

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class PluginError(RemixerError):
    """A plugin could not be loaded, or two plugins registered the same name."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a recipe, at a place such as ``steps[3].with.voice``."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class RecipeError(RemixerError):
    """A recipe is invalid. Carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem], *, source: str = "recipe"):
        self.problems = list(problems)
        self.source = source
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "; ".join(str(p) for p in self.problems)
        super().__init__(f"{source} has {count} {noun}: {lines}")

    def report(self) -> str:
        """A multi-line listing for ``remixer validate``."""
        return "\n".join(f"  - {p}" for p in self.problems)


class SourceError(RemixerError):
    """A source file cannot be read: unsupported, empty, corrupt or wrongly encoded."""


class MediaError(RemixerError):
    """ffmpeg failed or a media file is unusable. Keeps ffmpeg's stderr for --debug."""

    def __init__(self, message: str, *, hint: str | None = None, stderr: str = "",
                 argv: list[str] | None = None):
        super().__init__(message, hint=hint)
        self.stderr = stderr
        self.argv = argv or []


class TransformError(RemixerError):
    """A step could not produce its output from the input it was given."""


class ModelUnavailableError(RemixerError):
    """A model, voice or service is not on this machine and cannot be fetched now."""


class GeneratorError(RemixerError):
    """A text generator failed: bad answer, refused request, missing key."""


class StockError(RemixerError):
    """A stock media provider cannot be used: no key, a refused key, a rate limit, no answer."""


class LimitError(RemixerError):
    """A limit that keeps a run bounded was reached (YAML size, matrix size...).

    The hint names the flag or setting that raises the limit.
    """


def short_repr(value: object, limit: int = 80) -> str:
    """``repr(value)`` for a message, at most ``limit`` characters however big the value.

    Never builds the full repr: a recipe value can be an alias bomb or a megabyte string.
    """
    import reprlib

    shortener = reprlib.Repr()
    shortener.maxlevel, shortener.maxstring, shortener.maxother = 2, limit, limit
    shortener.maxdict = shortener.maxlist = shortener.maxtuple = shortener.maxset = 6
    return clip(shortener.repr(value), limit)


def clip(text: str, limit: int = 80) -> str:
    """``text`` cut to at most ``limit`` characters, marked with ``...`` when cut."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


#: C0 and C1 control characters (and DEL): a file name holding them could move the
#: cursor, retitle the terminal or recolour everything after it
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7f, 0xa0))}


def printable(text: str) -> str:
    """``text`` safe to show on a terminal: control characters written as ``\\xNN``."""
    return str(text).translate(_CONTROL)


class LanguageError(RemixerError):
    """A language tag is not BCP 47, or a text is not in the language it should be."""


class TranslationError(RemixerError):
    """No engine translates a pair, or a translation came back empty or in another language."""


class UnusableAnswerError(GeneratorError):
    """A model answered, but never in a usable form (the request itself went through)."""
