"""A scene's picture made safe to show: any image file in, a plain RGB PNG of bounded size out.

Missing, corrupt and truncated files, images too large to decode within bounded memory,
animations (the first frame is shown), CMYK, 16-bit, palette and transparent images are
all handled here: each either becomes a picture, with a note when something was given
up, or gives ``None`` and a note, and the scene is drawn without a picture. Remote
images are fetched only when the step allows it (``fetch_images``), with a time and
size limit.
"""

from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

from engine.artifacts import Visual

#: larger images are decoded at a reduced size (JPEG) or refused (other formats)
MAX_PIXELS = 40_000_000
#: remote images larger than this are not downloaded
MAX_DOWNLOAD = 25 * 1024 * 1024
FETCH_TIMEOUT = 20


def fetch(url: str, folder: Path) -> Path:
    """Download ``url`` into ``folder`` (bounded size and time); OSError on failure."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / ("remote-" + hashlib.sha256(url.encode()).hexdigest()[:16])
    request = urllib.request.Request(url, headers={"User-Agent": "remixer"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
        data = response.read(MAX_DOWNLOAD + 1)
    if len(data) > MAX_DOWNLOAD:
        raise OSError(f"larger than {MAX_DOWNLOAD // (1024 * 1024)} MB")
    target.write_bytes(data)
    return target


def prepare(visual: Visual, folder: Path, longest: int, *, allow_fetch: bool,
            name: str) -> tuple[Path | None, str]:
    """``(png, note)``: the picture as an RGB PNG at most ``longest`` pixels on its long
    side, or None; ``note`` says what went wrong or was given up ('' when nothing)."""
    label = visual.path or visual.url or "?"
    if visual.media == "video":
        return _clip(visual, label)
    if visual.path:
        source = Path(visual.path).expanduser()
        if not source.is_file():
            return None, f"picture {label!r} does not exist: the scene has no picture"
    elif visual.url:
        if not allow_fetch:
            return None, (f"picture {label!r} is remote and not fetched: set "
                          "`fetch_images: true` to download it")
        try:
            source = fetch(visual.url, folder)
        except (OSError, ValueError) as e:
            return None, f"picture {label!r} could not be downloaded ({e}): the scene has none"
    else:
        return None, ""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return _convert(source, folder / f"{name}.png", longest)
    except _Refused as e:
        return None, f"picture {label!r} {e}: the scene has no picture"


def _clip(visual: Visual, label: str) -> tuple[Path | None, str]:
    """A library or stock clip, shown as it is (the render scales, crops and loops it)."""
    from engine import media
    from engine.errors import MediaError

    path = Path(visual.path or "").expanduser()
    if not visual.path or not path.is_file():
        return None, f"clip {label!r} does not exist: the scene has no picture"
    try:
        info = media.probe(path)
    except MediaError as e:
        return None, f"clip {label!r} cannot be read ({e}): the scene has no picture"
    if not info.video:
        return None, f"clip {label!r} has no video stream: the scene has no picture"
    return path, ""


def is_clip(path: Path) -> bool:
    """Whether a prepared picture is a video clip (pictures are always PNG)."""
    return Path(path).suffix.lower() != ".png"


class _Refused(Exception):
    pass


def _convert(source: Path, dst: Path, longest: int) -> tuple[Path, str]:
    from PIL import Image, ImageOps, UnidentifiedImageError

    notes = []
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None   # the size is checked below, before decoding
    try:
        try:
            image = Image.open(source)
        except UnidentifiedImageError:
            raise _Refused("is not an image Pillow can read (corrupt or unknown format)") from None
        except OSError as e:
            raise _Refused(f"cannot be read ({e})") from None
        with image:
            width, height = image.size
            if width < 2 or height < 2:
                raise _Refused(f"is too small ({width}x{height})")
            if width * height > MAX_PIXELS:
                if image.format == "JPEG":
                    image.draft("RGB", (longest, longest))
                    notes.append(f"{width}x{height}: decoded at reduced size")
                else:
                    raise _Refused(f"is too large to decode ({width}x{height}, more than "
                                   f"{MAX_PIXELS // 1_000_000} megapixels); give a smaller copy")
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)
                notes.append("animated: its first frame is shown")
            try:
                image.load()
                image = ImageOps.exif_transpose(image)
                image = _rgb(image)
            except (OSError, ValueError, SyntaxError) as e:
                raise _Refused(f"is damaged ({e})") from None
            image.thumbnail((longest, longest), Image.LANCZOS)
            image.save(dst, compress_level=1)
    finally:
        Image.MAX_IMAGE_PIXELS = previous
    return dst, "; ".join(f"picture {source.name!r}: {n}" for n in notes)


def _rgb(image):
    """Any mode as 8-bit RGB: 16-bit and 32-bit grey scaled down, CMYK converted,
    transparency flattened onto the slides' dark background."""
    import numpy as np
    from PIL import Image

    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        data = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or data.max() > 255 else 255.0
        return Image.fromarray(np.clip(data / top * 255, 0, 255).astype("uint8"), "L").convert("RGB")
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (16, 24, 40, 255))
        flat.alpha_composite(rgba)
        return flat.convert("RGB")
    return image.convert("RGB")
