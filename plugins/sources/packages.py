"""Zip-based documents (DOCX, PPTX, EPUB) opened defensively.

Before any part is parsed: the file must be a zip archive, hold at most ``MAX_MEMBERS``
parts, unpack to at most ``MAX_UNPACKED`` bytes in all, and no large part may compress
better than ``MAX_RATIO`` to one (zip bombs do, by orders of magnitude; real documents
stay well under it). Every XML part is checked with defusedxml, which refuses entity
declarations (the "billion laughs") and external entities, and for nesting deeper than
``MAX_DEPTH`` elements, before a library that trusts its input reads it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Callable

from engine.errors import SourceError

#: a document file over this size is refused before it is opened
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_UNPACKED = 500 * 1024 * 1024
MAX_MEMBERS = 20_000
MAX_RATIO = 200
#: parts smaller than this are not ratio-checked (tiny XML compresses very well)
RATIO_FLOOR = 1024 * 1024
MAX_DEPTH = 200

_XML_SUFFIXES = (".xml", ".rels", ".opf", ".ncx", ".xhtml", ".htm", ".html")


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def read_head(path: Path, max_bytes: int, size: int = 1024) -> bytes:
    """The first ``size`` bytes of a document file, after one-line refusals of a missing,
    unreadable, empty or oversized file."""
    try:
        length = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(size)
    except OSError as error:
        raise SourceError(f"cannot read {path.name}: {error.strerror or error}",
                          hint="check that the path exists and is readable") from None
    if length == 0:
        raise SourceError(f"{path.name} is empty", hint="pass a file with content")
    if length > max_bytes:
        raise SourceError(f"{path.name} is {_mb(length)}, over the {_mb(max_bytes)} limit",
                          hint="split it into smaller files")
    return head


def open_package(path: Path, kind: str, fix: str) -> zipfile.ZipFile:
    """The zip archive at ``path``, checked for size, member count and compression ratio.

    ``kind`` names the format in messages ("Word document"); ``fix`` is the hint for a
    file that is not a readable archive at all.
    """
    name = path.name
    head = read_head(path, MAX_FILE_BYTES)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise SourceError(f"{name} is an OLE compound file, not a zip: a password-protected "
                          f"Office file or the old binary format",
                          hint=f"remove the password, or save it as a current {kind}")
    try:
        archive = zipfile.ZipFile(path)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise SourceError(f"{name} is not a readable {kind}: it is not a zip archive, or "
                          f"it is truncated or damaged", hint=fix) from None
    if len(members) > MAX_MEMBERS:
        raise SourceError(f"{name} holds {len(members)} parts, over the limit of {MAX_MEMBERS}",
                          hint=f"this is not an ordinary {kind}; pass a different file")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED:
        raise SourceError(f"{name} would unpack to {_mb(unpacked)}, over the "
                          f"{_mb(MAX_UNPACKED)} limit (a zip bomb?)",
                          hint="pass a smaller document")
    for member in members:
        if member.file_size > RATIO_FLOOR and \
                member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise SourceError(f"{name}: part {member.filename} compresses "
                              f"{member.file_size // max(member.compress_size, 1)} to 1, "
                              f"far beyond any real {kind} (a zip bomb?)",
                              hint="pass a different file")
    return archive


def read_member(archive: zipfile.ZipFile, member: str, name: str) -> bytes:
    """One part's bytes, with a damaged part as a one-line SourceError."""
    try:
        return archive.read(member)
    except KeyError:
        raise SourceError(f"{name} lacks its part {member}",
                          hint="the file is incomplete; save it again from its editor") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise SourceError(f"{name}: part {member} is damaged ({error})",
                          hint="the file is truncated or corrupt; save it again") from None


def check_xml(data: bytes, where: str) -> None:
    """Refuse XML with entity declarations, external references or absurd nesting."""
    import io
    import xml.etree.ElementTree as ElementTree

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    depth = 0
    try:
        for event, _ in iterparse(io.BytesIO(data), events=("start", "end")):
            depth += 1 if event == "start" else -1
            if depth > MAX_DEPTH:
                raise SourceError(f"{where} nests elements over {MAX_DEPTH} levels deep",
                                  hint="this is not an ordinary document; pass a different file")
    except DefusedXmlException as error:
        raise SourceError(f"{where} declares XML entities or external references "
                          f"({type(error).__name__}), which documents never need and attacks use",
                          hint="pass a document saved by an ordinary editor") from None
    except ElementTree.ParseError as error:
        raise SourceError(f"{where} is not well-formed XML ({error})",
                          hint="the file is damaged; save it again from its editor") from None


def check_xml_parts(archive: zipfile.ZipFile, name: str) -> None:
    """Run :func:`check_xml` over every XML part of the archive."""
    for member in archive.infolist():
        if member.filename.lower().endswith(_XML_SUFFIXES):
            check_xml(read_member(archive, member.filename, name), f"{name}: {member.filename}")


def open_checked(path: Path, kind: str, fix: str, opener: Callable[[str], Any],
                 errors: tuple[type[Exception], ...]) -> Any:
    """An Office package checked (the zip, then every XML part), then opened by
    ``opener``; the library's ``errors`` on a zip that is not a ``kind`` become one line."""
    with open_package(path, kind, fix) as archive:
        check_xml_parts(archive, path.name)
    try:
        return opener(str(path))
    except errors as error:
        raise SourceError(f"{path.name} is not a {kind} ({error})", hint=fix) from None
