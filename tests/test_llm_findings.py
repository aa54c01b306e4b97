"""The seven things a tiny local model (SmolLM2-135M behind llama.cpp's server) got
through as ``ok`` (issue 18), each reproduced with the fake server answering the way
that model did, and now caught.

1. the prompt's shape example handed back as the answer;
2. the prompt's ``</document>`` delimiter (or a chat-template token) left in an answer;
3. map notes that are the part copied word for word, cut off at the token limit;
4. ``--only`` rewriting the manifest without the steps it did not run;
5. failed attempts missing from the manifest's usage;
6. the summary table naming only the first failed step of a source;
7. the context size assumed instead of asked of the server.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import engine
from engine.textgen import GeneratorSettings
from plugins.text import answer_checks
from plugins.text.openai_generator import PROMPTS_DIR, OpenAIGenerator

from .conftest import RECIPES, SAMPLES
from .fake_openai import FakeOpenAI, Reply, answer, auto_reply, completion, error
from .test_openai_generator import long_document

ARTICLE = RECIPES / "article-text.yaml"


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def make(server):
    def _make(model="smollm2", **settings):
        settings.setdefault("base_url", server.base_url)
        generator = OpenAIGenerator(model, GeneratorSettings(**settings))
        generator.sleep = lambda seconds: None
        return generator
    return _make


@pytest.fixture(scope="module")
def sample():
    from engine.plugins import PluginConfig, build_registry
    registry = build_registry(PluginConfig(load_entry_points=False, allowlist=()))
    path = SAMPLES / "article.md"
    return registry.loader_for(path).load(path)


def shape_example(request) -> str:
    """The JSON example of the answer's shape, as the request's prompt shows it."""
    for message in request.messages:
        found = re.search(r"^\{.*\}$", str(message.get("content") or ""), re.M)
        if found:
            return found.group(0)
    raise AssertionError("the prompt shows no shape example")


def echo_the_example(request) -> Reply:
    """What SmolLM2-135M did with a structured task: hand back the prompt's example."""
    if '"posts"' in request.text or '"turns"' in request.text or '"points"' in request.text:
        return Reply(body=completion(shape_example(request)))
    return auto_reply(request)


# --------------------------------------------------------------------------- 1. echoes

def test_prompts_show_the_shape_with_placeholders_only():
    for name in ("key_points", "thread", "dialogue"):
        template = (PROMPTS_DIR / f"{name}.txt").read_text()
        example = json.loads(re.search(r"^\{.*\}$", template, re.M).group(0)
                             .replace("$first_host", "Alex"))
        strings = re.findall(r'"([^"]*)"', json.dumps(example))
        values = [s for s in strings if s not in {"points", "posts", "turns", "host",
                                                   "text", "chapter", "Alex"}]
        assert values and all(answer_checks.PLACEHOLDER.fullmatch(v) for v in values), name


def test_a_thread_copied_from_the_prompt_is_refused(make, server, sample):
    server.responder = echo_the_example
    with pytest.raises(engine.GeneratorError, match=r"no usable thread in 3 answers: post 1 "
                                                    r"copies the prompt"):
        make().thread(sample, max_chars=280, max_posts=6)
    corrections = [r.last_user for r in server.chat_requests[1:]]
    assert len(corrections) == 2
    assert all("copies the prompt's instructions or example" in c for c in corrections)


def test_a_dialogue_copied_from_the_prompt_is_refused(make, server, sample):
    server.responder = echo_the_example
    with pytest.raises(engine.GeneratorError, match=r"no usable dialogue"):
        make().dialogue(sample, hosts=["Alex", "Sam"], words=300)


