"""Caption cues (readability rules), SRT/WebVTT writers, and the subtitle file loader."""

from __future__ import annotations

import srt
import webvtt
import pytest

from engine.artifacts import Segment, Transcript, Word
from engine.errors import SourceError
from plugins.speech.captions import (CueLimits, cues_from_words, estimate_words, to_srt, to_vtt,
                              transcript_cues)
from plugins.sources.subtitles import SubtitleLoader

TALK = (
    "Good evening, and thank you for coming out on such a rainy night. Tonight I want to "
    "talk about street trees, which cool our pavements by several degrees in summer. Most "
    "of them, however, live less than fifteen years. Why? Their roots are trapped in "
    "compacted soil, under asphalt, next to pipes and cables. Engineers in Stockholm found "
    "a simple fix: a bed of crushed stone mixed with biochar, wide enough for roots to "
    "spread. Yes. It works. Twenty years later, those trees are still growing."
)


def spoken(text: str, *, seconds_per_char: float = 0.06, pause: float = 0.08,
           sentence_pause: float = 0.5, start: float = 0.3) -> list[Word]:
    """Words timed like speech: length-proportional, with pauses after sentences."""
    words, at = [], start
    for token in text.split():
        end = at + len(token) * seconds_per_char + 0.05
        words.append(Word(text=token, start=round(at, 3), end=round(end, 3)))
        at = end + (sentence_pause if token[-1] in ".?!" else pause)
    return words


def check_readable(cues, words, limits=CueLimits()):
    assert " ".join(c.text for c in cues) == " ".join(w.text for w in words), "words lost or split"
    for cue in cues:
        assert 1 <= len(cue.lines) <= limits.max_lines
        assert all(len(line) <= limits.max_chars for line in cue.lines), cue.lines
        assert cue.end - cue.start <= limits.max_seconds + 1e-9
    for cue, following in zip(cues, cues[1:]):
        assert cue.end <= following.start, "cues overlap"


def test_cues_follow_the_readability_rules():
    words = spoken(TALK)
    cues = cues_from_words(words)
    check_readable(cues, words)
    assert all(c.end - c.start >= 1.0 for c in cues)
    enders = sum(c.text[-1] in ".?!,:" for c in cues)
    assert enders >= 0.8 * len(cues), [c.text for c in cues]


def test_a_sentence_end_ends_a_cue_when_one_is_near():
    cues = cues_from_words(spoken(TALK))
    texts = [c.text for c in cues]
    assert any(t.endswith("in summer.") for t in texts), texts
    assert any(t.endswith("Why?") for t in texts), texts
    assert not any("in summer. Most" in t for t in texts), texts


def test_short_sentences_are_merged_rather_than_flashed():
    words = spoken("Yes. No. Maybe. We will see tomorrow morning.", seconds_per_char=0.04,
                   sentence_pause=0.1)
    cues = cues_from_words(words)
    check_readable(cues, words)
    assert all(c.end - c.start >= 1.0 for c in cues)
    assert cues[0].text.startswith("Yes. No.")


def test_seven_second_limit_splits_slow_speech_without_breaking_words():
    words = spoken("one two three four five six seven eight nine ten eleven twelve",
                   seconds_per_char=0.3)
    cues = cues_from_words(words)
    check_readable(cues, words)
    assert len(cues) >= 3


def test_a_long_pause_is_not_held_inside_a_cue():
    words = [Word(text="Hello", start=0.0, end=0.4), Word(text="there", start=0.45, end=0.9),
             Word(text="again", start=5.0, end=5.5), Word(text="friend", start=5.55, end=6.0)]
    assert [c.text for c in cues_from_words(words)] == ["Hello there", "again friend"]


def test_an_overlong_token_gets_its_own_line_and_is_not_split():
    url = "https://example.org/a/very/long/path/that/does/not/fit/on/one/line"
    words = spoken(f"Read more at {url} today.")
    cues = cues_from_words(words)
    assert " ".join(c.text for c in cues) == " ".join(w.text for w in words)
    assert any(url in c.lines for c in cues)


def test_one_word_longer_than_seven_seconds_is_capped():
    (cue,) = cues_from_words([Word(text="Ommmmm", start=1.0, end=12.0)])
    assert (cue.start, cue.end) == (1.0, 8.0)


