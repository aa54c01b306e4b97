"""EPUB source loader, without an AGPL dependency: the zip, its OPF and XHTML read here.

``META-INF/container.xml`` names the package (OPF) file; its Dublin Core metadata gives
title, author, date, language and publisher, its spine the reading order. Each spine
document is a chapter: its first heading becomes the section heading (the navigation
document is skipped), later headings sub-sections, block text paragraphs, images figures
(with their ``figcaption`` or alt text). Every XML part is checked first with defusedxml
(no entity declarations, no external entities, bounded nesting) and the archive for
size and compression ratio (:mod:`plugins.sources.packages`).
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from urllib.parse import unquote

import engine
from engine.artifacts import Document
from engine.errors import SourceError
from engine.sentences import normalize_space
from plugins.sources.assets import MAX_IMAGES, store_image
from plugins.sources.outline import Outline
from plugins.sources.packages import check_xml, open_package, read_member

_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = ("p", "li", "blockquote", "dt", "dd", "pre", "td", "th", "div", "section",
           "aside", "figcaption")
_FIX = "open it in an EPUB editor (Calibre, Sigil) and save it again"


def _parse(data: bytes, where: str):
    """A defusedxml-checked XML part as an ElementTree element."""
    from defusedxml.ElementTree import fromstring

    check_xml(data, where)
    return fromstring(data)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _package(archive: zipfile.ZipFile, name: str) -> tuple[str, dict[str, str], list[str]]:
    """The OPF path, its metadata and the spine's document paths in order."""
    container = _parse(read_member(archive, "META-INF/container.xml", name),
                       f"{name}: META-INF/container.xml")
    rootfile = next((e for e in container.iter() if _local(e.tag) == "rootfile"), None)
    if rootfile is None or not rootfile.get("full-path"):
        raise SourceError(f"{name}: container.xml names no package file", hint=_FIX)
    opf_path = rootfile.get("full-path")
    opf = _parse(read_member(archive, opf_path, name), f"{name}: {opf_path}")
    metadata: dict[str, str] = {}
    for element in opf.iter():
        key = {"title": "title", "creator": "author", "date": "date", "language": "language",
               "publisher": "publisher", "description": "description"}.get(_local(element.tag))
        if key and element.text and key not in metadata and "}" in element.tag \
                and "purl.org/dc" in element.tag:
            metadata[key] = normalize_space(element.text)
    base = posixpath.dirname(opf_path)
    items = {}
    for item in (e for e in opf.iter() if _local(e.tag) == "item"):
        properties = item.get("properties", "")
        if "nav" not in properties.split():
            items[item.get("id")] = (posixpath.normpath(posixpath.join(base, unquote(item.get("href", "")))),
                                     item.get("media-type", ""))
    spine = [items[ref.get("idref")][0] for ref in opf.iter() if _local(ref.tag) == "itemref"
             and ref.get("idref") in items and "html" in items[ref.get("idref")][1]]
    if not spine:
        raise SourceError(f"{name} has no chapters in its spine", hint=_FIX)
    return opf_path, metadata, spine


class EpubLoader(engine.SourceLoader):
    """E-books (.epub): chapters as sections."""

    name = "epub"
    extensions = (".epub",)
    produces = "document"

    def load(self, path: Path) -> Document:
        path = Path(path)
        outline = Outline(path.name)
        with open_package(path, "e-book", _FIX) as archive:
            _, metadata, spine = _package(archive, path.name)
            budget = [MAX_IMAGES]
            for chapter in spine:
                data = read_member(archive, chapter, path.name)
                check_xml(data, f"{path.name}: {chapter}")
                self._chapter(archive, chapter, data, outline, budget)
        return outline.build(title=metadata.pop("title", ""), metadata=metadata,
                             empty_hint="pass a book with text in its chapters")

    def _chapter(self, archive: zipfile.ZipFile, chapter: str, data: bytes, outline: Outline,
                 budget: list[int]) -> None:
        """One spine document: headings, leaf blocks of text and images, in order."""
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(data, "html.parser")
        body = soup.body or soup
        for tag in body.find_all(["script", "style", "nav"]):
            tag.decompose()
        first_heading = True
        for element in body.find_all(True):
            name = element.name
            if name in _HEADINGS:
                outline.heading(element.get_text(" "), 1 if first_heading else
                                max(2, _HEADINGS[name]))
                first_heading = False
            elif name == "img" or name == "image":
                if budget[0] > 0:
                    figure = self._image(archive, chapter, element)
                    outline.figure(figure)
                    budget[0] -= figure is not None
            elif name in _BLOCKS and name != "figcaption" and \
                    not element.find(list(_BLOCKS) + list(_HEADINGS)) and \
                    not element.find_parent("figure"):
                outline.paragraph(element.get_text(" "))

    def _image(self, archive: zipfile.ZipFile, chapter: str, element):
        source = element.get("src") or element.get("xlink:href") or element.get("href") or ""
        if not source or source.startswith(("http:", "https:", "data:")):
            return None
        member = posixpath.normpath(posixpath.join(posixpath.dirname(chapter), unquote(source)))
        try:
            data = archive.read(member)
        except (KeyError, zipfile.BadZipFile, OSError, ValueError):
            return None  # a missing picture is skipped, the text still loads
        figure_tag = element.find_parent("figure")
        caption = figure_tag.find("figcaption") if figure_tag else None
        return store_image(data, self.assets_dir, name=member, alt=element.get("alt", ""),
                           caption=caption.get_text(" ") if caption else "")


@engine.hookimpl
def register_source_loaders(register):
    register(EpubLoader)
