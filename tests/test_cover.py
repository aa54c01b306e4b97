"""The generated podcast cover: the title set inside its box, the show and hosts, palettes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from plugins.audio import cover

SIZE = 700


def pixels(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "RGB"
    return np.asarray(image).astype(np.int16)


def white(frame: np.ndarray) -> np.ndarray:
    return (frame > 235).all(axis=-1)


def test_a_square_png_1400_wide_and_deterministic():
    png = cover.generated_cover("Why cities plant trees", show="The Urban Desk")
    assert Image.open(io.BytesIO(png)).size == (1400, 1400)
    assert png == cover.generated_cover("Why cities plant trees", show="The Urban Desk")


def test_the_title_is_drawn_large_inside_the_margins():
    frame = pixels(cover.generated_cover("Why cities plant trees", SIZE, show="Desk"))
    text = white(frame)
    rows, columns = np.nonzero(text)
    margin = SIZE * cover.MARGIN
    assert columns.min() >= margin - 2 and columns.max() <= SIZE - margin + 2
    assert rows.min() >= SIZE * cover.TITLE_TOP - 2
    assert text.mean() > 0.04                        # large type, not a caption


@pytest.mark.parametrize("title", [
    "Remixer",
    "Antidisestablishmentarianism and more",
    "Supercalifragilisticexpialidociousnessitudeologyism",
    " ".join(["A very long episode title about municipal water"] * 16),  # ~770 characters
])
def test_titles_are_fitted_to_the_box_with_the_fonts_metrics(title):
    font, lines = cover.fit_title(title, SIZE)
    width = SIZE * (1 - 2 * cover.MARGIN)
    assert all(font.getlength(line) <= width for line in lines)
    assert len(lines) * font.size * cover.LINE_HEIGHT <= SIZE * (cover.TITLE_BOTTOM - cover.TITLE_TOP)
    assert font.size >= int(SIZE * cover.TITLE_MIN)
    if title == "Remixer":
        assert lines == ["Remixer"] and font.size == int(SIZE * cover.TITLE_MAX)
    elif len(title) > 300:
        assert lines[-1].endswith("…")                # cut, not overflowing
    elif title.startswith("Anti"):                   # shrunk until the long word fits whole
        assert lines[0] == "Antidisestablishmentarianism"
        assert font.size < int(SIZE * cover.TITLE_MAX)
    else:                                            # too long even at the smallest size
        assert font.size == int(SIZE * cover.TITLE_MIN) and lines[0].endswith("-")
        assert "".join(line.rstrip("-") for line in lines) == title


def test_show_name_in_the_accent_colour_and_not_repeated():
    with_show = pixels(cover.generated_cover("Trees", SIZE, show="The Urban Desk"))
    without = pixels(cover.generated_cover("Trees", SIZE, show="trees"))
    band = slice(int(SIZE * 0.09), int(SIZE * 0.16))      # the show's line, above the bar

    def accent_share(frame):
        return max((np.abs(frame[band] - _rgb(p[2])).max(axis=-1) < 30).mean()
                   for p in cover.PALETTES)

    assert accent_share(with_show) > 0.02 and accent_share(without) < 0.005


def _rgb(color: str) -> np.ndarray:
    return np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])


def test_hosts_line_and_palette_follow_the_show():
    a = pixels(cover.generated_cover("Episode one", SIZE, show="Desk", hosts=["Alex", "Sam"]))
    b = pixels(cover.generated_cover("Episode two", SIZE, show="Desk"))
    assert white(a[int(SIZE * 0.86):]).any() and not white(b[int(SIZE * 0.86):]).any()
    assert np.abs(a[5, 5] - b[5, 5]).max() <= 1      # same show, same palette


def test_a_title_the_font_cannot_draw_is_left_off():
    assert cover.missing_glyphs("東京の朝 ok") == "東京の朝"
    assert cover.missing_glyphs("Café – naïve") == ""
    frame = pixels(cover.generated_cover("東京の朝", SIZE, show="Tokyo Mornings"))
    box = frame[int(SIZE * cover.TITLE_TOP):int(SIZE * cover.TITLE_BOTTOM)]
    assert not white(box).any()


@pytest.mark.parametrize("covers", [("generated", "generated"), ("generated", "given")])
def test_the_feed_gets_a_show_cover_when_every_episode_cover_was_generated(tmp_path, covers):
    import json
    from types import SimpleNamespace as NS

    import feedparser

    from plugins.audio.feed import write_feed

    results = []
    for slug, origin in zip(("one", "two"), covers):
        folder = tmp_path / slug
        folder.mkdir()
        (folder / "podcast.mp3").write_bytes(slug.encode() * 100)
        (folder / "podcast.json").write_text(json.dumps({
            "title": f"Episode {slug}", "duration": 60.0, "hosts": "Alex, Sam",
            "show": "The Urban Desk", "cover": origin}))
        files = ["podcast.mp3", "podcast.json", "podcast.cover.png"]
        results.append(NS(slug=slug, status="ok", steps=[
            NS(id="podcast", transform="podcast", status="ok", files=files)]))
    feed = feedparser.parse(str(write_feed(tmp_path, results)))
    show_cover = tmp_path / "podcast.cover.png"
    if covers == ("generated", "generated"):
        assert feed.feed.image.href == "podcast.cover.png"
        assert show_cover.read_bytes() == cover.generated_cover("The Urban Desk",
                                                                hosts=["Alex", "Sam"])
    else:                                              # a given cover is the show's own
        assert feed.feed.image.href == "one/podcast.cover.png" and not show_cover.exists()
