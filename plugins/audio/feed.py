"""The podcast feed: one RSS 2.0 file, ``OUT/podcast.xml``, for every episode of a batch.

Written with feedgen (BSD or LGPL-3+) and its podcast extension, which knows Apple's
``itunes:`` tags. The channel comes from the podcast step's ``feed`` parameter (a
brand's ``show`` fills it: :class:`FeedChannel`), recorded with the step's parameters in
the source's ``manifest.json``, where this hook, which only sees the batch's results,
reads it back: title, link, description,
language, copyright, ``itunes:author``, ``owner``, ``category``/subcategory,
``explicit`` (``true``/``false``), ``image``, and ``atom:link rel="self"``.

Each successful ``podcast`` step of a source is an item: title, enclosure (length in
bytes, ``audio/mpeg``), a GUID from the file's content, pubDate (the source's ``date``
front matter, else the file's time), ``itunes:duration``, ``itunes:episodeType``, the
cover as ``itunes:image``, the chapters inline as Podlove Simple Chapters
(``psc:chapters``) and linked as Podcasting 2.0 JSON chapters (``podcast:chapters``).

Addresses: with the channel's ``base_url`` every address is absolute (``base_url`` +
``slug/podcast.mp3``), as podcast directories require. Without it they are relative to
the feed, which a podcast app reading the folder can follow but no directory accepts;
the feed then says so in a comment at its top. Written atomically, and the same batch
writes the same bytes (``lastBuildDate`` is the newest episode's date); a feed with no
episodes is not written.

The channel's own image: the channel's ``artwork`` (copied beside the feed as
``podcast.artwork.png``/``.jpg``); else, when every episode's cover was generated (each
carries its episode's title), a show cover without an episode title generated beside
the feed, ``OUT/podcast.cover.png``; otherwise the first episode's cover (a given cover
is usually the show's).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Literal, Sequence
from urllib.parse import quote

from pydantic import Field

from engine import atomic
from engine.artifacts import Chapter, file_sha256
from engine.brand import Show

FEED_NAME = "podcast.xml"
SHOW_COVER_NAME = "podcast.cover.png"
ARTWORK_NAME = "podcast.artwork"
MANIFEST_NAME = "manifest.json"
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PSC = "http://podlove.org/simple-chapters"
PODCAST = "https://podcastindex.org/namespace/1.0"


class FeedChannel(Show):
    """The feed's channel: a brand's ``show`` with the identity fields a feed also
    carries. The podcast step takes it as its ``feed`` parameter, so it is recorded with
    the step and the feed written after the batch reads it back."""

    copyright: str = Field("", max_length=300, description="the channel's copyright line")
    link: str = Field("", max_length=500, description="the show's web page (default: base_url)")
    episode_type: Literal["full", "trailer", "bonus"] = Field(
        "full", description="itunes:episodeType of the episodes")


def feed_brand_params(brand) -> dict:
    """What a brand (``engine.brand.Brand``) sets for the podcast's show and feed."""
    title = brand.show.title or brand.name
    channel = {**brand.show.model_dump(exclude_none=True), "title": title,
               "copyright": brand.copyright, "link": brand.website}
    return {"show": title, "feed": channel}


def chapters_json(chapters: Sequence[Chapter]) -> bytes:
    """Podcasting 2.0 JSON chapters (application/json+chapters)."""
    data = {"version": "1.2.0",
            "chapters": [{"startTime": round(c.start, 3), "endTime": round(c.end, 3),
                          "title": c.title} for c in chapters]}
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def cover_of(mp3: Path) -> tuple[bytes, str] | None:
    """The front cover embedded in an mp3 (bytes, extension), if any."""
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        frames = ID3(str(mp3)).getall("APIC")
    except ID3NoHeaderError:
        return None
    if not frames:
        return None
    return frames[0].data, "jpg" if "jpeg" in frames[0].mime else "png"


