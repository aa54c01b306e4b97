"""A local OpenAI-compatible chat server for tests: real sockets, scripted answers.

    with FakeOpenAI() as server:                      # 127.0.0.1, a free port
        server.script(error(429, headers={"Retry-After": "7"}), answer("Hello."))
        ...point the client at server.base_url...
        server.requests                               # every request received, in order

Each POST to ``/v1/chat/completions`` takes the next scripted :class:`Reply`; when the
script is empty, ``responder(request)`` answers (by default :func:`auto_reply`, a dumb
but well-behaved "model" that copies sentences of the document in the prompt to the
length the prompt asks for, in the JSON shape it asks for).
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Reply:
    """What the server sends for one request."""

    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes -> sent as is
    headers: dict[str, str] = field(default_factory=dict)
    #: seconds to wait before answering (a slow server, to provoke client timeouts)
    delay: float = 0.0


@dataclass
class Request:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def messages(self) -> list[dict]:
        return (self.body or {}).get("messages", []) if isinstance(self.body, dict) else []

    @property
    def text(self) -> str:
        """Every message's content, joined."""
        return "\n".join(str(m.get("content") or "") for m in self.messages)

    @property
    def last_user(self) -> str:
        users = [m for m in self.messages if m.get("role") == "user"]
        return str(users[-1].get("content") or "") if users else ""


def completion(content: str, *, finish_reason: str = "stop", prompt_tokens: int = 0,
               completion_tokens: int | None = None, model: str = "fake") -> dict:
    """A chat.completion body."""
    if completion_tokens is None:
        completion_tokens = math.ceil(1.35 * len(content.split()))
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "finish_reason": finish_reason,
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def answer(content: str | dict | list, **kwargs) -> Reply:
    """A successful answer (a dict or list is sent as its JSON text)."""
    if not isinstance(content, str):
        content = json.dumps(content)
    return Reply(body=completion(content, **kwargs))


def error(status: int, message: str = "", *, headers: dict[str, str] | None = None,
          code: str | None = None) -> Reply:
    """An OpenAI-style error body with ``status``."""
    return Reply(status=status, headers=headers or {},
                 body={"error": {"message": message or f"fake error {status}",
                                 "type": "fake", "code": code}})


def slow(seconds: float, reply: Reply | None = None) -> Reply:
    """``reply`` (by default an automatic answer) after ``seconds``."""
    reply = reply or Reply(body=None)
    reply.delay = seconds
    return reply


# --------------------------------------------------------------------------- auto reply

_SENTENCE = re.compile(r"[^.!?]+[.!?]+")


def _document(request: Request) -> str:
    """The text between <document> tags in the first user message that has them."""
    for message in request.messages:
        content = str(message.get("content") or "")
        match = re.search(r"<document>\s*(.*?)\s*</document>", content, re.S)
        if match:
            return match.group(1)
    return request.text


def _sentences(text: str) -> list[str]:
    lines = [ln for ln in text.splitlines()
             if ln.strip() and not ln.lstrip().startswith(("#", "["))]
    return [s.strip() for s in _SENTENCE.findall(" ".join(lines)) if len(s.split()) >= 3]


def _take_words(sentences: list[str], words: int) -> str:
    out: list[str] = []
    count = 0
    for sentence in sentences:
        n = len(sentence.split())
        if out and count + n > words * 1.1:
            break
        out.append(sentence)
        count += n
        if count >= words * 0.95:
            break
    return " ".join(out)


def _take_chars(sentences: list[str], chars: int) -> str:
    out = ""
    for sentence in sentences:
        candidate = f"{out} {sentence}".strip()
        if len(candidate) > chars:
            break
        out = candidate
    return out or sentences[0][:chars]


def _number(pattern: str, text: str, default: int) -> int:
    match = re.search(pattern, text)
    return int(match.group(1)) if match else default


