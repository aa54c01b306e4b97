"""What a text generator is: the writer behind every transform that produces text.

Transforms ask for tasks (summarise to N words, list N key points, write a post of at
most N characters); a generator decides how. The built-in ``extractive`` generator picks
sentences from the source, deterministically and offline; an LLM generator writes new
ones. Register a generator with ``register_text_generators``; recipes select one with
``generator: NAME`` or ``generator: NAME:MODEL``.
"""

from __future__ import annotations

from typing import ClassVar

from engine.artifacts import Document


class TextGenerator:
    """Base class for text generators.

    ``model`` is the part after the colon in ``NAME:MODEL`` (None when absent).
    ``tone`` is the recipe's brand/tone text ("warm, plain English, no hype"); a
    generator that cannot follow it (the extractive one) ignores it.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"

    def __init__(self, model: str | None = None):
        self.model = model

    def identity(self) -> str:
        """What the cache key must change with: generator, version, model."""
        return f"{self.name}:{self.model or ''}@{self.version}"

    def summarize(self, doc: Document, *, words: int, tone: str = "") -> str:
        """A summary of about ``words`` words (+-20%), made of whole sentences."""
        raise NotImplementedError

    def key_points(self, doc: Document, *, count: int, tone: str = "") -> list[str]:
        """``count`` key points, each one sentence, in the order of the document."""
        raise NotImplementedError

    def social_post(self, doc: Document, *, max_chars: int, tone: str = "") -> str:
        """One post of at most ``max_chars`` characters."""
        raise NotImplementedError

    def thread(self, doc: Document, *, max_chars: int, max_posts: int,
               tone: str = "") -> list[str]:
        """A thread: up to ``max_posts`` posts of at most ``max_chars`` characters each."""
        raise NotImplementedError
