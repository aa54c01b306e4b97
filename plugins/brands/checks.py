"""The ``check_brand`` checks only Pillow and resvg can make: fonts load, the logo
renders, the show artwork is what podcast directories accept.

Run by ``remixer brand check`` and before ``remixer run --brand`` starts, so a broken
file is one located line, never a failure in the middle of a batch.
"""

from __future__ import annotations

from pathlib import Path

import engine
from engine.errors import RemixerError

#: Apple Podcasts: square artwork of 1400 to 3000 pixels, JPEG or PNG, RGB
ARTWORK_MIN, ARTWORK_MAX = 1400, 3000
ARTWORK_FORMATS = ("PNG", "JPEG")
#: the width the logo is test-rendered at
CHECK_WIDTH = 64


def font_problem(path: str) -> str | None:
    from PIL import ImageFont

    try:
        ImageFont.truetype(path, 24)
    except OSError as e:
        return (f"font file {Path(path).name!r} does not load ({e or 'not a font'}): give a "
                ".ttf or .otf file")
    return None


def logo_problem(path: str) -> str | None:
    from plugins.brands.logo import render_logo

    try:
        render_logo(Path(path), CHECK_WIDTH)
    except RemixerError as e:
        return str(e)
    return None


def artwork_problem(path: str) -> str | None:
    from PIL import Image

    name = Path(path).name
    try:
        with Image.open(path) as image:
            size, kind, mode = image.size, image.format, image.mode
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        return f"artwork {name!r} does not decode ({e}): give a PNG or JPEG"
    width, height = size
    if kind not in ARTWORK_FORMATS:
        return f"artwork {name!r} is {kind}: podcast directories take PNG or JPEG"
    if width != height:
        return (f"artwork {name!r} is {width}x{height}: podcast directories require it "
                "square")
    if not ARTWORK_MIN <= width <= ARTWORK_MAX:
        return (f"artwork {name!r} is {width}x{height}: podcast directories require "
                f"{ARTWORK_MIN} to {ARTWORK_MAX} pixels a side")
    if mode not in ("RGB", "RGBA", "P", "L"):
        return f"artwork {name!r} is in {mode} colour: save it as RGB"
    return None


@engine.hookimpl
def check_brand(brand):
    found = []
    for role in ("heading", "body", "captions"):
        path = getattr(brand.look.fonts, role)
        if path and (message := font_problem(path)):
            found.append((f"look.fonts.{role}", message))
    if brand.look.logo and (message := logo_problem(brand.look.logo)):
        found.append(("look.logo", message))
    if brand.show.artwork and (message := artwork_problem(brand.show.artwork)):
        found.append(("show.artwork", message))
    return found
