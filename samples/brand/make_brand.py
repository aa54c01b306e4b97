"""Regenerate the sample brand's files: the logo (SVG source and a transparent PNG), the
show artwork, the fonts and the podcast sting, for samples/brand/brand.yaml.

The logo, a stylised street tree in the brand's greens, is written as SVG here and
rasterised by resvg (the renderer remixer uses for SVG logos); Pillow saves it as a PNG
with transparency and draws the 1400x1400 show artwork (the logo and the brand's name on
its primary colour) that podcast directories ask for. The fonts are Roboto from the
``font-roboto`` wheel (Apache 2.0, its licence copied beside them), copied so the brand's
paths work on a fresh clone. The sting, played before and after the podcast, is a
two-note chime synthesised by ffmpeg. Deterministic: the same files every time.

    python samples/brand/make_brand.py
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
PRIMARY, ACCENT, LEAF, TRUNK, TEXT = "#1B4D3E", "#F2B134", "#7BC47F", "#6B4A2B", "#F5F5F0"
NAME, TAGLINE = "Green City Press", "Stories about the places we share"
ARTWORK_SIZE = 1400
FONTS = {"Roboto-Bold.ttf": "heading and captions", "Roboto-Regular.ttf": "body"}

LOGO_SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
  <title>{NAME}</title>
  <rect x="226" y="300" width="60" height="170" rx="14" fill="{TRUNK}"/>
  <circle cx="256" cy="200" r="150" fill="{PRIMARY}"/>
  <circle cx="170" cy="250" r="95" fill="{LEAF}"/>
  <circle cx="342" cy="250" r="95" fill="{LEAF}"/>
  <circle cx="256" cy="150" r="90" fill="{LEAF}"/>
  <circle cx="300" cy="120" r="26" fill="{ACCENT}"/>
  <rect x="96" y="462" width="320" height="22" rx="11" fill="{PRIMARY}"/>
</svg>
"""


def logo(folder: Path = HERE) -> tuple[Path, Path]:
    """logo.svg and logo.png (512 px, transparent around the tree)."""
    import resvg_py
    from PIL import Image

    svg = folder / "logo.svg"
    svg.write_text(LOGO_SVG, encoding="utf-8")
    data = bytes(resvg_py.svg_to_bytes(svg_path=str(svg), width=512, skip_system_fonts=True))
    png = folder / "logo.png"
    with Image.open(io.BytesIO(data)) as image:
        image.convert("RGBA").save(png, optimize=True)
    return svg, png


def fonts(folder: Path = HERE / "fonts") -> list[Path]:
    """The brand's fonts and their licence, copied from the font-roboto wheel."""
    import font_roboto

    source = Path(font_roboto.font_directory)
    folder.mkdir(exist_ok=True)
    copied = [Path(shutil.copyfile(source / name, folder / name)) for name in FONTS]
    shutil.copyfile(source / "LICENSE", folder / "LICENSE-Roboto.txt")
    return copied


def artwork(png: Path, folder: Path = HERE) -> Path:
    """artwork.png: the show's square artwork, the logo over the brand's name."""
    from PIL import Image, ImageDraw, ImageFont

    size = ARTWORK_SIZE
    image = Image.new("RGB", (size, size), PRIMARY)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, size - 70, size, size), fill=ACCENT)
    with Image.open(png) as mark:
        mark = mark.convert("RGBA").resize((760, 760), Image.Resampling.LANCZOS)
        image.paste(mark, ((size - 760) // 2, 150), mark)
    bold = ImageFont.truetype(str(folder / "fonts" / "Roboto-Bold.ttf"), 130)
    regular = ImageFont.truetype(str(folder / "fonts" / "Roboto-Regular.ttf"), 56)
    draw.text((size / 2, 1010), NAME, font=bold, fill=TEXT, anchor="mm")
    draw.text((size / 2, 1140), TAGLINE, font=regular, fill=TEXT, anchor="mm")
    out = folder / "artwork.png"
    image.save(out, optimize=True)
    return out


def sting(folder: Path = HERE) -> Path:
    """sting.mp3: a 1.6-second chime, E5 then A5, each note decaying (ffmpeg's aevalsrc)."""
    from engine.media import run_ffmpeg

    chime = ("0.35*sin(2*PI*659.25*t)*exp(-3.5*t)"
             "+0.35*sin(2*PI*880*t)*exp(-3.5*(t-0.3))*gte(t,0.3)")
    out = folder / "sting.mp3"
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"aevalsrc='{chime}':s=44100:d=1.6",
                "-af", "afade=t=out:st=1.3:d=0.3", "-ac", "1", "-c:a", "libmp3lame",
                "-b:a", "96k", "-map_metadata", "-1", "-fflags", "+bitexact",
                "-flags:a", "+bitexact", str(out)], what="synthesise the sting")
    return out


def main() -> None:
    fonts()
    _, png = logo()
    artwork(png)
    sting()


if __name__ == "__main__":
    main()
