"""A branded run end to end through the real runner: the posts, the script and the feed
carry the sample brand, and a re-run (every source skipped by the batch index) writes the
same feed, read back from the manifests."""

from __future__ import annotations

import json
import textwrap

import feedparser
import pytest

from .conftest import SAMPLES

BRAND = SAMPLES / "brand" / "brand.yaml"
ARTICLE = """\
    ---
    title: Shade on Every Street
    date: 2025-06-01
    ---
    # Shade on Every Street

    Street trees cool the city by shading asphalt and releasing water vapour. A row of
    mature trees can make a pavement many degrees cooler on a summer afternoon.

    ## Keeping young trees alive

    A newly planted tree depends on the water people bring it for two or three summers.
    Cities that budget for watering crews lose far fewer saplings than cities that only
    plant them. Residents who adopt the tree outside their door help the most.
    """
RECIPE = """\
    name: branded
    steps:
      - {id: post, use: social-post, with: {max_chars: 280}}
      - {id: podcast-script, use: podcast-script, with: {minutes: 0.5}}
      - {id: podcast, use: podcast, from: podcast-script}
    """


@pytest.mark.slow
def test_a_branded_run_carries_the_brand_into_posts_script_and_feed(invoke, tmp_path):
    (tmp_path / "shade.md").write_text(textwrap.dedent(ARTICLE))
    (tmp_path / "recipe.yaml").write_text(textwrap.dedent(RECIPE))
    out = tmp_path / "out"
    args = ("run", tmp_path / "recipe.yaml", tmp_path / "shade.md", "-o", out, "--brand", BRAND)
    result = invoke(*args)
    assert result.exit_code == 0, result.output

    post = (out / "shade" / "post.md").read_text().strip()
    assert post.endswith("Plant one tree this spring: https://example.org/plant\n"
                         "#UrbanForestry #GreenCity")
    assert len(post) <= 280

    script = json.loads((out / "shade" / "podcast-script.json").read_text())
    assert {t["speaker"] for t in script["turns"]} == {"Maya", "Theo"}
    assert script["turns"][-1] == {**script["turns"][-1], "speaker": "Maya"}
    assert script["turns"][-1]["text"].endswith("Go find some shade.")

    manifest = json.loads((out / "shade" / "manifest.json").read_text())
    assert manifest["brand"]["name"] == "Green City Press"
    feed_bytes = (out / "podcast.xml").read_bytes()
    feed = feedparser.parse(feed_bytes)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.feed.title == "Green City Press Podcast"
    assert feed.feed.image.href == "https://example.org/podcast/podcast.artwork.png"
    (entry,) = feed.entries
    assert entry.enclosures[0].href == "https://example.org/podcast/shade/podcast.mp3"
    assert entry.published.startswith("Sun, 01 Jun 2025")
    assert b'href="https://example.org/podcast/podcast.xml" rel="self"' in feed_bytes

    again = invoke(*args)
    assert again.exit_code == 0, again.output
    assert (out / "podcast.xml").read_bytes() == feed_bytes
