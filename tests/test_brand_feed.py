"""The podcast feed's channel from a brand (or the podcast step's `feed` parameter):
absolute addresses under base_url, Apple's itunes: fields, parsed back by feedparser."""

from __future__ import annotations

import json
from types import SimpleNamespace as NS

import feedparser

from engine.brand import load_brand
from plugins.audio.feed import NO_BASE_URL, feed_brand_params, write_feed

from .conftest import SAMPLES

BRAND = SAMPLES / "brand" / "brand.yaml"


def _episode(out, slug: str, title: str, date: str, channel: dict | None) -> NS:
    """What a podcast step leaves in OUT: the mp3, its sidecar and the manifest that
    records the step's parameters."""
    folder = out / slug
    folder.mkdir(parents=True)
    (folder / "podcast.mp3").write_bytes(slug.encode() * 200)
    (folder / "podcast.json").write_text(json.dumps({
        "title": title, "duration": 281.4, "hosts": "Maya, Theo", "date": date,
        "cover": "generated",
        "chapters": [{"title": "Introduction", "start": 0.0, "end": 18.0},
                     {"title": "Why a canopy matters", "start": 18.0, "end": 281.4}]}))
    (folder / "manifest.json").write_text(json.dumps({"steps": [
        {"id": "podcast", "transform": "podcast", "params": {"feed": channel}}]}))
    files = ["podcast.mp3", "podcast.json", "podcast.chapters.json", "podcast.cover.png"]
    return NS(slug=slug, status="ok",
              steps=[NS(id="podcast", transform="podcast", status="ok", files=files)])


def test_a_branded_feed_has_absolute_addresses_and_the_itunes_channel(tmp_path):
    brand = load_brand(BRAND).brand
    channel = feed_brand_params(brand)["feed"]
    results = [_episode(tmp_path, "roots", "Roots Under the Pavement", "2024-04-18", channel),
               _episode(tmp_path, "elm story", "The Elms", "2024-05-02", channel)]
    path = write_feed(tmp_path, results)
    raw = path.read_bytes()
    feed = feedparser.parse(raw)
    assert feed.bozo == 0, feed.get("bozo_exception")
    base = "https://example.org/podcast/"
    channel_info = feed.feed
    assert channel_info.title == "Green City Press Podcast"
    assert channel_info.link == "https://example.org/"
    assert channel_info.subtitle == brand.show.description
    assert channel_info.language == "en" and channel_info.rights == brand.copyright
    assert channel_info.author_detail.name == "Green City Press"          # itunes:author
    assert channel_info.publisher_detail == {"name": "Green City Press",
                                             "email": "podcast@example.org"}  # itunes:owner
    assert b"<itunes:explicit>false</itunes:explicit>" in raw  # feedparser reads yes/clean only
    assert channel_info.image.href == base + "podcast.artwork.png"
    assert (tmp_path / "podcast.artwork.png").read_bytes() == (
        SAMPLES / "brand" / "artwork.png").read_bytes()
    assert [t.term for t in channel_info.tags] == ["Society & Culture", "Documentary"]
    assert b'<itunes:category text="Society &amp; Culture">' in raw
    assert b'<itunes:category text="Documentary"/>' in raw
    assert b'<atom:link href="https://example.org/podcast/podcast.xml" rel="self"/>' in raw
    assert NO_BASE_URL not in raw

    assert [e.title for e in feed.entries] == ["The Elms", "Roots Under the Pavement"]
    for entry, slug in zip(feed.entries, ("elm%20story", "roots")):
        (enclosure,) = entry.enclosures
        assert enclosure.href == f"{base}{slug}/podcast.mp3"
        assert enclosure.type == "audio/mpeg" and int(enclosure.length) == 200 * len(
            slug.replace("%20", " "))
        assert entry.image.href == f"{base}{slug}/podcast.cover.png"
        assert entry.itunes_duration == "00:04:41" and entry.itunes_episodetype == "full"
        assert entry.id and not entry.guidislink
        assert entry.podcast_chapters["url"] == f"{base}{slug}/podcast.chapters.json"
    assert feed.entries[1].published.startswith("Thu, 18 Apr 2024")
    assert b'<psc:chapter start="00:00:18.000" title="Why a canopy matters"/>' in raw
    # the same batch writes the same bytes
    assert write_feed(tmp_path, results).read_bytes() == raw


def test_without_base_url_the_feed_is_valid_relative_and_says_what_is_missing(tmp_path):
    results = [_episode(tmp_path, "roots", "Roots", "2024-04-18", None)]
    raw = write_feed(tmp_path, results).read_bytes()
    feed = feedparser.parse(raw)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.entries[0].enclosures[0].href == "roots/podcast.mp3"
    assert raw.splitlines()[1] == NO_BASE_URL.strip()
    assert b"base_url" in NO_BASE_URL


def test_a_recipe_sets_the_feed_without_a_brand(registry):
    from engine.recipe import validate_recipe
    raw = {"name": "p", "steps": [{"id": "podcast", "use": "podcast", "with": {"feed": {
        "title": "Trees Weekly", "base_url": "https://cdn.example.com/trees",
        "episode_type": "bonus", "explicit": True}}}]}
    (node,) = validate_recipe(raw, registry).nodes
    assert node.params.feed.base_url == "https://cdn.example.com/trees"
    assert node.params.feed.episode_type == "bonus" and not node.brand
    bad = {**raw, "steps": [{"id": "podcast", "use": "podcast",
                             "with": {"feed": {"base_url": "cdn.example.com"}}}]}
    import pytest
    from engine.errors import RecipeError
    with pytest.raises(RecipeError, match=r"steps\[0\]\.with\.feed\.base_url"):
        validate_recipe(bad, registry)
