"""Aligning a known script to recognised words: exact script tokens, sensible times."""

from __future__ import annotations

import statistics

import pytest

from engine.artifacts import Word
from plugins.speech.alignment import align, aligned_transcript, segments_from_words

from . import media_helpers as mh


def heard(*items: tuple[str, float, float]) -> list[Word]:
    return [Word(text=t, start=s, end=e) for t, s, e in items]


def times(words: list[Word]) -> list[tuple[str, float, float]]:
    return [(w.text, w.start, w.end) for w in words]


def test_matching_words_take_the_recognised_times_and_keep_script_spelling():
    words = align("Hello, World! It's me.",
                  heard(("hello", 0.1, 0.4), ("world", 0.5, 0.9), ("it's", 1.2, 1.4),
                        ("me", 1.4, 1.6)))
    assert times(words) == [("Hello,", 0.1, 0.4), ("World!", 0.5, 0.9), ("It's", 1.2, 1.4),
                            ("me.", 1.4, 1.6)]


def test_numbers_written_differently_share_the_spoken_span():
    script = "We sold 1,500 copies in 2024."
    words = align(script, heard(("We", 0.0, 0.2), ("sold", 0.2, 0.5), ("fifteen", 0.5, 0.9),
                                ("hundred", 0.9, 1.3), ("copies", 1.3, 1.8), ("in", 1.8, 1.9),
                                ("2024.", 1.9, 2.6)))
    assert [w.text for w in words] == script.split()
    number = words[2]
    assert (number.start, number.end) == (0.5, 1.3)
    assert words[4].start == 1.8 and words[5].start == 1.9


def test_digits_match_their_formatted_form():
    words = align("It costs $9.99 or 1,250 points.",
                  heard(("It", 0, 0.2), ("costs", 0.2, 0.5), ("999", 0.5, 1.4),
                        ("or", 1.4, 1.5), ("1250", 1.5, 2.3), ("points.", 2.3, 2.8)))
    assert times(words)[2] == ("$9.99", 0.5, 1.4) and times(words)[4] == ("1,250", 1.5, 2.3)


def test_words_the_recogniser_dropped_are_placed_between_their_neighbours():
    words = align("the very big red dog",
                  heard(("the", 0.0, 0.2), ("dog", 1.4, 1.7)))
    middle = words[1:4]
    assert [w.text for w in middle] == ["very", "big", "red"]
    assert middle[0].start == pytest.approx(0.2) and middle[-1].end == pytest.approx(1.4)
    assert all(a.end == pytest.approx(b.start) for a, b in zip(middle, middle[1:]))


def test_extra_recognised_words_are_ignored():
    words = align("good morning everyone",
                  heard(("um", 0.0, 0.3), ("good", 0.4, 0.6), ("uh", 0.6, 0.8),
                        ("morning", 0.8, 1.2), ("everyone", 1.3, 1.8), ("thanks", 2.0, 2.4)))
    assert times(words) == [("good", 0.4, 0.6), ("morning", 0.8, 1.2), ("everyone", 1.3, 1.8)]


def test_unmatched_ends_stay_near_the_speech_and_inside_the_audio():
    words = align("Intro words. Then the main point here. Outro words",
                  heard(("then", 2.0, 2.2), ("the", 2.2, 2.3), ("main", 2.3, 2.6),
                        ("point", 2.6, 2.9), ("here", 2.9, 3.2)), duration=3.5)
    assert 1.0 < words[0].start < words[2].start == 2.0
    assert words[-1].end <= 3.5 and words[-2].start >= 3.2


def test_nothing_recognised_spreads_the_script_over_the_audio():
    words = align("one two three", [], duration=3.0)
    assert [w.text for w in words] == ["one", "two", "three"]
    assert words[0].start == 0.0 and words[-1].end == pytest.approx(3.0)


def test_times_never_go_backwards_even_when_recognised_times_do():
    words = align("a b c d", heard(("a", 1.0, 1.2), ("b", 0.5, 0.7), ("c", 1.5, 1.6),
                                   ("d", 1.6, 1.8)))
    starts = [w.start for w in words]
    assert starts == sorted(starts) and all(w.end >= w.start for w in words)


def test_empty_script():
    assert align("  \n", heard(("hello", 0, 1))) == []


def test_segments_are_sentences():
    words = align("First one. Second one? Third", [], duration=3.0)
    assert [s.text for s in segments_from_words(words)] == ["First one.", "Second one?", "Third"]


@pytest.mark.slow
def test_word_starts_on_real_speech_are_within_150_ms(tmp_path):
    """Speech with known word boundaries, transcribed by whisper tiny.en, aligned back."""
    from plugins.speech.whisper import WhisperTranscriber

    truth = mh.word_timed_speech(tmp_path / "known.wav", mh.SENTENCES[:5])
    script = " ".join(w.text for w in truth)
    transcript = aligned_transcript(script, tmp_path / "known.wav", WhisperTranscriber())
    words = transcript.words()
    assert [w.text for w in words] == script.split()
    errors = [abs(w.start - t.start) for w, t in zip(words, truth)]
    assert statistics.median(errors) < 0.15, sorted(errors)
    assert [s.text for s in transcript.segments] == list(mh.SENTENCES[:5])
