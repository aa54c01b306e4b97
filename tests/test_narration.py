"""narration: mp3 + wav + word timings of the exact script, loudness, tags, chapters; the
voice as a recipe parameter; `remixer voices`."""

from __future__ import annotations

import json

import pytest

from engine import media
from engine.artifacts import Document, Script, Section, Text, Turn
from plugins.audio.narration import narration_blocks

from .conftest import RECIPES

ARTICLE = """---
title: Small Parks
---

Small parks matter more than their size suggests. A pocket park of a few trees gives a
busy street somewhere to pause.

## Why they work

People use the parks they can reach on foot. A bench in the shade is worth more than a
lawn that nobody visits.
"""

#: what the narration speaks: the title and the heading are read as sentences
SCRIPT_TEXT = ("Small Parks. Small parks matter more than their size suggests. A pocket park "
               "of a few trees gives a busy street somewhere to pause. Why they work. People "
               "use the parks they can reach on foot. A bench in the shade is worth more than "
               "a lawn that nobody visits.")


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "parks.md"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def test_blocks_read_title_and_headings_one_chapter_per_section():
    doc = Document(title="T", sections=(
        Section(paragraphs=("Intro text.",)),
        Section(heading="Part one", paragraphs=("First.", "Second paragraph.")),
        Section(heading="Group"), Section(heading="Sub", level=2, paragraphs=("X.",)),
        Section(heading="Empty at the end")))
    assert narration_blocks(doc) == [("Introduction", "T.\n\nIntro text."),
                                      ("Part one", "Part one.\n\nFirst.\n\nSecond paragraph."),
                                      ("Sub", "Group.\n\nSub.\n\nX.")]
    assert narration_blocks(doc, read_title=False)[0] == ("Introduction", "Intro text.")
    script = Script(turns=(Turn(speaker="A", text="Hi.", chapter="Open"),))
    assert narration_blocks(script) == [("Open", "Hi.")]
    assert narration_blocks(Text(title="", body="One.\n\nTwo.")) == [(None, "One.\n\nTwo.")]


@pytest.mark.slow
def test_narrate_recipe_writes_mp3_wav_and_exact_word_timings(invoke, source, tmp_path):
    from mutagen.id3 import ID3

    out = tmp_path / "out"
    result = invoke("run", RECIPES / "narrate.yaml", source, "-o", out)
    assert result.exit_code == 0, result.output
    folder = out / "parks"
    mp3, wav = folder / "narration.mp3", folder / "narration.wav"
    side = json.loads((folder / "narration.json").read_text())
    assert media.probe(mp3).container == "mp3" and media.probe(wav).container == "wav"
    # delivered at the voice's own rate (hibari speaks at 24 kHz), the mp3 at 96 kbit/s
    assert [media.probe(f).audio[0].sample_rate for f in (mp3, wav)] == [24000, 24000]
    assert side["sample_rate"] == 24000
    assert 90_000 <= mp3.stat().st_size * 8 / media.probe(mp3).duration <= 102_000

    # the captions are exactly the script, timed monotonically within the audio
    assert side["script"] == SCRIPT_TEXT
    words = side["words"]
    assert [w["text"] for w in words] == SCRIPT_TEXT.split()
    assert all(w["start"] <= w["end"] for w in words)
    assert all(a["start"] <= b["start"] and a["end"] <= b["end"] + 1e-6
               for a, b in zip(words, words[1:]))
    duration = media.probe(mp3).duration
    assert words[-1]["end"] <= duration + 0.05
    assert 1.5 <= len(words) / duration <= 4.5          # a plausible speaking rate
    assert abs(media.probe(wav).duration - duration) < 0.2

    # one chapter per section; tags; loudness
    assert [c["title"] for c in side["chapters"]] == ["Introduction", "Why they work"]
    heading = next(w for w in words if w["text"] == "Why")
    assert side["chapters"][1]["start"] <= heading["start"]
    tags = ID3(str(mp3))
    assert tags["TIT2"].text[0] == "Small Parks" and tags["TPE1"].text[0] == "hibari:heart"
    assert tags["TALB"].text[0] == "Small Parks"
    assert [c.sub_frames["TIT2"].text[0] for c in tags.getall("CHAP")] == [
        "Introduction", "Why they work"]
    for path in (mp3, wav):
        loudness = media.measure_loudness(path)
        assert abs(loudness.integrated_lufs + 16) <= 1 and loudness.true_peak_dbfs < -1
    assert abs(media.measure_loudness(mp3).integrated_lufs + 16) <= 0.5


