"""One conversation turn with an OpenAI-compatible chat endpoint, made dependable.

- :func:`resolve_endpoint` reads where to send requests and which key to use from the
  step's ``llm:`` settings and the usual environment variables.
- :class:`ChatClient` sends a request with its own retry loop (the ``openai`` client is
  built with ``max_retries=0``): timeouts, connection errors, 408/409/429 and 5xx are
  retried with exponential backoff and full jitter, honouring ``Retry-After``, at most
  ``settings.max_retries`` times. The sleep and the random source are injectable.
  Failures retrying cannot fix (connection refused, a host name that does not resolve,
  a refused or missing key) open a circuit breaker: every later request to that
  endpoint in the process fails at once with the same one line.
- :meth:`ChatClient.ask` turns an answer into a value through a parser, after taking
  leaked template tokens and prompt delimiters off its edges
  (:mod:`plugins.text.answer_checks`); an answer the parser rejects (malformed JSON,
  failed validation, empty text, markup left inside, text copied from the prompt) is
  sent back to the model with the reason, a bounded number of times, then the step fails
  with an :class:`engine.errors.UnusableAnswerError`.
- Every request sent is counted (``on_request``), answered or not, so the manifest's
  usage matches what the server saw.

The API key is only ever handed to the ``openai`` client: it is not logged, not put in
identities, and is scrubbed from every message that leaves this module.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import os
import random
import re
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit, urlunsplit

from engine.errors import GeneratorError, UnusableAnswerError
from engine.textgen import GeneratorSettings
from plugins.text.answer_checks import leftover_markup, strip_markup
from plugins.text.mapreduce import estimate_messages

log = logging.getLogger("remixer.openai")

T = TypeVar("T")

OPENAI_URL = "https://api.openai.com/v1"
#: sent to custom endpoints when no key is set (local servers ignore it)
PLACEHOLDER_KEY = "not-needed"
#: first backoff ceiling and the largest one, in seconds
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
#: a server asking us to wait longer than this is treated as a hard failure
MAX_RETRY_AFTER = 300.0
#: how many times an unusable answer is sent back for correction
FIX_ATTEMPTS = 2
#: statuses worth trying again
RETRY_STATUSES = frozenset({408, 409, 429})

#: what waits between retries; tests replace it (``monkeypatch.setattr(llm_client, "sleep", ...)``)
sleep: Callable[[float], None] = time.sleep


# --------------------------------------------------------------------------- endpoint

def public_url(url: str) -> str:
    """``url`` without user info, query or fragment: safe for logs and cache keys."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


@dataclass(frozen=True)
class Endpoint:
    """Where requests go and with what credentials (``repr`` never shows the key)."""

    base_url: str | None  # None: OpenAI itself
    key_env: str
    key: str | None
    organization: str | None

    def __repr__(self) -> str:  # the key stays out of tracebacks and debug output
        return (f"Endpoint(base_url={self.url!r}, key_env={self.key_env!r}, "
                f"key={'set' if self.key else 'unset'})")

    @property
    def url(self) -> str:
        return public_url(self.base_url or OPENAI_URL)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never appear in output: the key, and any URL credentials."""
        found = [self.key] if self.key else []
        if self.base_url:
            parts = urlsplit(self.base_url)
            found += [s for s in (parts.password, parts.query) if s]
        return tuple(s for s in found if len(s) >= 4)

    def api_key(self) -> str:
        if self.key:
            return self.key
        if self.base_url is None:
            raise GeneratorError(
                f"no API key for OpenAI: ${self.key_env} is not set",
                hint=f"set {self.key_env}, or point llm.base_url (or OPENAI_BASE_URL) at an "
                     f"OpenAI-compatible server")
        return PLACEHOLDER_KEY


def resolve_endpoint(settings: GeneratorSettings) -> Endpoint:
    """The endpoint from the ``llm:`` settings, else OPENAI_BASE_URL / the key variable /
    OPENAI_ORG_ID."""
    base = settings.base_url or os.environ.get("OPENAI_BASE_URL") or None
    key = (os.environ.get(settings.api_key_env) or "").strip() or None
    org = settings.organization or os.environ.get("OPENAI_ORG_ID") or None
    return Endpoint(base.strip() if base else None, settings.api_key_env, key, org)


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` on one line, without any of ``secrets``, at most 300 characters."""
    for secret in secrets:
        text = text.replace(secret, "***")
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= 300 else text[:297] + "..."


