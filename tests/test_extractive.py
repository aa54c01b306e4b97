"""The offline extractive generator (plugins/text/extractive.py)."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest

import engine
from engine.artifacts import Document, Section
from plugins.sources.markdown import MarkdownLoader
from plugins.text.cohesion import detach
from plugins.text.extractive import ExtractiveGenerator
from engine.sentences import compressions, count_words, ends_sentence, split_sentences

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "article.md"
NUMBERING = re.compile(r" (\d+)/(\d+)$")


@pytest.fixture(scope="module")
def article() -> Document:
    return MarkdownLoader().load(SAMPLE)


def long_document(words: int, seed: int = 7) -> Document:
    """Pseudo-English of about ``words`` words: Zipf-distributed vocabulary, sentences of
    6-34 words, paragraphs of 3-7 sentences, sections of 8 paragraphs."""
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choice("abcdefghiklmnoprstuvw") for _ in range(rng.randint(3, 10)))
                  for _ in range(6000)]
    weights = [1 / rank for rank in range(1, len(vocabulary) + 1)]
    sections, paragraphs, sentences, total = [], [], [], 0
    while total < words:
        chosen = rng.choices(vocabulary, weights, k=rng.randint(6, 34))
        sentences.append(" ".join(chosen).capitalize() + ".")
        total += len(chosen)
        if len(sentences) >= rng.randint(3, 7):
            paragraphs.append(" ".join(sentences))
            sentences = []
        if len(paragraphs) == 8:
            sections.append(Section(heading=f"Part {len(sections) + 1}",
                                    paragraphs=tuple(paragraphs)))
            paragraphs = []
    paragraphs += [" ".join(sentences)] if sentences else []
    sections += [Section(heading="End", paragraphs=tuple(paragraphs))] if paragraphs else []
    return Document(title="A long document", sections=tuple(sections))


@pytest.fixture(scope="module")
def long_doc() -> Document:
    return long_document(20_000)


def source_sentences(doc: Document) -> set[str]:
    return {s for p in doc.paragraphs() for s in split_sentences(p)}


def assert_whole_sentences(text: str, doc: Document) -> None:
    """Every sentence is one of the source's, or a clause compression of one, or one
    without a connective or additive word it cannot keep alone."""
    originals = source_sentences(doc)
    originals |= {detach(s) for s in originals}
    allowed = originals | {c for s in originals for c in compressions(s)}
    for sentence in split_sentences(text):
        assert sentence in allowed, sentence
        assert ends_sentence(sentence), sentence


def within(words: int, target: int) -> bool:
    return 0.8 * target <= words <= 1.2 * target


# --------------------------------------------------------------------------- summarize

@pytest.mark.parametrize("target", [25, 50, 100, 150, 400, 800])
def test_summary_length_on_the_sample(article, target):
    summary = ExtractiveGenerator().summarize(article, words=target)
    assert within(count_words(summary), target), count_words(summary)
    assert_whole_sentences(summary, article)


@pytest.mark.parametrize("target", [25, 150, 800, 2000])
def test_summary_length_on_a_long_document(long_doc, target):
    summary = ExtractiveGenerator().summarize(long_doc, words=target)
    assert within(count_words(summary), target), count_words(summary)
    assert_whole_sentences(summary, long_doc)


def test_summary_keeps_document_order(article):
    order = {s: i for i, s in enumerate(s for p in article.paragraphs()
                                        for s in split_sentences(p))}
    positions = [order[s] for s in split_sentences(
        ExtractiveGenerator().summarize(article, words=400))]
    assert positions == sorted(positions)


def test_long_summary_has_paragraphs_and_short_one_does_not(article):
    generator = ExtractiveGenerator()
    assert "\n\n" in generator.summarize(article, words=400)
    assert "\n\n" not in generator.summarize(article, words=50)


def test_short_document_is_returned_whole():
    doc = Document(title="t", sections=(Section(paragraphs=("One short paragraph here.",
                                                            "And another one.")),))
    assert ExtractiveGenerator().summarize(doc, words=100) == doc.text()


def test_long_sentences_are_compressed_at_a_clause():
    sentences = [
        "The city planted four thousand new trees along the river, which cost the council "
        "far more than anyone had expected at the time of the original vote in spring.",
        "Residents watered the young trees through three dry summers, and most of them "
        "survived even though the nursery had warned that losses would be heavy.",
        "Engineers rebuilt the pavement over structural soil; the roots now have room to "
        "spread without lifting the slabs that people walk on every single day.",
    ]
    doc = Document(title="Trees", sections=(Section(paragraphs=(" ".join(sentences),)),))
    summary = ExtractiveGenerator().summarize(doc, words=12)
    assert within(count_words(summary), 12), summary
    assert len(split_sentences(summary)) == 1 and summary.endswith(".")
    assert_whole_sentences(summary, doc)
    assert summary not in sentences


def test_summary_is_deterministic(article, long_doc):
    for doc in (article, long_doc):
        assert ExtractiveGenerator().summarize(doc, words=150) == \
            ExtractiveGenerator().summarize(doc, words=150)


# --------------------------------------------------------------------------- key points

def test_key_points(article):
    points = ExtractiveGenerator().key_points(article, count=5)
    assert len(points) == 5 and len(set(points)) == 5
    assert all(isinstance(p, str) and not p.startswith(("-", "*", "•")) for p in points)
    assert all(count_words(p) <= 30 for p in points)
    for point in points:
        assert len(split_sentences(point)) == 1
        assert_whole_sentences(point, article)
    flat = " ".join(article.paragraphs())
    starts = [flat.find(p[:40]) for p in points]
    assert -1 not in starts and starts == sorted(starts)


def test_key_points_skip_repetition():
    repeated = "Street trees cool the pavement by several degrees on summer afternoons."
    others = ["Nurseries need orders placed several years before planting day.",
              "Structural soil carries the pavement while leaving room for roots.",
              "Volunteers water young saplings through their first dry summers.",
              "Lidar surveys map every crown in the city to within a metre.",
              "Diverse species protect a neighbourhood from a single pest.",
              "Pruning young trees early gives them one strong central trunk.",
              "Storm drains overflow less where large crowns intercept rain.",
              "Budgets that fund planting without care waste most of the money."]
    doc = Document(title="Street trees", sections=(
        Section(paragraphs=(repeated, *others[:4], repeated)),
        Section(heading="More", paragraphs=(repeated, *others[4:])),
    ))
    points = ExtractiveGenerator().key_points(doc, count=4)
    assert len(points) == 4 and points.count(repeated) == 1


def test_key_points_fewer_when_the_document_has_fewer(article):
    doc = Document(title="t", sections=(Section(paragraphs=(
        "Only one real sentence lives in this small document.",)),))
    assert ExtractiveGenerator().key_points(doc, count=5) == [
        "Only one real sentence lives in this small document."]
    assert ExtractiveGenerator().key_points(article, count=0) == []


# --------------------------------------------------------------------------- posts

def _words(text: str) -> set[str]:
    return {w.strip(".,;:!?…\"'()").lower() for w in text.split()}


#: the words a question built from the title may add ("How do cities rebuild ...?")
QUESTION_WORDS = {"do", "does", "did", "you", "what", "why", "how", "should", "we", "know",
                  "about", "involve", "can", "tell", "us", "is", "are"}


@pytest.mark.parametrize("limit", [500, 280, 140, 80, 40])
def test_social_post_fits_and_cuts_no_word(article, limit):
    post = ExtractiveGenerator().social_post(article, max_chars=limit)
    assert 0 < len(post) <= limit
    assert _words(post) <= _words(article.text()) | _words(article.title) | QUESTION_WORDS


def test_social_post_has_a_hook_and_a_point_and_no_title_line(article):
    post = ExtractiveGenerator().social_post(article, max_chars=280)
    assert post.startswith("How do cities rebuild their tree canopy? ")
    assert article.title not in post
    body = post.split("? ", 1)[1]
    assert_whole_sentences(body, article)


@pytest.mark.parametrize("limit, posts", [(280, 6), (500, 3), (140, 10), (60, 4)])
def test_thread_limits_and_numbering(article, limit, posts):
    thread = ExtractiveGenerator().thread(article, max_chars=limit, max_posts=posts)
    assert 1 <= len(thread) <= posts
    for i, post in enumerate(thread, start=1):
        assert len(post) <= limit, post
        match = NUMBERING.search(post)
        assert match and match.groups() == (str(i), str(len(thread)))


@pytest.mark.parametrize("limit, last, posts", [(280, 150, 6), (280, 60, 6), (140, 50, 10),
                                               (60, 40, 4)])
def test_thread_holds_only_its_last_post_to_the_last_limit(article, limit, last, posts):
    thread = ExtractiveGenerator().thread(article, max_chars=limit, max_posts=posts,
                                          last_max_chars=last)
    assert 2 <= len(thread) <= posts
    assert all(len(post) <= limit for post in thread) and len(thread[-1]) <= last
    assert max(len(post) for post in thread[:-1]) > last
    assert NUMBERING.search(thread[-1]).groups() == (str(len(thread)), str(len(thread)))


@pytest.mark.parametrize("last", [200, 150, 130])
def test_a_thread_ends_on_a_whole_sentence_that_leaves_room_for_the_closing(article, last):
    """Not "...lose a large share of those trees within 5/6" / "a few years simply because
    nobody watered them. 6/6": a shorter sentence ends the thread instead."""
    thread = ExtractiveGenerator().thread(article, max_chars=280, max_posts=6,
                                          last_max_chars=last)
    assert len(thread[-1]) <= last
    for post in thread:
        assert_whole_sentences(NUMBERING.sub("", post).removeprefix(
            "How do cities rebuild their tree canopy? "), article)


