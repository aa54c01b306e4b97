"""The typed things that flow between steps.

Every artifact is a frozen pydantic model with a ``kind`` discriminator, serialises to
JSON, and has a content digest that covers the bytes of any file it points to. Files
(audio, video) live in ``FILE_FIELDS``; the cache moves them into its blob store and
rewrites the paths, so a transform only ever sees readable absolute paths.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


_DIGESTS: dict[tuple[str, int, int], str] = {}

#: a transform's ``produces`` meaning "the kind of its input" (``translate``: a document
#: in, a document out; a transcript in, a transcript out)
SAME_KIND = "same"


def file_sha256(path: Path, *, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in chunks (bounded memory for long media).

    Remembered per (path, size, mtime) so a long recording passed along a chain of
    steps is hashed once per process, not once per step.
    """
    stat = os.stat(path)
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while block := f.read(chunk):
                h.update(block)
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


class Artifact(BaseModel):
    """Base of every artifact kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: names of fields that hold a file path
    FILE_FIELDS: ClassVar[tuple[str, ...]] = ()

    kind: str

    def files(self) -> dict[str, Path]:
        """The files this artifact points to, by field name."""
        return {name: Path(getattr(self, name)) for name in self.FILE_FIELDS
                if getattr(self, name) is not None}

    def digest(self) -> str:
        """sha256 over the artifact's fields and the bytes of its files (not their paths)."""
        data = self.model_dump(mode="json")
        for name, path in self.files().items():
            data[name] = file_sha256(path)
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def exports(self) -> dict[str, bytes | Path]:
        """What a step writes to OUT: file extension -> bytes or a file to copy."""
        return {"json": self.to_json_bytes()}

    def to_json_bytes(self) -> bytes:
        return (self.model_dump_json(indent=2) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- document

class Figure(BaseModel):
    """An image the source shows: a local file (with its digest) or a remote address.

    The digest makes a document's own digest change when an image's bytes change, so
    steps that draw the image (explainer videos, thumbnails) are re-run; the file itself
    stays where the loader found or extracted it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str | None = None
    url: str | None = None
    sha256: str | None = None
    caption: str = ""
    alt: str = ""


class Section(BaseModel):
    """A heading (None for text before the first heading), its paragraphs and figures."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    heading: str | None = None
    level: int = Field(1, ge=1, le=6)
    paragraphs: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()


class Document(Artifact):
    """An article: title, front-matter metadata and sections of paragraphs."""

    kind: Literal["document"] = "document"
    title: str
    #: BCP 47 tag of the language it is written in, when known (None: not declared)
    language: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    sections: tuple[Section, ...] = ()

    def paragraphs(self) -> list[str]:
        return [p for s in self.sections for p in s.paragraphs]

    def text(self) -> str:
        return "\n\n".join(self.paragraphs())

    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs())

    def to_markdown(self) -> str:
        out = [f"# {self.title}", ""]
        for section in self.sections:
            if section.heading:
                out += ["#" * min(section.level + 1, 6) + " " + section.heading, ""]
            for paragraph in section.paragraphs:
                out += [paragraph, ""]
        return "\n".join(out)

    def exports(self) -> dict[str, bytes | Path]:
        return {"md": self.to_markdown().encode("utf-8"), "json": self.to_json_bytes()}


# --------------------------------------------------------------------------- transcript

