"""The ``dub`` transform end to end on a clip of the sample talk: an English-to-English
dub measures the timing through the transcriber; an English-to-Portuguese dub with a
Piper voice file declared Portuguese exercises translation, fitting and captions."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from engine import media
from engine.errors import RecipeError
from engine.languages import detect
from engine.recipe import validate_recipe
from plugins.speech.whisper import WhisperTranscriber
from plugins.translation.translate import spoken_sentences

from .conftest import RECIPES, SAMPLES
from .test_localize import _voice_file


def test_a_dub_voice_must_speak_the_target_language(registry):
    raw = {"name": "x", "steps": [{"id": "d", "use": "dub",
                                   "with": {"language": "pt-BR", "voice": "hibari:heart"}}]}
    with pytest.raises(RecipeError, match="hibari:heart speaks en-US, not pt-BR"):
        validate_recipe(raw, registry)


@pytest.fixture
def clip(tmp_path):
    path = tmp_path / "talk.mp4"
    media.run_ffmpeg(["-y", "-i", media.media_path(SAMPLES / "talk.mp4"), "-t", "20",
                      "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
                      media.media_path(path)])
    return path


def _dub(invoke, tmp_path, clip, **params):
    recipe = tmp_path / "dub.yaml"
    recipe.write_text(yaml.safe_dump({"name": "dub", "steps": [
        {"id": "dub", "use": "dub", "with": params}]}))
    result = invoke("run", recipe, clip, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    return tmp_path / "out" / "talk"


@pytest.mark.slow
def test_an_english_dub_keeps_every_sentence_start_and_the_duration(invoke, tmp_path, clip):
    folder = _dub(invoke, tmp_path, clip, language="en", voice="hibari:heart")
    dubbed = folder / "dub.mp4"
    frame = 1 / 15
    assert abs(media.probe(dubbed).duration - media.probe(clip).duration) <= frame
    whisper = WhisperTranscriber()
    before = spoken_sentences(whisper.transcribe(clip, language="en"))
    after = spoken_sentences(whisper.transcribe(dubbed, language="en"))
    assert len(after) == len(before) >= 5
    shifts = [abs(b[1] - a[1]) for a, b in zip(before, after)]
    assert max(shifts) <= 0.15, shifts
    from mutagen.mp4 import MP4
    tags = MP4(str(dubbed)).tags
    assert "synthetic voice hibari:heart" in tags["\xa9cmt"][0]
    assert (folder / "dub.srt").read_text().startswith("1\n")


@pytest.mark.slow
def test_the_dub_recipe_translates_fits_captions_and_burns_subtitles(invoke, tmp_path, clip):
    voice = _voice_file(tmp_path, "pt_BR")  # joe's model, declared Portuguese
    result = invoke("run", RECIPES / "dub.yaml", clip, "-o", tmp_path / "out",
                    "--set", f"dub.voice=piper:{voice}")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "talk"
    assert abs(media.probe(folder / "dub.mp4").duration - 20.0) <= 1 / 15
    vtt = (folder / "dub.vtt").read_text()
    assert "Olá a todos" in vtt and detect(vtt)[0] == "pt"
    ends = re.findall(r"--> (\d\d):(\d\d):(\d\d)[.,](\d{3})", vtt)
    assert max(int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000
               for h, m, s, ms in ends) <= 20.0
    manifest = json.loads((folder / "manifest.json").read_text())
    steps = manifest["steps"] if isinstance(manifest["steps"], list) else list(manifest["steps"].values())
    dub = steps[0]
    assert dub["metrics"]["sentences"] >= 5
    assert any("synthetic-voice" in note for note in dub["notes"])
    # the subtitles burnt into the captioned video are the translation
    assert (folder / "subtitled.srt").read_text().count("-->") >= 5
    assert "Olá a todos" in (folder / "subtitled.srt").read_text()