def test_thread_keeps_sentences_whole_and_in_order(article):
    thread = ExtractiveGenerator().thread(article, max_chars=280, max_posts=6)
    hook = "How do cities rebuild their tree canopy? "
    assert thread[0].startswith(hook)  # the first post opens with the title's question
    bodies = [NUMBERING.sub("", post).removeprefix(hook) for post in thread]
    for body in bodies:
        assert_whole_sentences(body, article)
    flat = " ".join(article.paragraphs())
    starts = [flat.find(s) for body in bodies for s in split_sentences(body)]
    assert -1 not in starts and starts == sorted(starts)


def test_thread_splits_an_oversized_sentence(article):
    thread = ExtractiveGenerator().thread(article, max_chars=50, max_posts=20)
    assert all(len(post) <= 50 for post in thread)
    assert any(not ends_sentence(NUMBERING.sub("", post)) for post in thread)


def test_thread_needs_room_for_text(article):
    with pytest.raises(engine.GeneratorError) as info:
        ExtractiveGenerator().thread(article, max_chars=12, max_posts=9)
    assert "\n" not in str(info.value)


def test_posts_are_deterministic(article):
    first, second = ExtractiveGenerator(), ExtractiveGenerator()
    assert first.social_post(article, max_chars=280) == second.social_post(article, max_chars=280)
    assert first.thread(article, max_chars=280, max_posts=5) == \
        second.thread(article, max_chars=280, max_posts=5)
    assert first.key_points(article, count=6) == second.key_points(article, count=6)


