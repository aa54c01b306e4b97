"""The podcast feed: one RSS 2.0 file, ``OUT/podcast.xml``, for every episode of a batch.

Each successful ``podcast`` step of a source is an item: title, enclosure (URL relative
to the feed, length in bytes, ``audio/mpeg``), a GUID from the file's content, pubDate
(the source's ``date`` front matter, else the file's time), ``itunes:duration``, the
chapters inline as Podlove Simple Chapters (``psc:chapters``) and linked as Podcasting
2.0 JSON chapters (``podcast:chapters``), and the cover as ``itunes:image``. Written
atomically; a feed with no episodes is not written.

The channel's own image: when every episode's cover was generated (each carries its
episode's title), a show cover without an episode title is generated beside the feed,
``OUT/podcast.cover.png``; otherwise the first episode's cover (a given cover is usually
the show's).
"""

from __future__ import annotations

import email.utils
import json
import os
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import quote

from pydantic import Field

from engine import atomic
from engine.artifacts import Chapter, file_sha256
from engine.brand import Show

FEED_NAME = "podcast.xml"
SHOW_COVER_NAME = "podcast.cover.png"
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PSC = "http://podlove.org/simple-chapters"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
NAMESPACES = {"itunes": ITUNES, "psc": PSC, "podcast": PODCAST, "atom": ATOM}


class FeedChannel(Show):
    """The feed's channel: a brand's ``show`` with the identity fields a feed also
    carries. The podcast step takes it as its ``feed`` parameter, so it is recorded with
    the step and the feed written after the batch reads it back."""

    copyright: str = Field("", max_length=300, description="the channel's copyright line")
    link: str = Field("", max_length=500, description="the show's web page (default: base_url)")
    episode_type: str = Field("full", pattern="^(full|trailer|bonus)$",
                              description="itunes:episodeType of the episodes: full, "
                                          "trailer or bonus")


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


def _url(*parts: str) -> str:
    return "/".join(quote(part) for part in parts)


def _pub_date(date: str | None, fallback: Path) -> str:
    if date:
        for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
            try:
                parsed = datetime.strptime(date, fmt)
            except ValueError:
                continue
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            return email.utils.format_datetime(parsed)
    mtime = datetime.fromtimestamp(os.stat(fallback).st_mtime, tz=timezone.utc)
    return email.utils.format_datetime(mtime.replace(microsecond=0))


def episodes(out_dir: Path, results: Iterable[Any]) -> list[dict[str, Any]]:
    """Every successful podcast step's files, with what its JSON sidecar says (a source
    whose other steps failed still has its episode in the feed)."""
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
                          "files": list(step.files), "step": step.id})
    return found


def show_name(items: list[dict[str, Any]]) -> str:
    """The episodes' show when they agree on one, else a generic name."""
    shows = [i["info"].get("show") for i in items if i["info"].get("show")]
    return shows[0] if len(set(shows)) == 1 else "remixer podcast"


def build_feed(out_dir: Path, items: list[dict[str, Any]], *, title: str | None = None,
               image: str | None = None) -> bytes:
    """The RSS 2.0 document for ``items`` (from :func:`episodes`); ``image`` is the
    channel's image relative to the feed (default: the first episode's cover)."""
    for prefix, uri in NAMESPACES.items():
        ET.register_namespace(prefix, uri)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    show = title or show_name(items)
    ET.SubElement(channel, "title").text = show
    ET.SubElement(channel, "link").text = "./"
    ET.SubElement(channel, "description").text = (
        f"{show}: {len(items)} episode{'s' * (len(items) != 1)} made by remixer")
    ET.SubElement(channel, "language").text = "en"
    ET.SubElement(channel, "generator").text = "remixer"
    ET.SubElement(channel, f"{{{ITUNES}}}author").text = "remixer"
    ET.SubElement(channel, f"{{{ITUNES}}}explicit").text = "false"
    entries = []
    for item in items:
        info, slug = item["info"], item["slug"]
        path = out_dir / slug / item["mp3"]
        entries.append((_pub_date(info.get("date"), path), slug, item, path))
    covers = [(slug, f) for _, slug, item, _ in entries for f in item["files"]
              if ".cover." in f]
    if image:
        ET.SubElement(channel, f"{{{ITUNES}}}image", {"href": quote(image)})
    elif covers:
        ET.SubElement(channel, f"{{{ITUNES}}}image", {"href": _url(*covers[0])})
    for pub, slug, item, path in sorted(entries, key=lambda e: (
            email.utils.parsedate_to_datetime(e[0]), e[1]), reverse=True):
        info = item["info"]
        node = ET.SubElement(channel, "item")
        ET.SubElement(node, "title").text = info.get("title") or slug
        hosts = info.get("hosts") or ""
        ET.SubElement(node, "description").text = (
            f"{info.get('title') or slug}" + (f", with {hosts}" if hosts else "")
            + (f". Voices: {info['voices']}." if info.get("voices") else ""))
        ET.SubElement(node, "enclosure", {"url": _url(slug, item["mp3"]),
                                          "length": str(path.stat().st_size),
                                          "type": "audio/mpeg"})
        ET.SubElement(node, "guid", {"isPermaLink": "false"}).text = file_sha256(path)
        ET.SubElement(node, "pubDate").text = pub
        ET.SubElement(node, f"{{{ITUNES}}}duration").text = hms(info.get("duration") or 0)
        if hosts:
            ET.SubElement(node, f"{{{ITUNES}}}author").text = hosts
        cover = next((f for f in item["files"] if ".cover." in f), None)
        if cover:
            ET.SubElement(node, f"{{{ITUNES}}}image", {"href": _url(slug, cover)})
        chapter_file = next((f for f in item["files"] if f.endswith(".chapters.json")), None)
        if chapter_file:
            ET.SubElement(node, f"{{{PODCAST}}}chapters",
                          {"url": _url(slug, chapter_file), "type": "application/json+chapters"})
        chapters = info.get("chapters") or []
        if chapters:
            psc = ET.SubElement(node, f"{{{PSC}}}chapters", {"version": "1.2"})
            for chapter in chapters:
                ET.SubElement(psc, f"{{{PSC}}}chapter",
                              {"start": _npt(chapter["start"]), "title": chapter["title"]})
    ET.indent(rss)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


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


def write_feed(out_dir: Path, results: Iterable[Any]) -> Path | None:
    """Write ``OUT/podcast.xml`` atomically when the batch made any episode."""
    items = episodes(out_dir, results)
    if not items:
        return None
    image = None
    if all(item["info"].get("cover") == "generated" for item in items):
        image = write_show_cover(out_dir, items)
    target = out_dir / FEED_NAME
    data = build_feed(out_dir, items, image=image)
    if not atomic.same_content(target, data):
        atomic.write_bytes(target, data)
    return target