def test_the_old_examples_are_caught_too():
    """The examples the prompts used to show, copied back: refused wherever they appear."""
    old = 'Answer with only a JSON object of this shape:\n{"posts": ["First post.", "Second post."]}'
    assert answer_checks.copied_from_prompt("First post.", old) == "First post."
    assert answer_checks.copied_from_prompt("Second post.", old) == "Second post."
    assert answer_checks.copied_from_prompt("What the host says.",
                                            '{"text": "What the host says."}')
    # a real post sharing a word or two with the instructions is fine
    assert answer_checks.copied_from_prompt(
        "Cities that plant trees now will be cooler by 2040.", old) is None
    assert answer_checks.copied_from_prompt("Post.", old) is None


def test_an_answer_repeating_the_instructions_is_sent_back(make, server, sample):
    server.script(answer("Answer with only the text of the post, at most 200 characters."),
                  answer("Street trees cool a block by several degrees on a hot day."))
    post = make().social_post(sample, max_chars=200)
    assert post == "Street trees cool a block by several degrees on a hot day."
    assert "copies the prompt's instructions" in server.chat_requests[1].last_user


def test_a_copied_example_among_good_points_is_refused(make, server, sample):
    server.script(answer({"points": ["Trees cool streets.", "<another point>"]}),
                  answer({"points": ["Trees cool streets.", "Cities count their trees."]}))
    assert make().key_points(sample, count=3) == ["Trees cool streets.",
                                                   "Cities count their trees."]
    assert "point 2 copies" in server.chat_requests[1].last_user


# --------------------------------------------------------------------------- 2. markup

def test_a_trailing_delimiter_is_stripped(make, server, sample):
    """post-150.md ended with </document>, status ok."""
    server.script(answer("Mature street trees make a block feel cooler.</document>"))
    assert make().social_post(sample, max_chars=280) == \
        "Mature street trees make a block feel cooler."
    assert len(server.chat_requests) == 1


@pytest.mark.parametrize("leaked", ["<|im_end|>", "<|eot_id|>", "</s>", "<end_of_turn>",
                                    "<|im_end|>\n<|im_start|>assistant"])
def test_chat_template_tokens_at_the_edges_are_stripped(make, server, sample, leaked):
    server.script(answer(f"<|im_start|>assistant\nTrees cool the city.{leaked}\n"))
    assert make().social_post(sample, max_chars=280) == "Trees cool the city."


def test_markup_inside_an_answer_is_sent_back(make, server, sample):
    server.script(answer({"posts": ["Trees cool streets. </document> <document> More.",
                                    "Count them."]}),
                  answer({"posts": ["Trees cool streets.", "Cities count them."]}))
    posts = make().thread(sample, max_chars=280, max_posts=3)
    assert posts == ["Trees cool streets. 1/2", "Cities count them. 2/2"]
    assert "contains </document>, which is markup" in server.chat_requests[1].last_user


def test_markup_that_never_goes_away_fails_the_step_in_one_line(make, server, sample):
    server.responder = lambda request: answer("Trees <|im_end|> cool <|im_start|> streets.")
    with pytest.raises(engine.GeneratorError) as caught:
        make().social_post(sample, max_chars=280)
    assert "\n" not in str(caught.value) and "markup" in str(caught.value)


# --------------------------------------------------------------------------- 3. map notes

def copy_the_part(request) -> Reply:
    """What SmolLM2-135M did with a part of a long document: copy it until the token
    limit cuts it off."""
    if request.last_user.startswith("This is part ") or "Write the notes again" in \
            request.last_user:
        part = re.search(r"<document>\s*(.*?)\s*</document>", request.text, re.S).group(1)
        words = part.split()[:int(request.body["max_tokens"] / 1.35)]
        return Reply(body=completion(" ".join(words), finish_reason="length"))
    return auto_reply(request)


