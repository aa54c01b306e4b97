"""Sentence splitting, word counting and clause compression (engine/sentences.py)."""

from __future__ import annotations

import pytest

from engine.sentences import (compress, compressions, count_words, ends_sentence,
                                    looks_like_heading, split_clauses, split_sentences,
                                    split_to_fit, truncate_words)


@pytest.mark.parametrize("text, expected", [
    ("Dr. Smith planted 3.5 km of hedges. Then he rested.",
     ["Dr. Smith planted 3.5 km of hedges.", "Then he rested."]),
    ("Use hardy trees, e.g. oaks and lindens. They last.",
     ["Use hardy trees, e.g. oaks and lindens.", "They last."]),
    ("The U.S. Forest Service released it. It is free.",
     ["The U.S. Forest Service released it.", "It is free."]),
    ("It moved to the U.S. The rest stayed.", ["It moved to the U.S.", "The rest stayed."]),
    ("Mr. J. R. Smith Jr. was there. So was I.", ["Mr. J. R. Smith Jr. was there.", "So was I."]),
    ("He said \"Stop.\" Then he left.", ["He said \"Stop.\"", "Then he left."]),
    ("(See the map.) The survey follows.", ["(See the map.)", "The survey follows."]),
    ("Wait... and then it rained. Well... The end came.",
     ["Wait... and then it rained.", "Well...", "The end came."]),
    ("Visit https://www.itreetools.org/tools?id=3.5 for data. Or mail info@city.gov.uk today.",
     ["Visit https://www.itreetools.org/tools?id=3.5 for data.",
      "Or mail info@city.gov.uk today."]),
    ("Is it worth it? Yes! It pays back.", ["Is it worth it?", "Yes!", "It pays back."]),
    ("Yahoo! is a company. See Fig. 3 and No. 7 for details.",
     ["Yahoo! is a company.", "See Fig. 3 and No. 7 for details."]),
    ("The cost rose in 2019. 2020 was worse.", ["The cost rose in 2019.", "2020 was worse."]),
    ("It opened at 9 a.m. The crowd arrived early.",
     ["It opened at 9 a.m.", "The crowd arrived early."]),
])
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_list_items_and_headings_are_not_merged():
    text = ("Planting Plan\nThe plan has parts:\n- water the trees\n- prune them\n"
            "  every winter\n1. Count them. Then map them.\n\n# Results\nIt worked.")
    assert split_sentences(text) == [
        "Planting Plan", "The plan has parts:", "water the trees", "prune them every winter",
        "Count them.", "Then map them.", "Results", "It worked.",
    ]


def test_wrapped_lines_are_joined():
    text = "The city planted four thousand trees along the\nriver in 2019. It worked."
    assert split_sentences(text) == [
        "The city planted four thousand trees along the river in 2019.", "It worked."]


def test_long_text_splits_quickly():
    text = " ".join(f"Sentence number {i} has a few words in it." for i in range(20000))
    assert len(split_sentences(text)) == 20000


def test_count_words_and_terminals():
    assert count_words("  one two\nthree  ") == 3
    assert count_words("") == 0
    assert ends_sentence('He said "stop."') and ends_sentence("Really?")
    assert not ends_sentence("a heading") and not ends_sentence("")


def test_looks_like_heading():
    assert looks_like_heading("The 10-20-30 Rule")
    assert not looks_like_heading("It ends with a period.")
    assert not looks_like_heading("the city planted trees along the")
    assert not looks_like_heading("A line that is much too long to be any kind of heading at all")


SENTENCE = ("After the storm of 2011, the city planted 4,000 new trees (mostly oaks) along its "
            "main streets, which cost $2.5 million; residents were thrilled.")


def test_split_clauses_keeps_numbers_and_brackets_whole():
    clauses = split_clauses(SENTENCE)
    assert clauses == ["After the storm of 2011,",
                       "the city planted 4,000 new trees (mostly oaks) along its main streets,",
                       "which cost $2.5 million;", "residents were thrilled."]
    assert " ".join(clauses) == SENTENCE


def test_split_clauses_needs_reasonable_halves():
    assert split_clauses("Oaks, maples and lindens grow well here.") == [
        "Oaks, maples and lindens grow well here."]


def test_compressions_are_sentences_from_the_original():
    variants = compressions(SENTENCE)
    assert variants == sorted(variants, key=len, reverse=True)
    assert "After the storm of 2011, the city planted 4,000 new trees along its main streets." \
        in variants
    for variant in variants:
        assert variant.endswith(".") and len(variant) < len(SENTENCE)
        assert variant[:-1].split()[0] == "After"
    # an introductory phrase alone is never offered as a sentence
    assert "After the storm of 2011." not in variants


def test_compress_limits():
    assert count_words(compress(SENTENCE, max_words=15)) <= 15
    assert len(compress(SENTENCE, max_chars=100)) <= 100
    assert compress(SENTENCE, max_words=3) is None
    assert compressions("Why did the city, after years of delay, finally act?") == []


def test_split_to_fit_prefers_clauses_then_words():
    pieces = split_to_fit(SENTENCE, 60)
    assert all(len(p) <= 60 for p in pieces)
    assert " ".join(pieces).split() == SENTENCE.split()
    assert pieces[0] == "After the storm of 2011,"
    assert split_to_fit("short", 60) == ["short"]
    assert all(len(p) <= 5 for p in split_to_fit("Supercalifragilistic word", 5))


def test_a_number_stays_with_the_word_after_it():
    """A thread post ended "...may need around 100" and the next began "litres a week"."""
    text = ("In dry weather a newly planted street tree may need around 100 litres a week, "
            "delivered slowly so that it soaks in.")
    for limit in range(20, len(text)):
        pieces = split_to_fit(text, limit)
        assert all(len(p) <= limit for p in pieces) and " ".join(pieces) == text
        assert not any(p.endswith("100") for p in pieces), (limit, pieces)
        cut = truncate_words(text, limit)
        assert len(cut) <= limit and not cut.endswith("100…"), cut
    assert split_to_fit("Pay $5 now", 3) == ["Pay", "$5", "now"]  # too long together


def test_a_cut_text_never_ends_on_a_small_word():
    """"...for all threads and all file descriptors in the…" ended a post."""
    text = "The call cancels the locks for all threads and all file descriptors in the process."
    for limit in range(12, len(text)):
        cut = truncate_words(text, limit)
        assert len(cut) <= limit
        assert cut[:-1].split()[-1].lower() not in {"in", "the", "and", "for", "all"}, cut


def test_truncate_words_never_cuts_a_word():
    cut = truncate_words(SENTENCE, 40)
    assert len(cut) <= 40 and cut.endswith("…")
    assert SENTENCE.startswith(cut[:-1]) and SENTENCE[len(cut) - 1] == " "
    assert truncate_words("fits", 10) == "fits"


@pytest.mark.parametrize("sentence", [
    "The canopy — once 40 percent of the city — fell to half that by 1990, and few noticed.",
    "The canopy—once 40 percent of the city—fell to half that by 1990, and few noticed.",
])
def test_compressions_drop_dash_asides_whole(sentence):
    variants = compressions(sentence)
    assert "The canopy fell to half that by 1990." in variants
    assert all(v.count("—") % 2 == 0 and "canopyfell" not in v for v in variants)
