"""What a text generator is: the writer behind every transform that produces text.

Transforms ask for tasks (summarise to N words, list N key points, write a post of at
most N characters, write a dialogue); a generator decides how. The built-in
``extractive`` generator picks sentences from the source, deterministically and offline;
an LLM generator writes new ones. Register a generator with
``register_text_generators``; recipes select one with ``generator: NAME`` or
``generator: NAME:MODEL`` and tune it with the ``llm:`` settings block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

from pydantic import BaseModel, ConfigDict, Field

from engine.artifacts import Document
from engine.errors import GeneratorError


class GeneratorSettings(BaseModel):
    """How to reach and drive a model. Generators that need none (extractive) ignore it.

    API keys never go in recipes: ``api_key_env`` names the environment variable.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint (e.g. http://localhost:11434/v1 for "
                          "Ollama); default $OPENAI_BASE_URL, else OpenAI")
    api_key_env: str = Field("OPENAI_API_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                             description="environment variable that holds the API key")
    organization: str | None = Field(None, description="organisation id; default $OPENAI_ORG_ID")
    context_tokens: int = Field(16000, ge=1000, le=2_000_000,
                                description="the model's context size; longer sources are "
                                            "summarised section by section, then combined")
    temperature: float = Field(0.3, ge=0, le=2, description="sampling temperature")
    timeout: float = Field(60, gt=0, le=3600, description="seconds to wait for one answer")
    max_retries: int = Field(5, ge=0, le=20,
                             description="retries on timeouts, rate limits and server errors")
    prompts: str | None = Field(None, description="folder of prompt templates that override "
                                                  "the built-in ones, file by file")


@dataclass
class Usage:
    """Tokens and requests spent by a generator, for the manifest.

    ``requests`` counts every request sent, answered or not (a server error, a timeout,
    a refused request and an answer rejected as unusable all count); ``failed_requests``
    those that got no answer. A generator counts a request as failed when it sends it
    and takes that back when the answer arrives.
    """

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    failed_requests: int = 0

    def add(self, other: "Usage") -> None:
        self.requests += other.requests
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.failed_requests += other.failed_requests

    def as_dict(self) -> dict[str, int]:
        return {"requests": self.requests, "failed_requests": self.failed_requests,
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens}


def thread_room(max_chars: int, max_posts: int) -> int:
    """Characters left for text in each post of a thread once its " i/n" numbering,
    which counts against ``max_chars``, is reserved."""
    reserve = len(f" {max_posts}/{max_posts}")
    room = max_chars - reserve
    if room < 10:
        raise GeneratorError(f"posts of {max_chars} characters leave no room for text after "
                             "the numbering", hint=f"use max_chars of at least {reserve + 10}")
    return room


class TextGenerator:
    """Base class for text generators.

    ``model`` is the part after the colon in ``NAME:MODEL`` (None when absent);
    ``settings`` the step's ``llm:`` block. ``tone`` is the recipe's brand and tone
    guidance ("warm, plain English, no hype"); a generator that cannot follow it (the
    extractive one) ignores it. ``avoid`` lists words and phrases (a brand's) the output
    must not contain, matched as whole words ignoring case: a generator that picks
    sentences skips every sentence containing one; the transform also spells them out in
    ``tone`` for a generator that writes. Generators that call a service add what they spend to
    ``self.usage``; the transform moves it into the manifest after each step.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    #: whether it writes in a language asked for in ``tone`` (a language model does); the
    #: others write in the source's language and a ``language:`` step translates them
    writes_any_language: ClassVar[bool] = False

    def __init__(self, model: str | None = None,
                 settings: GeneratorSettings = GeneratorSettings()):
        self.model = model
        self.settings = settings
        self.usage = Usage()
        #: remarks for the manifest of the step being written (see :meth:`take_notes`)
        self.notes: list[str] = []

    def identity(self) -> str:
        """What the cache key must change with: generator, version, model (and, for
        generators that use them, the settings that change answers)."""
        return f"{self.name}:{self.model or ''}@{self.version}"

    def take_usage(self) -> Usage:
        """What was spent since the last call, and start counting afresh."""
        spent, self.usage = self.usage, Usage()
        return spent

    def note(self, text: str) -> None:
        """Say something the step's manifest should keep (once per step)."""
        if text not in self.notes:
            self.notes.append(text)

    def take_notes(self) -> list[str]:
        """The remarks made since the last call, and start afresh."""
        notes, self.notes = self.notes, []
        return notes

    def summarize(self, doc: Document, *, words: int, tone: str = "",
                  avoid: Sequence[str] = ()) -> str:
        """A summary of about ``words`` words (+-20%), made of whole sentences."""
        raise NotImplementedError

    def key_points(self, doc: Document, *, count: int, tone: str = "",
                   avoid: Sequence[str] = ()) -> list[str]:
        """``count`` key points, each one sentence, in the order of the document."""
        raise NotImplementedError

    def social_post(self, doc: Document, *, max_chars: int, tone: str = "",
                    avoid: Sequence[str] = ()) -> str:
        """One post of at most ``max_chars`` characters."""
        raise NotImplementedError

    def thread(self, doc: Document, *, max_chars: int, max_posts: int,
               tone: str = "", avoid: Sequence[str] = (),
               last_max_chars: int | None = None) -> list[str]:
        """A thread: up to ``max_posts`` posts of at most ``max_chars`` characters each,
        the last one at most ``last_max_chars`` (less: the caller adds a closing line to
        it, a call to action; None: ``max_chars``)."""
        raise NotImplementedError

    def dialogue(self, doc: Document, *, hosts: list[str], words: int,
                 tone: str = "") -> list[tuple[str, str, str | None]]:
        """A conversation about the document between ``hosts`` of about ``words`` words.

        Returns turns as ``(host, text, chapter)``, chapter being the section a turn
        belongs to (None for the opening and the sign-off). Hosts alternate naturally:
        one asks, another explains, with reactions; it must not read like an essay.
        """
        raise NotImplementedError
