"""Whether a sentence stands alone (plugins/text/cohesion.py) and questions built from
headings of every shape (plugins/text/questions.py)."""

from __future__ import annotations

import pytest

from plugins.text.cohesion import Passage, completes, dependency, detach, passages, standalone
from plugins.text.questions import as_question, heading_shape, title_question


@pytest.mark.parametrize("sentence, kind", [
    ("Today many of them treat the tree canopy as infrastructure.", "pronoun"),
    ("The insect has since killed hundreds of millions of ash trees.", "category"),
    ("They need loose soil with air and water in its pores.", "pronoun"),
    ("They're a sign of starved ones.", "pronoun"),
    ("That changed when free tools made inventories practical.", "demonstrative"),
    ("Those maps tend to reveal the same pattern.", "demonstrative"),
    ("However, the alternative has been tested twice.", "connective"),
    ("Otherwise the tree dies young.", "connective"),
    ("The second is the suspended pavement system.", "ordinal"),
    ("Both approaches cost more than a simple pit.", "ordinal"),
    ("Leaves also cool the air directly.", "additive"),
    ("Shade is the most obvious one.", "pronoun"),
    ("On a summer street, that is the difference between hot and cool asphalt.", "demonstrative"),
    ("Developers report that SQLite is often faster than a server in this scenario.",
     "demonstrative"),
    ("Cities replanted, and many of them reached for the green ash, another tough tree.",
     "ordinal"),
    ("Most other SQL database engines are much larger than this.", "demonstrative"),
])
def test_leaning_sentences_are_recognised(sentence, kind):
    assert dependency(sentence) == kind


@pytest.mark.parametrize("sentence", [
    "A canopy is the layer of leaves, branches and stems that covers the ground.",
    "It is easy to forget how much shade matters.",
    "Cities that meet their planting targets often lose a large share of new trees.",
    "In 1990 the researcher Frank Santamour proposed a guideline that is still used.",
    "A sapling planted this spring will not cast shade for ten years.",
    "This guide explains how to plant a street tree.",
    "Both oaks and maples do well in compacted soil.",
    "Only one real sentence lives in this small document.",
    "You can copy a database file from one system to another.",
])
def test_sentences_that_stand_alone(sentence):
    assert dependency(sentence) is None


def test_safe_rewrites_keep_the_sentence_true():
    assert detach("However, the alternative failed both times.") == \
        "The alternative failed both times."
    assert detach("Leaves also cool the air directly.") == "Leaves cool the air directly."
    assert detach("Trees manage water, too.") == "Trees manage water."
    assert detach("The beetle has since killed millions of trees.") == \
        "The beetle has killed millions of trees."
    assert standalone("Otherwise the tree dies young.") is None  # conditional: kept
    # the word after a dropped connective is capitalised, unless its case is its own
    assert detach("But most trees die young.") == "Most trees die young."
    assert detach("However, iPhone sales fell sharply last year.") == \
        "iPhone sales fell sharply last year."
    assert detach("But httplib2 caches every response it gets.") == \
        "httplib2 caches every response it gets."
    assert detach("Also, list.sort() sorts the list in place.") == \
        "list.sort() sorts the list in place."
    # a preposition or conjunction, not a connective: nothing is dropped
    for sentence in ('In addition to "supporting" SQLite through 2050, the API stays stable.',
                     "Instead of watering daily, crews water deeply once a week.",
                     "Rather than planting more, cities water the trees they have."):
        assert detach(sentence) == sentence and dependency(sentence) is None
    assert detach("In particular, any thread can override that lock.") == \
        "Any thread can override that lock."
    assert detach("As mentioned just above, if you need an address on a network, neither "
                  "class is enough.") == \
        "If you need an address on a network, neither class is enough."
    assert standalone("They need loose soil.") is None  # a pronoun is never rewritten


def test_a_correction_completes_a_negated_claim():
    assert completes("Heaved sidewalks are not a sign of aggressive trees.",
                     "They are a sign of starved ones.")
    assert not completes("Heaved sidewalks are common.", "They cost cities money.")


