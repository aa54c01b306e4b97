"""What a stock media provider is: search a library of photos and clips, download one.

A provider is registered through ``register_media_providers`` and looked up by name
(``registry.media_provider("pexels")``). It searches by words, kind and orientation and
returns :class:`StockItem` objects that carry everything the credits need (author, page,
licence, attribution line); :meth:`MediaProvider.download` fetches one into a folder.

Providers are never on the default path: a recipe asks for stock footage explicitly, and
a provider that needs an API key reads it from its environment variable
(:attr:`MediaProvider.api_key_env`) at the moment of the request, so a missing key is a
one-line :class:`engine.errors.StockError` naming the variable, and the key itself never
appears in a message, a manifest or a cache key.

The HTTP every provider needs is here, on the standard library: JSON GETs with a
timeout, and downloads streamed to a temporary file beside the target (renamed when
complete, bounded in size). Errors become one line each: refused key (401/403), rate
limit (429, with when it resets), a server error, a timeout, no connection, an answer
that is not the JSON expected.
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine import atomic
from engine.errors import StockError

Kind = Literal["video", "photo"]
Orientation = Literal["landscape", "portrait", "square"]

#: seconds to wait for a search answer, and between two blocks of a download
TIMEOUT = 15.0
#: a download larger than this stops (stock clips are tens of megabytes)
MAX_DOWNLOAD_BYTES = 1 << 30
_BLOCK = 1 << 16


class StockItem(BaseModel):
    """One photo or clip of a stock library, with what its credits need."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="the provider's id of the item")
    kind: Kind = Field(description="video or photo")
    url: str = Field(description="address of the file to download (the chosen rendition)")
    width: int = Field(ge=1, description="width of that file in pixels")
    height: int = Field(ge=1, description="height of that file in pixels")
    duration: float | None = Field(None, ge=0, description="seconds, for a video")
    page_url: str = Field(description="the item's page on the provider's site")
    author: str = Field(description="the photographer or videographer")
    licence: str = Field(description="the licence it is used under, with its address")
    attribution: str = Field(description="the credit line to show, e.g. 'Video by X on Pexels'")