def test_limits_for_vertical_video():
    limits = CueLimits(max_chars=20, max_lines=1)
    words = spoken(TALK)
    check_readable(cues_from_words(words, limits), words, limits)


def test_no_words_no_cues():
    assert cues_from_words([]) == []
    assert to_srt([]) == ""
    assert webvtt.from_string(to_vtt([])).captions == []


def test_srt_and_vtt_parse_with_their_libraries():
    cues = cues_from_words(spoken(TALK + " Fish & chips <cheap> --> here."))
    parsed_srt = list(srt.parse(to_srt(cues)))
    parsed_vtt = webvtt.from_string(to_vtt(cues)).captions
    assert len(parsed_srt) == len(parsed_vtt) == len(cues)
    for cue, s, v in zip(cues, parsed_srt, parsed_vtt):
        assert s.start.total_seconds() == pytest.approx(cue.start, abs=0.001)
        assert v.end_time.in_milliseconds() == round(cue.end * 1000)
        assert s.content.split("\n") == list(cue.lines)
    assert "Fish &amp; chips &lt;cheap&gt; --&gt; here." in to_vtt(cues)


def test_timestamps_past_an_hour():
    text = to_srt(cues_from_words([Word(text="Late.", start=3725.5, end=3726.0)]))
    assert "01:02:05,500 --> 01:02:06,500" in text


def test_segments_without_words_get_estimated_timings():
    segment = Segment(start=10.0, end=12.0, text="Short and sweet.")
    words = estimate_words(segment)
    assert [w.text for w in words] == ["Short", "and", "sweet."]
    assert words[0].start == 10.0 and words[-1].end == pytest.approx(12.0)
    assert all(a.end == pytest.approx(b.start) for a, b in zip(words, words[1:]))
    transcript = Transcript(segments=(segment,), duration=12.0)
    (cue,) = transcript_cues(transcript)
    assert (cue.start, cue.text) == (10.0, "Short and sweet.")


# --------------------------------------------------------------------------- subtitle loader

def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_srt_file_becomes_a_transcript(tmp_path):
    path = write(tmp_path, "talk.srt", "\ufeff1\n00:00:01,000 --> 00:00:02,500\n<i>Hello</i>,\n"
                 "world &amp; all.\n\n2\n00:00:03,000 --> 00:00:04,000\n{\\an8}Bye.\n")
    transcript = SubtitleLoader().load(path)
    assert [s.text for s in transcript.segments] == ["Hello, world & all.", "Bye."]
    assert transcript.segments[0].start == 1.0 and transcript.duration == 4.0
    assert transcript.title == "talk"


def test_vtt_file_with_voices_becomes_a_transcript(tmp_path):
    path = write(tmp_path, "talk.vtt", "WEBVTT\n\nNOTE a comment\n\n00:01.000 --> 00:02.250 "
                 "align:start\n<v Ana>Welcome back.\n\n00:00:03.000 --> 00:00:04.000\nThanks.\n")
    transcript = SubtitleLoader().load(path)
    assert [(s.speaker, s.text) for s in transcript.segments] == [("Ana", "Welcome back."),
                                                                 (None, "Thanks.")]
    assert transcript.segments[0].end == 2.25


def test_written_captions_load_back(tmp_path):
    words = spoken(TALK)
    for ext, writer in (("srt", to_srt), ("vtt", to_vtt)):
        path = write(tmp_path, f"out.{ext}", writer(cues_from_words(words)))
        assert SubtitleLoader().load(path).text() == " ".join(w.text for w in words)


@pytest.mark.parametrize("name, text, expected", [
    ("bad.srt", "this is not a subtitle file\n", "not a valid SRT file"),
    ("bad.vtt", "00:01.000 --> 00:02.000\nno header\n", "not a valid WebVTT file"),
    ("blank.srt", "1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n", "has no subtitle cues"),
    ("empty.vtt", "", "is empty"),
])
def test_bad_subtitle_files_give_one_line(tmp_path, name, text, expected):
    with pytest.raises(SourceError) as info:
        SubtitleLoader().load(write(tmp_path, name, text))
    assert expected in str(info.value) and name in str(info.value)
    assert "\n" not in str(info.value)