def test_map_notes_copied_from_the_part_fall_back_to_extractive_notes(make, server,
                                                                      tmp_path):
    doc = long_document(tmp_path, words=6000)
    server.responder = copy_the_part
    generator = make(context_tokens=3000)
    summary = generator.summarize(doc, words=100)
    assert 80 <= len(summary.split()) <= 120

    maps = [r for r in server.chat_requests if r.last_user.startswith("This is part ")]
    parts = int(re.search(r"of (\d+)", maps[0].last_user).group(1))
    assert len(maps) == parts >= 2
    # each part: asked three times (the later two asking for shorter notes), then given up
    retries = [r for r in server.chat_requests if "Write the notes again, at most" in r.last_user]
    assert len(retries) == 2 * parts
    assert all("cut off at the length limit" in r.last_user for r in retries)

    # the final request reads extractive notes, not the cut-off copies
    final = server.chat_requests[-1]
    notes = re.search(r"<document>\s*(.*?)\s*</document>", final.text, re.S).group(1)
    for part in range(1, parts + 1):
        assert f"[Part {part} of {parts}" in notes
    # the part's own sentences (the extractive generator may drop a connective that lost
    # its anchor, "have since copied" -> "have copied")
    shares = [answer_checks.copied_share(line, doc.text())
              for line in notes.split("\n") if line and not line.startswith(("[", "("))]
    assert sum(shares) / len(shares) >= 0.9 and min(shares) >= 0.6
    remarks = generator.take_notes()
    fallbacks = [n for n in remarks if "picked from its own sentences (extractive)" in n]
    assert len(fallbacks) == parts
    assert "cut off at the length limit" in fallbacks[0]


def test_map_notes_that_copy_the_part_are_refused_even_when_not_cut_off(make, server,
                                                                      tmp_path):
    doc = long_document(tmp_path, words=6000)

    def copy_briefly(request):
        if "<document>" in request.text and ("This is part " in request.text):
            part = re.search(r"<document>\s*(.*?)\s*</document>", request.text, re.S).group(1)
            sentences = [ln for ln in part.splitlines() if ln and not ln.startswith("#")]
            return answer(" ".join(" ".join(sentences).split()[:60]))
        return auto_reply(request)

    server.responder = copy_briefly
    generator = make(context_tokens=3000)
    generator.summarize(doc, words=100)
    refused = [r.last_user for r in server.chat_requests
               if "copied word for word from the part" in r.last_user]
    assert refused
    assert any("extractive" in n for n in generator.take_notes())


def test_good_map_notes_are_used_as_they_are(make, server, tmp_path):
    doc = long_document(tmp_path, words=6000)
    generator = make(context_tokens=3000)
    generator.summarize(doc, words=100)
    assert not any("Write the notes again" in r.last_user for r in server.chat_requests)
    assert not any("extractive" in n for n in generator.take_notes())


# --------------------------------------------------------------------------- CLI helpers

def manifest(out: Path, slug: str = "article") -> dict:
    return json.loads((out / slug / "manifest.json").read_text())


def fail_key_points(request) -> Reply:
    """Key points the model never gets right; everything else answered well."""
    if '"points"' in request.text:
        return answer("I cannot do that.")
    return auto_reply(request)


