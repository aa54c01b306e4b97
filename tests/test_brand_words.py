"""A brand's words in the text outputs, the podcast script and translation: tone, words
to avoid, preferred terms, the call to action with hashtags, host names, the sign-off and
the glossary. Every parameter also works in a recipe without a brand."""

from __future__ import annotations

import re
import textwrap

import pytest

from engine.artifacts import Document, Section
from engine.brand import load_brand
from engine.recipe import read_recipe_file, validate_recipe
from plugins.text.extractive import ExtractiveGenerator
from plugins.text.wording import avoid_pattern, prefer, preferred_document, style_guide

from .conftest import SAMPLES

BRAND = SAMPLES / "brand" / "brand.yaml"


def _doc(*paragraphs: str, title: str = "Street trees") -> Document:
    return Document(title=title, sections=(Section(paragraphs=paragraphs),))


# --------------------------------------------------------------------------- wording

def test_preferred_terms_replace_whole_words_and_keep_case():
    table = {"sidewalk": "footpath", "github": "GitHub", "e-mail": "email"}
    assert prefer("The sidewalk, Sidewalks and SIDEWALK.", table) == \
        "The footpath, Sidewalks and FOOTPATH."
    assert prefer("on github and Github", table) == "on GitHub and GitHub"
    assert prefer("Send an E-mail", table) == "Send an Email"
    doc = preferred_document(_doc("A sidewalk here."), table)
    assert doc.sections[0].paragraphs == ("A footpath here.",)


def test_avoided_words_match_whole_words_and_phrases_in_any_case():
    pattern = avoid_pattern(["cheap", "game changer"])
    assert pattern.search("A CHEAP fix") and pattern.search("a real Game  Changer")
    assert not pattern.search("cheaply done, changers of games")
    assert avoid_pattern([]) is None
    guide = style_guide("Warm.", ["cheap"], {"sidewalk": "footpath"})
    assert guide == "Warm.\nNever use these words or phrases: cheap.\nWrite 'footpath', not 'sidewalk'."


ARTICLE = _doc(
    "Street trees cool the city by shading asphalt and releasing water vapour.",
    "A cheap planting programme often loses most saplings to drought in the first summer.",
    "Watering crews and residents who adopt a tree keep young trees alive.",
    "Species diversity protects a canopy from a single pest wiping it out.",
    "Structural soil gives roots room to grow under the pavement without heaving it.",
    "Lidar maps show exactly where the canopy is missing in a city.",
    title="How cities grow shade")


#: a word only each sentence of ARTICLE has
MARKS = ("asphalt", "cheap", "adopt", "pest", "heaving", "lidar")


@pytest.mark.parametrize("task", ["summary", "key_points", "post", "thread"])
def test_extractive_selection_skips_sentences_with_an_avoided_word(task):
    generator = ExtractiveGenerator()

    def write(avoid):
        if task == "summary":
            return generator.summarize(ARTICLE, words=40, avoid=avoid)
        if task == "key_points":
            return " ".join(generator.key_points(ARTICLE, count=3, avoid=avoid))
        if task == "post":
            return generator.social_post(ARTICLE, max_chars=200, avoid=avoid)
        return " ".join(generator.thread(ARTICLE, max_chars=120, max_posts=3, avoid=avoid))

    chosen = [w for w in MARKS if w in write(()).lower()]
    assert chosen and len(chosen) < len(MARKS)     # a selection, not the whole article
    written = write(chosen)
    assert written.strip()
    assert not any(re.search(rf"\b{w}\b", written, re.I) for w in chosen), written


def test_a_sentence_leaning_on_an_avoided_one_is_skipped_with_it():
    doc = _doc("The old elms were magnificent trees. They shaded every street in town.",
               "Dutch elm disease killed tens of millions of elms across the continent.",
               "Cities replanted with ash, and the emerald ash borer killed those too.",
               title="Elms")
    written = ExtractiveGenerator().summarize(doc, words=20, avoid=["magnificent"])
    assert "magnificent" not in written and "They shaded" not in written