# --------------------------------------------------------------------------- retries

def retry_after(headers: Any) -> float | None:
    """Seconds a ``Retry-After`` (or ``retry-after-ms``) header asks for; None if absent."""
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def hopeless(exc: BaseException) -> str | None:
    """Why a connection error cannot be fixed by retrying (refused, no such host), or None."""
    import socket

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ConnectionRefusedError):
            return "connection refused"
        if isinstance(exc, socket.gaierror):
            return "the host name does not resolve"
        exc = exc.__cause__ or exc.__context__
    return None


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)] (attempt counts from 0)."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** attempt)
    return (rng or random).uniform(0, ceiling)


# --------------------------------------------------------------------------- answers

@dataclass(frozen=True)
class Answer:
    text: str
    finish_reason: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"


class Unusable(ValueError):
    """An answer a parser rejects; the message is sent back to the model."""


def extract_json(text: str) -> Any:
    """The JSON value in an answer, tolerating code fences and prose around it."""
    stripped = text.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", stripped, re.S)
    if fenced:
        stripped = fenced.group(1).strip()
    try:
        return json.loads(stripped)
    except ValueError as first:
        starts = [i for i in (stripped.find("{"), stripped.find("[")) if i >= 0]
        if starts:
            start = min(starts)
            end = max(stripped.rfind("}"), stripped.rfind("]"))
            if end > start:
                try:
                    return json.loads(stripped[start:end + 1])
                except ValueError:
                    pass
        raise Unusable(f"the answer is not valid JSON ({first.msg} at line {first.lineno} "
                       f"column {first.colno})") from None