@pytest.fixture
def pointed(server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    return server


# --------------------------------------------------------------------------- 4. --only

def test_only_merges_into_the_manifest(invoke, pointed, tmp_path):
    pointed.responder = fail_key_points
    out = tmp_path / "out"
    first = invoke("run", ARTICLE, SAMPLES / "article.md", "-o", out,
                   "--generator", "openai:smollm2")
    assert first.exit_code == 1
    before = {s["id"]: s for s in manifest(out)["steps"]}
    assert before["key-points"]["status"] == "failed"

    again = invoke("run", ARTICLE, SAMPLES / "article.md", "-o", out,
                   "--generator", "openai:smollm2", "--only", "tldr", "--set", "tldr.words=30")
    assert again.exit_code == 0, again.output
    after = manifest(out)
    steps = {s["id"]: s for s in after["steps"]}
    assert list(steps) == list(before)  # every step kept, in the recipe's order
    assert after["status"] == "failed" and after["error"].startswith("step key-points: ")
    assert after["only"] == {"steps": ["tldr"], "status": "ok", "error": ""}
    assert steps["tldr"]["status"] == "ok" and "this_run" not in steps["tldr"]
    assert steps["tldr"]["params"]["words"] == 30
    assert steps["key-points"]["this_run"] is False
    assert steps["key-points"]["status"] == "failed"
    assert steps["key-points"]["error"] == before["key-points"]["error"]
    assert steps["thread"] == {**before["thread"], "this_run": False}


def test_only_on_a_fresh_folder_writes_what_ran(invoke, pointed, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", ARTICLE, SAMPLES / "article.md", "-o", out,
                    "--generator", "openai:smollm2", "--only", "tldr")
    assert result.exit_code == 0, result.output
    assert [s["id"] for s in manifest(out)["steps"]] == ["tldr"]
    assert manifest(out)["status"] == "ok"


# --------------------------------------------------------------------------- 5. usage

def test_usage_counts_failed_attempts_and_failed_steps(invoke, pointed, tmp_path):
    pointed.responder = fail_key_points
    pointed.script(error(500), error(503, headers={"Retry-After": "0"}))
    out = tmp_path / "out"
    invoke("run", ARTICLE, SAMPLES / "article.md", "-o", out, "--generator", "openai:smollm2")
    steps = manifest(out)["steps"]
    usage = {s["id"]: s["metrics"]["usage"] for s in steps}
    assert sum(u["requests"] for u in usage.values()) == len(pointed.chat_requests)
    assert sum(u["failed_requests"] for u in usage.values()) == 2
    assert usage["key-points"]["requests"] == 3  # three unusable answers, all counted
    assert usage["key-points"]["completion_tokens"] > 0


# --------------------------------------------------------------------------- 6. summary

def test_the_summary_names_every_failed_step(invoke, pointed, tmp_path):
    def fail_points_and_thread(request):
        if '"points"' in request.text or '"posts"' in request.text:
            return answer("I cannot do that.")
        return auto_reply(request)

    pointed.responder = fail_points_and_thread
    result = invoke("run", ARTICLE, SAMPLES / "article.md", "-o", tmp_path / "out",
                    "--generator", "openai:smollm2")
    assert result.exit_code == 1
    failed = [ln for ln in result.output.splitlines() if ln.startswith("failed: ")]
    assert len(failed) == 2
    assert failed[0].startswith("failed: article.md: step key-points: model smollm2 ")
    assert failed[1].startswith("failed: article.md: step thread: model smollm2 ")
    table = result.output.split("failed: ")[0]
    assert "key-points" in table and "thread" in table


# --------------------------------------------------------------------------- 7. context

@pytest.mark.parametrize("route, body, source", [
    ("/props", {"default_generation_settings": {"n_ctx": 2048}}, "llama.cpp's /props n_ctx"),
    ("/v1/models", {"object": "list", "data": [{"id": "smollm2", "max_model_len": 2048}]},
     "the server's /v1/models max_model_len"),
    ("/api/show", {"parameters": "num_ctx 2048\nstop <|im_end|>",
                   "model_info": {"llama.context_length": 8192}}, "Ollama's /api/show num_ctx"),
])
def test_the_context_size_is_asked_of_the_server(make, server, sample, route, body, source):
    server.routes[route] = body
    generator = make()  # llm.context_tokens: 16000 by default
    generator.summarize(sample, words=150)
    assert generator.context_tokens == 2048
    note = f"context: 2048 tokens, reported by {source}, smaller than llm.context_tokens=16000"
    assert note in generator.take_notes()
    # the 1,550-word article does not fit 2,048 tokens next to a 150-word answer: read in parts
    assert any(r.last_user.startswith("This is part 1 of") for r in server.chat_requests)
    assert all(len(json.dumps(r.messages).split()) * 1.35 + r.body["max_tokens"] <= 2048 * 1.1
               for r in server.chat_requests)


def test_ollama_without_num_ctx_is_taken_at_its_default_window(make, server, sample):
    server.routes["/api/show"] = {"parameters": "stop <|im_end|>",
                                  "model_info": {"llama.context_length": 131072}}
    generator = make(context_tokens=8000)
    assert generator.context_tokens == 4096
    assert "Ollama's default window (4096" in generator.take_notes()[0]


def test_a_bigger_server_context_keeps_the_configured_one(make, server):
    server.routes["/props"] = {"default_generation_settings": {"n_ctx": 32768}}
    generator = make(context_tokens=8000)
    assert generator.context_tokens == 8000
    assert generator.take_notes() == [
        "context: 8000 tokens, from llm.context_tokens (llama.cpp's /props n_ctx reports "
        "32768)"]


def test_a_silent_server_keeps_the_configured_context(make, server):
    generator = make(context_tokens=8000)
    assert generator.context_tokens == 8000
    assert generator.take_notes() == ["context: 8000 tokens, from llm.context_tokens (the "
                                      "server does not report its size)"]
    asked = [r.path for r in server.requests]
    assert asked == ["/v1/models", "/props", "/api/show"]
    generator.context_tokens  # asked once per endpoint
    assert len(server.requests) == 3


def test_the_manifest_says_which_context_was_used(invoke, pointed, tmp_path):
    pointed.routes["/props"] = {"default_generation_settings": {"n_ctx": 8192}}
    out = tmp_path / "out"
    result = invoke("run", ARTICLE, SAMPLES / "article.md", "-o", out,
                    "--generator", "openai:smollm2", "--only", "key-points")
    assert result.exit_code == 0, result.output
    (step,) = manifest(out)["steps"]
    assert ("context: 8192 tokens, reported by llama.cpp's /props n_ctx, smaller than "
            "llm.context_tokens=16000") in step["notes"]
    # a cached re-run asks the server nothing at all
    before = len(pointed.requests)
    invoke("run", ARTICLE, SAMPLES / "article.md", "-o", out,
           "--generator", "openai:smollm2", "--only", "key-points")
    assert len(pointed.requests) == before


# --------------------------------------------------------------------------- seen since

LOOP = ("A new study published by the University of California, Davis found that every "
        "tree planted can save up to 5 trees over its lifetime. This was based on data from "
        "a network of trees used as reference points for urban forestry projects. ")


def test_an_answer_in_a_loop_is_sent_back(make, server, sample):
    """SmolLM2's summary-400 said the same paragraph five times."""
    server.script(answer("The way cities grow has changed. " + LOOP * 5),
                  answer("Cities now plan their street trees like roads and pipes."))
    summary = make().summarize(sample, words=10)
    assert summary == "Cities now plan their street trees like roads and pipes."
    assert "the answer repeats itself" in server.chat_requests[1].last_user


def test_a_chat_reply_about_nothing_is_sent_back(make, server, sample):
    """SmolLM2's post-150 was "I'm ready to help. What's your request?"."""
    server.script(answer("I'm ready to help. What's your request?"),
                  answer("Street trees cool a block by several degrees."))
    assert make().social_post(sample, max_chars=280) == \
        "Street trees cool a block by several degrees."
    assert "says nothing about the document" in server.chat_requests[1].last_user


def test_an_invented_closing_tag_is_markup_too(make, server, sample):
    """SmolLM2's post-400 ended in </post>: stripped at the edge, refused inside."""
    server.script(answer("<post>Trees cool streets.</post>"))
    assert make().social_post(sample, max_chars=280) == "Trees cool streets."
    assert answer_checks.leftover_markup("Trees </post> cool streets.") == "</post>"
    assert answer_checks.copied_from_prompt("</post>", "<a post>") is None


def test_a_source_that_repeats_itself_may_be_quoted_twice():
    twice = "Riders say the hardest part was not the money but the waiting. "
    assert answer_checks.repeated_sentence(twice * 2) is not None
    assert answer_checks.repeated_sentence(twice * 2, document=twice * 3) is None