# --------------------------------------------------------------------------- scale

def test_a_100000_word_document_is_handled():
    doc = long_document(100_000)
    generator = ExtractiveGenerator()
    start = time.perf_counter()
    summary = generator.summarize(doc, words=800)
    points = generator.key_points(doc, count=7)
    post = generator.social_post(doc, max_chars=280)
    thread = generator.thread(doc, max_chars=280, max_posts=8)
    elapsed = time.perf_counter() - start
    assert within(count_words(summary), 800)
    assert len(points) == 7 and len(post) <= 280 and 1 <= len(thread) <= 8
    assert elapsed < 60, f"{elapsed:.1f} s"


def test_registered_as_a_text_generator(registry):
    generator = registry.text_generator("extractive")
    assert isinstance(generator, ExtractiveGenerator)
    assert generator.identity() == "extractive:@4"


# --------------------------------------------------------------------------- issue 12

def _opening_sentences(text: str) -> list[str]:
    return [s for line in text.splitlines() for s in split_sentences(line.lstrip("- "))]


def test_no_output_opens_with_an_unresolved_reference(article):
    """"Today many of them treat the tree canopy..." and "The insect has since killed..."
    never open a summary, a key point or a post without the sentence they lean on."""
    generator = ExtractiveGenerator()
    outputs = [generator.summarize(article, words=w) for w in (25, 50, 150, 400)]
    outputs += ["\n".join(generator.key_points(article, count=5)),
                generator.social_post(article, max_chars=280)]
    source = [s for p in article.paragraphs() for s in split_sentences(p)]
    for text in outputs:
        sentences = _opening_sentences(text)
        for before, sentence in zip([None, *sentences], sentences):
            if sentence.startswith(("Today many of them", "The insect has since")):
                assert before == source[source.index(sentence) - 1], (before, sentence)
    points = generator.key_points(article, count=5)
    assert not any(p.startswith("Today many of them") for p in points)


