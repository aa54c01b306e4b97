"""Brand kits: one file that says how a publisher's outputs look, sound and read.

A brand is a layer of parameter defaults. Every transform that uses a brand field says
which of its parameters the brand fills (:meth:`engine.transform.Transform.brand_params`),
and the recipe applies them in this order, each overriding the one before::

    the transform's own defaults < the brand < the recipe's defaults: < the step's with:

So a brand never needs a mechanism of its own inside a transform: the logo, the voices or
the call to action reach it as parameters, which a step can still override. The brand's
content digest (the YAML and every file it names) is part of the cache key of every step
that took a parameter from it, so changing the logo's pixels re-renders the videos.

Paths in a brand file are relative to the file. Loading checks what can be checked without
the plugins (the schema, colours, URLs, the lexicon, that named files exist);
:func:`brand_problems` adds what needs the registry (voices installed) and the plugins'
``check_brand`` hook (fonts readable, logos decodable).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from engine.errors import Problem, RecipeError, RemixerError, short_repr
from engine.safe_yaml import read_yaml_file

HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
LOGO_TYPES = (".png", ".svg", ".jpg", ".jpeg", ".webp")
FONT_TYPES = (".ttf", ".otf")


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _color(value: str | None) -> str | None:
    """A colour as #RRGGBB (a #RGB one written out), the form every drawing code takes."""
    if value is not None and not HEX_COLOR.match(value):
        raise ValueError(f"unknown colour {short_repr(value)}: write it as #RRGGBB "
                         "(for example #1B4D3E)")
    if value is not None and len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    return value


def checked_hashtags(tags: list[str]) -> list[str]:
    """``tags`` when each is one word (with or without #); else a ValueError naming it."""
    for tag in tags:
        if not re.fullmatch(r"#?\w+", tag):
            raise ValueError(f"hashtag {short_repr(tag)} has spaces or punctuation: "
                             "write it as one word")
    return tags


class Colors(_Part):
    """The palette. Videos, covers and thumbnails draw with these."""

    primary: str | None = Field(None, description="the main brand colour (backgrounds, bars)")
    accent: str | None = Field(None, description="highlights: the spoken caption word, "
                                                 "stat callouts, the progress bar")
    background: str | None = Field(None, description="a dark or light base behind slides")
    text: str | None = Field(None, description="body text on slides and covers")
    highlight: str | None = Field(None, description="a second accent (key-point markers)")

    _check = field_validator("primary", "accent", "background", "text", "highlight")(_color)


class Fonts(_Part):
    """Font files (.ttf or .otf)."""

    heading: str | None = Field(None, description="titles and scene headings")
    body: str | None = Field(None, description="key points and body text")
    captions: str | None = Field(None, description="captions burnt into videos")


class Look(_Part):
    """How videos, covers and thumbnails look."""

    logo: str | None = Field(None, description="logo file: PNG (with transparency) or SVG")
    logo_position: Literal["top-left", "top-right", "bottom-left", "bottom-right"] = Field(
        "top-right", description="where the logo sits on videos, inside the safe area")
    logo_opacity: float = Field(0.9, ge=0.05, le=1.0, description="the logo's opacity on videos")
    logo_size: float = Field(0.14, ge=0.03, le=0.5,
                             description="the logo's width as a share of the frame's width")
    colors: Colors = Field(default_factory=Colors, description="the palette")
    fonts: Fonts = Field(default_factory=Fonts, description="font files")
    caption_style: Literal["karaoke", "phrase", "classic"] | None = Field(
        None, description="how captions appear on videos, unless a step says otherwise")
    intro: str | None = Field(None, description="a short video played before every video")
    outro: str | None = Field(None, description="a short video played after every video")


class Host(_Part):
    name: str = Field(min_length=1, max_length=40, description="the name the host goes by")
    voice: str | None = Field(None, description="the host's voice (see `remixer voices`)")


class Loudness(_Part):
    podcast: float = Field(-16.0, ge=-30.0, le=-9.0, description="podcast target, LUFS")
    video: float = Field(-14.0, ge=-30.0, le=-9.0, description="video soundtrack target, LUFS")
    narration: float = Field(-16.0, ge=-30.0, le=-9.0, description="narration target, LUFS")