class MediaProvider:
    """Base class of stock media providers (photos and clips found by words).

    Subclasses set ``name`` and, when the service needs a key, ``api_key_env``; they
    implement :meth:`search`, usually with :meth:`get_json`, and may keep the default
    :meth:`download`.
    """

    #: how recipes and ``registry.media_provider()`` name it
    name: ClassVar[str] = ""
    #: the environment variable holding the API key; None when the service needs none
    api_key_env: ClassVar[str | None] = None
    #: where a user gets a key (for the missing-key hint)
    signup_url: ClassVar[str] = ""
    timeout: float = TIMEOUT

    def search(self, query: str, *, kind: Kind = "video",
               orientation: Orientation = "landscape", count: int = 5) -> list[StockItem]:
        """At most ``count`` items matching ``query``, best first."""
        raise NotImplementedError

    def download(self, item: StockItem, dest_dir: Path) -> Path:
        """The item's file in ``dest_dir`` (``<name>-<kind>-<id><suffix>``), downloaded
        once: a file already there is reused."""
        dest_dir = Path(dest_dir)
        if urllib.parse.urlsplit(item.url).scheme not in ("http", "https"):
            raise StockError(f"{self.name}: {item.kind} {item.id} has no web address to "
                             f"download ({item.url[:60]!r})", hint="choose another item")
        suffix = Path(urllib.parse.urlsplit(item.url).path).suffix.lower()
        if not suffix or len(suffix) > 5:
            suffix = ".mp4" if item.kind == "video" else ".jpg"
        safe_id = "".join(c if c.isalnum() or c in "-_" else "_" for c in item.id)
        target = dest_dir / f"{self.name}-{item.kind}-{safe_id}{suffix}"
        if target.is_file() and target.stat().st_size > 0:
            return target
        dest_dir.mkdir(parents=True, exist_ok=True)
        what = f"download {item.kind} {item.id}"
        with self._open(item.url, what=what) as answer, \
                atomic.replacing(target) as partial, open(partial, "wb") as out:
            size = 0
            while block := self._read(answer, _BLOCK, what):
                size += len(block)
                if size > MAX_DOWNLOAD_BYTES:
                    raise StockError(
                        f"{self.name}: {item.kind} {item.id} is larger than "
                        f"{MAX_DOWNLOAD_BYTES >> 20} MB; stopped downloading it",
                        hint="choose another item")
                out.write(block)
        return target

    # -- for subclasses --------------------------------------------------------------

    def api_key(self) -> str:
        """The key from :attr:`api_key_env`; a one-line error naming it when unset."""
        if not self.api_key_env:
            return ""
        key = os.environ.get(self.api_key_env, "").strip()
        if not key:
            where = f" (a free key: {self.signup_url})" if self.signup_url else ""
            raise StockError(f"{self.api_key_env} is not set: stock media from {self.name} "
                             f"needs an API key{where}",
                             hint=f"export {self.api_key_env}=YOUR_KEY, or use your own "
                                  "media library instead")
        return key

    def headers(self) -> dict[str, str]:
        """Headers of every request (subclasses add their authorisation)."""
        return {"User-Agent": "remixer", "Accept": "application/json"}

    def get_json(self, url: str, params: dict[str, Any], *, what: str) -> Any:
        """GET ``url?params`` and parse the JSON answer."""
        full = f"{url}?{urllib.parse.urlencode(params)}" if params else url
        with self._open(full, what=what) as answer:
            body = self._read(answer, MAX_DOWNLOAD_BYTES, what)
        try:
            return json.loads(body)
        except ValueError:
            raise StockError(f"{self.name} sent an answer to {what!r} that is not JSON",
                             hint="try again later") from None

    def _open(self, url: str, *, what: str):
        import urllib.error
        import urllib.request

        request = urllib.request.Request(url, headers=self.headers())
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise self._http_error(exc.code, exc.headers, what) from None
        except TimeoutError:
            raise self._timeout(what) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise self._timeout(what) from None
            host = urllib.parse.urlsplit(url).netloc
            raise StockError(f"cannot reach {self.name} at {host}: {reason}",
                             hint="check the network connection") from None
        except OSError as exc:                     # e.g. the server closed the connection
            raise self._broken(what, exc) from None

    def _read(self, answer, size: int, what: str) -> bytes:
        try:
            return answer.read(size)
        except TimeoutError:
            raise self._timeout(what) from None
        except OSError as exc:
            raise self._broken(what, exc) from None

    def _broken(self, what: str, exc: OSError) -> StockError:
        return StockError(f"{self.name} broke off the answer ({what}): {exc}",
                          hint="try again later")

    def _timeout(self, what: str) -> StockError:
        return StockError(f"{self.name} did not answer within {self.timeout:g} s ({what})",
                          hint="try again later")

    def _http_error(self, status: int, headers, what: str) -> StockError:
        if status in (401, 403):
            return StockError(f"{self.name} refused the API key in {self.api_key_env} "
                              f"(HTTP {status})",
                              hint=f"check the key, or get one at {self.signup_url}"
                              if self.signup_url else "check the key")
        if status == 429:
            return StockError(f"{self.name} rate limit reached{_reset_time(headers)}",
                              hint="wait and run again: finished steps come from the cache")
        return StockError(f"{self.name} answered HTTP {status} to {what!r}",
                          hint="try again later" if status >= 500 else "check the request")


def _reset_time(headers) -> str:
    """', resets at HH:MM UTC' from X-Ratelimit-Reset (epoch seconds) or Retry-After."""
    reset = (headers.get("X-Ratelimit-Reset") or "").strip()
    retry = (headers.get("Retry-After") or "").strip()
    try:
        when = float(reset) if reset else time.time() + float(retry) if retry else None
    except ValueError:
        when = None
    if when is None:
        return ""
    return ", resets at " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(when))


__all__ = ["Kind", "MediaProvider", "Orientation", "StockItem"]
