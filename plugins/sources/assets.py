"""Images a loader extracts, stored content-addressed outside the source's folder.

``store_image`` writes the bytes once to ``ASSETS/<aa>/<sha256><ext>`` (atomically) and
returns the :class:`engine.artifacts.Figure` that points to it. The folder is the run's
cache (the runner sets ``SourceLoader.assets_dir``), so loading never writes beside the
source, and two documents showing the same picture share one file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from engine import atomic
from engine.artifacts import Figure
from engine.cache import default_cache_dir

#: images smaller than this many bytes are rules, bullets and spacers, not figures
MIN_IMAGE_BYTES = 200
#: a loader keeps at most this many images per source
MAX_IMAGES = 200
#: a single image over this size is skipped
MAX_IMAGE_BYTES = 20 * 1024 * 1024

_KNOWN = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".svg", ".emf",
          ".wmf", ".jp2"}


def assets_root(assets_dir: Path | None) -> Path:
    """The folder images go to: the runner's, else the default cache's."""
    return Path(assets_dir) if assets_dir else default_cache_dir() / "assets"


def image_suffix(data: bytes, name: str = "") -> str:
    """The file extension for image bytes: from their signature, else from ``name``."""
    signatures = ((b"\x89PNG", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"GIF8", ".gif"),
                  (b"BM", ".bmp"), (b"II*\x00", ".tif"), (b"MM\x00*", ".tif"))
    for signature, suffix in signatures:
        if data.startswith(signature):
            return suffix
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    suffix = Path(name).suffix.lower()
    return suffix if suffix in _KNOWN else ".bin"


def store_image(data: bytes, assets_dir: Path | None, *, name: str = "", caption: str = "",
                alt: str = "") -> Figure | None:
    """Store image bytes content-addressed; None for slivers and oversized images."""
    if not (MIN_IMAGE_BYTES <= len(data) <= MAX_IMAGE_BYTES):
        return None
    digest = hashlib.sha256(data).hexdigest()
    target = assets_root(assets_dir) / digest[:2] / f"{digest}{image_suffix(data, name)}"
    if not target.is_file():
        atomic.write_bytes(target, data)
    return Figure(path=str(target), sha256=digest, caption=caption.strip(), alt=alt.strip())
