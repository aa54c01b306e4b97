"""How many tokens a local server's model can take, asked of the server itself.

OpenAI's chat API has no way to say it, but the servers people run locally do:

- vLLM lists ``max_model_len`` for each model in ``GET /v1/models``;
- llama.cpp's ``llama-server`` gives ``n_ctx`` in ``GET /props``;
- Ollama describes a model with ``POST /api/show``: its ``num_ctx`` parameter when one
  is set, else Ollama runs it with its default window (4096 tokens on machines without
  a large GPU), whatever the model's own ``context_length`` is.

:func:`discover` tries them in that order, each once with a short timeout, and returns
the size with the place it came from, or None when no server said (OpenAI itself, LM
Studio, llama-cpp-python's server). The generator then uses the smaller of that and
``llm.context_tokens``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger("remixer.openai")

#: seconds to wait for each probe: a server that is slow to say is treated as silent
TIMEOUT = 5.0
#: the window Ollama gives a model without ``num_ctx`` on a machine without a big GPU
OLLAMA_DEFAULT = 4096


@dataclass(frozen=True)
class Discovered:
    tokens: int
    #: where the number came from, for the manifest ("llama.cpp /props n_ctx")
    source: str


def _root(base_url: str) -> str:
    """The server's root: ``base_url`` without a trailing ``/v1``."""
    return re.sub(r"/v1/?$", "", base_url.rstrip("/"))


def _positive(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _vllm(get: Callable, post: Callable, base: str, model: str) -> Discovered | None:
    data = get(f"{base.rstrip('/')}/models")
    for entry in (data or {}).get("data") or []:
        if isinstance(entry, dict) and entry.get("id") == model:
            tokens = _positive(entry.get("max_model_len"))
            if tokens:
                return Discovered(tokens, "the server's /v1/models max_model_len")
    return None


def _llama_cpp(get: Callable, post: Callable, base: str, model: str) -> Discovered | None:
    data = get(f"{_root(base)}/props") or {}
    settings = data.get("default_generation_settings") or {}
    tokens = _positive(settings.get("n_ctx")) or _positive(data.get("n_ctx"))
    return Discovered(tokens, "llama.cpp's /props n_ctx") if tokens else None


def _ollama(get: Callable, post: Callable, base: str, model: str) -> Discovered | None:
    data = post(f"{_root(base)}/api/show", {"model": model})
    if not isinstance(data, dict) or "model_info" not in data and "parameters" not in data:
        return None
    match = re.search(r"^\s*num_ctx\s+(\d+)", str(data.get("parameters") or ""), re.M)
    if match and _positive(match.group(1)):
        return Discovered(int(match.group(1)), "Ollama's /api/show num_ctx")
    trained = [_positive(v) for k, v in (data.get("model_info") or {}).items()
               if k.endswith(".context_length")]
    trained = [t for t in trained if t]
    tokens = min([OLLAMA_DEFAULT] + trained)
    return Discovered(tokens, f"Ollama's default window ({OLLAMA_DEFAULT}; the model sets no "
                              f"num_ctx in /api/show)")


PROBES = (_vllm, _llama_cpp, _ollama)


def discover(base_url: str, model: str, headers: dict[str, str],
             timeout: float = TIMEOUT) -> Discovered | None:
    """The context size the server at ``base_url`` reports for ``model``, or None."""
    import httpx

    with httpx.Client(timeout=timeout, headers=headers, follow_redirects=False) as client:
        def get(url: str) -> Any:
            response = client.get(url)
            return response.json() if response.status_code == 200 else None

        def post(url: str, body: dict) -> Any:
            response = client.post(url, json=body)
            return response.json() if response.status_code == 200 else None

        for probe in PROBES:
            try:
                found = probe(get, post, base_url, model)
            except (httpx.HTTPError, ValueError, AttributeError, TypeError) as exc:
                log.debug("context probe %s at %s: %s", probe.__name__, base_url, exc)
                continue
            if found is not None:
                return found
    return None