# --------------------------------------------------------------------------- in recipes

def _write(tmp_path, body: str, name: str = "recipe.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def _run(invoke, recipe, out, *extra):
    result = invoke("run", recipe, SAMPLES / "article.md", "-o", out, *extra)
    assert result.exit_code == 0, result.output
    return out / "article"


POSTS = """\
    name: posts
    steps:
      - {id: summary, use: summary, with: {words: 150}}
      - {id: post, use: social-post, from: summary, with: {max_chars: 280}}
      - {id: thread, use: social-post, with: {max_chars: 280, thread: true, max_posts: 6}}
      - {id: key-points, use: key-points}
    """


def test_posts_end_with_the_brands_call_to_action_and_hashtags_within_the_limit(
        invoke, tmp_path):
    brand = load_brand(BRAND).brand
    cta = f"{brand.words.call_to_action.text} {brand.words.call_to_action.link}"
    tags = " ".join("#" + t for t in brand.words.hashtags)
    out = _run(invoke, _write(tmp_path, POSTS), tmp_path / "out", "--brand", BRAND)
    post = (out / "post.md").read_text()
    thread = (out / "thread.md").read_text()
    import json
    parts = json.loads((out / "thread.json").read_text())["posts"]
    for text in [post.split("\n", 2)[-1].strip() if post.startswith("#") else post.strip(),
                 *parts]:
        assert len(text) <= 280, text
    assert parts[-1].endswith(f"{cta}\n{tags}")
    assert all(cta not in p for p in parts[:-1])
    assert post.rstrip().endswith(f"{cta}\n{tags}")
    assert thread.rstrip().endswith(f"{cta}\n{tags}")
    # the avoided words are never chosen, the preferred term replaces the source's
    everything = " ".join(p.read_text() for p in out.glob("*.md")).lower()
    assert "magnificent" not in everything and "cheap" not in everything
    assert "sidewalk" not in everything


def test_only_a_threads_last_post_gives_up_room_for_the_closing(invoke, tmp_path):
    """The call to action and hashtags go on the last post; the posts before it may use
    the whole limit."""
    import json

    brand = load_brand(BRAND).brand
    closing = (f"{brand.words.call_to_action.text} {brand.words.call_to_action.link}\n"
               + " ".join("#" + t for t in brand.words.hashtags))
    out = _run(invoke, _write(tmp_path, POSTS), tmp_path / "out", "--brand", BRAND)
    parts = json.loads((out / "thread.json").read_text())["posts"]
    assert len(parts) >= 2 and all(len(p) <= 280 for p in parts)
    assert parts[-1].endswith(f"\n\n{closing}")
    assert not any(tag in p for p in parts[:-1] for tag in ("#", "https://", "Plant one"))
    # before: every post was held to 280 - len(closing) - 2 characters
    assert max(len(p) for p in parts[:-1]) > 280 - len(closing) - 2


def test_the_same_parameters_work_in_a_recipe_without_a_brand(invoke, tmp_path):
    recipe = _write(tmp_path, """\
        name: plain
        steps:
          - id: post
            use: social-post
            with:
              max_chars: 200
              call_to_action: Read it
              link: https://example.com/a
              hashtags: [trees, "#shade"]
              avoid: [canopy]
              preferred: {trees: Trees}
        """)
    out = _run(invoke, recipe, tmp_path / "out")
    body = (out / "post.md").read_text().strip()
    assert body.endswith("Read it https://example.com/a\n#trees #shade")
    text = body.split("\n", 2)[-1] if body.startswith("#") else body
    assert len(text) <= 200 and "canopy" not in text.lower()


def test_hashtags_that_do_not_fit_are_left_off_with_a_note(registry, tmp_path):
    from engine.transform import Context
    step = registry.transform("social-post")
    params = step.Params(max_chars=100, call_to_action="Read the whole story at",
                         link="https://example.com", hashtags=["one", "two", "three"])
    ctx = Context(registry=registry, step_id="post", source_name="a.md")
    text = step.run(ARTICLE, params, ctx)
    assert len(text.body) <= 100
    assert text.body.endswith("https://example.com\n#one #two")
    assert any("left off #three" in n for n in ctx.notes), ctx.notes


def test_brand_fills_text_script_and_translation_parameters_beneath_the_recipe(registry,
                                                                              tmp_path):
    recipe = _write(tmp_path, f"""\
        name: branded
        brand: {BRAND}
        steps:
          - {{id: summary, use: summary}}
          - {{id: post, use: social-post, with: {{hashtags: [Own]}}}}
          - {{id: script, use: podcast-script}}
          - {{id: pt, use: translate, from: summary, with: {{language: pt-BR}}}}
          - {{id: podcast, use: podcast, from: script}}
        """)
    recipe = validate_recipe(read_recipe_file(recipe), registry)
    params = {node.id: node.params for node in recipe.nodes}
    brand = load_brand(BRAND).brand
    assert params["summary"].tone == brand.words.tone
    assert params["summary"].avoid == brand.words.avoid
    assert params["post"].call_to_action == brand.words.call_to_action.text
    assert params["post"].hashtags == ["#Own"]                       # the step wins
    assert params["script"].hosts == ["Maya", "Theo"]
    assert params["script"].sign_off == brand.words.sign_off
    assert params["script"].preferred == brand.words.preferred
    assert params["pt"].glossary == brand.words.glossary
    feed = params["podcast"].feed
    assert feed.base_url == "https://example.org/podcast/" and feed.title == brand.show.title
    assert feed.copyright == brand.copyright and feed.artwork.endswith("artwork.png")
    assert all(node.brand for node in recipe.nodes)


def test_the_script_uses_the_brands_host_names_and_signs_off(invoke, tmp_path):
    recipe = _write(tmp_path, """\
        name: script
        steps:
          - {id: podcast-script, use: podcast-script, with: {minutes: 2}}
        """)
    out = _run(invoke, recipe, tmp_path / "out", "--brand", BRAND)
    import json
    script = json.loads((out / "podcast-script.json").read_text())
    speakers = [t["speaker"] for t in script["turns"]]
    assert set(speakers) == {"Maya", "Theo"}
    assert "Maya" in script["turns"][0]["text"] and "Theo" in script["turns"][0]["text"]
    last = script["turns"][-1]
    assert last["speaker"] == "Maya"
    assert last["text"].endswith("This has been Green City Press. Go find some shade.")
    assert (out / "podcast-script.md").read_text().count("Go find some shade.") == 1
    # the brand's preferred term: the article's "sidewalk" is said as "footpath"
    said = " ".join(t["text"] for t in script["turns"])
    assert "footpath" in said and "sidewalk" not in said.lower()


def test_a_language_model_is_told_the_brands_tone_and_words_and_its_slips_are_noted(
        invoke, tmp_path, monkeypatch):
    import json

    from .fake_openai import FakeOpenAI, answer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    recipe = _write(tmp_path, """\
        name: llm
        steps:
          - {id: tldr, use: summary, with: {words: 25}}
        """)
    slip = ("Cities grow shade by planting street trees, watering them for three summers "
            "and choosing many species, a cheap way to cool streets and hold back rain.")
    with FakeOpenAI() as server:
        server.script(answer(slip))
        out = _run(invoke, recipe, tmp_path / "out", "--brand", BRAND,
                   "--generator", "openai:test-model",
                   "--set", f"tldr.llm={{base_url: '{server.base_url}'}}")
        (request,) = server.chat_requests
    prompt = request.text
    assert "Warm and plain. Short sentences, concrete numbers, no hype." in prompt
    assert "Never use these words or phrases: magnificent, cheap." in prompt
    assert "Write 'footpath', not 'sidewalk'." in prompt
    document = prompt.split("<document>")[1]                    # the source, rewritten
    assert "footpath" in document and not re.search(r"\bsidewalk\b", document)
    step = json.loads((out / "manifest.json").read_text())["steps"][0]
    assert "the model used 'cheap', which the brand avoids" in step["notes"]


# --------------------------------------------------------------------------- scripts and plans

def test_a_document_without_avoided_words_loses_their_sentences_and_those_leaning_on_them():
    from plugins.text.wording import avoiding_document

    doc = Document(title="Elms", sections=(
        Section(heading="Old streets", paragraphs=(
            "The old elms were magnificent trees. They shaded every street in town.",
            "Dutch elm disease killed tens of millions of elms across the continent.")),
        Section(heading="Now", paragraphs=("A magnificent view.",
                                           "Cities replanted with ash  and maple."))))
    kept = avoiding_document(doc, ["Magnificent"])
    assert [s.paragraphs for s in kept.sections] == [
        ("Dutch elm disease killed tens of millions of elms across the continent.",),
        ("Cities replanted with ash  and maple.",)]     # untouched paragraphs kept as written
    assert [s.heading for s in kept.sections] == ["Old streets", "Now"]
    assert avoiding_document(doc, []) is doc and avoiding_document(doc, ["oak"]) is doc


SCRIPT_AND_PLAN = """\
    name: script-and-plan
    steps:
      - {id: podcast-script, use: podcast-script, with: {minutes: 7}}  # long enough to say the "magnificent" sentence
      - {id: storyboard, use: storyboard}
    """


def _script_and_plan(out) -> tuple[str, str, str]:
    """What the hosts say, what the explainer narrates and what its slides' points show."""
    import json

    script = json.loads((out / "podcast-script.json").read_text())
    board = json.loads((out / "storyboard.storyboard.json").read_text())
    return (" ".join(t["text"] for t in script["turns"]),
            " ".join(s["narration"] for s in board["scenes"]),
            " ".join(p["text"] for s in board["scenes"] for p in s["points"]))


def _says(text: str, word: str) -> bool:
    return bool(re.search(rf"\b{word}\b", text, re.I))


def test_the_script_and_the_plan_leave_out_the_brands_avoided_words(invoke, tmp_path):
    import json

    recipe = _write(tmp_path, SCRIPT_AND_PLAN)
    plain = _script_and_plan(_run(invoke, recipe, tmp_path / "plain"))
    assert _says(plain[0], "magnificent") and _says(plain[1], "magnificent")   # the article's
    out = _run(invoke, recipe, tmp_path / "branded", "--brand", BRAND)
    said, narrated, shown = _script_and_plan(out)
    for text in (said, narrated, shown):
        assert not _says(text, "magnificent") and not _says(text, "cheap")
    # the closing card says the brand's call to action and shows its link
    board = json.loads((out / "storyboard.storyboard.json").read_text())
    brand = load_brand(BRAND).brand
    assert board["scenes"][-1]["kind"] == "closing"
    # said as a sentence: the colon that leads to the link (on the card) is a full stop
    assert board["scenes"][-1]["narration"] == "Plant one tree this spring."
    assert board["call_to_action"] == brand.words.call_to_action.text
    assert board["link"] == brand.words.call_to_action.link
    # only that sentence goes: the one after it, standing alone, is still said
    assert "the American elm was the favourite street tree" in said
    assert "the American elm was the favourite street tree" in narrated
    steps = json.loads((out / "manifest.json").read_text())["steps"]
    assert not any("avoids" in n for step in steps for n in step.get("notes", []))


def test_words_to_avoid_reach_the_points_and_narration_without_a_brand(invoke, tmp_path):
    plain = _script_and_plan(_run(invoke, _write(tmp_path, SCRIPT_AND_PLAN), tmp_path / "plain"))
    assert all(_says(text, "elm") for text in plain)          # a point says it, too
    avoiding = SCRIPT_AND_PLAN.replace("{minutes: 7}", "{minutes: 7, avoid: [elm]}").replace(
        "use: storyboard}", "use: storyboard, with: {avoid: [Elm]}}")
    texts = _script_and_plan(_run(invoke, _write(tmp_path, avoiding, "avoid.yaml"),
                                  tmp_path / "avoid"))
    assert not any(_says(text, "elm") for text in texts), texts
    assert all(_says(text, "elms") for text in texts[:2])     # whole words only


def test_a_model_writing_the_script_is_told_and_its_slip_is_noted(invoke, tmp_path, monkeypatch):
    import json

    from .fake_openai import FakeOpenAI, answer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    recipe = _write(tmp_path, """\
        name: llm-script
        steps:
          - {id: podcast-script, use: podcast-script, with: {minutes: 0.5}}
        """)
    slip = {"turns": [
        {"host": "Maya", "text": "Welcome. Today: how cities rebuild their tree canopy, and "
                                 "why a cheap planting programme loses its saplings.",
         "chapter": None},
        {"host": "Theo", "text": "Young street trees need water for three summers, and "
                                 "roots need loose soil under the pavement to grow.",
         "chapter": None},
        {"host": "Maya", "text": "So planting is the easy part, and counting every tree "
                                 "with lidar shows where the canopy is missing.",
         "chapter": None}]}
    with FakeOpenAI() as server:
        server.script(answer(slip), answer(slip))
        out = _run(invoke, recipe, tmp_path / "out", "--brand", BRAND,
                   "--generator", "openai:test-model",
                   "--set", f"podcast-script.llm={{base_url: '{server.base_url}'}}")
        first = server.chat_requests[0]
    assert "Never use these words or phrases: magnificent, cheap." in first.text
    document = first.text.split("<document>")[1]       # the article without that sentence
    assert "magnificent" not in document and "the American elm was" in document
    step = json.loads((out / "manifest.json").read_text())["steps"][0]
    assert "the script says 'cheap', which the brand avoids" in step["notes"]


def test_a_model_planning_the_explainer_is_told_and_its_slip_is_noted(invoke, tmp_path,
                                                                      monkeypatch):
    import json

    from .fake_openai import FakeOpenAI, answer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    recipe = _write(tmp_path, """\
        name: llm-plan
        steps:
          - {id: storyboard, use: storyboard, with: {max_scenes: 2}}
        """)
    slip = {"points": ["Street trees are a cheap way to cool a city.",
                       "Young trees need water for three summers."]}
    with FakeOpenAI() as server:
        server.script(answer(slip))
        out = _run(invoke, recipe, tmp_path / "out", "--brand", BRAND,
                   "--generator", "openai:test-model",
                   "--set", f"storyboard.llm={{base_url: '{server.base_url}'}}")
        requests = server.chat_requests
    assert all("Never use these words or phrases: magnificent, cheap." in r.text
               for r in requests)
    assert not any("magnificent" in r.text.split("<document>")[1] for r in requests)
    step = json.loads((out / "manifest.json").read_text())["steps"][0]
    assert "the plan says 'cheap', which the brand avoids" in step["notes"]


def test_a_heading_that_says_an_avoided_word_is_kept_and_noted(registry):
    from engine.transform import Context

    doc = Document(title="Shade", sections=(
        Section(heading="Cheap trees", paragraphs=(
            "Street trees cool the city by shading asphalt and releasing water vapour.",)),
        Section(heading="Water", paragraphs=(
            "A newly planted tree depends on the water people bring it for two summers.",))))
    for name, what in (("podcast-script", "script"), ("storyboard", "plan")):
        step = registry.transform(name)
        ctx = Context(registry=registry, step_id=name, source_name="shade.md")
        step.run(doc, step.Params(avoid=["cheap"]), ctx)
        assert any(n.startswith(f"the {what} says ") and "'cheap'" in n.lower()
                   and n.endswith("which the brand avoids") for n in ctx.notes), ctx.notes
        ctx = Context(registry=registry, step_id=name, source_name="shade.md")
        step.run(doc, step.Params(avoid=["expensive"]), ctx)
        assert not any("avoids" in n for n in ctx.notes)
