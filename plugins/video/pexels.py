"""Stock photos and clips from Pexels (https://www.pexels.com/api/), a media provider.

Needs a free API key in ``PEXELS_API_KEY``; never used unless a recipe asks for stock
media. Requests go to the documented search endpoints, ``GET /v1/search`` (photos) and
``GET /videos/search`` (videos), with ``query``, ``orientation`` and ``per_page`` (at
most 80) and the key in the ``Authorization`` header. Pexels allows 200 requests an hour
and 20,000 a month by default; a 429 answer becomes a one-line error saying when the
limit resets (``X-Ratelimit-Reset``).

What is used from an answer: for a video, the MP4 rendition closest to full HD that is
at least as large as the short side asked for (``video_files``), its size, the clip's
duration, page (``url``) and videographer (``user.name``); for a photo, its ``original``
file, size, page and photographer. Everything on Pexels is under the Pexels License
(free to use, no attribution required); the credits name the author and Pexels anyway,
as Pexels' API guidelines ask.

``PEXELS_API_URL`` points the provider at another address with the same API (a proxy,
or the tests' local fake server).
"""

from __future__ import annotations

import os
from typing import Any

import engine
from engine.errors import StockError
from engine.stock import Kind, MediaProvider, Orientation, StockItem

API_URL = "https://api.pexels.com"
URL_ENV = "PEXELS_API_URL"
LICENCE = "Pexels License, https://www.pexels.com/license/"
#: Pexels' largest page
MAX_PER_PAGE = 80
#: the short side a video rendition should reach when one does
WANTED_SHORT_SIDE = 1080


class PexelsProvider(MediaProvider):
    """Photos and videos from Pexels (PEXELS_API_KEY)."""

    name = "pexels"
    api_key_env = "PEXELS_API_KEY"
    signup_url = "https://www.pexels.com/api/"

    def __init__(self, base_url: str | None = None):
        self.base_url = (base_url or os.environ.get(URL_ENV) or API_URL).rstrip("/")

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "Authorization": self.api_key()}

    def search(self, query: str, *, kind: Kind = "video",
               orientation: Orientation = "landscape", count: int = 5) -> list[StockItem]:
        if kind not in ("video", "photo"):
            raise StockError(f"pexels has no {kind!r} media", hint="ask for video or photo")
        if orientation not in ("landscape", "portrait", "square"):
            raise StockError(f"unknown orientation {orientation!r}",
                             hint="use landscape, portrait or square")
        self.api_key()                             # a missing key fails before any request
        count = max(1, min(int(count), MAX_PER_PAGE))
        path = "/videos/search" if kind == "video" else "/v1/search"
        answer = self.get_json(self.base_url + path,
                               {"query": query, "orientation": orientation,
                                "per_page": count, "page": 1},
                               what=f"search {kind}s for {query!r}")
        field = "videos" if kind == "video" else "photos"
        entries = answer.get(field) if isinstance(answer, dict) else None
        if not isinstance(entries, list):
            raise StockError(f"pexels answered the {kind} search without a {field!r} list",
                             hint="try again later")
        make = _video_item if kind == "video" else _photo_item
        items = []
        for entry in entries[:count]:
            try:
                item = make(entry)
            except (KeyError, TypeError, ValueError):
                continue                           # one odd entry does not spoil the rest
            if item is not None:
                items.append(item)
        return items


def _video_item(video: dict[str, Any]) -> StockItem | None:
    files = [f for f in video["video_files"]
             if f.get("file_type") == "video/mp4" and f.get("width") and f.get("height")
             and f.get("link")]
    if not files:
        return None
    chosen = min(files, key=lambda f: _rendition_rank(f["width"], f["height"]))
    author = str(video.get("user", {}).get("name") or "an unnamed videographer")
    return StockItem(id=str(video["id"]), kind="video", url=chosen["link"],
                     width=int(chosen["width"]), height=int(chosen["height"]),
                     duration=float(video.get("duration") or 0), page_url=str(video["url"]),
                     author=author, licence=LICENCE,
                     attribution=f"Video by {author} on Pexels")


def _rendition_rank(width: int, height: int) -> tuple[int, int]:
    """Smallest first among renditions reaching the wanted short side; else largest."""
    short = min(width, height)
    if short >= WANTED_SHORT_SIDE:
        return (0, width * height)
    return (1, -width * height)


def _photo_item(photo: dict[str, Any]) -> StockItem:
    url = photo["src"]["original"]
    author = str(photo.get("photographer") or "an unnamed photographer")
    return StockItem(id=str(photo["id"]), kind="photo", url=url, width=int(photo["width"]),
                     height=int(photo["height"]), duration=None, page_url=str(photo["url"]),
                     author=author, licence=LICENCE,
                     attribution=f"Photo by {author} on Pexels")


@engine.hookimpl
def register_media_providers(register):
    register(PexelsProvider)