def test_another_and_this_scenario_never_lose_what_they_compare_with(article):
    """"Cities replanted, and many of them reached for the green ash, another tough and
    fast-growing tree." read alone in summary-150 and, with the sample brand's words to
    avoid, as a key point: another than which?"""
    generator = ExtractiveGenerator()
    source = [s for p in article.paragraphs() for s in split_sentences(p)]
    for avoid in ([], ["magnificent", "cheap"]):
        outputs = [generator.summarize(article, words=w, avoid=avoid) for w in (50, 150, 400)]
        outputs.append("\n".join(generator.key_points(article, count=5, avoid=avoid)))
        for text in outputs:
            sentences = _opening_sentences(text)
            for before, sentence in zip([None, *sentences], sentences):
                if "another tough" in sentence:
                    assert before == source[source.index(sentence) - 1], (before, sentence)


def test_ascii_art_lists_and_bare_lead_ins_stay_out_of_a_short_document():
    art = r"__ /\ \ __ __ ___ /_\ ____ /\ /\ \ /' _ \ /'_ \ /'__/\ / ,\ / \ / \/\ __\/'__\."
    doc = Document(title="SQLite", sections=(Section(paragraphs=(
        art,
        "SQLite is self-contained and needs very few outside libraries to run anywhere.",
        "A minimal build of SQLite requires just a few routines from the standard C library:",
        "memcmp()", "memcpy()",
        "But those routines are optional and can be omitted using a compile-time option.",
        "Default builds contain VFS objects that talk to the operating system for SQLite.")),))
    kept = [doc.sections[0].paragraphs[i] for i in (1, 6)]
    generator = ExtractiveGenerator()
    assert generator.summarize(doc, words=400) == "\n\n".join(kept)
    thread = " ".join(NUMBERING.sub("", p) for p in generator.thread(doc, max_chars=280,
                                                                      max_posts=4))
    assert "/'__" not in thread and "memcmp" not in thread and "But those" not in thread
    assert all(p in thread for p in kept)


def test_inline_markup_and_pointers_stay_out():
    """A .txt source written in reStructuredText gave "it is **much** easier", "the
    ``str`` type" and "(see the table above ...)" in summaries and posts."""
    paragraphs = (
        "While you can make Python 2.5 work with Python 3, it is **much** easier if you "
        "only have to work with Python 2.7 and nothing older than that release.",
        "In Python 2 you could use the ``str`` type for both text and binary data, which "
        "made porting code that handles both kinds of data to Python 3 hard.",
        "Computing 2 ** 8 gives 256, and a**b is a power in Python source code as well.",
        "Make sure that code for binary data works with bytes in Python 2 (see the table "
        "above for what methods you cannot use for each type).")
    doc = Document(title="Porting", sections=(Section(paragraphs=paragraphs),))
    generator = ExtractiveGenerator()
    for text in (generator.summarize(doc, words=400), generator.summarize(doc, words=30),
                 "\n".join(generator.key_points(doc, count=3)),
                 " ".join(generator.thread(doc, max_chars=280, max_posts=3))):
        assert "**much**" not in text and "``" not in text and "see the" not in text, text
    whole = generator.summarize(doc, words=400)
    assert "it is much easier" in whole and "the str type" in whole
    assert "2 ** 8" in whole and "a**b" in whole  # arithmetic is not markup
    assert "works with bytes in Python 2." in whole  # the pointer to a table is gone


def test_a_long_target_takes_every_sentence_that_reads():
    """ASCII art made a README too long to be given whole, and summary-150 was one
    sentence when the 50-word one had four."""
    art = " ".join([r"__ /\ \ __ _\ \ /' _ \ /'_ \ /'__/\ / ,\ / \ / \/\ __\/'__\ "] * 8)
    sentences = ("Underscore.js is a utility-belt library for JavaScript that provides the "
                 "usual functional helpers without extending core objects.",
                 "Enterprise coverage is available as part of the Tidelift Subscription.",
                 "This project adheres to a code of conduct.")
    doc = Document(title="Underscore", sections=(Section(paragraphs=(art, *sentences)),))
    assert doc.word_count() > 150 * 1.2
    summary = ExtractiveGenerator().summarize(doc, words=150)
    assert summary == " ".join(sentences)