def test_passages_reach_back_to_a_sentence_that_stands_alone_and_nest():
    sentences = ["Engineers have developed two main answers.",
                 "The first is structural soil.",
                 "It can be compacted to meet road standards.",
                 "Heaved sidewalks are not a sign of aggressive trees.",
                 "They are a sign of starved ones."]
    found = passages(sentences, [0, 0, 0, 0, 0])
    assert (found[2].start, found[2].stop) == (0, 2)
    assert (found[1].start, found[1].stop) == (0, 1)
    assert (found[3].start, found[3].stop) == (3, 4)
    assert passages(["They need soil."], [0]) == [None]


def test_a_fragment_is_no_antecedent_and_a_lead_in_keeps_what_it_announces():
    """"free() But those routines are optional" and a post opening "you should use ..."
    were both read out of their lists and lead-ins."""
    listed = ["The build calls the system allocator:", "malloc()", "free()",
              "But those routines are optional."]
    assert passages(listed, [0, 0, 0, 0])[3] is None
    led = ["On Python 3.9 and older there is one safe way to read annotations:",
           "you should use getattr() with three arguments.",
           "Functions create an annotations dict lazily."]
    assert completes(led[0], led[1]) and not completes(listed[0], listed[1])
    found = passages(led, [0, 0, 0])
    assert (found[0].start, found[0].stop) == (0, 1) and (found[1].start, found[1].stop) == (0, 1)
    assert (found[2].start, found[2].stop) == (2, 2)


@pytest.mark.parametrize("heading, shape, question", [
    ("Why a canopy matters", "wh-clause", "Why does a canopy matter?"),
    ("What a rebuilt canopy looks like", "wh-clause", "What does a rebuilt canopy look like?"),
    ("Where we go from here", "wh-clause", "Where do we go from here?"),
    ("Planting is the easy part", "clause", "Why is planting the easy part?"),
    ("Diversity has a cost", "clause", "Why does diversity have a cost?"),
    ("How to plant a tree", "how-to", "How do you plant a tree?"),
    ("Install the package", "imperative", "How do you install the package?"),
    ("Counting every tree", "gerund", "What does counting every tree involve?"),
    ("The lesson of the elms", "noun", "What should we know about the lesson of the elms?"),
    ("Build instructions", "noun", "What should we know about build instructions?"),
    ("The Case for Slow Streets", "noun", "What should we know about the case for slow streets?"),
    ("4.1. Does rigid typing prevent bugs?", "question", "Does rigid typing prevent bugs?"),
])
def test_questions_for_every_heading_shape(heading, shape, question):
    from plugins.text.questions import spoken_heading

    if not heading.endswith("?"):
        assert heading_shape(spoken_heading(heading, "")) == shape
    assert as_question(heading, "") == question


def test_title_question_uses_the_clause_after_a_colon():
    assert title_question("Roots Under the Pavement: How Cities Rebuild Their Tree Canopy",
                          "cities and trees") == "How do cities rebuild their tree canopy?"
    assert title_question("Appropriate Uses For SQLite", "we use SQLite") == \
        "What should we know about appropriate uses for SQLite?"
    assert title_question("", "") == ""
    # a title naming a part of a document, or its file, asks nothing
    for title in ("Introduction", "The Introduction", "zstd readme", "README", "Talk"):
        assert title_question(title, "text") == "", title
    assert title_question("About SQLite", "SQLite is small") == "What should we know about SQLite?"
    assert as_question("About the author") == "What should we know about the author?"


def test_a_sentence_pointing_ahead_at_a_list_is_never_read_alone():
    """httplib2's TL;DR was "The following three types of HTTP Authentication are
    supported." without the types, which are one-word items no passage takes."""
    sentences = ["httplib2 is a comprehensive HTTP client library.",
                 "The following three types of HTTP Authentication are supported.",
                 "Digest", "Basic", "WSSE",
                 "Caching is built in and follows the HTTP 1.1 rules."]
    found = passages(sentences, [0, 0, 0, 0, 0, 1])
    assert found[1] is None and found[0] == Passage(0, 0) and found[5] == Passage(5, 5)
    assert passages(["The steps are as follows.", "Plant it."], [0, 0])[0] is None
    # a colon still hands the lead-in what it announces
    led = ["The supported types are the following:", "Digest is the default one."]
    assert passages(led, [0, 0])[0] == Passage(0, 1)
