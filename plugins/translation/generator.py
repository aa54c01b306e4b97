"""The ``generator`` translator: any OpenAI-compatible chat model, any language pair.

Recipes name it ``generator`` or ``generator:MODEL`` and reach the model through the
step's ``llm:`` block (endpoint, key variable, context size, retries), exactly as the
``openai`` text generator does. Texts go to the model numbered, as a JSON list, in parts
that fit a third of its context; the answer must be a JSON object with exactly one
translation per text, none empty, every glossary term kept as written. An answer that
breaks a rule goes back to the model with the reason (``llm_client.ChatClient.ask``).
"""

from __future__ import annotations

import json

from pydantic import BaseModel, Field, ValidationInfo, field_validator

import engine
from engine.textgen import GeneratorSettings, Usage
from plugins.text import llm_client
from plugins.text.llm_client import Answer, ChatClient
from plugins.text.mapreduce import estimate_tokens
from plugins.text.openai_generator import DEFAULT_MODEL

SYSTEM = (
    "You are a professional translator. Translate each text from {source} into {target} "
    "(BCP 47 language tags), faithfully and naturally, as a native editor would write it. "
    "Keep numbers, names, web addresses and punctuation marks such as list markers as they "
    "are. Never add or drop content, and never explain.{glossary}")
GLOSSARY = (" Never translate these terms; write them exactly as given: {terms}.")
TASK = (
    "Translate these {count} texts. Answer with only a JSON object "
    '{{"translations": [...]}} holding exactly {count} strings, the translation of each '
    "text in the same order.\n\n{texts}")
FIX = ("That answer could not be used: {error}. Reply again with only the corrected JSON "
       "object, nothing before or after it.")


class TranslationAnswer(BaseModel):
    """What the model must answer: one non-empty translation per text, glossary kept."""

    translations: list[str] = Field(description="one translation per text, in order")

    @field_validator("translations")
    @classmethod
    def _check(cls, translations: list[str], info: ValidationInfo) -> list[str]:
        texts: list[str] = info.context["texts"]
        if len(translations) != len(texts):
            raise ValueError(f"give exactly {len(texts)} translations, not {len(translations)}")
        for i, (text, translated) in enumerate(zip(texts, translations), start=1):
            if text.strip() and not translated.strip():
                raise ValueError(f"translation {i} is empty")
            lost = [term for term in info.context["glossary"]
                    if term in text and term not in translated]
            if lost:
                raise ValueError(f"translation {i} must keep {', '.join(map(repr, lost))} "
                                 "exactly as written")
        return translations


class GeneratorTranslator(engine.Translator):
    """Any OpenAI-compatible chat model with a translation prompt: any pair."""

    name = "generator"
    version = "1"
    pairs = (("*", "*"),)
    offline = False

    def __init__(self, model: str | None = None, settings: GeneratorSettings | None = None):
        super().__init__(model or DEFAULT_MODEL, settings or GeneratorSettings())
        self.usage = Usage()
        self._client: ChatClient | None = None

    def identity(self) -> str:
        endpoint = llm_client.resolve_endpoint(self.settings)
        return (f"{super().identity()} url={endpoint.url} "
                f"temperature={self.settings.temperature:g}")

    @property
    def client(self) -> ChatClient:
        if self._client is None:
            self._client = ChatClient(self.model, self.settings, on_usage=self._count)
        return self._client

    def _count(self, answer: Answer) -> None:
        self.usage.add(Usage(1, answer.prompt_tokens, answer.completion_tokens))

    def translate(self, texts: list[str], *, source: str, target: str,
                  glossary: tuple[str, ...] = ()) -> list[str]:
        system = SYSTEM.format(source=source, target=target,
                               glossary=GLOSSARY.format(terms=", ".join(glossary))
                               if glossary else "")
        out: list[str] = []
        for part in parts(texts, budget=self.settings.context_tokens // 3):
            out += self._translate_part(part, system, glossary)
        return out

    def _translate_part(self, texts: list[str], system: str,
                        glossary: tuple[str, ...]) -> list[str]:
        numbered = json.dumps(texts, ensure_ascii=False, indent=1)
        messages = [{"role": "system", "content": system},
                    {"role": "user", "content": TASK.format(count=len(texts), texts=numbered)}]

        def parse(answer: Answer) -> list[str]:
            data = llm_client.extract_json(answer.text)
            if isinstance(data, list):
                data = {"translations": data}
            if not isinstance(data, dict):
                raise llm_client.Unusable("the answer must be a JSON object")
            return TranslationAnswer.model_validate(
                data, context={"texts": texts, "glossary": glossary}).translations

        translated, _ = self.client.ask(
            messages, parse, what="translation", json_mode=True,
            max_tokens=2 * estimate_tokens(numbered) + 200,
            fix=lambda error: FIX.format(error=error))
        return translated


def parts(texts: list[str], *, budget: int) -> list[list[str]]:
    """``texts`` in consecutive groups of at most ``budget`` estimated tokens each (a
    text longer than the budget goes alone)."""
    groups: list[list[str]] = [[]]
    used = 0
    for text in texts:
        cost = estimate_tokens(text) + 4
        if groups[-1] and used + cost > budget:
            groups.append([])
            used = 0
        groups[-1].append(text)
        used += cost
    return [g for g in groups if g]


@engine.hookimpl
def register_translators(register):
    register(GeneratorTranslator)
