"""plugins.brands.logo: a brand's logo as a PNG of a given width, cached by content."""

from __future__ import annotations

import os

import pytest
from PIL import Image

from engine.brand import Brand
from engine.errors import TransformError
from plugins.brands.logo import logo_png

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
       '<rect width="20" height="20" fill="#ff0000"/></svg>')


def test_svg_logo_rasterises_at_the_width_asked_with_transparency(tmp_path):
    (tmp_path / "logo.svg").write_text(SVG)
    png = logo_png(tmp_path / "logo.svg", 200, tmp_path / "cache")
    assert png.is_relative_to(tmp_path / "cache")
    with Image.open(png) as image:
        assert image.size == (200, 100) and image.mode == "RGBA"
        assert image.getpixel((50, 50)) == (255, 0, 0, 255)
        assert image.getpixel((150, 50))[3] == 0


def test_raster_logo_is_scaled_and_cached_by_content(tmp_path):
    Image.new("RGBA", (80, 40), (0, 128, 255, 255)).save(tmp_path / "logo.png")
    brand = Brand(name="B", look={"logo": str(tmp_path / "logo.png")})
    first = logo_png(brand, 60, tmp_path / "cache")
    with Image.open(first) as image:
        assert image.size == (60, 30)
    stamp = first.stat().st_mtime_ns
    os.utime(first, ns=(stamp - 10**9, stamp - 10**9))
    assert logo_png(brand, 60, tmp_path / "cache") == first
    assert first.stat().st_mtime_ns == stamp - 10**9          # read back, not rendered again
    Image.new("RGBA", (80, 40), (255, 255, 0, 255)).save(tmp_path / "logo.png")
    assert logo_png(brand, 60, tmp_path / "cache") != first   # new pixels, new file


@pytest.mark.parametrize("name, body, expected", [
    ("broken.svg", "<svg><g>", "does not render"),
    ("broken.png", "not a png", "does not decode"),
])
def test_a_logo_that_does_not_decode_is_one_line(tmp_path, name, body, expected):
    (tmp_path / name).write_text(body)
    with pytest.raises(TransformError, match=expected) as info:
        logo_png(tmp_path / name, 100, tmp_path / "cache")
    assert "\n" not in str(info.value)
    assert not list((tmp_path / "cache").rglob("*.png"))


def test_a_brand_without_a_logo_says_so(tmp_path):
    with pytest.raises(TransformError, match="look.logo"):
        logo_png(Brand(name="B"), 100, tmp_path)