def hms(seconds: float) -> str:
    seconds = max(int(round(seconds)), 0)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _npt(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{int(round((seconds - whole) * 1000)) % 1000:03d}"


def _pub_date(date: str | None, fallback: Path) -> datetime:
    if date:
        for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
            try:
                parsed = datetime.strptime(date, fmt)
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    mtime = datetime.fromtimestamp(os.stat(fallback).st_mtime, tz=timezone.utc)
    return mtime.replace(microsecond=0)


class Addresses:
    """Where the feed's files are: absolute under ``base_url``, else relative to the feed."""

    def __init__(self, base_url: str | None):
        self.base = (base_url.rstrip("/") + "/") if base_url else ""

    def __call__(self, *parts: str) -> str:
        return self.base + "/".join(quote(part) for part in parts)


def episodes(out_dir: Path, results: Iterable[Any]) -> list[dict[str, Any]]:
    """Every successful podcast step's files, with what its JSON sidecar says and the
    feed channel it was given (a source whose other steps failed still has its episode
    in the feed)."""
    found = []
    for result in results:
        for step in getattr(result, "steps", []):
            if step.transform != "podcast" or step.status != "ok":
                continue
            mp3 = next((f for f in step.files if f.endswith(".mp3")), None)
            side = next((f for f in step.files if f.endswith(".json")
                         and not f.endswith(".chapters.json")), None)
            if mp3 is None or not (out_dir / result.slug / mp3).is_file():
                continue
            info = {}
            if side and (out_dir / result.slug / side).is_file():
                info = json.loads((out_dir / result.slug / side).read_text("utf-8"))
            found.append({"slug": result.slug, "mp3": mp3, "info": info,
                          "files": list(step.files), "step": step.id,
                          "channel": _channel_given(out_dir / result.slug, step.id)})
    return found


def _channel_given(folder: Path, step_id: str) -> dict[str, Any] | None:
    """The ``feed`` parameter the podcast step ran with, from the source's manifest
    (the batch keeps no step parameters in memory; the manifest has them)."""
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    step = next((s for s in manifest.get("steps", []) if s.get("id") == step_id), {})
    return (step.get("params") or {}).get("feed")


def show_name(items: list[dict[str, Any]]) -> str:
    """The episodes' show when they agree on one, else a generic name."""
    shows = [i["info"].get("show") for i in items if i["info"].get("show")]
    return shows[0] if len(set(shows)) == 1 else "remixer podcast"


def channel_of(items: list[dict[str, Any]]) -> FeedChannel:
    """The channel the episodes' podcast steps were given (the first one's, as one
    recipe gives them all the same), else one named after the show."""
    given = next((item["channel"] for item in items if item["channel"]), None)
    if given:
        return FeedChannel(**given)
    return FeedChannel(title=show_name(items))


def build_feed(out_dir: Path, items: list[dict[str, Any]], *, channel: FeedChannel | None = None,
               image: str | None = None) -> bytes:
    """The RSS 2.0 document for ``items`` (from :func:`episodes`); ``image`` is the
    channel's image relative to the feed (default: the first episode's cover)."""
    from feedgen.feed import FeedGenerator

    channel = channel or channel_of(items)
    url = Addresses(channel.base_url)
    feed = FeedGenerator()
    feed.load_extension("podcast")
    feed.register_extension("extras", _ChannelExtras, _ChaptersEntry, atom=False)
    title = channel.title or show_name(items)
    feed.title(title)
    if channel.base_url:
        feed.link(href=url(FEED_NAME), rel="self")
    feed.link(href=channel.link or channel.base_url or "./", rel="alternate")  # RSS's: the last
    feed.description(channel.description or (
        f"{title}: {len(items)} episode{'s' * (len(items) != 1)} made by remixer"))
    feed.language(channel.language)
    feed.generator("remixer")
    if channel.copyright:
        feed.copyright(channel.copyright)
    feed.podcast.itunes_author(channel.author or "remixer")
    if channel.owner_email:
        feed.podcast.itunes_owner(name=channel.owner_name or channel.author or title,
                                  email=channel.owner_email)
    feed.podcast.itunes_category({"cat": channel.category, "sub": channel.subcategory}
                                 if channel.subcategory else {"cat": channel.category})
    feed.extras.explicit = channel.explicit
    if channel.description:
        feed.podcast.itunes_summary(channel.description)
    entries = sorted(((_pub_date(item["info"].get("date"), out_dir / item["slug"] / item["mp3"]),
                      item["slug"], item) for item in items),
                     key=lambda e: (e[0], e[1]))
    covers = [(slug, f) for _, slug, item in entries for f in item["files"] if ".cover." in f]
    if image or covers:
        feed.podcast.itunes_image(url(image) if image else url(*covers[0]))
    for pub, slug, item in entries:   # feedgen puts the last added first: newest first
        _add_episode(feed, out_dir, url, pub, slug, item, channel)
    feed.lastBuildDate(entries[-1][0] if entries else None)
    data = feed.rss_str(pretty=True)
    if not channel.base_url:
        data = data.replace(b"?>\n", b"?>\n" + NO_BASE_URL, 1)
    return data


#: the comment a feed without base_url starts with
NO_BASE_URL = (b"<!-- remixer: no base_url, so the addresses below are relative to this feed; "
               b"podcast directories need absolute ones: set show.base_url in the brand or "
               b"the podcast step's feed.base_url -->\n")


def _add_episode(feed, out_dir: Path, url: Addresses, pub: datetime, slug: str,
                 item: dict[str, Any], channel: FeedChannel) -> None:
    info = item["info"]
    path = out_dir / slug / item["mp3"]
    entry = feed.add_entry()
    entry.title(info.get("title") or slug)
    hosts = info.get("hosts") or ""
    entry.description(f"{info.get('title') or slug}" + (f", with {hosts}" if hosts else "")
                      + (f". Voices: {info['voices']}." if info.get("voices") else ""))
    entry.enclosure(url(slug, item["mp3"]), str(path.stat().st_size), "audio/mpeg")
    entry.guid(file_sha256(path), permalink=False)
    entry.pubDate(pub)
    entry.podcast.itunes_duration(hms(info.get("duration") or 0))
    entry.podcast.itunes_episode_type(channel.episode_type)
    if hosts:
        entry.podcast.itunes_author(hosts)
    cover = next((f for f in item["files"] if ".cover." in f), None)
    if cover:
        entry.podcast.itunes_image(url(slug, cover))
    chapter_file = next((f for f in item["files"] if f.endswith(".chapters.json")), None)
    entry.extras.set(info.get("chapters") or [],
                     url(slug, chapter_file) if chapter_file else None)


def _elem(tag: str, parent, **attrib: str):
    from lxml import etree
    return etree.SubElement(parent, tag, attrib)


class _ChannelExtras:
    """feedgen extension: the chapter namespaces, and ``itunes:explicit`` as Apple writes
    it today (``true``/``false``; feedgen's podcast extension knows only the older
    ``yes``/``no``/``clean``)."""

    def __init__(self):
        self.explicit = False

    def extend_ns(self) -> dict[str, str]:
        return {"psc": PSC, "podcast": PODCAST}

    def extend_rss(self, feed):
        _elem(f"{{{ITUNES}}}explicit", feed[0]).text = "true" if self.explicit else "false"
        return feed


class _ChaptersEntry:
    """feedgen entry extension: an item's chapters, inline (Podlove Simple Chapters) and
    linked (Podcasting 2.0 JSON chapters)."""

    def __init__(self):
        self.chapters: list[dict[str, Any]] = []
        self.url: str | None = None

    def set(self, chapters: list[dict[str, Any]], url: str | None) -> None:
        self.chapters, self.url = chapters, url

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, entry):
        if self.url:
            _elem(f"{{{PODCAST}}}chapters", entry, url=self.url, type="application/json+chapters")
        if self.chapters:
            psc = _elem(f"{{{PSC}}}chapters", entry, version="1.2")
            for chapter in self.chapters:
                _elem(f"{{{PSC}}}chapter", psc, start=_npt(chapter["start"]),
                      title=chapter["title"])
        return entry


