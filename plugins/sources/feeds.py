"""RSS and Atom feeds as batches: each item a source (feedparser, BSD-2-Clause).

The newest ``--limit N`` items are taken (by published, else updated date; undated items
keep the feed's order after the dated ones). An item with an audio or video enclosure
(a podcast episode) becomes that recording; otherwise its link is fetched as a web page.
The item's title, author, date, link and the feed's title travel with it as metadata.
An item that cannot be fetched, or has nothing to fetch, fails alone with one line; the
other items run.
"""

from __future__ import annotations

import calendar
import time
from pathlib import Path

import engine
from engine.errors import SourceError
from engine.sources import ExpandedSource, ExpandSettings
from plugins.sources.fetch import fetch

FEED_SUFFIXES = (".rss", ".atom", ".xml")
MAX_FEED_BYTES = 20 * 1024 * 1024


def looks_like_feed(data: bytes) -> bool:
    head = data[:2048].lower()
    return b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head


def _stamp(entry) -> float | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return calendar.timegm(parsed) if parsed else None


def _item_metadata(entry, feed_title: str) -> dict[str, str]:
    stamp = _stamp(entry)
    found = {"title": entry.get("title", ""), "author": entry.get("author", ""),
             "date": time.strftime("%Y-%m-%d", time.gmtime(stamp)) if stamp else "",
             "link": entry.get("link", ""), "feed": feed_title, "guid": entry.get("id", "")}
    return {key: " ".join(str(value).split()) for key, value in found.items() if value}


def _enclosure(entry) -> str:
    for link in entry.get("enclosures", []) or []:
        kind = (link.get("type") or "").lower()
        if kind.startswith(("audio/", "video/")) and link.get("href"):
            return link["href"]
    return ""


def expand_feed(data: bytes, origin: str, settings: ExpandSettings) -> list[ExpandedSource]:
    """The feed's newest items as sources, each fetched (or its failure, one line)."""
    import feedparser

    parsed = feedparser.parse(data)
    if not parsed.entries:
        problem = f" ({parsed.bozo_exception})" if parsed.get("bozo") else ""
        return [ExpandedSource(path=None, origin=origin, name=Path(origin).stem or "feed",
                               error=f"{origin} is a feed with no items{problem}")]
    feed_title = parsed.feed.get("title", "")
    order = sorted(range(len(parsed.entries)),
                   key=lambda i: (_stamp(parsed.entries[i]) is None,
                                  -(_stamp(parsed.entries[i]) or 0), i))
    sources = []
    for index in order[:settings.limit]:
        entry = parsed.entries[index]
        metadata = _item_metadata(entry, feed_title)
        label = metadata.get("title") or f"item {index + 1}"
        enclosure = _enclosure(entry)
        target = enclosure or entry.get("link", "")
        pairs = tuple(sorted(metadata.items()))
        if not target.startswith(("http://", "https://")):
            sources.append(ExpandedSource(
                path=None, origin=f"{origin}#{index + 1}", name=label, metadata=pairs,
                error=f"feed item {label!r} of {origin} has no http(s) link or enclosure"))
            continue
        try:
            download = fetch(target, settings.cache_dir / "downloads")
        except SourceError as error:
            sources.append(ExpandedSource(path=None, origin=target, name=label, metadata=pairs,
                                          error=f"feed item {label!r}: {error}"))
            continue
        html = download.content_type in ("text/html", "application/xhtml+xml")
        sources.append(ExpandedSource(path=download.path, origin=target, metadata=pairs,
                                      loader="webpage" if html else "", name=label))
    return sources


class FeedFileExpander(engine.SourceExpander):
    """A local RSS or Atom file (.rss, .atom, or .xml holding a feed) is a batch."""

    name = "feed-file"

    def claims(self, spec: str) -> bool:
        path = Path(spec)
        if path.suffix.lower() not in FEED_SUFFIXES or not path.is_file():
            return False
        try:
            with open(path, "rb") as handle:
                return looks_like_feed(handle.read(2048))
        except OSError:
            return False

    def expand(self, spec: str, settings: ExpandSettings) -> list[ExpandedSource]:
        path = Path(spec)
        if path.stat().st_size > MAX_FEED_BYTES:
            return [ExpandedSource(path=None, origin=spec, name=path.stem,
                                   error=f"{path.name} is over the {MAX_FEED_BYTES >> 20} MB "
                                         f"limit for feeds")]
        return expand_feed(path.read_bytes(), spec, settings)


@engine.hookimpl
def register_source_expanders(register):
    register(FeedFileExpander)
