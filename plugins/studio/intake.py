"""Sources as they arrive: uploaded files, addresses to fetch, pasted text, server paths.

Nothing a client sends is used as a path: uploads and fetched pages are stored under a
generated folder with a name made of ``[a-z0-9-]`` and an extension a loader reads;
server paths must resolve (symlinks followed) inside ``--allow-root``.
"""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
import uuid
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

from engine import atomic
from engine.errors import RemixerError
from engine.plugins import Registry
from engine.runner import expand_sources, slugify

CHUNK = 1 << 16
FETCH_TIMEOUT = 20.0

#: the extension a fetched address is stored under, by content type
_CONTENT_TYPES = {"text/html": ".html", "application/xhtml+xml": ".html", "text/markdown": ".md",
                  "text/plain": ".txt", "audio/mpeg": ".mp3", "audio/wav": ".wav",
                  "audio/x-wav": ".wav", "video/mp4": ".mp4", "text/vtt": ".vtt"}


class TooLarge(RemixerError):
    """An upload or a fetched page is over the size limit."""


def safe_name(client_name: str, registry: Registry) -> str:
    """A file name made only of safe characters, keeping the extension a loader reads.

    ``../../etc/passwd.md`` becomes ``passwd.md``; ``a\\b.md`` (Windows) ``b.md``.
    """
    base = PureWindowsPath(PurePosixPath(client_name or "").name).name
    suffix = Path(base).suffix.lower()
    if suffix not in registry.extensions:
        raise RemixerError(f"{base or 'an upload'}: remixer does not read {suffix or 'files without an extension'}",
                           hint="supported: " + ", ".join(sorted(registry.extensions)))
    return slugify(Path(base).stem)[:60] + suffix


def _new_folder(inbox: Path) -> Path:
    folder = inbox / uuid.uuid4().hex[:10]
    folder.mkdir(parents=True)
    return folder


def store_upload(stream: BinaryIO, client_name: str, inbox: Path, registry: Registry,
                 limit: int) -> tuple[Path, str]:
    """Copy an upload into the inbox under a generated folder; (stored path, shown name)."""
    name = safe_name(client_name, registry)
    target = _new_folder(inbox) / name
    _copy_limited(stream, target, limit, name)
    return target, PurePosixPath(client_name).name or name


def _copy_limited(stream: BinaryIO, target: Path, limit: int, what: str) -> None:
    """Copy a stream to ``target`` atomically, refusing it past ``limit`` bytes."""
    size = 0
    with atomic.replacing(target) as temp, open(temp, "wb") as out:
        while block := stream.read(CHUNK):
            size += len(block)
            if size > limit:
                raise TooLarge(f"{what} is over the upload limit of {limit // 1_000_000} MB",
                               hint="start the server with a larger --max-upload-mb")
            out.write(block)


def store_text(text: str, inbox: Path) -> tuple[Path, str]:
    """Pasted text becomes a Markdown source named after its first line."""
    first = next((re.sub(r"^(#+|title:)\s*", "", line.strip()).strip("\"' ")
                  for line in text.splitlines() if re.search(r"\w", line)), "")
    target = _new_folder(inbox) / f"{slugify(first)[:60] or 'pasted'}.md"
    atomic.write_bytes(target, text.encode("utf-8"))
    return target, first[:80] or "pasted text"


def fetch_url(url: str, inbox: Path, registry: Registry, limit: int) -> tuple[Path, str]:
    """Download a web page or file (http or https only) into the inbox."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RemixerError(f"{url!r} is not an http(s) address", hint="paste a full https:// address")
    try:
        with urllib.request.urlopen(url.strip(), timeout=FETCH_TIMEOUT) as answer:  # noqa: S310 - scheme checked
            ctype = answer.headers.get_content_type()
            stem = PurePosixPath(parts.path).stem or parts.netloc
            suffix = PurePosixPath(parts.path).suffix.lower()
            if suffix not in registry.extensions:
                suffix = _CONTENT_TYPES.get(ctype, ".html")
            target = _new_folder(inbox) / f"{slugify(stem)[:60]}{suffix}"
            _copy_limited(answer, target, limit, url)
    except OSError as exc:
        raise RemixerError(f"cannot fetch {url}: {exc}", hint="check the address") from None
    return target, url.strip()


def under_root(path_text: str, root: Path | None, registry: Registry) -> list[Path]:
    """The source files a server path names, refused unless it lies inside ``root``."""
    if root is None:
        raise RemixerError("this server takes no paths", hint="start it with --allow-root DIR")
    root = root.resolve()
    path = Path(path_text)
    resolved = (path if path.is_absolute() else root / path).resolve()
    if not resolved.is_relative_to(root):
        raise RemixerError(f"{path_text}: not under the allowed root",
                           hint=f"give a path inside {root}")
    if not resolved.exists():
        raise RemixerError(f"{path_text}: no such file or folder", hint=f"paths are relative to {root}")
    found = expand_sources([str(resolved)], registry)
    refused = next((f for f in found if f.refused), None)
    if refused is not None:
        raise RemixerError(refused.refused)
    outside = [f.path for f in found if not f.path.resolve().is_relative_to(root)]
    if outside:  # a symlink inside the folder pointing out of it
        raise RemixerError(f"{outside[0]}: not under the allowed root", hint=f"give a path inside {root}")
    return [f.path for f in found]
