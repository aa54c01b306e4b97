"""Editing a podcast script: the markdown a podcast-script step writes loads back as a
script, and re-rendering after editing one turn synthesises only that turn's sentences."""

from __future__ import annotations

import json

import pytest

from engine.artifacts import Script, Turn
from engine.errors import SourceError
from engine.voices import sentence_plan
from plugins.speech.hibari_voice import HibariEngine
from plugins.speech.piper_voice import PiperEngine

from .conftest import RECIPES

SCRIPT = Script(
    title="Tide pools", metadata={"author": "Ada"}, speakers=("Alex", "Sam"),
    turns=(Turn(speaker="Alex", text="Welcome back. Today we look at tide pools.",
                chapter="Introduction"),
           Turn(speaker="Sam", text="They fill twice a day. Crabs hide under the rocks.",
                chapter="Introduction"),
           Turn(speaker="Alex", text="Why do anemones close?", chapter="Life in the pool"),
           Turn(speaker="Sam", text="To keep water in when the tide is out. Clever, right?",
                chapter="Life in the pool"),
           Turn(speaker="Alex", text="Thanks for listening.", chapter="Wrap-up")))


def test_the_written_markdown_loads_back_as_the_same_script(registry, tmp_path):
    path = tmp_path / "podcast-script.md"
    path.write_bytes(SCRIPT.exports()["md"])
    text = path.read_text()
    assert "## Life in the pool" in text and "**Sam:** They fill twice a day." in text
    loaded = registry.loader_for(path).load(path)
    assert isinstance(loaded, Script)
    assert loaded.turns == SCRIPT.turns
    assert loaded.speakers == SCRIPT.speakers and loaded.title == SCRIPT.title
    assert loaded.metadata["author"] == "Ada"


def test_a_misspelt_host_is_one_line_naming_the_line(registry, tmp_path):
    path = tmp_path / "script.md"
    path.write_text(SCRIPT.to_markdown().replace("**Sam:** They", "**Sma:** They"))
    with pytest.raises(SourceError, match=r"script.md line \d+: 'Sma' is not one of the hosts"):
        registry.loader_for(path).load(path)


def test_a_script_file_is_no_document_for_steps_that_need_one(invoke, tmp_path):
    path = tmp_path / "script.md"
    path.write_bytes(SCRIPT.exports()["md"])
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: r\nsteps:\n  - id: script\n    use: podcast-script\n")
    result = invoke("run", recipe, path, "-o", tmp_path / "out", "--no-progress")
    assert result.exit_code == 1
    assert "takes document or transcript, but script.md is script" in result.output


@pytest.mark.slow
def test_editing_one_turn_resynthesises_only_its_sentences(invoke, tmp_path, monkeypatch):
    calls: list[str] = []
    for engine in (HibariEngine, PiperEngine):
        original = engine.synthesize

        def counting(self, text, voice, *, speed=1.0, _original=original):
            calls.append(text)
            return _original(self, text, voice, speed=speed)

        monkeypatch.setattr(engine, "synthesize", counting)
    path = tmp_path / "script.md"
    path.write_bytes(SCRIPT.exports()["md"])
    recipe = RECIPES / "podcast-from-script.yaml"
    first = invoke("run", recipe, path, "-o", tmp_path / "out")
    assert first.exit_code == 0, first.output
    every = [s for turn in SCRIPT.turns for s, _ in sentence_plan(turn.text)]
    assert sorted(calls) == sorted(every)

    calls.clear()
    edited = "To keep the sea water in while the tide is out. Clever, right?"
    path.write_text(path.read_text().replace(
        "To keep water in when the tide is out. Clever, right?", edited))
    second = invoke("run", recipe, path, "-o", tmp_path / "out")
    assert second.exit_code == 0, second.output
    assert calls == ["To keep the sea water in while the tide is out."]   # "Clever, right?" is cached
    sidecar = json.loads((tmp_path / "out" / "script" / "podcast.json").read_text())
    assert "sea water" in sidecar["script"]
    manifest = json.loads((tmp_path / "out" / "script" / "manifest.json").read_text())
    metrics = manifest["steps"][0]["metrics"]
    assert metrics["sentences"]["synthesised"] == 1
    assert metrics["timing"]["sentences"] == {"engine": len(every)}
    # the gain is predicted from the passages: one ffmpeg run mixes and masters
    assert metrics["mastering"]["gain"] == "predicted"
    assert metrics["mastering"]["ffmpeg_runs"] == 1
    # the chapters the edit left alone come back mastered from the cache
    assert (metrics["mastering"]["parts"], metrics["mastering"]["parts_from_cache"]) == (3, 2), metrics
    assert abs(metrics["loudness_lufs"] + 16) <= 0.5 and metrics["true_peak_dbtp"] < -1
