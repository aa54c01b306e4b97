"""Languages: BCP 47 tags checked and written one way, and the language a text is in.

Recipes name languages with BCP 47 tags (``en``, ``pt-BR``, ``es-419``); :func:`tag`
checks one against the IANA registry (through ``langcodes``) and writes it canonically,
so ``pt-br`` and ``pt_BR`` both become ``pt-BR``. Two tags are the same *language* when
their primary subtags match (``pt`` and ``pt-BR``): that is what engines, voices and the
detector compare.

:func:`detect` names the language of a text with py3langid (its model ships in the
wheel; a text needs a few words before the answer means anything). It is what keeps a
translation that came back in the wrong language from being labelled as the right one.
"""

from __future__ import annotations

import functools
import re
from typing import Annotated

from pydantic import AfterValidator

from engine.errors import LanguageError

#: letters (of any script) a text needs before its language can be told reliably
MIN_LETTERS_TO_DETECT = 25
#: how sure the detector must be before a text is said to be in another language
WRONG_LANGUAGE_CONFIDENCE = 0.9

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)

#: languages a detector confuses on short texts (Portuguese read as Galician): a text
#: found in a sibling of the language expected is not called wrong
_SIBLINGS = [{"pt", "gl"}, {"es", "gl", "ca"}, {"no", "nb", "nn", "da", "sv"},
             {"ms", "id"}, {"hr", "sr", "bs"}, {"cs", "sk"}]


def tag(value: str) -> str:
    """``value`` as a canonical BCP 47 tag (``pt_br`` -> ``pt-BR``), or a one-line error."""
    import langcodes

    text = str(value).strip().replace("_", "-")
    if not text or not langcodes.tag_is_valid(text):
        raise LanguageError(f"{value!r} is not a BCP 47 language tag",
                            hint="write a code such as en, pt-BR, es or ja")
    canonical = langcodes.standardize_tag(text)
    if not langcodes.Language.get(canonical).is_valid():
        raise LanguageError(f"{value!r} is not a language in the IANA registry",
                            hint="write a code such as en, pt-BR, es or ja")
    return canonical


def checked_tag(value: str) -> str:
    """:func:`tag` for pydantic: the error becomes the ValueError a recipe check reports."""
    try:
        return tag(value)
    except LanguageError as exc:
        raise ValueError(str(exc)) from None


#: a parameter holding a BCP 47 tag, checked and made canonical when a recipe is read
LanguageTag = Annotated[str, AfterValidator(checked_tag)]


def primary(value: str) -> str:
    """The language subtag alone: ``pt-BR`` -> ``pt``."""
    return str(value).strip().replace("_", "-").split("-")[0].lower()


def same_language(a: str, b: str) -> bool:
    """Whether two tags name the same language (``pt`` and ``pt-BR`` do; ``*`` is any)."""
    return "*" in (a, b) or primary(a) == primary(b)


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> tuple[str | None, float]:
    """``(primary language, confidence in [0, 1])`` of ``text``; ``(None, 0.0)`` when it
    is too short to tell."""
    if len(_LETTER.findall(text)) < MIN_LETTERS_TO_DETECT:
        return None, 0.0
    language, confidence = _identifier().classify(text)
    return language, float(confidence)


def siblings(a: str, b: str) -> bool:
    """Whether two languages are ones a detector confuses (Portuguese and Galician)."""
    return any({primary(a), primary(b)} <= group for group in _SIBLINGS)


def wrong_language(text: str, expected: str) -> str | None:
    """The language ``text`` is clearly in when that is not ``expected``, else None.

    Short texts, and texts the detector is unsure about, are given the benefit of the
    doubt: names, numbers and mixed scripts must not fail a translation.
    """
    found, confidence = detect(text)
    if found is None or same_language(found, expected):
        return None
    if siblings(found, expected):
        return None
    return found if confidence >= WRONG_LANGUAGE_CONFIDENCE else None