class Sound(_Part):
    """How narration, podcasts and video soundtracks sound."""

    narrator: str | None = Field(None, description="the narration voice (see `remixer voices`)")
    hosts: list[Host] = Field(default_factory=list, max_length=4,
                              description="the podcast's hosts, in speaking order")
    intro: str | None = Field(None, description="a sting played before podcasts (audio file)")
    outro: str | None = Field(None, description="a sting played after podcasts (audio file)")
    music: str | None = Field(None, description="a music bed under podcasts (audio file)")
    music_volume: float | None = Field(None, ge=0.0, le=1.0,
                                       description="the music bed's level under speech")
    loudness: Loudness = Field(default_factory=Loudness,
                               description="loudness targets per channel")


class CallToAction(_Part):
    text: str = Field(min_length=1, max_length=200, description="what the reader should do next")
    link: str = Field("", max_length=500, description="where to do it")


class Words(_Part):
    """How the outputs read and how the voices say the brand's words."""

    tone: str = Field("", max_length=2000, description="a tone and style guide given to "
                                                       "every language-model prompt")
    avoid: list[str] = Field(default_factory=list, max_length=500,
                             description="words and phrases never to use; extractive "
                                         "selection skips sentences containing them")
    preferred: dict[str, str] = Field(default_factory=dict,
                                      description="preferred terms: {word used: word wanted}")
    glossary: list[str] = Field(default_factory=list, max_length=2000,
                                description="terms never translated (names, products)")
    pronunciation: dict[str, str] = Field(
        default_factory=dict,
        description="how voices say words, {written: spoken}, e.g. `SQLite: S Q Lite`")
    call_to_action: CallToAction | None = Field(None, description="posts and closing cards end "
                                                                  "with it")
    hashtags: list[str] = Field(default_factory=list, max_length=30,
                                description="hashtags added to posts (with or without #)")
    sign_off: str = Field("", max_length=300, description="the podcast hosts' last line")

    @field_validator("pronunciation")
    @classmethod
    def _lexicon(cls, value: dict[str, str]) -> dict[str, str]:
        for written, spoken in value.items():
            if not isinstance(spoken, str) or not spoken.strip():
                raise ValueError(f"the entry {short_repr(written)} has no spoken form: write "
                                 "`WORD: how it is said`")
            if not written.strip() or "\n" in written or "\n" in spoken:
                raise ValueError(f"the entry {short_repr(written)} does not parse: write one "
                                 "`WORD: how it is said` per line")
        return value

    _tags = field_validator("hashtags")(checked_hashtags)


class Show(_Part):
    """The podcast feed's channel."""

    title: str | None = Field(None, max_length=200, description="the show's name "
                                                                "(default: the brand's name)")
    author: str | None = Field(None, max_length=200, description="itunes:author")
    owner_name: str | None = Field(None, max_length=200, description="itunes:owner name")
    owner_email: str | None = Field(None, max_length=200, description="itunes:owner e-mail")
    description: str | None = Field(None, max_length=4000, description="the show's summary")
    category: str = Field("Technology", max_length=100,
                          description="an Apple Podcasts category, e.g. `Technology` or "
                                      "`Society & Culture`")
    subcategory: str | None = Field(None, max_length=100, description="its subcategory")
    language: str = Field("en", max_length=20, description="the show's language (BCP 47)")
    explicit: bool = Field(False, description="itunes:explicit")
    artwork: str | None = Field(None, description="square show artwork, 1400-3000 px (PNG/JPEG)")
    base_url: str | None = Field(None, description="the absolute http(s) address where OUT is "
                                                   "published; enclosure and links start with it")

    @field_validator("owner_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError(f"{short_repr(value)} is not an e-mail address")
        return value

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^/\s]+(/\S*)?", value):
            raise ValueError(f"base_url {short_repr(value)} is not an absolute http(s) "
                             "address: write it like https://example.com/podcast/")
        return value


class Brand(_Part):
    """A brand file (``remixer brand init`` writes a commented one)."""

    name: str = Field(min_length=1, max_length=200, description="the brand's name")
    tagline: str = Field("", max_length=300, description="a line under the name")
    website: str = Field("", max_length=500, description="the brand's address")
    copyright: str = Field("", max_length=300, description="the copyright line (feeds, tags)")
    look: Look = Field(default_factory=Look, description="logo, colours, fonts, bumpers")
    sound: Sound = Field(default_factory=Sound, description="voices, stings, music, loudness")
    words: Words = Field(default_factory=Words, description="tone, terms, call to action")
    show: Show = Field(default_factory=Show, description="the podcast feed's channel")