def test_a_talks_greetings_and_a_transcribers_false_stops_stay_out():
    """From the sample talk's transcript: the key point "Hello everyone and thank you for
    coming." and "...a single 30 second moment from it. and that clip reached..."."""
    doc = Document(title="Talk", sections=(Section(paragraphs=(
        "Hello everyone and thank you for coming. Today I want to talk about a simple idea "
        "that changes how short clips are made. We once published a 40 minute lecture and "
        "almost nobody stayed past the second minute. Later we cut a single 30 second "
        "moment from it. and that clip reached more people in one day than the lecture did "
        "in a year. A caption that highlights each word lets people follow along without "
        "any sound at all. Thank you very much.",)),))
    generator = ExtractiveGenerator()
    points = generator.key_points(doc, count=5)
    assert points and not any(p.startswith(("Hello", "Thank")) for p in points), points
    for text in (*points, generator.summarize(doc, words=40),
                 " ".join(generator.thread(doc, max_chars=280, max_posts=3))):
        assert "it. and" not in text and "Hello everyone" not in text, text
    assert "moment from it and that clip" in generator.summarize(doc, words=60)


def test_a_leaning_sentence_brings_in_the_one_it_leans_on():
    doc = Document(title="Ash trees", sections=(Section(heading="Pests", paragraphs=(
        "In the summer of 2002, a small metallic beetle called the emerald ash borer was "
        "identified near Detroit. The insect has since killed hundreds of millions of ash "
        "trees across the continent, and whole streets lost their shade.",
        "Replanting took decades and cost cities a great deal of money and patience.",
        "Nurseries now grow dozens of species so that no single pest can strip a street.")),))
    summary = ExtractiveGenerator().summarize(doc, words=40)
    if "The insect" in summary:
        assert "emerald ash borer was identified near Detroit. The insect" in summary


def test_post_is_never_the_summary_it_was_made_from(article):
    """post-50 == summary-50 must not happen."""
    from engine.artifacts import Text, as_document

    generator = ExtractiveGenerator()
    for words in (25, 50, 150, 400):
        summary = generator.summarize(article, words=words)
        post = generator.social_post(as_document(Text(title=article.title, body=summary)),
                                     max_chars=280)
        assert post.strip() != summary.strip()
        assert article.title not in post.splitlines()


def test_post_without_a_hook_is_never_its_input():
    """With no question from the title ("Introduction"), a quote and a point made of
    the input's two sentences were the input itself."""
    from engine.sentences import normalize_space

    doc = Document(title="Introduction", sections=(Section(paragraphs=(
        "httplib2 is a comprehensive HTTP client library that supports many features "
        "left out of other HTTP libraries.",
        "HTTPS support is only available if the socket module was compiled with SSL "
        "support on the machine."),),))
    post = ExtractiveGenerator().social_post(doc, max_chars=280)
    assert post and normalize_space(post) != normalize_space(doc.text())
    assert not post.startswith("What should we know")


def test_thread_posts_read_alone(article):
    from plugins.text.cohesion import dependency

    thread = ExtractiveGenerator().thread(article, max_chars=280, max_posts=6)
    for post in thread:
        body = NUMBERING.sub("", post)
        first = split_sentences(body)[0]
        assert first.endswith("?") or dependency(first) is None, post


def test_passages_of_the_sample_carry_their_antecedents(article):
    """The sentences the issue quotes, if chosen, come with what they lean on."""
    from plugins.text.extractive import _ranking

    ranking = _ranking(article)
    texts = [u.text for u in ranking.units]

    def passage_of(opening: str) -> str:
        index = next(i for i, t in enumerate(texts) if t.startswith(opening))
        return ranking.passage(index).text

    insect = passage_of("The insect has since killed")
    assert insect.startswith("In the summer of 2002, a small metallic beetle called the "
                             "emerald ash borer")
    today = passage_of("Today many of them")
    assert "cities treated those benefits as decoration" in today
    assert today.index("decoration") < today.index("Today many of them")
    assert passage_of("Heaved sidewalks are not").endswith("They are a sign of starved ones.")
    assert passage_of("Leaves also cool").startswith("Leaves cool the air directly")


def test_a_document_given_whole_drops_a_lead_in_whose_list_is_left_out():
    """httplib2's README: "The following three types of HTTP Authentication are
    supported." came out without the types (list items no summary takes)."""
    from engine.artifacts import Document, Section
    from plugins.text.extractive import ExtractiveGenerator

    doc = Document(title="httplib2", sections=(Section(heading="Features", paragraphs=(
        "httplib2 is a comprehensive HTTP client library for Python.",
        "The following three types of HTTP Authentication are supported. These can be "
        "used over both HTTP and HTTPS.",
        "Digest", "Basic", "WSSE",
        "The module can optionally operate with a private cache that understands the "
        "Cache-Control header.")),))
    summary = ExtractiveGenerator().summarize(doc, words=400)
    assert "The following" not in summary and "These can be used" not in summary
    assert "private cache" in summary and "comprehensive HTTP client" in summary