def auto_reply(request: Request) -> Reply:
    """A plausible answer in the shape and length the prompt asks for."""
    if not request.path.endswith("/chat/completions"):
        return error(404, f"no route {request.path}")
    conversation = request.text
    last = request.last_user
    sentences = _sentences(_document(request)) or ["The source says very little."]
    prompt_tokens = math.ceil(1.35 * len(conversation.split()))
    if '"turns"' in conversation:
        hosts = [h.strip() for h in re.search(r"Hosts: (.+)", conversation).group(1).split(",")]
        words = _number(r"about (\d+) words", last, 200)
        turns = []
        for i, sentence in enumerate(sentences):
            turns.append({"host": hosts[i % len(hosts)], "text": sentence, "chapter": None})
            if sum(len(t["text"].split()) for t in turns) >= words:
                break
        content: Any = {"turns": turns}
    elif '"posts"' in conversation:
        count = _number(r"at most (\d+) posts", conversation, 3)
        chars = _number(r"at most (\d+) characters", conversation, 200)
        content = {"posts": [_take_chars([s], chars) for s in sentences[:count]]}
    elif '"points"' in conversation:
        count = _number(r"the (\d+) most important points", conversation, 5)
        content = {"points": sentences[:count]}
    elif last.startswith("This is part "):  # notes on a part: its sentences, shortened
        shortened = [" ".join(s.split()[:6]).rstrip(",;:") + "." for s in sentences]
        content = _take_words(list(dict.fromkeys(shortened)),  # each note once
                              _number(r"about (\d+) words", last, 100))
    elif re.search(r"at most (\d+) characters", last):
        content = _take_chars(sentences, _number(r"at most (\d+) characters", last, 200))
    else:
        content = _take_words(sentences, _number(r"about (\d+) words", last, 100))
    if not isinstance(content, str):
        content = json.dumps(content)
    return Reply(body=completion(content, prompt_tokens=prompt_tokens))


# --------------------------------------------------------------------------- server

class FakeOpenAI:
    """An OpenAI-compatible server on 127.0.0.1 in a background thread."""

    def __init__(self, responder: Callable[[Request], Reply] = auto_reply):
        self.responder = responder
        self.requests: list[Request] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        #: JSON answers to other paths, as a server's extras (``{"/props": {...}}``);
        #: any other GET of ``.../models`` lists one model, other GETs are 404s; scripted
        #: replies go to chat completions only
        self.routes: dict[str, Any] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control ------------------------------------------------------------------------

    def script(self, *replies: Reply) -> "FakeOpenAI":
        """Queue replies for the next requests, in order."""
        with self._lock:
            self._script.extend(replies)
        return self

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def chat_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def start(self) -> "FakeOpenAI":
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                with server._lock:
                    server.requests.append(Request("GET", self.path, dict(self.headers.items()),
                                                   None))
                if self.path in server.routes:
                    self._reply(Reply(body=server.routes[self.path]))
                elif self.path.endswith("/models"):
                    self._reply(Reply(body={"object": "list",
                                            "data": [{"id": "fake", "object": "model"}]}))
                else:
                    self._reply(error(404, f"no route {self.path}"))

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                request = Request("POST", self.path, dict(self.headers.items()), body)
                with server._lock:
                    server.requests.append(request)
                if self.path in server.routes:
                    self._reply(Reply(body=server.routes[self.path]))
                    return
                chat = self.path.endswith("/chat/completions")
                with server._lock:
                    scripted = server._script.popleft() if server._script and chat else None
                reply = scripted or server.responder(request)
                if reply.body is None:  # slow() around an automatic answer
                    auto = server.responder(request)
                    reply = Reply(auto.status, auto.body, {**auto.headers, **reply.headers},
                                  reply.delay)
                if reply.delay and server._stopping.wait(reply.delay):
                    return
                self._reply(reply)

            def _reply(self, reply: Reply):
                body = reply.body
                data = body if isinstance(body, bytes) else (
                    body.encode() if isinstance(body, str) else json.dumps(body).encode())
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