@pytest.mark.slow
def test_voice_is_set_from_the_command_line(invoke, source, tmp_path):
    from mutagen.id3 import ID3

    out = tmp_path / "out"
    result = invoke("run", RECIPES / "narrate.yaml", source, "-o", out,
                    "--set", "narration.voice=piper:joe", "--set", "narration.timing=estimated",
                    "--set", "narration.sample_rate=48000", "--set", "narration.bitrate=192k")
    assert result.exit_code == 0, result.output
    mp3 = out / "parks" / "narration.mp3"
    assert ID3(str(mp3))["TPE1"].text[0] == "piper:joe"
    # piper speaks at 22.05 kHz; a rate asked for is the rate delivered
    assert media.probe(mp3).audio[0].sample_rate == 48000
    loudness = media.measure_loudness(mp3)
    assert abs(loudness.integrated_lufs + 16) <= 0.5 and loudness.true_peak_dbfs < -1
    manifest = json.loads((out / "parks" / "manifest.json").read_text())
    (step,) = manifest["steps"]
    assert step["model"].startswith("piper:joe@")


@pytest.mark.slow
def test_a_bitrate_mp3_cannot_carry_at_the_voices_rate_is_lowered_and_noted(invoke, tmp_path):
    source = tmp_path / "short.md"
    source.write_text("A short note, read aloud.\n", encoding="utf-8")
    out = tmp_path / "out"
    result = invoke("run", RECIPES / "narrate.yaml", source, "-o", out,
                    "--set", "narration.bitrate=192k", "--set", "narration.timing=estimated")
    assert result.exit_code == 0, result.output
    mp3 = out / "short" / "narration.mp3"
    assert media.probe(mp3).audio[0].sample_rate == 24000
    assert 150_000 <= mp3.stat().st_size * 8 / media.probe(mp3).duration <= 175_000
    manifest = json.loads((out / "short" / "manifest.json").read_text())
    assert any("mp3 written at 160k" in note for note in manifest["steps"][0]["notes"])


def test_unknown_voice_engine_fails_validation(invoke):
    result = invoke("validate", RECIPES / "narrate.yaml", "--set", "narration.voice=hibary:heart")
    assert result.exit_code == 2
    assert "steps[0].with.voice" in result.output and "did you mean 'hibari'" in result.output


def test_unknown_voice_of_a_known_engine_fails_validation(invoke, source, tmp_path):
    result = invoke("run", RECIPES / "narrate.yaml", source, "-o", tmp_path / "out",
                    "--set", "narration.voice=hibari:nobody")
    assert result.exit_code == 2
    assert "steps[0].with.voice: hibari has no voice 'nobody'" in result.stderr


def test_every_podcast_voice_is_validated(invoke):
    result = invoke("validate", RECIPES / "podcast.yaml",
                    "--set", "podcast.voices=[hibari:heart, pipper:joe]")
    assert result.exit_code == 2
    assert "steps[1].with.voices[1]: unknown voice engine 'pipper'" in result.stderr


def test_podcast_and_narrate_recipes_validate(invoke):
    for recipe in ("podcast.yaml", "narrate.yaml", "article.yaml"):
        result = invoke("validate", RECIPES / recipe)
        assert result.exit_code == 0, result.output


def test_voices_command_lists_every_voice_and_readiness(invoke):
    result = invoke("voices")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert "hibari:heart" in lines and "(default)" in lines["hibari:heart"]
    assert "[ready]" in lines["hibari:heart"] and "[ready]" in lines["piper:joe"]
    rows = json.loads(invoke("voices", "--json").output)
    assert all(r["ready_offline"] or r["reason"] for r in rows)
