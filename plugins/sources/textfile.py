"""What every text source loader shares: reading a file as text, and building a document.

:func:`read_text` turns bytes into a string or a one-line :class:`SourceError` that
names the problem and the fix (empty, binary, too large, not decodable).
:class:`DocumentBuilder` collects headings and paragraphs into a
:class:`engine.Document` and refuses a document without paragraphs.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from engine.artifacts import Document, Figure, Section, file_sha256
from engine.errors import SourceError
from engine.sentences import normalize_space

#: larger text sources are refused (a book is about 1 MB)
MAX_BYTES = 20 * 1024 * 1024

#: byte order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))

#: above this share of control characters, a decoded file is not text
_MAX_CONTROL = 0.01
#: above this share of non-ASCII characters, a cp1252 reading is probably garbage
_MAX_NON_ASCII_CP1252 = 0.3


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def _control_share(text: str) -> float:
    """Share of control characters other than tab, newline, carriage return, form feed."""
    if not text:
        return 0.0
    controls = sum(1 for c in text if c not in "\t\n\r\f" and unicodedata.category(c) == "Cc")
    return controls / len(text)


def _bom_encoding(data: bytes) -> str | None:
    return next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a byte order mark: ASCII-range text has NUL in every other byte."""
    even, odd = data[0::2], data[1::2]
    if len(data) < 4 or len(data) % 2:
        return None
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        encoding = "utf-16-le"
    elif even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        encoding = "utf-16-be"
    else:
        return None
    return encoding if _reads_as_text(data.decode(encoding, errors="replace")) else None


def _reads_as_text(text: str) -> bool:
    """Printable characters with spaces between words (binary junk has neither)."""
    printable = sum(1 for c in text if c.isprintable() or c in "\t\n\r")
    spaces = sum(1 for c in text if c.isspace())
    return printable >= 0.95 * len(text) and (len(text) < 40 or spaces * 40 >= len(text))


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode by BOM, else as UTF-8, else as cp1252 when that reads as text."""
    encoding = _bom_encoding(data) or _utf16_without_bom(data)
    if encoding:
        label = encoding.removesuffix("-sig")
        try:
            return data.decode(encoding).removeprefix("\ufeff"), label
        except UnicodeDecodeError as error:
            raise SourceError(f"{name} starts like {label.upper()} text but is not valid "
                              f"{label.upper()} at byte {error.start}",
                              hint="save it again as UTF-8") from None
    if b"\x00" in data:
        raise SourceError(f"{name} does not look like text: it contains NUL bytes",
                          hint="pass a text file, or convert this one to UTF-8 text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        where = f"byte 0x{data[error.start]:02x} at offset {error.start}"
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = ""
        non_ascii = sum(1 for c in text if ord(c) > 127)
        if text and non_ascii <= _MAX_NON_ASCII_CP1252 * len(text) and \
                _control_share(text) <= _MAX_CONTROL:
            return text, "cp1252"
        raise SourceError(f"{name} is not UTF-8 text: {where}",
                          hint="save it as UTF-8") from None


def read_text(path: Path, *, max_bytes: int = MAX_BYTES) -> tuple[str, str]:
    """The file's text with ``\\n`` newlines and no BOM, and the encoding it was read in."""
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(f"{name} is {_size(size)}, over the {_size(max_bytes)} limit for "
                              f"text sources", hint="split it into smaller files")
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"cannot read {name}: {error.strerror or error}",
                          hint="check that the path exists and is readable") from None
    text, encoding = _decode(data, name)
    if not text.strip():
        raise SourceError(f"{name} is empty: it has no text to work with",
                          hint="pass a file with content")
    if _control_share(text) > _MAX_CONTROL:
        raise SourceError(f"{name} does not look like text: it is full of control characters",
                          hint="pass a text file, or convert this one to UTF-8 text")
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def title_from_stem(path: Path) -> str:
    """A readable title from a file name: ``city-trees_2024`` -> ``City trees 2024``."""
    words = Path(path).stem.replace("_", " ").replace("-", " ").split()
    title = " ".join(words)
    return title[:1].upper() + title[1:] if title else "Untitled"


@dataclass
class DocumentBuilder:
    """Collects headings and paragraphs in reading order into sections.

    Heading levels are relative to the title: a Markdown ``##`` or an HTML ``<h2>`` is
    level 1. Headings with no paragraph under them are dropped.
    """

    path: Path
    _sections: list[tuple[str | None, int, list[str]]] = field(default_factory=list)
    #: figures by section index
    _figures: dict[int, list[Figure]] = field(default_factory=dict)

    def heading(self, text: str, level: int) -> None:
        text = normalize_space(text)
        if text:
            self._sections.append((text, min(max(level, 1), 6), []))

    def paragraph(self, text: str) -> None:
        text = normalize_space(text)
        if not text:
            return
        if not self._sections:
            self._sections.append((None, 1, []))
        self._sections[-1][2].append(text)

    def figure(self, src: str, *, caption: str = "", alt: str = "") -> None:
        """An image the source shows, in the current section (see :func:`figure_at`)."""
        if not src.strip() or src.strip().lower().startswith("data:"):
            return   # inline data images are not kept (no file to show or digest)
        if not self._sections:
            self._sections.append((None, 1, []))
        self._figures.setdefault(len(self._sections) - 1, []).append(
            figure_at(self.path, src, caption=caption, alt=alt))

    def build(self, *, title: str, metadata: dict[str, str]) -> Document:
        repeated = normalize_space(title).lower()  # a page's title again is not prose
        sections = tuple(Section(heading=heading, level=level, paragraphs=tuple(
                                     p for p in paragraphs if p.lower() != repeated),
                                 figures=tuple(self._figures.get(index, ())))
                         for index, (heading, level, paragraphs) in enumerate(self._sections)
                         if any(p.lower() != repeated for p in paragraphs))
        if not sections:
            raise SourceError(f"{Path(self.path).name} has no paragraphs of text after "
                              f"parsing, only headings, code, markup or images",
                              hint="add some prose, or pass a different file")
        return Document(title=normalize_space(title) or title_from_stem(self.path),
                        metadata=metadata, sections=sections)


def figure_at(source: Path, src: str, *, caption: str = "", alt: str = "") -> Figure:
    """A figure for an image reference of ``source``: a web address stays an address; a
    path (relative ones resolved next to the source) gets the file's digest when it
    exists (a missing file keeps its path and no digest: the video notes it)."""
    from urllib.parse import unquote, urlparse

    src = src.strip()
    caption, alt = normalize_space(caption), normalize_space(alt)
    parsed = urlparse(src)
    if parsed.scheme in ("http", "https"):
        return Figure(url=src, caption=caption, alt=alt)
    local = unquote(parsed.path) if parsed.scheme == "file" else src
    path = (Path(source).resolve().parent / Path(local).expanduser()).resolve()
    digest = file_sha256(path) if path.is_file() else None
    return Figure(path=str(path), sha256=digest, caption=caption, alt=alt)