#: every field that names a file, with the extensions it accepts (None: any)
FILE_FIELDS: dict[tuple[str, ...], tuple[str, ...] | None] = {
    ("look", "logo"): LOGO_TYPES,
    ("look", "fonts", "heading"): FONT_TYPES,
    ("look", "fonts", "body"): FONT_TYPES,
    ("look", "fonts", "captions"): FONT_TYPES,
    ("look", "intro"): None,
    ("look", "outro"): None,
    ("sound", "intro"): None,
    ("sound", "outro"): None,
    ("sound", "music"): None,
    ("show", "artwork"): (".png", ".jpg", ".jpeg"),
}

#: the fields naming voices, checked against the installed engines
VOICE_FIELDS = (("sound", "narrator"),)


@dataclass(frozen=True)
class LoadedBrand:
    """A validated brand, its files resolved to absolute paths, and its content digest."""

    brand: Brand
    path: Path
    digest: str

    def record(self) -> dict[str, str]:
        """What a manifest says about the brand a run used."""
        return {"name": self.brand.name, "file": str(self.path), "digest": self.digest}


def _get(model: BaseModel, path: tuple[str, ...]) -> Any:
    for name in path:
        model = getattr(model, name)
    return model


def _file_problem(value: str, kinds: tuple[str, ...] | None) -> str | None:
    path = Path(value)
    if kinds and path.suffix.lower() not in kinds:
        return f"{short_repr(value)} is not a {' or '.join(k.lstrip('.') for k in kinds)} file"
    if not path.is_file():
        return f"file {short_repr(value)} not found (paths are relative to the brand file)"
    return None


def _resolve_files(data: dict[str, Any], folder: Path) -> None:
    """Make the file fields of raw brand data absolute, relative to ``folder``."""
    for path in FILE_FIELDS:
        parent = data
        for name in path[:-1]:
            parent = parent.get(name) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and isinstance(parent.get(path[-1]), str):
            parent[path[-1]] = str((folder / parent[path[-1]]).resolve())


def _digest(brand: Brand) -> str:
    """The brand's content: its fields and the bytes of every file it names."""
    from engine.artifacts import file_sha256
    files = {".".join(p): file_sha256(Path(v)) for p in FILE_FIELDS if (v := _get(brand, p))}
    blob = json.dumps([brand.model_dump(mode="json"), files], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def load_brand(path: Path | str) -> LoadedBrand:
    """Read and validate a brand file; every problem at once, each at its place."""
    path = Path(path).resolve()
    data = read_yaml_file(path, "brand", "with `name` and the sections look, sound, words "
                                         "and show (`remixer brand init` writes one)")
    _resolve_files(data, path.parent)
    try:
        brand = Brand(**data)
    except ValidationError as exc:
        problems = [Problem(".".join(str(p) for p in e["loc"]),
                            e["msg"].removeprefix("Value error, ")) for e in exc.errors()]
        raise RecipeError(problems, source=str(path)) from None
    problems = [Problem(".".join(p), message) for p, kinds in FILE_FIELDS.items()
                if (value := _get(brand, p)) and (message := _file_problem(value, kinds))]
    if problems:
        raise RecipeError(problems, source=str(path))
    return LoadedBrand(brand=brand, path=path, digest=_digest(brand))


def voice_fields(brand: Brand) -> list[tuple[str, str]]:
    """(location, voice) for every voice the brand names."""
    found = [(".".join(p), v) for p in VOICE_FIELDS if (v := _get(brand, p))]
    found += [(f"sound.hosts[{i}].voice", h.voice) for i, h in enumerate(brand.sound.hosts)
              if h.voice]
    return found


def brand_problems(loaded: LoadedBrand, registry: Any) -> list[Problem]:
    """What only the loaded plugins reveal: voices not installed, and each plugin's
    ``check_brand`` findings (a font that does not load, an SVG that does not render)."""
    problems = []
    for where, spec in voice_fields(loaded.brand):
        try:
            registry.resolve_voice(spec)
        except RemixerError as exc:
            problems.append(Problem(where, f"{exc}; `remixer voices` lists them"))
    for found in registry.pm.hook.check_brand(brand=loaded.brand):
        problems += [Problem(where, message) for where, message in found or ()]
    return problems