class Word(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    probability: float | None = None
    speaker: str | None = None


class Segment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str
    words: tuple[Word, ...] = ()
    speaker: str | None = None


class Transcript(Artifact):
    """Speech as text with timings: segments, and words where the recogniser gave them."""

    kind: Literal["transcript"] = "transcript"
    language: str = "en"
    duration: float = Field(0.0, ge=0)
    title: str = ""
    segments: tuple[Segment, ...] = ()

    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    def exports(self) -> dict[str, bytes | Path]:
        return {"txt": (self.text() + "\n").encode("utf-8"), "json": self.to_json_bytes()}


# --------------------------------------------------------------------------- script

class Turn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    speaker: str
    text: str
    chapter: str | None = None


class Script(Artifact):
    """Ordered turns to be spoken: a podcast or narration before it has audio."""

    kind: Literal["script"] = "script"
    title: str = ""
    #: BCP 47 tag of the language it is written in, when known
    language: str | None = None
    #: the source's metadata (author, date), so audio made from the script can carry it
    metadata: dict[str, str] = Field(default_factory=dict)
    speakers: tuple[str, ...] = ()
    turns: tuple[Turn, ...] = ()

    def text(self) -> str:
        return "\n\n".join(t.text for t in self.turns)

    def to_markdown(self) -> str:
        """The script as an editable file: front matter saying it is a script (so it loads
        back as one, see ``plugins/sources/script.py``), the title, a ``##`` heading per
        chapter and one ``**Speaker:** text`` paragraph per turn."""
        import yaml

        speakers = list(self.speakers) or list(dict.fromkeys(t.speaker for t in self.turns))
        front = {"remixer": "podcast-script", "title": self.title, "hosts": ", ".join(speakers),
                 **{k: v for k, v in self.metadata.items() if k not in ("encoding", "title")}}
        lines = ["---", yaml.safe_dump(front, allow_unicode=True, sort_keys=False,
                                       width=1000).rstrip(), "---", ""]
        if self.title:
            lines += [f"# {self.title}", ""]
        chapter = None
        for turn in self.turns:
            if turn.chapter and turn.chapter != chapter:
                chapter = turn.chapter
                lines += [f"## {chapter}", ""]
            lines += [f"**{turn.speaker}:** {turn.text}", ""]
        return "\n".join(lines)

    def exports(self) -> dict[str, bytes | Path]:
        return {"md": self.to_markdown().encode("utf-8"), "json": self.to_json_bytes()}


# --------------------------------------------------------------------------- text

class Text(Artifact):
    """A finished text output: a summary, key points, a post or a thread of posts."""

    kind: Literal["text"] = "text"
    title: str = ""
    body: str
    #: BCP 47 tag of the language it is written in, when known
    language: str | None = None
    #: the posts of a thread, in order; empty for single texts
    parts: tuple[str, ...] = ()
    target_words: int | None = None
    target_chars: int | None = None
    #: anything a reader of the manifest should know (e.g. "source shorter than target")
    notes: tuple[str, ...] = ()

    def text(self) -> str:
        return self.body

    def word_count(self) -> int:
        return len(self.body.split())

    def exports(self) -> dict[str, bytes | Path]:
        out: dict[str, bytes | Path] = {"md": (self.body.rstrip() + "\n").encode("utf-8")}
        if self.parts:
            out["json"] = (json.dumps({"title": self.title, "posts": list(self.parts)},
                                      indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        return out


# --------------------------------------------------------------------------- audio / video

class Chapter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    start: float = Field(ge=0)
    end: float = Field(ge=0)


class Audio(Artifact):
    """An audio file with what we know about it."""

    FILE_FIELDS: ClassVar[tuple[str, ...]] = ("path",)

    kind: Literal["audio"] = "audio"
    path: Path
    duration: float = Field(ge=0)
    sample_rate: int = Field(gt=0)
    channels: int = Field(1, ge=1)
    title: str = ""
    loudness_lufs: float | None = None
    #: word timings of the spoken text, when known (narration, podcasts, transcribed audio)
    words: tuple[Word, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    metadata: dict[str, str] = Field(default_factory=dict)

    def exports(self) -> dict[str, bytes | Path]:
        return {self.path.suffix.lstrip(".") or "bin": self.path}


class Video(Artifact):
    """A video file, optionally with the captions burnt into or carried beside it."""

    FILE_FIELDS: ClassVar[tuple[str, ...]] = ("path",)

    kind: Literal["video"] = "video"
    path: Path
    duration: float = Field(ge=0)
    width: int = Field(ge=0)
    height: int = Field(ge=0)
    fps: float = Field(ge=0)
    has_audio: bool = True
    title: str = ""
    captions: Transcript | None = None
    metadata: dict[str, str] = Field(default_factory=dict)

    def exports(self) -> dict[str, bytes | Path]:
        return {self.path.suffix.lstrip(".") or "bin": self.path}


# --------------------------------------------------------------------------- storyboard

class Visual(BaseModel):
    """What a scene shows besides its text: the source's own figure, a match from the
    user's media library (with its similarity) or a stock item (with credit and licence)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    origin: Literal["figure", "library", "stock"] = Field(
        "figure", description="figure: the source's image; library: a file of the user's "
                              "media library; stock: a stock provider's item")
    media: Literal["image", "video"] = Field("image", description="a still or a clip")
    path: str | None = Field(None, description="local file")
    url: str | None = Field(None, description="web address (fetched only when allowed)")
    sha256: str | None = Field(None, description="digest of the file's bytes")
    caption: str = Field("", description="shown under the picture")
    alt: str = Field("", description="what the picture shows, in words")
    similarity: float | None = Field(None, description="library: how well it matches the "
                                                       "scene's text (cosine, -1 to 1)")
    credit: str = Field("", description="stock: the attribution to show and record")
    license: str = Field("", description="stock: the item's licence")


class Point(BaseModel):
    """A key point shown on a slide; it appears when the narration speaks ``cue``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(min_length=1, description="what the slide says")
    cue: str = Field("", description="the sentence of the scene's narration at which the "
                                     "point appears; empty: the point's own text")


class Scene(BaseModel):
    """One slide of an explainer: its text, its picture, and what is said while it shows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["title", "section", "stat", "quote", "chapter", "closing"] = Field(
        description="title card, section slide, big number, pull quote, podcast chapter "
                    "card, closing card")
    heading: str = Field("", description="the slide's heading")
    points: tuple[Point, ...] = Field((), max_length=3, description="one to three key points")
    quote: str = Field("", description="quote: the pull quote")
    stat: str = Field("", description="stat: the number shown big ('11 to 25 °C')")
    stat_label: str = Field("", description="stat: what the number is")
    visual: Visual | None = Field(None, description="the picture, if any")
    narration: str = Field("", description="the exact text spoken while the scene shows; "
                                           "the scene starts when the narration reaches it")
    start: float | None = Field(None, ge=0, description="when the scene starts (seconds; "
                                                         "filled in by the render)")
    end: float | None = Field(None, ge=0, description="when it ends (filled in by the render)")
    point_times: tuple[float, ...] = Field((), description="when each point appears (filled "
                                                            "in by the render)")


class Storyboard(Artifact):
    """A planned explainer video: cards and scenes, each with what is said while it shows.

    Made by the ``storyboard`` step (or inside ``explainer-video``), editable by hand as
    JSON and read back with ``explainer-video``'s ``storyboard:`` parameter.
    """

    kind: Literal["storyboard"] = "storyboard"
    title: str
    byline: str = Field("", description="author and publication")
    date: str = Field("", description="publication date")
    link: str = Field("", description="shown on the closing card")
    call_to_action: str = Field("", description="shown on the closing card")
    speakers: tuple[str, ...] = Field((), description="video podcast: the hosts")
    scenes: tuple[Scene, ...] = Field(min_length=1)
    notes: tuple[str, ...] = Field((), description="what planning could not do as asked")

    def script(self) -> str:
        """Everything spoken, scene by scene."""
        return "\n\n".join(s.narration for s in self.scenes if s.narration.strip())

    def to_markdown(self) -> str:
        out = [f"# Storyboard: {self.title}", ""]
        meta = " · ".join(x for x in (self.byline, self.date) if x)
        if meta:
            out += [meta, ""]
        for number, scene in enumerate(self.scenes, 1):
            timing = ""
            if scene.start is not None and scene.end is not None:
                timing = f" ({scene.start:.2f}-{scene.end:.2f} s)"
            out += [f"## {number}. {scene.kind}: {scene.heading or self.title}{timing}", ""]
            if scene.stat:
                out += [f"**{scene.stat}** {scene.stat_label}".strip(), ""]
            if scene.quote:
                out += [f"> {scene.quote}", ""]
            out += [f"- {p.text}" for p in scene.points]
            if scene.points:
                out.append("")
            if scene.visual is not None:
                v = scene.visual
                where = v.path or v.url or ""
                extra = f", similarity {v.similarity:.2f}" if v.similarity is not None else ""
                extra += f", {v.credit}" if v.credit else ""
                out += [f"Picture ({v.origin}{extra}): {v.caption or v.alt or where}", ""]
            if scene.narration:
                out += [f"*Narration:* {scene.narration}", ""]
        if self.notes:
            out += ["## Notes", ""] + [f"- {n}" for n in self.notes] + [""]
        return "\n".join(out)

    def exports(self) -> dict[str, bytes | Path]:
        # the Markdown first: the batch report previews a step's first file
        return {"storyboard.md": self.to_markdown().encode("utf-8"),
                "storyboard.json": self.to_json_bytes()}


AnyArtifact = Annotated[Union[Document, Transcript, Script, Text, Audio, Video, Storyboard],
                        Field(discriminator="kind")]

ARTIFACT_KINDS: dict[str, type[Artifact]] = {
    cls.model_fields["kind"].default: cls
    for cls in (Document, Transcript, Script, Text, Audio, Video, Storyboard)
}

_ANY = TypeAdapter(AnyArtifact)


def artifact_from_dict(data: dict[str, Any]) -> Artifact:
    """Rebuild an artifact of any kind from its JSON form."""
    return _ANY.validate_python(data)


def as_document(artifact: Artifact) -> Document:
    """View any text-bearing artifact as a document, so text transforms accept them all.

    A transcript becomes paragraphs of its segments (a new paragraph after a pause of
    more than 1.5 s); a script becomes one paragraph per turn; a text one section.
    """
    if isinstance(artifact, Document):
        return artifact
    if isinstance(artifact, Transcript):
        paragraphs: list[str] = []
        current: list[str] = []
        last_end = None
        for seg in artifact.segments:
            if current and last_end is not None and seg.start - last_end > 1.5:
                paragraphs.append(" ".join(current))
                current = []
            if seg.text.strip():
                current.append(seg.text.strip())
            last_end = seg.end
        if current:
            paragraphs.append(" ".join(current))
        return Document(title=artifact.title or "Transcript",
                        sections=(Section(paragraphs=tuple(paragraphs)),))
    if isinstance(artifact, Script):
        return Document(title=artifact.title,
                        sections=(Section(paragraphs=tuple(t.text for t in artifact.turns)),))
    if isinstance(artifact, Text):
        paragraphs = tuple(p.strip() for p in artifact.body.split("\n\n") if p.strip())
        return Document(title=artifact.title, sections=(Section(paragraphs=paragraphs),))
    if isinstance(artifact, Storyboard):
        return Document(title=artifact.title, sections=tuple(
            Section(heading=s.heading or None, paragraphs=(s.narration,))
            for s in artifact.scenes if s.narration.strip()))
    raise TypeError(f"a {artifact.kind} artifact holds no text")
