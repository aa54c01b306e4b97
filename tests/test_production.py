"""Audio production details a listener or a log reader sees: chapters in time order as
ffmpeg reads them, word timings from the voice engines, plain progress lines in a pipe."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from engine import media
from engine.artifacts import Chapter
from plugins.audio import production
from plugins.audio.cover import generated_cover
from plugins.speech.engine_timing import words_from_phonemes
from plugins.speech.hibari_voice import HibariEngine
from plugins.speech.piper_voice import PiperEngine

from . import media_helpers
from .conftest import ROOT

TITLES = ["Introduction", "Why a canopy matters", "The lesson of the elms", "The 10-20-30 rule",
          "Engineering the ground beneath", "Counting every tree", "Planting is the easy part",
          "What a rebuilt canopy looks like", "Wrap-up", "A", "Ten chapters and more"]


def test_ffmpeg_reads_every_chapter_in_time_order(tmp_path):
    wav = media_helpers.tone(tmp_path / "t.wav", len(TITLES) * 2)
    mp3 = media.encode_audio(wav, tmp_path / "t.mp3")
    chapters = tuple(Chapter(title=t, start=2.0 * i, end=2.0 * (i + 1)) for i, t in enumerate(TITLES))
    production.write_tags(mp3, production.Tags(title="t", artist="a", chapters=chapters,
                                               cover=generated_cover("t")))
    result = media.run_ffmpeg(["-i", str(mp3), "-t", "0.1", "-f", "null", "-"], loglevel="info")
    header = result.stderr.split("Stream #")[0]
    starts = [float(s) for s in re.findall(r"Chapter #0:\d+: start ([\d.]+)", header)]
    titles = re.findall(r"Chapter #0:\d+: start [\d.]+, end [\d.]+\s+Metadata:\s+title\s+: (.+)",
                        header)
    assert starts == [c.start for c in chapters]
    assert titles == TITLES


@pytest.mark.parametrize("engine, voice", [(HibariEngine, "heart"), (PiperEngine, "joe")])
def test_engines_time_every_written_token_inside_the_speech(engine, voice):
    text = "On the 3rd of March 2024, 1,250 people paid $9.99 each. Then they went home."
    spoken = engine().synthesize(text, voice)
    words = spoken.words
    assert [w.text for w in words] == text.split()
    assert all(0 <= w.start <= w.end <= spoken.duration for w in words)
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))
    # the pause at the full stop lies between "each." and "Then"
    each, then = words[text.split().index("each.")], words[text.split().index("Then")]
    assert then.start - each.end > 0.05


def test_tokens_read_differently_share_the_time_between_their_neighbours():
    # "Hi 42 you": the speech says h-a-i, then four sounds, then y-u, one phoneme a second
    phonemes = [(s, 1.0) for s in "haɪ"] + [(" ", 0.0)] + [(s, 1.0) for s in "fɔɹ"] + \
        [(" ", 0.0)] + [(s, 1.0) for s in "tu"] + [(" ", 0.0)] + [(s, 1.0) for s in "ju"]
    spell = {"Hi": "haɪ", "42": "fɔɹtitu", "you": "ju"}
    words = words_from_phonemes("Hi 42 you", phonemes, lambda token: spell[token])
    assert [(w.start, w.end) for w in words] == [(0.0, 3.0), (3.0, 8.0), (8.0, 10.0)]


def _run_piped(tmp_path, recipe, source, *extra) -> subprocess.CompletedProcess:
    """A real ``remixer run`` with stdout and stderr both pipes (as in CI or the studio)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REMIXER_CACHE_DIR": str(tmp_path / "cache"),
           "REMIXER_LOAD_PLUGINS": ""}
    result = subprocess.run([sys.executable, "-m", "engine", "run", str(recipe), str(source),
                             "-o", str(tmp_path / "out"), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr + result.stdout   # no terminal control codes
    assert all(re.match(r"\[ *\d+\.\d+s\] ", line) for line in result.stderr.splitlines())
    return result


def _labels(stderr: str, prefix: str) -> list[str]:
    """The phase labels of one step's plain progress lines, in order, without counts."""
    pattern = re.compile(rf"{re.escape(prefix)} +\d+%  (\D+?)(?: \d+/\d+ \w+)?$")
    labels = [m[1] for m in map(pattern.search, stderr.splitlines()) if m]
    return list(dict.fromkeys(labels))


@pytest.mark.slow
def test_progress_is_plain_lines_when_the_output_is_a_pipe(tmp_path):
    source = tmp_path / "note.md"
    source.write_text("# A note\n\nThe tide comes in. The tide goes out. Crabs wait.\n")
    result = _run_piped(tmp_path, ROOT / "recipes" / "narrate.yaml", source)
    lines = result.stderr.splitlines()
    synth = [line for line in lines if re.search(r"note/narration +\d+%  synthesising \d+/\d+ sentences", line)]
    assert synth, result.stderr
    assert _labels(result.stderr, "note/narration") == [
        "synthesising", "mastering", "tagging"], result.stderr
    assert any(line.endswith("note/narration ok") for line in lines)
    assert lines[-1].endswith("note ok (1/1 sources)")
    assert "1 step ran" in result.stdout


@pytest.mark.slow
def test_a_long_video_step_says_what_it_is_doing_in_a_pipe(tmp_path):
    """long-to-short on the 2.5-minute sample talk: transcribing (with its percentage
    moving), finding highlights, rendering; its bar never runs back."""
    recipe = tmp_path / "clip.yaml"
    recipe.write_text("name: clip\nsteps:\n  - id: clip\n    use: long-to-short\n"
                      "    with: {seconds: 15, reframe: center, resolution: 240}\n")
    result = _run_piped(tmp_path, recipe, ROOT / "samples" / "talk.mp4")
    labels = _labels(result.stderr, "talk/clip")
    assert labels[0] == "transcribing" and labels[-2:] == ["finding highlights", "rendering"], \
        result.stderr
    percents = [int(m[1]) for m in re.finditer(r"talk/clip +(\d+)%", result.stderr)]
    assert percents == sorted(percents) and len(set(percents)) >= 3, result.stderr


def test_voices_lists_cloning_backends_and_plugins_describes_every_voice_engine(invoke):
    voices = invoke("voices").output
    assert "clone:match:RECORDING_OR_PROFILE" in voices
    assert "clone:xtts:RECORDING_OR_PROFILE" in voices
    assert "profiles are looked for in" in voices
    listing = invoke("plugins").output
    clone = next(line for line in listing.splitlines() if line.strip().startswith("clone "))
    assert "Cloned voices: clone:" in clone   # the docstring's ``literal`` markup is off
    assert "``" not in listing


def test_progress_lines_are_rate_limited_but_show_every_phase():
    from engine.progress import Lines

    now = [0.0]
    lines: list[str] = []
    display = Lines(lines.append, sources=2, interval=2.0, clock=lambda: now[0])
    for second, status in [(0.1, "progress:0.100 synthesising 1/10 sentences"),
                           (0.5, "progress:0.200 synthesising 2/10 sentences"),   # too soon
                           (2.2, "progress:0.700 synthesising 10/10 sentences"),
                           (2.3, "progress:0.720 mixing"),                        # new phase
                           (2.4, "progress:0.780 mastering")]:
        now[0] = second
        display.event("a", "podcast", status)
    display.event("a", "podcast", "ok")
    display.event("a", "", "ok")
    assert [line.split("] ", 1)[1] for line in lines] == [
        "a/podcast  10%  synthesising 1/10 sentences",
        "a/podcast  70%  synthesising 10/10 sentences",
        "a/podcast  72%  mixing",
        "a/podcast  78%  mastering",
        "a/podcast ok",
        "a ok (1/2 sources)"]


def test_bars_give_each_running_step_its_own_row_and_advance_sources():
    import io

    from rich.console import Console

    from engine.progress import Bars

    bars = Bars(Console(file=io.StringIO(), force_terminal=True), sources=2, steps=4)
    with bars:
        bars.event("a", "podcast", "progress:0.300 synthesising 3/10 sentences")
        (task,) = [t for t in bars.progress.tasks if t.id == bars.running[("a", "podcast")]]
        assert task.description == "a/podcast: synthesising 3/10 sentences"
        assert not task.finished
        bars.event("a", "podcast", "ok")
        assert ("a", "podcast") not in bars.running
        bars.event("a", "", "ok")
        sources = next(t for t in bars.progress.tasks if t.description == "sources")
        assert sources.completed == 1


@pytest.mark.slow
def test_the_gain_predicted_from_the_passages_masters_in_one_run(registry, tmp_path):
    from engine.cache import Cache
    from engine.transform import Context
    from plugins.audio.loudness import predict

    ctx = Context(registry=registry, step_id="p", source_name="s", scratch_root=tmp_path / "w",
                  cache=Cache(tmp_path / "cache"))
    hibari, piper = registry.voice_engine("hibari"), registry.voice_engine("piper")
    passages = [production.Passage("Welcome back. Today we look at tide pools.", hibari, "heart",
                                   chapter="One"),
                production.Passage("They fill twice a day! Crabs hide under the rocks.", piper,
                                   "joe", chapter="One"),
                production.Passage("Why do anemones close? To keep water in.", hibari, "heart",
                                   chapter="Two")]
    spoken = production.speak(passages, ctx)
    gaps = [0.45, 0.9, 0.0]
    predicted = predict([s.path for s in spoken], gaps, target=-16.0,
                        ceiling_dbtp=production.TARGET_TP,
                        extra_db=production.LOSSY_LOUDNESS_LOSS)
    measured = production.mix(spoken, gaps, tmp_path / "mix.wav")
    # the passages' own loudness is the mix's, without mixing (voices at 24 and 22.05 kHz);
    # ffmpeg prints it to one decimal, and piper speaks a little differently each time
    assert predicted.speech_lufs == pytest.approx(measured.loudness.integrated_lufs, abs=0.15)
    assert predicted.sample_rate == 24000 and predicted.limiter_loss > 0

    out = production.delivery(tmp_path, "one", "192k")
    parts = production.chapter_parts(spoken, gaps, tmp_path)
    assert [len(p.spoken) for p in parts] == [2, 1]
    delivered, gain, _, runs = production.master(
        production.parts_mix(parts, predicted.sample_rate), out, gain_db=predicted.gain_db)
    assert runs == 1 and gain == predicted.gain_db
    mp3 = media.measure_loudness(out.mp3)
    assert abs(mp3.integrated_lufs + 16) <= 0.5 and mp3.true_peak_dbfs < -1
    assert delivered.integrated_lufs == pytest.approx(mp3.integrated_lufs, abs=0.2)
    # the run's own true-peak meter reads as ffmpeg's ebur128 does, or a little higher
    wav = media.measure_loudness(out.wav)
    assert wav.true_peak_dbfs - 0.05 <= delivered.true_peak_dbfs <= wav.true_peak_dbfs + 0.3
    # each chapter's stretch of the master, cut out and read back, gives the same master
    production.cut_parts(out.wav, parts)
    cached = [production.Part(p.spoken, p.gaps, p.master, gain) for p in parts]
    assert [round(media.probe(p.master).duration, 1) for p in cached] == [
        round(sum(s.duration for s in p.spoken) + sum(p.gaps), 1) for p in parts]
    again = production.delivery(tmp_path, "again", "192k")
    production.master(production.parts_mix(cached, predicted.sample_rate), again, gain_db=gain)
    assert media.measure_loudness(again.wav) == media.measure_loudness(out.wav)
    assert media.probe(again.wav).duration == pytest.approx(media.probe(out.wav).duration,
                                                            abs=0.01)


def test_progress_inside_a_share_of_the_step_never_runs_back(registry):
    from engine.transform import Context

    seen: list[tuple[float, str]] = []
    ctx = Context(registry=registry, step_id="s", source_name="x",
                  progress=lambda fraction, label="": seen.append((round(fraction, 3), label)))
    with ctx.within(0.2, 0.6):
        ctx.phase("transcribing", fraction=0.0)
        ctx.phase("transcribing", fraction=1.0)
    ctx.phase("translating", 3, 10, "sentences", fraction=0.7)
    assert seen == [(0.2, "transcribing"), (0.6, "transcribing"),
                    (0.7, "translating 3/10 sentences")]


def test_mp3_bitrates_stay_inside_what_the_sample_rate_allows():
    assert production.mp3_bitrate("192k", 24000) == "160k"     # MPEG-2 layer III
    assert production.mp3_bitrate("64k", 22050) == "64k"
    assert production.mp3_bitrate("320k", 44100) == "320k"


def test_the_mp3_is_measured_again_only_where_lames_effect_is_unknown(tmp_path):
    def effect(bitrate: str, rate: int):
        return production.delivery(tmp_path, "x", bitrate, rate).lame_effect

    assert effect("64k", 24000) == effect("160k", 22050) == effect("96k", 48000) == (0.45, 0.1)
    assert effect("192k", 44100) == (production.LOSSY_LOUDNESS_LOSS, 0.0)
    assert effect("320k", 44100) is None and effect("64k", 16000) is None
    master = media.Loudness(-15.55, 2.0, -1.4)
    delivered = production.delivered_loudness(master, production.delivery(tmp_path, "x", "64k",
                                                                          24000))
    assert delivered == media.Loudness(-16.0, 2.0, -1.3)
    wav_only = production.Delivery(tmp_path / "x.wav", None, "64k", 24000)
    assert production.delivered_loudness(master, wav_only) == master and wav_only.lossy_loss == 0
