"""Text normalisation for speech: every category, the engine subsets, no double reading."""

from __future__ import annotations

import pytest

from plugins.speech.normalize import (CATEGORIES, HIBARI_CATEGORIES, cardinal, normalize,
                                      ordinal, say_address, year)


@pytest.mark.parametrize("n, words", [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (40, "forty"), (42, "forty-two"),
    (100, "one hundred"), (120, "one hundred twenty"), (1001, "one thousand one"),
    (1_250_000, "one million two hundred fifty thousand"), (-3, "minus three"),
])
def test_cardinal(n, words):
    assert cardinal(n) == words


@pytest.mark.parametrize("n, words", [
    (1, "first"), (2, "second"), (3, "third"), (5, "fifth"), (12, "twelfth"), (20, "twentieth"),
    (21, "twenty-first"), (99, "ninety-ninth"), (100, "one hundredth"),
])
def test_ordinal(n, words):
    assert ordinal(n) == words


@pytest.mark.parametrize("n, words", [
    (1066, "ten sixty-six"), (1905, "nineteen oh five"), (1990, "nineteen ninety"),
    (1900, "nineteen hundred"), (2000, "two thousand"), (2005, "two thousand five"),
    (2010, "twenty ten"), (2024, "twenty twenty-four"),
])
def test_year(n, words):
    assert year(n) == words


CASES = {
    "web": [
        ("See https://example.org/a for details.", "See example dot org slash a for details."),
        ("Go to www.example.com.", "Go to example dot com."),
        ("Read https://www.example.org/path/to-page?x=1#top, then stop.",
         "Read example dot org slash path slash to dash page, then stop."),
        ("Mail jane.doe@example.com today.", "Mail jane dot doe at example dot com today."),
        ("It lives at docs.python.org now.", "It lives at docs dot python dot org now."),
    ],
    "abbreviations": [
        ("Dr. Smith met Mr. Jones and Mrs. Lee.", "Doctor Smith met Mister Jones and Missus Lee."),
        ("Tools, e.g. hammers, i.e. things.", "Tools, for example hammers, that is things."),
        ("Apples, pears, etc.", "Apples, pears, et cetera."),
        ("Apples, etc. are fine.", "Apples, et cetera are fine."),
        ("Lakers vs. Celtics", "Lakers versus Celtics"),
        ("He lives in the U.S. now.", "He lives in the U.S now."),
        ("She moved to the U.S.", "She moved to the U.S."),
        ("Visit St. Paul on Main St. today.", "Visit Saint Paul on Main Street today."),
        ("He was No. 1 again.", "He was number 1 again."),
    ],
    "times": [
        ("We met at 7:30 pm.", "We met at seven thirty PM."),
        ("It starts at 9:05.", "It starts at nine oh five."),
        ("Lunch is at 12:00.", "Lunch is at twelve o'clock."),
        ("Wake at 5am or 6 a.m. Then go.", "Wake at five AM or six AM. Then go."),
    ],
    "dates": [
        ("On 2024-03-01 we left.", "On March first, twenty twenty-four we left."),
        ("Born March 3rd, 1990.", "Born March third, nineteen ninety."),
        ("Due Jan. 15.", "Due January fifteenth."),
        ("On 3 March 2024 it rained.", "On the third of March, twenty twenty-four it rained."),
        ("By the 21st of June.", "By the twenty-first of June."),
        ("Due 5 Jan. 2025 or the 6th of Jan.",
         "Due the fifth of January, twenty twenty-five or the sixth of January."),
        ("Dated 12/25/2023.", "Dated December twenty-fifth, twenty twenty-three."),
    ],
    "currency": [
        ("It cost $9.99.", "It cost nine dollars and ninety-nine cents."),
        ("Only $1 or $0.50.", "Only one dollar or fifty cents."),
        ("A $1,000 fee, $5.00 tip.", "A one thousand dollars fee, five dollars tip."),
        ("Raised $1.5 billion and $2m.",
         "Raised one point five billion dollars and two million dollars."),
        ("Pay £3.50 or €5.", "Pay three pounds and fifty pence or five euros."),
    ],
    "percent": [
        ("Up 45% on last year.", "Up forty-five percent on last year."),
        ("Between 10-20% and 3.5 %.",
         "Between ten to twenty percent and three point five percent."),
    ],
    "units": [
        ("It weighs 10 kg and is 5 km away.",
         "It weighs ten kilograms and is five kilometers away."),
        ("Take 20mg with 1 ml of water.", "Take twenty milligrams with one milliliter of water."),
        ("It was 72°F, or -5°C at night.",
         "It was seventy-two degrees Fahrenheit, or minus five degrees Celsius at night."),
        ("A 3x speedup at 60 mph.", "A three times speedup at sixty miles per hour."),
        ("Files of 2-4 GB.", "Files of two to four gigabytes."),
    ],
    "ordinals": [
        ("The 21st century and the 3rd time.", "The twenty-first century and the third time."),
    ],
    "years": [
        ("In 1990 and 2024.", "In nineteen ninety and twenty twenty-four."),
        ("Back in the 1990s and the '80s.", "Back in the nineteen nineties and the eighties."),
        ("From 1990-95 and 2001–2005.",
         "From nineteen ninety to ninety-five and two thousand one to two thousand five."),
    ],
    "numbers": [
        ("It was 1,250,000 people.", "It was one million two hundred fifty thousand people."),
        ("Pi is 3.14 and 0.5 is half.", "Pi is three point one four and zero point five is half."),
        ("About 10-20 people came.", "About ten to twenty people came."),
        ("Add 1/2 cup and 3/4 spoon.", "Add one half cup and three quarters spoon."),
        ("Call 555-123-4567.", "Call five five five, one two three, four five six seven."),
        ("Version 2.0.1 is out.", "Version two point zero point one is out."),
        ("Agent 007 and COVID-19 and Q3.", "Agent zero zero seven and COVID-nineteen and Q3."),
    ],
}


@pytest.mark.parametrize("category, text, expected",
                         [(c, t, e) for c, pairs in CASES.items() for t, e in pairs])
def test_category(category, text, expected):
    assert normalize(text, [category]) == expected


@pytest.mark.parametrize("text", [t for pairs in CASES.values() for t, _ in pairs])
def test_all_categories_leave_no_digits_to_misread(text):
    spoken = normalize(text).replace("Q3", "")
    assert not any(c.isdigit() for c in spoken), spoken


def test_say_address_drops_scheme_query_and_trailing_slash():
    assert say_address("https://example.org/a") == "example dot org slash a"
    assert say_address("http://my_site.io/docs/?page=2") == "my underscore site dot io slash docs"


def test_hibari_subset_leaves_what_hibari_reads_itself():
    text = "Dr. Smith paid $9.99 on 2024-03-01 at 7:30 pm, e.g. see example.org/a."
    expected = ("Doctor Smith paid $9.99 on 2024-03-01 at 7:30 pm, for example see "
                "example dot org slash a.")
    assert normalize(text, HIBARI_CATEGORIES) == expected


@pytest.mark.parametrize("text", [t for pairs in CASES.values() for t, _ in pairs])
def test_normalising_twice_changes_nothing(text):
    once = normalize(text)
    assert normalize(once) == once


def test_plain_prose_is_untouched():
    text = "The quick brown fox, it seems, jumps over the lazy dog.\n\nThen it rests."
    assert normalize(text) == text


def test_unknown_category_is_an_error():
    with pytest.raises(ValueError, match="known: web"):
        normalize("x", ["emoji"])


def test_categories_cover_every_pass():
    assert set(HIBARI_CATEGORIES) < set(CATEGORIES)
