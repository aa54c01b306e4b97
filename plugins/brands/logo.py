"""A brand's logo as a PNG of a given width, rendered once and kept in the cache.

Videos, covers and thumbnails overlay the logo at their own size. A raster logo (PNG,
JPEG, WebP) is scaled with Pillow; an SVG is rasterised by resvg (``resvg-py``: MIT, a
self-contained wheel, no system libraries). The result is keyed by the logo file's bytes
and the width, so an edited logo renders again and an unchanged one is read from
``<cache>/brand/``.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from engine import atomic
from engine.artifacts import file_sha256
from engine.cache import default_cache_dir
from engine.errors import TransformError

#: bump when the rendering changes, so cached logos are made again
RENDER_VERSION = "1"
MAX_WIDTH = 4096
#: the largest raster logo decoded (pixels), against decompression bombs
MAX_PIXELS = 40_000_000


def _logo_path(logo: Any) -> Path:
    """The logo file of a brand (``engine.brand.Brand``) or a path."""
    if hasattr(logo, "look"):
        logo = logo.look.logo
        if not logo:
            raise TransformError("the brand has no logo", hint="set look.logo in the brand file")
    return Path(logo)


def logo_png(logo: Any, width: int, cache_dir: Path | str | None = None) -> Path:
    """The logo as an RGBA PNG ``width`` pixels wide (its aspect kept).

    ``logo`` is a brand (its ``look.logo``) or a logo file's path; ``cache_dir`` is the
    run's cache root (``ctx.cache.root`` in a transform), by default the user's cache.
    Raises :class:`TransformError` (one line) when the file does not decode.
    """
    path = _logo_path(logo)
    if not 1 <= width <= MAX_WIDTH:
        raise TransformError(f"logo width {width} is out of range",
                             hint=f"ask for 1 to {MAX_WIDTH} pixels")
    if not path.is_file():
        raise TransformError(f"logo file {str(path)!r} not found",
                             hint="check look.logo in the brand file")
    key = hashlib.sha256(f"{file_sha256(path)}:{width}:{RENDER_VERSION}".encode()).hexdigest()
    target = Path(cache_dir or default_cache_dir()) / "brand" / key[:2] / f"{key}.png"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(target, render_logo(path, width))
    return target


def render_logo(path: Path, width: int) -> bytes:
    """PNG bytes of the logo at ``path``, ``width`` pixels wide."""
    from PIL import Image

    if path.suffix.lower() == ".svg":
        data = _svg_png(path, width)
    else:
        data = path.read_bytes()
    Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, MAX_PIXELS)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            rgba = image.convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise TransformError(f"logo {path.name!r} does not decode: {e}",
                             hint="save it as a PNG with transparency") from None
    if rgba.width != width:
        height = max(1, round(rgba.height * width / rgba.width))
        rgba = rgba.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgba.save(out, format="PNG")
    return out.getvalue()


def _svg_png(path: Path, width: int) -> bytes:
    try:
        import resvg_py
    except ImportError:
        raise TransformError("an SVG logo needs resvg-py, which is not installed",
                             hint="pip install resvg-py, or give a PNG logo") from None
    try:
        return bytes(resvg_py.svg_to_bytes(svg_path=str(path), width=width,
                                           skip_system_fonts=True))
    except (ValueError, OSError, RuntimeError) as e:
        raise TransformError(f"SVG logo {path.name!r} does not render: {e}",
                             hint="open it in an editor and save it as plain SVG, or give a "
                                  "PNG") from None
