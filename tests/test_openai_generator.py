"""The ``openai`` text generator against a local OpenAI-compatible server.

Real sockets and the real ``openai`` client, never the network: every request goes to
:class:`tests.fake_openai.FakeOpenAI` on 127.0.0.1.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from pathlib import Path

import pytest

import engine
from bench.corpus import article
from engine.textgen import GeneratorSettings
from plugins.text import llm_client
from plugins.text.mapreduce import estimate_tokens, pieces
from plugins.text.openai_generator import OpenAIGenerator, trim_chars, trim_words

from .conftest import RECIPES, SAMPLES
from .fake_openai import FakeOpenAI, answer, error, slow

ARTICLE = RECIPES / "article-text.yaml"
KEY = "sk-test-DO-NOT-LEAK-4f9a2c"


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make(server, sleeps):
    """A generator pointed at the fake server, recording its sleeps instead of sleeping."""

    def _make(model="test-model", **settings):
        settings.setdefault("base_url", server.base_url)
        generator = OpenAIGenerator(model, GeneratorSettings(**settings))
        generator.sleep = sleeps.append
        return generator

    return _make


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from engine.plugins import PluginConfig, build_registry
    registry = build_registry(PluginConfig(load_entry_points=False, allowlist=()))
    path = SAMPLES / "article.md"
    return registry.loader_for(path).load(path)


def load_markdown(path: Path) -> engine.Document:
    from engine.plugins import PluginConfig, build_registry
    registry = build_registry(PluginConfig(load_entry_points=False, allowlist=()))
    return registry.loader_for(path).load(path)


def request_tokens(request) -> int:
    """What a request can take of the context: 1.35 tokens per word of every message,
    plus the answer it reserves."""
    words = sum(len(str(m["content"]).split()) for m in request.messages)
    return int(1.35 * words) + request.body.get("max_tokens", 0)


# --------------------------------------------------------------------------- every task

def test_every_task_succeeds_with_json_where_structured(make, server, sample):
    generator = make(temperature=0.2)
    tone = "voice: warm, plain English, no hype"

    summary = generator.summarize(sample, words=150, tone=tone)
    assert 120 <= len(summary.split()) <= 180
    points = generator.key_points(sample, count=5, tone=tone)
    assert 1 <= len(points) <= 5 and all(p.strip() for p in points)
    post = generator.social_post(sample, max_chars=280, tone=tone)
    assert 0 < len(post) <= 280
    thread = generator.thread(sample, max_chars=200, max_posts=4, tone=tone)
    assert 1 <= len(thread) <= 4 and all(len(p) <= 200 for p in thread)
    assert thread[-1].endswith(f"{len(thread)}/{len(thread)}")
    turns = generator.dialogue(sample, hosts=["Alex", "Sam"], words=200, tone=tone)
    assert {host for host, _, _ in turns} == {"Alex", "Sam"}
    assert all(text for _, text, _ in turns)

    requests = server.chat_requests
    assert len(requests) == 5
    assert all(r.body["model"] == "test-model" and r.body["temperature"] == 0.2
               for r in requests)
    assert all(tone in r.messages[0]["content"] for r in requests)  # the tone block
    json_mode = [r.body.get("response_format") == {"type": "json_object"} for r in requests]
    assert json_mode == [False, True, False, True, True]
    assert all(r.headers["authorization"] == "Bearer not-needed" for r in requests)
    spent = generator.take_usage()
    assert spent.requests == 5 and spent.prompt_tokens > 0 and spent.completion_tokens > 0


def test_dialogue_chapters_are_the_documents_headings(make, server, sample):
    headings = [s.heading for s in sample.sections if s.heading]
    server.script(answer({"turns": [
        {"host": "alex", "text": "Welcome to the show.", "chapter": None},
        {"host": "Sam", "text": "Today: trees.", "chapter": headings[0].upper()},
        {"host": "Alex", "text": "Tell me more.", "chapter": "something else entirely"},
    ]}), answer({"turns": [
        {"host": "Alex", "text": "Trees again, briefly.", "chapter": None},
        {"host": "Sam", "text": "Indeed.", "chapter": None}]}))
    turns = make().dialogue(sample, hosts=["Alex", "Sam"], words=40)
    assert turns[:3] == [("Alex", "Welcome to the show.", None),
                         ("Sam", "Today: trees.", headings[0]),
                         ("Alex", "Tell me more.", None)]
    assert len(server.chat_requests) == 2  # 11 words for 40: one corrective request
    assert "between 32 and 48 words" in server.chat_requests[1].last_user


# --------------------------------------------------------------------------- bad answers

def test_malformed_json_is_retried_with_the_error(make, server, sample):
    server.script(answer('{"points": ["The first point.", "The second'))
    points = make().key_points(sample, count=3)
    assert 1 <= len(points) <= 3
    first, retry = server.chat_requests
    assert "not valid JSON" in retry.last_user
    assert retry.messages[-2] == {"role": "assistant",
                                  "content": '{"points": ["The first point.", "The second'}
    assert retry.messages[:2] == first.messages


def test_validation_errors_are_fed_back(make, server, sample):
    server.script(answer({"points": [f"Point {i}." for i in range(7)]}),
                  answer("Here you go: ```json\n{\"points\": [\"One.\", \"Two.\"]}\n```"))
    assert make().key_points(sample, count=3) == ["One.", "Two."]
    assert "at most 3 points, not 7" in server.chat_requests[1].last_user


def test_a_model_that_never_answers_in_shape_fails_clearly(make, server, sample):
    server.script(*[answer({"turns": [{"host": "Bob", "text": "Hi."},
                                      {"host": "Bob", "text": "Hi."}]})] * 3)
    with pytest.raises(engine.GeneratorError) as caught:
        make().dialogue(sample, hosts=["Alex", "Sam"], words=100)
    message = str(caught.value)
    assert "no usable dialogue in 3 answers" in message and "'Bob'" in message
    assert "\n" not in message
    assert len(server.chat_requests) == 3
    assert "not one of Alex, Sam" in server.chat_requests[2].last_user


def test_a_truncated_json_answer_is_reported_as_cut_off(make, server, sample):
    server.script(answer('{"posts": ["One post", "Two', finish_reason="length"))
    assert make().thread(sample, max_chars=280, max_posts=3)
    assert "cut off" in server.chat_requests[1].last_user


def test_servers_that_refuse_response_format_get_requests_without_it(make, server, sample):
    server.script(error(400, "Unrecognized request argument supplied: response_format"))
    generator = make()
    assert generator.key_points(sample, count=2)
    assert generator.key_points(sample, count=3)
    formats = ["response_format" in r.body for r in server.chat_requests]
    assert formats == [True, False, False]


# --------------------------------------------------------------------------- lengths

def test_summary_too_long_is_corrected_then_trimmed(make, server, sample):
    long = " ".join(f"Sentence number {i} says one more thing about trees." for i in range(40))
    server.script(answer(long), answer(long))
    summary = make().summarize(sample, words=50)
    assert 40 <= len(summary.split()) <= 60
    assert summary.endswith(".")
    first, follow_up = server.chat_requests
    assert "That summary has 360 words" in follow_up.last_user
    assert follow_up.messages[-2]["role"] == "assistant"


def test_summary_too_short_is_accepted_after_one_correction(make, server, sample):
    server.script(answer("Trees matter."), answer("Trees matter a lot."))
    assert make().summarize(sample, words=100) == "Trees matter a lot."
    assert len(server.chat_requests) == 2


def test_summary_within_range_needs_one_request(make, server, sample):
    make().summarize(sample, words=150)
    assert len(server.chat_requests) == 1


def test_a_post_is_never_over_its_limit(make, server, sample):
    long = " ".join(f"A canopy is the layer of leaves that covers {n} square metres of ground."
                    for n in range(10))  # distinct sentences: a repeated one is a loop
    server.script(answer(long), answer(long))
    post = make().social_post(sample, max_chars=120)
    assert 0 < len(post) <= 120 and post.endswith(".")
    assert "at most 120 characters" in server.chat_requests[1].last_user
    server.script(answer("x" * 500), answer("y" * 500))
    assert len(make().social_post(sample, max_chars=60)) <= 60


def test_thread_posts_are_corrected_then_trimmed(make, server, sample):
    long = " ".join(f"Trees cool {n} streets in summer and cut noise from traffic too."
                    for n in range(8))
    server.script(answer({"posts": ["Short opener.", long]}),
                  answer({"posts": ["1/2 Short opener.", long]}))
    posts = make().thread(sample, max_chars=140, max_posts=3)
    assert posts[0] == "Short opener. 1/2"
    assert len(posts) == 2 and all(len(p) <= 140 for p in posts)
    assert "too long (post number 2)" in server.chat_requests[1].last_user
    assert "every post is at most 136 characters" in server.chat_requests[1].last_user
    assert "The last post" not in server.chat_requests[0].last_user


def test_only_a_threads_last_post_gives_up_room_for_its_closing(make, server, sample):
    middle = "Trees cool the street in summer, slow the traffic and hold back the rain in storms."
    last = "Cities that water young trees keep them: a newly planted street tree may need 100 litres a week."
    server.script(answer({"posts": [middle, last]}), answer({"posts": [middle, last]}))
    posts = make().thread(sample, max_chars=140, max_posts=3, last_max_chars=80)
    # 80 characters less " 3/3": the model is told, asked again, and the last post trimmed
    assert "The last post must be at most 76 characters" in server.chat_requests[0].last_user
    assert "too long (post number 2)" in server.chat_requests[1].last_user
    assert posts[0] == f"{middle} 1/2" and len(posts[0]) > 80
    assert len(posts[1]) <= 80 and posts[1].endswith(" 2/2")


def test_trimming_helpers_respect_limits():
    text = "One two three. Four five six seven. Eight nine."
    assert trim_words(text, 8) == "One two three. Four five six seven."
    assert trim_words("a " * 30 + "end.", 5).endswith("…")
    assert trim_chars(text, 20) == "One two three."
    assert len(trim_chars("word " * 100, 30)) <= 30


# --------------------------------------------------------------------------- transport

def test_429_waits_as_long_as_retry_after_says(make, server, sleeps, sample):
    server.script(error(429, "slow down", headers={"Retry-After": "7"}))
    assert make().key_points(sample, count=2)
    assert sleeps == [7.0]
    assert len(server.chat_requests) == 2


def test_retry_after_as_an_http_date(make, server, sleeps, sample):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    server.script(error(503, headers={"Retry-After": when}))
    make().social_post(sample, max_chars=200)
    assert len(sleeps) == 1 and 27 <= sleeps[0] <= 30


def test_server_errors_back_off_with_full_jitter(make, server, sleeps, sample):
    server.script(error(500), error(502), error(500))
    make().social_post(sample, max_chars=200)
    assert len(sleeps) == 3
    assert all(0 <= s <= c for s, c in zip(sleeps, (1, 2, 4)))


def test_retries_are_bounded(make, server, sleeps, sample):
    server.script(*[error(500, "boom")] * 10)
    with pytest.raises(engine.GeneratorError, match=r"failed after 3 attempts: HTTP 500: boom"):
        make(max_retries=2).social_post(sample, max_chars=200)
    assert len(sleeps) == 2 and len(server.chat_requests) == 3


def test_a_timeout_is_retried(make, server, sleeps, sample):
    server.script(slow(3.0))
    started = time.perf_counter()
    post = make(timeout=0.4).social_post(sample, max_chars=200)
    assert post and len(sleeps) == 1
    assert len(server.chat_requests) == 2
    assert time.perf_counter() - started < 2.5


def test_a_refused_key_is_one_line_without_the_key(make, server, sample, monkeypatch):
    monkeypatch.setenv("MY_LLM_KEY", KEY)
    server.script(error(401, f"Incorrect API key provided: {KEY}. Find yours online."))
    with pytest.raises(engine.GeneratorError) as caught:
        make(api_key_env="MY_LLM_KEY").summarize(sample, words=50)
    message = str(caught.value)
    assert message.startswith("the API key in $MY_LLM_KEY was refused (HTTP 401 from")
    assert KEY not in message and KEY not in repr(caught.value) and "\n" not in message
    assert len(server.chat_requests) == 1  # never retried
    assert server.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_openai_without_a_key_names_the_variable_and_sends_nothing(sample):
    generator = OpenAIGenerator(None, GeneratorSettings())
    assert generator.model == "gpt-4o-mini"
    with pytest.raises(engine.GeneratorError) as caught:
        generator.summarize(sample, words=50)
    assert str(caught.value).startswith("no API key for OpenAI: $OPENAI_API_KEY is not set")
    assert generator.take_usage().requests == 0


def test_identity_has_what_changes_answers_and_never_the_key(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    base = OpenAIGenerator("m", GeneratorSettings())
    assert base.identity().startswith("openai:m@1 url=https://api.openai.com/v1 "
                                      "temperature=0.3 context=16000 prompts=")
    others = {
        OpenAIGenerator("other", GeneratorSettings()).identity(),
        OpenAIGenerator("m", GeneratorSettings(temperature=0.7)).identity(),
        OpenAIGenerator("m", GeneratorSettings(base_url="http://localhost:11434/v1")).identity(),
    }
    assert base.identity() not in others and len(others) == 3
    monkeypatch.setenv("OPENAI_API_KEY", "another-key")
    assert OpenAIGenerator("m", GeneratorSettings()).identity() == base.identity()
    secret_url = OpenAIGenerator("m", GeneratorSettings(
        base_url=f"https://user:{KEY}@gateway.example/v1?api-key={KEY}")).identity()
    assert KEY not in secret_url and "url=https://gateway.example/v1 " in secret_url


def test_retry_after_parsing():
    assert llm_client.retry_after({"retry-after": "2.5"}) == 2.5
    assert llm_client.retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert llm_client.retry_after({"retry-after": "soon"}) is None
    assert llm_client.retry_after({}) is None
    past = email.utils.formatdate(time.time() - 60, usegmt=True)
    assert llm_client.retry_after({"retry-after": past}) == 0.0


# --------------------------------------------------------------------------- prompts

def test_prompt_overrides_replace_built_ins_and_change_the_identity(make, server, sample,
                                                                    tmp_path):
    folder = tmp_path / "prompts"
    folder.mkdir()
    (folder / "post.txt").write_text("POST ABOUT $title IN $max_chars CHARS $tone_block\n"
                                     "<document>\n$document\n</document>")
    custom = make(prompts=str(folder))
    assert custom.identity() != make().identity()
    custom.social_post(sample, max_chars=200, tone="cheerful")
    sent = server.chat_requests[0].last_user
    assert sent.startswith(f"POST ABOUT {sample.title} IN 200 CHARS Brand and tone")

    (folder / "sumary.txt").write_text("typo")
    with pytest.raises(engine.GeneratorError, match=r"did you mean summary.txt"):
        make(prompts=str(folder)).identity()


def test_a_template_with_an_unknown_placeholder_is_a_clear_error(make, sample, tmp_path):
    (tmp_path / "post.txt").write_text("Write about $topic")
    with pytest.raises(engine.GeneratorError, match=r"post.txt uses \$topic"):
        make(prompts=str(tmp_path)).social_post(sample, max_chars=200)


# --------------------------------------------------------------------------- long inputs

def long_document(tmp_path: Path, words: int = 100_000) -> engine.Document:
    per_section = 10
    while True:
        text = article(3, sections=7, sentences_per_section=per_section)
        if len(text.split()) >= words * 1.02:
            break
        per_section = int(per_section * words * 1.05 / len(text.split())) + 1
    path = tmp_path / "long.md"
    path.write_text(text)
    return load_markdown(path)


def test_a_100k_word_document_is_summarised_by_map_reduce(make, server, tmp_path):
    doc = long_document(tmp_path)
    assert doc.word_count() >= 100_000
    generator = make()
    started = time.perf_counter()
    summary = generator.summarize(doc, words=300)
    elapsed = time.perf_counter() - started
    assert 240 <= len(summary.split()) <= 360

    requests = server.chat_requests
    maps, final = requests[:-1], requests[-1]
    assert len(maps) >= 5
    assert all("This is part" in r.last_user for r in maps)
    assert f"part {len(maps)} of {len(maps)}" in maps[-1].last_user
    assert "notes on each of its parts" in final.last_user
    assert "Summarise the document below in about 300 words" in final.last_user
    budget = generator.settings.context_tokens
    assert max(request_tokens(r) for r in requests) <= budget
    assert generator.take_usage().requests == len(requests)
    print(f"\n100k words: {len(maps)} map requests + 1 reduce, {elapsed:.2f} s")

    # the notes are remembered: other outputs of the same source need one request each
    before = len(server.chat_requests)
    assert generator.key_points(doc, count=5)
    assert len(server.chat_requests) == before + 1


def test_big_sections_split_at_paragraphs_and_notes_condense_recursively(make, server,
                                                                         tmp_path):
    doc = long_document(tmp_path, words=20_000)
    for piece in pieces(doc, 1000):
        assert estimate_tokens(piece.text) <= 1000
    generator = make(context_tokens=1500)
    post = generator.social_post(doc, max_chars=200)
    assert 0 < len(post) <= 200
    requests = server.chat_requests
    parts_of_round = [int(r.last_user.split(" of ")[1].split()[0])
                      for r in requests if r.last_user.startswith("This is part 1 of")]
    assert len(parts_of_round) >= 2  # the notes themselves were condensed again
    assert parts_of_round == sorted(parts_of_round, reverse=True)
    assert max(request_tokens(r) for r in requests) <= 1500


def test_a_context_too_small_for_the_answer_is_a_clear_error(make, server, sample):
    with pytest.raises(engine.GeneratorError, match=r"a context of 1000 tokens leaves no room"):
        make(context_tokens=1000).summarize(sample, words=1000)
    assert server.chat_requests == []


# --------------------------------------------------------------------------- through the CLI

def manifest(out: Path, slug: str = "article") -> dict:
    return json.loads((out / slug / "manifest.json").read_text())


def check_article_outputs(folder: Path) -> None:
    expected = {"tldr.md", "summary-50.md", "summary-150.md", "summary-400.md",
                "key-points.md", "post-50.md", "post-150.md", "post-400.md", "thread.md",
                "thread.json", "manifest.json"}
    assert expected <= {p.name for p in folder.iterdir()}
    for words in (50, 150, 400):
        count = len((folder / f"summary-{words}.md").read_text().split())
        assert 0.8 * words <= count <= 1.2 * words
    for words in (50, 150, 400):
        assert 0 < len((folder / f"post-{words}.md").read_text().strip()) <= 280
    posts = json.loads((folder / "thread.json").read_text())["posts"]
    assert 1 <= len(posts) <= 6 and all(len(p) <= 280 for p in posts)
    points = (folder / "key-points.md").read_text().splitlines()
    assert 1 <= len(points) <= 5 and all(p.startswith("- ") for p in points)


def test_the_same_recipe_runs_offline_and_with_openai(invoke, server, tmp_path, monkeypatch,
                                                       caplog):
    offline = tmp_path / "offline"
    result = invoke("run", ARTICLE, SAMPLES / "article.md", "-o", offline)
    assert result.exit_code == 0, result.output
    check_article_outputs(offline / "article")
    assert server.requests == []

    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    server.script(error(429, headers={"Retry-After": "0"}))  # a retry gets logged
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "llm"
    result = invoke("run", ARTICLE, SAMPLES / "article.md", "-o", out,
                    "--generator", "openai:test-model")
    assert result.exit_code == 0, result.output
    check_article_outputs(out / "article")
    sent = len(server.chat_requests)
    assert sent >= 9

    steps = manifest(out)["steps"]
    assert all(s["model"].startswith("openai:test-model@1 url=http://127.0.0.1:") for s in steps)
    usage = [s["metrics"]["usage"] for s in steps]
    assert sum(u["requests"] for u in usage) == sent  # the 429 counts too
    assert sum(u["failed_requests"] for u in usage) == 1
    assert all(u["prompt_tokens"] > 0 and u["completion_tokens"] > 0 for u in usage)

    # a re-run is served from the batch index: not one request, the manifest untouched
    before = (out / "article" / "manifest.json").read_bytes()
    result = invoke("run", ARTICLE, SAMPLES / "article.md", "-o", out,
                    "--generator", "openai:test-model")
    assert result.exit_code == 0, result.output
    assert len(server.chat_requests) == sent
    assert f"(0 steps ran, {len(steps)} from cache)" in result.output
    assert (out / "article" / "manifest.json").read_bytes() == before

    # the key is nowhere: outputs, manifests, the cache, the report, the logs
    assert "retry 1 of 5" in caplog.text
    leaks = [p for root in (out, tmp_path / "cache") for p in root.rglob("*")
             if p.is_file() and KEY.encode() in p.read_bytes()]
    assert leaks == []
    assert KEY not in result.output and KEY not in caplog.text


def test_a_refused_key_fails_the_source_in_one_line_through_the_cli(invoke, server, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    server.responder = lambda request: error(401, f"bad key {KEY}")
    out = tmp_path / "out"
    result = invoke("run", ARTICLE, SAMPLES / "article.md", "-o", out,
                    "--generator", "openai:test-model", "--only", "tldr")
    assert result.exit_code == 1
    failure = manifest(out)["error"]
    assert "the API key in $OPENAI_API_KEY was refused" in failure
    assert "\n" not in failure and KEY not in failure and KEY not in result.output


def test_the_llm_block_points_a_recipe_at_a_server(invoke, server, tmp_path, monkeypatch):
    monkeypatch.setenv("MY_GATEWAY_KEY", KEY)
    recipe = tmp_path / "llm.yaml"
    recipe.write_text(f"""
name: llm
defaults:
  generator: openai:llama3.2
  tone: "voice: warm, plain English, no hype"
  llm:
    base_url: {server.base_url}
    api_key_env: MY_GATEWAY_KEY
    context_tokens: 8000
steps:
  - id: tldr
    use: summary
    with:
      words: 25
  - id: points
    use: key-points
""")
    out = tmp_path / "out"
    result = invoke("run", recipe, SAMPLES / "article.md", "-o", out)
    assert result.exit_code == 0, result.output
    requests = server.chat_requests
    assert len(requests) == 2
    assert all(r.body["model"] == "llama3.2" for r in requests)
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in requests)
    assert all("voice: warm, plain English" in r.messages[0]["content"] for r in requests)
    steps = manifest(out)["steps"]
    assert all("context=8000" in s["model"] and KEY not in json.dumps(s) for s in steps)


def test_a_server_that_wants_a_key_when_none_is_set_says_so(make, server, sample):
    server.script(error(401, "missing bearer token"))
    with pytest.raises(engine.GeneratorError, match=r"wants an API key, and \$OPENAI_API_KEY "
                                                    r"is not set \(set OPENAI_API_KEY"):
        make().social_post(sample, max_chars=200)
