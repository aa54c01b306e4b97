"""Downloads for URL sources: polite, bounded and cached with HTTP validators.

One download per URL lives in ``DOWNLOADS/<sha256(url)[:32]>/``: the body (named after the
URL, with the extension its content type calls for) and ``meta.json`` (final URL, content
type, ``ETag``, ``Last-Modified``). A re-run sends ``If-None-Match`` /
``If-Modified-Since``; a ``304 Not Modified`` reuses the file, so an unchanged page is not
downloaded again and its digest (hence every cached step) stays the same.

Every request names remixer in its ``User-Agent``, honours the site's ``robots.txt``
(4xx: allowed; 5xx or unreachable: disallowed, as RFC 9309 says), has connect and read
timeouts, follows at most ``MAX_REDIRECTS`` redirects and streams the body, stopping at
``max_bytes`` whatever ``Content-Length`` claimed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from engine import __version__, atomic
from engine.errors import SourceError

USER_AGENT = f"remixer/{__version__} (batch content remixing; honours robots.txt)"
ROBOTS_AGENT = "remixer"
MAX_REDIRECTS = 5
#: seconds; ``REMIXER_HTTP_TIMEOUT`` overrides it
TIMEOUT = 20.0
MAX_PAGE_BYTES = 20 * 1024 * 1024
MAX_MEDIA_BYTES = 2 * 1024 * 1024 * 1024

#: content type -> file extension of the download (so the right loader reads it)
SUFFIXES = {
    "text/html": ".html", "application/xhtml+xml": ".html",
    "application/rss+xml": ".xml", "application/atom+xml": ".xml",
    "application/xml": ".xml", "text/xml": ".xml",
    "application/pdf": ".pdf", "application/epub+zip": ".epub",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "text/markdown": ".md", "text/plain": ".txt",
    "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/x-m4a": ".m4a", "audio/ogg": ".ogg",
    "audio/opus": ".opus", "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/flac": ".flac",
    "video/mp4": ".mp4", "video/webm": ".webm", "video/quicktime": ".mov",
    "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
}


@dataclass(frozen=True)
class Download:
    path: Path
    url: str
    content_type: str
    #: True when the server said 304 Not Modified and the cached body was reused
    revalidated: bool


def timeout() -> float:
    try:
        return float(os.environ.get("REMIXER_HTTP_TIMEOUT", TIMEOUT))
    except ValueError:
        return TIMEOUT


def _client():
    import httpx

    return httpx.Client(follow_redirects=True, max_redirects=MAX_REDIRECTS,
                        timeout=httpx.Timeout(timeout()), headers={"User-Agent": USER_AGENT})


def _stem(url: str) -> str:
    parts = urlsplit(url)
    last = Path(parts.path.rstrip("/")).stem or parts.hostname or "page"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", last)[:80].strip("-.") or "page"


_ROBOTS: dict[str, object] = {}


def _robots_allow(client, url: str) -> bool:
    """Whether ``robots.txt`` lets remixer fetch ``url`` (read once per site and process)."""
    from urllib.robotparser import RobotFileParser

    import httpx

    parts = urlsplit(url)
    site = f"{parts.scheme}://{parts.netloc}"
    if site not in _ROBOTS:
        parser = RobotFileParser()
        try:
            response = client.get(f"{site}/robots.txt")
            if response.status_code >= 500:
                parser.disallow_all = True
            elif response.status_code >= 400:
                parser.allow_all = True
            else:
                parser.parse(response.text[:500_000].splitlines())
        except httpx.HTTPError:
            parser.disallow_all = True
        _ROBOTS[site] = parser
    return _ROBOTS[site].can_fetch(ROBOTS_AGENT, url)


def _failure(url: str, error: Exception) -> SourceError:
    import httpx

    if isinstance(error, httpx.TimeoutException):
        return SourceError(f"{url} did not answer within {timeout():g} s",
                           hint="try again later, or raise REMIXER_HTTP_TIMEOUT")
    if isinstance(error, httpx.TooManyRedirects):
        return SourceError(f"{url} redirects more than {MAX_REDIRECTS} times (a redirect loop?)",
                           hint="open it in a browser and pass the address it ends at")
    if isinstance(error, httpx.ConnectError):
        return SourceError(f"cannot connect to {urlsplit(url).netloc} for {url}",
                           hint="check the address and the network")
    return SourceError(f"{url} could not be fetched ({type(error).__name__}: {error})",
                       hint="check the address and the network")


def fetch(url: str, downloads: Path, *, max_bytes: int | None = None,
          accept: tuple[str, ...] = ()) -> Download:
    """Download ``url`` into the cache (or revalidate the cached copy) and return it.

    ``accept`` lists acceptable content-type prefixes (empty: any type in ``SUFFIXES``).
    ``max_bytes`` defaults by type: ``MAX_MEDIA_BYTES`` for audio and video,
    ``MAX_PAGE_BYTES`` for everything else.
    Raises :class:`SourceError` with one line for every failure.
    """
    import httpx

    folder = Path(downloads) / hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
    meta_path = folder / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        cached = folder / meta["file"]
        if not cached.is_file():
            meta = {}
    except (OSError, ValueError, KeyError):
        meta = {}
    headers = {}
    if meta.get("etag"):
        headers["If-None-Match"] = meta["etag"]
    if meta.get("last_modified"):
        headers["If-Modified-Since"] = meta["last_modified"]
    with _client() as client:
        try:
            if not _robots_allow(client, url):
                raise SourceError(f"{url} is disallowed for remixer by the site's robots.txt",
                                  hint="ask the site's owner, or save the page and pass the file")
            with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304 and meta:
                    return Download(folder / meta["file"], meta["url"], meta["content_type"], True)
                if response.status_code >= 400:
                    raise SourceError(f"{url} answered HTTP {response.status_code} "
                                      f"{response.reason_phrase}",
                                      hint="check the address" if response.status_code < 500
                                      else "the server failed; try again later")
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                suffix = SUFFIXES.get(content_type)
                if suffix is None or (accept and not content_type.startswith(accept)):
                    raise SourceError(f"{url} serves {content_type or 'an unnamed type'}, which "
                                      f"remixer does not read as a source",
                                      hint="pass the address of a web page, feed, document "
                                           "or recording")
                if max_bytes is None:
                    max_bytes = MAX_MEDIA_BYTES if content_type.startswith(("audio/", "video/")) \
                        else MAX_PAGE_BYTES
                declared = int(response.headers.get("content-length") or 0)
                if declared > max_bytes:
                    raise SourceError(f"{url} is {declared // (1024 * 1024)} MB, over the "
                                      f"{max_bytes // (1024 * 1024)} MB limit",
                                      hint="download it yourself and pass the file")
                target = folder / f"{_stem(str(response.url))}{suffix}"
                with atomic.replacing(target) as partial:
                    received = 0
                    with open(partial, "wb") as out:
                        for chunk in response.iter_bytes(1 << 16):
                            received += len(chunk)
                            if received > max_bytes:
                                raise SourceError(f"{url} sent more than the "
                                                  f"{max_bytes // (1024 * 1024)} MB limit",
                                                  hint="download it yourself and pass the file")
                            out.write(chunk)
        except httpx.HTTPError as error:
            raise _failure(url, error) from None
    meta = {"url": str(response.url), "requested": url, "file": target.name,
            "content_type": content_type, "etag": response.headers.get("etag", ""),
            "last_modified": response.headers.get("last-modified", "")}
    atomic.write_bytes(meta_path, json.dumps(meta, indent=2).encode("utf-8"))
    return Download(target, meta["url"], content_type, False)


def origin_url(path: Path) -> str:
    """The address a downloaded file came from (its ``meta.json``), or ""."""
    try:
        return json.loads((Path(path).parent / "meta.json").read_text(encoding="utf-8"))["url"]
    except (OSError, ValueError, KeyError):
        return ""