def write_show_cover(out_dir: Path, items: list[dict[str, Any]]) -> str:
    """``OUT/podcast.cover.png``: the show's name (and its hosts when every episode has
    the same) on the show's palette; its name relative to the feed."""
    from plugins.audio.cover import generated_cover

    hosts = {item["info"].get("hosts") or "" for item in items}
    names = [h.strip() for h in hosts.pop().split(",") if h.strip()] if len(hosts) == 1 else []
    data = generated_cover(show_name(items), hosts=names)
    target = out_dir / SHOW_COVER_NAME
    if not atomic.same_content(target, data):
        atomic.write_bytes(target, data)
    return SHOW_COVER_NAME


def copy_artwork(out_dir: Path, artwork: str) -> str | None:
    """The channel's artwork beside the feed (``podcast.artwork.png``); its name, or
    None when the file has gone."""
    source = Path(artwork)
    if not source.is_file():
        return None
    name = f"{ARTWORK_NAME}{source.suffix.lower().replace('.jpeg', '.jpg')}"
    data = source.read_bytes()
    if not atomic.same_content(out_dir / name, data):
        atomic.write_bytes(out_dir / name, data)
    return name


def write_feed(out_dir: Path, results: Iterable[Any]) -> Path | None:
    """Write ``OUT/podcast.xml`` atomically when the batch made any episode."""
    items = episodes(out_dir, results)
    if not items:
        return None
    channel = channel_of(items)
    image = copy_artwork(out_dir, channel.artwork) if channel.artwork else None
    if image is None and all(item["info"].get("cover") == "generated" for item in items):
        image = write_show_cover(out_dir, items)
    target = out_dir / FEED_NAME
    data = build_feed(out_dir, items, channel=channel, image=image)
    if not atomic.same_content(target, data):
        atomic.write_bytes(target, data)
    return target
