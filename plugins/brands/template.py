"""The commented brand file ``remixer brand init`` writes, generated from the model.

Every field of :class:`engine.brand.Brand` appears, with its description as a comment,
so the file and the model cannot drift apart (a test checks that the file names every
field and validates). Fields the brand leaves empty by default are written commented
out with an example value: uncomment what the publisher has.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from pydantic import BaseModel

from engine.brand import Brand

#: example values for the fields left out by default, by dotted path
EXAMPLES: dict[str, Any] = {
    "tagline": "Stories about the places we share",
    "website": "https://example.org/",
    "copyright": "© 2026 My Brand",
    "look.logo": "logo.png",
    "look.colors.primary": "#1B4D3E",
    "look.colors.accent": "#F2B134",
    "look.colors.background": "#0F1F1A",
    "look.colors.text": "#F5F5F0",
    "look.colors.highlight": "#7BC47F",
    "look.fonts.heading": "fonts/Heading-Bold.ttf",
    "look.fonts.body": "fonts/Body-Regular.ttf",
    "look.fonts.captions": "fonts/Heading-Bold.ttf",
    "look.caption_style": "karaoke",
    "look.intro": "bumpers/intro.mp4",
    "look.outro": "bumpers/outro.mp4",
    "sound.narrator": "hibari:heart",
    "sound.hosts": [{"name": "Alex", "voice": "hibari:heart"},
                    {"name": "Sam", "voice": "piper:joe"}],
    "sound.intro": "audio/intro-sting.mp3",
    "sound.outro": "audio/outro-sting.mp3",
    "sound.music": "audio/music-bed.mp3",
    "sound.music_volume": 0.25,
    "words.tone": "Warm and plain. Short sentences, no hype.",
    "words.avoid": ["revolutionary", "game-changer"],
    "words.preferred": {"e-mail": "email"},
    "words.glossary": ["My Brand"],
    "words.pronunciation": {"SQLite": "S Q Lite"},
    "words.call_to_action": {"text": "Read the full story:", "link": "https://example.org/"},
    "words.hashtags": ["MyBrand"],
    "words.sign_off": "Thanks for listening to My Brand.",
    "show.title": "My Brand Podcast",
    "show.author": "My Brand",
    "show.owner_name": "My Brand",
    "show.owner_email": "podcast@example.org",
    "show.description": "One story a week, talked through by our two hosts.",
    "show.subcategory": "Tech News",
    "show.artwork": "artwork.png",
    "show.base_url": "https://example.org/podcast/",
}

HEADER = """\
# A remixer brand: how every output looks, sounds and reads.
# Use it with `remixer run RECIPE SOURCES --brand {file}` or `brand: {file}` in a recipe;
# a recipe's defaults: and a step's with: still override what it sets.
# Check it with `remixer brand check {file}`. Paths are relative to this file.
# Commented lines are examples: uncomment and edit what your brand has.
"""


def _scalar(value: Any) -> str:
    """A YAML flow value (JSON is YAML; plain words stay plain)."""
    if isinstance(value, str) and value and value.replace(" ", "").replace("-", "").isalnum() \
            and value.strip() == value and value.lower() not in ("yes", "no", "true", "false",
                                                                  "null", "on", "off"):
        return value
    return json.dumps(value, ensure_ascii=False)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (also inside ``X | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return next((a for a in typing.get_args(annotation)
                     if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return None


def _lines(model: type[BaseModel], values: BaseModel | None, prefix: str,
           indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        if field.description:
            out.append(f"{pad}# {field.description}")
        current = getattr(values, name) if values is not None else None
        nested = _model_of(field.annotation)
        if nested is not None and path not in EXAMPLES:
            inner = _lines(nested, current, f"{path}.", indent + 2)
            # a section with nothing set is commented too (an empty key would be null)
            active = any(not line.lstrip().startswith("#") for line in inner)
            out.append(f"{pad}{'' if active else '# '}{name}:")
            out += inner
        elif path == "name":
            out.append(f"{pad}name: My Brand")
        elif current not in (None, "", [], {}):
            out.append(f"{pad}{name}: {_scalar(current)}")
        else:
            out.append(f"{pad}# {name}: {_scalar(EXAMPLES[path])}")
    return out


def brand_template(file_name: str = "brand.yaml") -> str:
    """The commented brand file, every field described, that validates as written."""
    lines = _lines(Brand, Brand(name="My Brand"), "", 0)
    return HEADER.format(file=file_name) + "\n" + "\n".join(lines) + "\n"
