"""podcast-script and podcast: script length and chapters, voices per host, the episode's
loudness, chapters, tags and feed, and a music bed that ducks under speech."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine import media
from engine.artifacts import Script, Turn
from engine.errors import TransformError
from engine.transform import Context

from . import media_helpers
from .conftest import RECIPES, SAMPLES

def article(registry):
    return registry.loader_for(SAMPLES / "article.md").load(SAMPLES / "article.md")


def context(registry, step="podcast") -> Context:
    return Context(registry=registry, step_id=step, source_name="article.md")


# --------------------------------------------------------------------------- script

@pytest.mark.parametrize("minutes", [1, 3])
def test_script_meets_the_target_length_with_named_chapters(registry, minutes):
    step = registry.transform("podcast-script")
    params = step.Params(minutes=minutes, hosts=["Alex", "Sam", "Kim"])
    ctx = context(registry, "script")
    script = step.run(article(registry), params, ctx)
    words = sum(len(t.text.split()) for t in script.turns)
    target = minutes * params.words_per_minute
    assert abs(words - target) <= 0.25 * target, (words, target)
    assert script.speakers == ("Alex", "Sam", "Kim")
    assert {t.speaker for t in script.turns} == {"Alex", "Sam", "Kim"}
    assert all(a.speaker != b.speaker for a, b in zip(script.turns, script.turns[1:]))
    assert all(t.chapter for t in script.turns)
    assert script.turns[0].chapter == "Introduction"
    assert script.turns[-1].chapter == "Wrap-up"
    assert ctx.metrics["target_words"] == target


def test_hosts_are_two_to_four_distinct_names(registry):
    params = registry.transform("podcast-script").Params
    for hosts in (["Alex"], ["A", "B", "C", "D", "E"], ["Alex", "Alex"], ["Alex", " "]):
        with pytest.raises(ValueError):
            params(hosts=hosts)


def test_too_few_voices_for_the_hosts_is_a_clear_error(registry):
    step = registry.transform("podcast")
    script = Script(title="t", speakers=("A", "B", "C"),
                    turns=tuple(Turn(speaker=s, text="Hello there.") for s in "ABC"))
    with pytest.raises(TransformError, match=r"3 hosts \(A, B, C\) but only 2 voices"):
        step.run(script, step.Params(), context(registry))


# --------------------------------------------------------------------------- end to end

def median_pitch(samples: np.ndarray, rate: int) -> float:
    """Median fundamental frequency of the voiced 40 ms frames (autocorrelation)."""
    frame, hop = int(0.04 * rate), int(0.02 * rate)
    lo, hi = int(rate / 400), int(rate / 70)
    loudest = np.abs(samples).max() or 1.0
    pitches = []
    for start in range(0, len(samples) - frame, hop):
        x = samples[start:start + frame]
        if np.sqrt(np.mean(x * x)) < 0.05 * loudest:
            continue
        x = x - x.mean()
        corr = np.correlate(x, x, "full")[frame - 1:]
        lag = lo + int(np.argmax(corr[lo:hi]))
        if corr[lag] > 0.5 * corr[0]:
            pitches.append(rate / lag)
    return float(np.median(pitches)) if pitches else 0.0


@pytest.mark.slow
def test_article_to_podcast_episode_and_feed(invoke, tmp_path):
    import feedparser
    from mutagen.id3 import ID3

    out = tmp_path / "out"
    result = invoke("run", RECIPES / "podcast.yaml", SAMPLES / "article.md", "-o", out,
                    "--set", "script.minutes=1.5")
    assert result.exit_code == 0, result.output
    episode = out / "article"
    mp3, side = episode / "podcast.mp3", json.loads((episode / "podcast.json").read_text())
    assert (episode / "script.md").is_file() and (episode / "podcast.cover.png").is_file()

    # length: 1.5 minutes +-25%
    info = media.probe(mp3)
    assert 0.75 * 90 <= info.duration <= 1.25 * 90, info.duration

    # loudness of the published file
    loudness = media.measure_loudness(mp3)
    assert abs(loudness.integrated_lufs + 16) <= 1, loudness
    assert loudness.true_peak_dbfs < -1, loudness
    assert abs(side["loudness_lufs"] - loudness.integrated_lufs) < 0.2

    # two voices alternate, and sound different (a female and a male voice)
    turns = side["turns"]
    assert [t["speaker"] for t in turns[:4]] == ["Alex", "Sam", "Alex", "Sam"]
    assert {t["voice"] for t in turns} == {"hibari:heart", "piper:joe"}
    assert all(a["end"] <= b["start"] for a, b in zip(turns, turns[1:]))
    samples = media.decode_audio(mp3, 16000)
    pitch = {}
    for voice in ("hibari:heart", "piper:joe"):
        parts = [samples[int(t["start"] * 16000):int(t["end"] * 16000)]
                 for t in turns if t["voice"] == voice]
        pitch[voice] = median_pitch(np.concatenate(parts), 16000)
    assert pitch["hibari:heart"] > 1.3 * pitch["piper:joe"] > 0, pitch

    # word timings: the script's own words, in order, each inside its speaker's turn
    words = side["words"]
    assert [w["text"] for w in words] == side["script"].split()
    assert all(a["start"] <= b["start"] for a, b in zip(words, words[1:]))
    for turn in turns:
        inside = [w for w in words if turn["start"] - 0.01 <= w["start"] <= turn["end"] + 0.01]
        assert inside and all(w["speaker"] == turn["speaker"] for w in inside)

    # chapters in the ID3 tags, as in the sidecar: one per section, back to back
    tags = ID3(str(mp3))
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    titles = [c.sub_frames["TIT2"].text[0] for c in chaps]
    assert titles == [c["title"] for c in side["chapters"]]
    assert titles[0] == "Introduction" and titles[-1] == "Wrap-up" and len(titles) >= 4
    assert "Why a canopy matters" in titles
    assert chaps[0].start_time == 0 and abs(chaps[-1].end_time / 1000 - info.duration) < 0.1
    assert tags.getall("CTOC")[0].child_element_ids == [c.element_id for c in chaps]
    assert tags["TIT2"].text[0].startswith("Roots Under the Pavement")
    assert tags["TPE1"].text[0] == "Alex & Sam"
    assert tags.getall("APIC")[0].data[:4] == b"\x89PNG"

    # the feed
    feed = feedparser.parse(str(out / "podcast.xml"))
    assert feed.bozo == 0, feed.get("bozo_exception")
    (entry,) = feed.entries
    (enclosure,) = entry.enclosures
    assert enclosure.href == "article/podcast.mp3"
    assert int(enclosure.length) == mp3.stat().st_size and enclosure.type == "audio/mpeg"
    assert entry.itunes_duration.count(":") == 2 and entry.id and entry.published

    # a second run comes from the cache and leaves the feed as it was
    before = (out / "podcast.xml").read_bytes()
    again = invoke("run", RECIPES / "podcast.yaml", SAMPLES / "article.md", "-o", out,
                   "--set", "script.minutes=1.5")
    assert again.exit_code == 0 and "2 from cache" in again.output
    assert (out / "podcast.xml").read_bytes() == before


def tone_level(samples: np.ndarray, rate: int, start: float, end: float, hz: float) -> float:
    """Amplitude of the ``hz`` component in [start, end) seconds."""
    x = samples[int(start * rate):int(end * rate)]
    t = np.arange(len(x)) / rate
    return float(np.abs(np.dot(x, np.exp(-2j * np.pi * hz * t))) * 2 / max(len(x), 1))


@pytest.mark.slow
def test_music_bed_ducks_under_speech_after_the_intro(registry, tmp_path):
    music = media_helpers.tone(tmp_path / "bed.wav", 4.0, frequency=55, sample_rate=44100)
    intro = media_helpers.tone(tmp_path / "intro.wav", 1.0, frequency=880, sample_rate=44100)
    script = Script(title="Ducking", speakers=("A", "B"), turns=(
        Turn(speaker="A", text="Welcome to the show. Today we talk about trees in cities.",
             chapter="Introduction"),
        Turn(speaker="B", text="Thanks. Street trees cool the air and calm the traffic.",
             chapter="Trees"),
        Turn(speaker="A", text="That is all for today. Goodbye and see you soon.",
             chapter="Wrap-up")))
    step = registry.transform("podcast")
    params = step.Params(music=str(music), intro=str(intro), gap=1.6, music_volume=0.3,
                         timing="estimated")
    ctx = context(registry)
    audio = step.run(script, params, ctx)
    side = json.loads(step.exports(audio)["json"])
    turns = side["turns"]
    assert turns[0]["start"] == pytest.approx(1.0, abs=0.05)     # after the intro
    assert audio.words[0].start >= 1.0
    samples = media.decode_audio(audio.path, 16000)
    under = [tone_level(samples, 16000, t["start"] + 0.4, t["end"] - 0.2, 55) for t in turns]
    gaps = [tone_level(samples, 16000, a["end"] + 0.9, b["start"] - 0.05, 55)
            for a, b in zip(turns, turns[1:])]
    assert min(gaps) > 2.0 * max(under), (gaps, under)   # ducked by more than 6 dB
    loudness = media.measure_loudness(audio.path)
    assert abs(loudness.integrated_lufs + 16) <= 1 and loudness.true_peak_dbfs < -1
    assert [c.title for c in audio.chapters] == ["Introduction", "Trees", "Wrap-up"]
    ctx.cleanup()


@pytest.mark.slow
def test_one_sting_as_intro_and_outro(registry, tmp_path):
    """A brand commonly names one sting for both ends: the file is read once and split."""
    sting = media_helpers.tone(tmp_path / "sting.wav", 0.8, frequency=880, sample_rate=44100)
    script = Script(title="Stings", speakers=("A", "B"), turns=(
        Turn(speaker="A", text="Welcome to the show.", chapter="Hello"),
        Turn(speaker="B", text="Thanks for having me.", chapter="Hello")))
    step = registry.transform("podcast")
    ctx = context(registry)
    audio = step.run(script, step.Params(intro=str(sting), outro=str(sting), timing="estimated"),
                     ctx)
    samples = media.decode_audio(audio.path, 16000)
    end = len(samples) / 16000
    assert tone_level(samples, 16000, 0.1, 0.7, 880) > 0.01           # the intro
    assert tone_level(samples, 16000, end - 0.7, end - 0.1, 880) > 0.01  # the outro
    assert audio.words[0].start >= 0.8
    ctx.cleanup()


def test_feed_lists_every_successful_episode_and_escapes_titles(tmp_path):
    import feedparser
    from types import SimpleNamespace as NS

    from plugins.audio.feed import write_feed

    def episode(slug: str, title: str, date: str | None) -> NS:
        folder = tmp_path / slug
        folder.mkdir()
        (folder / "podcast.mp3").write_bytes(slug.encode() * 100)
        (folder / "podcast.json").write_text(json.dumps({
            "title": title, "duration": 75.4, "hosts": "Alex, Sam", "show": "Show & Tell",
            "date": date, "chapters": [{"title": "Intro <1>", "start": 0.0, "end": 30.0},
                                       {"title": "More", "start": 30.0, "end": 75.4}]}))
        files = ["podcast.mp3", "podcast.json", "podcast.chapters.json", "podcast.cover.png"]
        return NS(slug=slug, status="ok", steps=[NS(id="podcast", transform="podcast",
                                                    status="ok", files=files)])

    failed = NS(slug="broken", status="failed", steps=[
        NS(id="podcast", transform="podcast", status="failed", files=[])])
    results = [episode("one", "Trees & <roots>", "2024-04-18"), failed,
               episode("two words", "Second", None)]
    path = write_feed(tmp_path, results)
    feed = feedparser.parse(str(path))
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.feed.title == "Show & Tell"
    assert [e.title for e in feed.entries] == ["Second", "Trees & <roots>"]   # newest first
    urls = [e.enclosures[0].href for e in feed.entries]
    assert urls == ["two%20words/podcast.mp3", "one/podcast.mp3"]
    assert feed.entries[1].published.startswith("Thu, 18 Apr 2024")
    assert feed.entries[1].itunes_duration == "00:01:15"
    assert len({e.id for e in feed.entries}) == 2
    assert b"Intro &lt;1&gt;" in path.read_bytes()
    assert write_feed(tmp_path, [failed]) is None