def describe(exc: Exception) -> str:
    """A short, model-readable reason an answer was rejected (pydantic errors included)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            lines = []
            for err in errors()[:6]:
                where = ".".join(str(p) for p in err.get("loc", ())) or "answer"
                lines.append(f"{where}: {err.get('msg')}")
            return "; ".join(lines)
        except Exception:  # noqa: BLE001 - fall back to the plain message
            pass
    return str(exc)


# --------------------------------------------------------------------------- client

class ChatClient:
    """Chat completions against one model with explicit retries and usage accounting."""

    def __init__(self, model: str, settings: GeneratorSettings, *,
                 on_usage: Callable[[Answer], None] = lambda answer: None,
                 on_request: Callable[[], None] = lambda: None,
                 sleep: Callable[[float], None] | None = None,
                 rng: random.Random | None = None):
        self.model = model
        self.settings = settings
        self.on_usage = on_usage
        self.on_request = on_request
        self._sleep = sleep
        self.rng = rng or random.Random()
        self._clients: dict[tuple, Any] = {}
        #: optional request fields dropped after a server said it does not take them
        self._unsupported: set[str] = set()
        #: endpoints proven unusable, by (url, key variable): a circuit breaker, so a dead
        #: server or a refused key costs the first step that meets it, not every step of
        #: every source times max_retries (the registry keeps one client per process)
        self._broken: dict[tuple[str, str], GeneratorError] = {}

    # -- plumbing -----------------------------------------------------------------------

    def _trip(self, breaker: tuple[str, str], error: GeneratorError) -> GeneratorError:
        """Open the breaker for this endpoint; later requests fail at once with ``error``."""
        self._broken[breaker] = error
        return error

    def _wait(self, seconds: float) -> None:
        (self._sleep or sleep)(seconds)

    def _client(self, endpoint: Endpoint):
        import openai

        key = endpoint.api_key()
        cache_key = (endpoint.base_url, key, endpoint.organization, self.settings.timeout)
        if cache_key not in self._clients:
            self._clients.clear()
            self._clients[cache_key] = openai.OpenAI(
                api_key=key, base_url=endpoint.base_url or OPENAI_URL,
                organization=endpoint.organization, timeout=self.settings.timeout,
                max_retries=0)
        return self._clients[cache_key]

    def _request(self, messages: list[dict], max_tokens: int | None,
                 json_mode: bool) -> dict[str, Any]:
        request: dict[str, Any] = {"model": self.model, "messages": messages}
        if "temperature" not in self._unsupported:
            request["temperature"] = self.settings.temperature
        if max_tokens and "max_tokens" not in self._unsupported:
            request["max_tokens"] = max_tokens
        if json_mode and "response_format" not in self._unsupported:
            request["response_format"] = {"type": "json_object"}
        return request

    # -- one answer ---------------------------------------------------------------------

    def chat(self, messages: list[dict], *, max_tokens: int | None = None,
             json_mode: bool = False) -> Answer:
        """One answer, retrying transient failures; a :class:`GeneratorError` otherwise."""
        import openai

        endpoint = resolve_endpoint(self.settings)
        where = endpoint.url
        breaker = (where, endpoint.key_env)
        if breaker in self._broken:
            first = self._broken[breaker]
            raise GeneratorError(f"{first.message} (earlier in this run; not tried again)",
                                 hint=first.hint)
        client = self._client(endpoint)
        retries = 0
        while True:
            request = self._request(messages, max_tokens, json_mode)
            self.on_request()
            try:
                response = client.chat.completions.create(**request)
            except openai.APIStatusError as exc:
                status = exc.status_code
                message = redact(re.sub(r"^Error code: \d+ - ", "",
                                        getattr(exc, "message", "") or str(exc)),
                                 endpoint.secrets)
                if status in (401, 403) and endpoint.key is None:
                    raise self._trip(breaker, GeneratorError(
                        f"the server at {where} wants an API key, and ${endpoint.key_env} "
                        f"is not set", hint=f"set {endpoint.key_env} (HTTP {status}: {message})"
                    )) from None
                if status in (401, 403):
                    raise self._trip(breaker, GeneratorError(
                        f"the API key in ${endpoint.key_env} was refused",
                        hint=f"HTTP {status} from {where}: {message}")) from None
                if status == 400 and self._drop_unsupported(message, request):
                    continue
                delay = retry_after(exc.response.headers if exc.response is not None else None)
                retryable = status in RETRY_STATUSES or status >= 500
                if status == 429 and _body_code(exc) == "insufficient_quota":
                    raise GeneratorError(f"the account behind ${endpoint.key_env} is out of "
                                         f"quota ({where}: {message})",
                                         hint="check the plan and billing") from None
                if not retryable:
                    raise GeneratorError(f"model {self.model} at {where} refused the request "
                                         f"(HTTP {status}: {message})",
                                         hint=_hint_for(status, message)) from None
                if delay is not None and delay > MAX_RETRY_AFTER:
                    raise GeneratorError(f"model {self.model} at {where} asks to wait "
                                         f"{delay:.0f} s (HTTP {status}: {message})",
                                         hint="try again later") from None
                failure = f"HTTP {status}: {message}"
            except openai.APITimeoutError:
                delay, failure = None, f"no answer within {self.settings.timeout:g} s"
            except openai.APIConnectionError as exc:
                reason = hopeless(exc)
                if reason:
                    raise self._trip(breaker, GeneratorError(
                        f"cannot reach {where}: {reason}",
                        hint="start the server, or fix llm.base_url / OPENAI_BASE_URL")) from None
                delay = None
                cause = redact(str(exc.__cause__ or exc), endpoint.secrets)
                failure = f"connection failed ({cause})"
            except (openai.APIResponseValidationError, ValueError) as exc:
                raise GeneratorError(
                    f"the server at {where} did not answer like an OpenAI-compatible API "
                    f"({redact(type(exc).__name__ + ': ' + str(exc), endpoint.secrets)})",
                    hint="check llm.base_url (it usually ends in /v1)") from None
            else:
                answer = _answer(response)
                self.on_usage(answer)
                return answer
            if retries >= self.settings.max_retries:
                raise GeneratorError(
                    f"model {self.model} at {where} failed after {retries + 1} attempts: "
                    f"{failure}", hint="try again later, or raise llm.timeout / llm.max_retries")
            wait = delay if delay is not None else backoff(retries, self.rng)
            retries += 1
            log.warning("%s from %s; retry %d of %d in %.1f s", failure, where, retries,
                        self.settings.max_retries, wait)
            self._wait(wait)

    def _drop_unsupported(self, message: str, request: dict) -> bool:
        """After a 400 naming an optional field we sent, stop sending it; True to resend."""
        lowered = message.lower()
        for name in ("response_format", "max_tokens", "temperature"):
            if name in request and name not in self._unsupported and name in lowered:
                log.warning("%s at %s does not accept %s; sending requests without it",
                            self.model, public_url(self.settings.base_url or OPENAI_URL), name)
                self._unsupported.add(name)
                return True
        return False

    # -- an answer turned into a value --------------------------------------------------

    def ask(self, messages: list[dict], parse: Callable[[Answer], T], *, what: str,
            max_tokens: int | None = None, json_mode: bool = False,
            fix: Callable[[str], str]) -> tuple[T, list[dict]]:
        """``parse(answer)``; on :class:`Unusable` (or pydantic's ValidationError) the
        answer and the reason (``fix(reason)``) go back to the model, at most
        ``FIX_ATTEMPTS`` times. Returns the value and the conversation that produced it.
        """
        from pydantic import ValidationError

        conversation = list(messages)
        reason = ""
        for attempt in range(FIX_ATTEMPTS + 1):
            answer = self.chat(conversation, max_tokens=max_tokens, json_mode=json_mode)
            answer = replace(answer, text=strip_markup(answer.text))
            try:
                leaked = leftover_markup(answer.text)
                if leaked:
                    raise Unusable(f"the answer contains {leaked}, which is markup from the "
                                   f"prompt, not text; answer without it")
                value = parse(answer)
            except (Unusable, ValidationError) as exc:
                reason = redact(describe(exc), ())
                if answer.truncated:
                    reason = (f"the answer was cut off at the length limit, so {reason}; "
                              f"answer more briefly")
                log.warning("unusable %s from %s (attempt %d): %s", what, self.model,
                            attempt + 1, reason)
                correction = {"role": "user", "content": fix(reason)}
                echoed = _clip(answer.text, max_tokens)
                conversation = list(messages) + [correction]
                if echoed.strip():
                    with_answer = list(messages) + [
                        {"role": "assistant", "content": echoed}, correction]
                    if estimate_messages(with_answer) + (max_tokens or 0) <= \
                            self.settings.context_tokens:
                        conversation = with_answer
                continue
            return value, list(messages) + [{"role": "assistant",
                                             "content": _clip(answer.text, max_tokens)}]
        raise UnusableAnswerError(
            f"model {self.model} gave no usable {what} in {FIX_ATTEMPTS + 1} answers: "
            f"{reason}",
            hint="try a larger model, or the extractive generator")


def _clip(text: str, max_tokens: int | None) -> str:
    """An answer cut to about ``max_tokens`` tokens, so echoing it keeps the budget."""
    if not max_tokens:
        return text
    words = text.split(" ")
    limit = int(max_tokens / 1.35)
    return text if len(words) <= limit else " ".join(words[:limit])


def _answer(response: Any) -> Answer:
    choices = getattr(response, "choices", None) or []
    if not choices:
        text, finish = "", None
    else:
        message = choices[0].message
        text = (getattr(message, "content", None) or "") if message is not None else ""
        finish = choices[0].finish_reason
    usage = getattr(response, "usage", None)
    return Answer(text=text, finish_reason=finish,
                  prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                  completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0))


def _body_code(exc: Any) -> str | None:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return inner.get("code") or inner.get("type")
    return None


def _hint_for(status: int, message: str) -> str:
    lowered = message.lower()
    if status == 404:
        return "check the model name and llm.base_url"
    if "context" in lowered and ("length" in lowered or "window" in lowered):
        return "set llm.context_tokens to the model's real context size"
    return "check the model name and the llm settings"
