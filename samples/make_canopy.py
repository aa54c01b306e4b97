"""Regenerate samples/canopy.jpg: the sample article's figure, an illustration drawn here.

A street in summer seen from the pavement: sky, a row of tree crowns, their shade on
the road, houses behind. Drawn with Pillow (no photograph ships with the project),
1200x800, deterministic (seeded), about 60 kB.

    python samples/make_canopy.py          # writes samples/canopy.jpg
"""

from __future__ import annotations

import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "canopy.jpg"


def draw(path: Path = OUT) -> Path:
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(7)
    width, height = 1200, 800
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height // 2):   # sky, pale at the horizon
        t = y / (height / 2)
        draw.line((0, y, width, y), fill=(int(120 + 90 * t), int(180 + 50 * t), int(235 + 10 * t)))
    for i in range(7):             # houses behind the trees
        x = i * 180 - 40
        h = rng.randint(150, 230)
        draw.rectangle((x, 420 - h, x + 170, 430),
                       fill=(rng.randint(170, 215), rng.randint(130, 170), rng.randint(110, 150)))
        for wx in range(x + 20, x + 150, 45):
            draw.rectangle((wx, 420 - h + 30, wx + 24, 420 - h + 62), fill=(60, 80, 110))
    draw.rectangle((0, 430, width, height), fill=(92, 96, 104))           # road
    draw.rectangle((0, 430, width, 470), fill=(170, 168, 160))            # pavement
    for x in range(0, width, 120):                                       # lane marks
        draw.rectangle((x, 640, x + 60, 650), fill=(235, 230, 200))
    shade = Image.new("L", (width, height), 0)
    crowns = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    shade_draw, crown_draw = ImageDraw.Draw(shade), ImageDraw.Draw(crowns)
    for i in range(6):
        cx = 100 + i * 200 + rng.randint(-20, 20)
        draw.rectangle((cx - 10, 300, cx + 10, 460), fill=(85, 60, 40))   # trunk
        shade_draw.ellipse((cx - 150, 470, cx + 170, 620), fill=110)
        for _ in range(14):
            r = rng.randint(45, 85)
            x, y = cx + rng.randint(-90, 90), 250 + rng.randint(-80, 60)
            green = (rng.randint(40, 80), rng.randint(110, 160), rng.randint(50, 80), 255)
            crown_draw.ellipse((x - r, y - r, x + r, y + r), fill=green)
    dark = Image.new("RGB", (width, height), (30, 34, 40))
    image = Image.composite(dark, image, shade.filter(ImageFilter.GaussianBlur(18)))
    image.paste(crowns, (0, 0), crowns)
    image = image.filter(ImageFilter.SMOOTH)
    image.save(path, "JPEG", quality=82, optimize=True)
    return path


if __name__ == "__main__":
    print(draw())
