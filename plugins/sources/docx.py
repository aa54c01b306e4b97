"""Word source loader (.docx, python-docx, MIT).

Headings come from paragraph styles (``Title``, ``Heading 1``-``Heading 6`` and styles
based on them); each list item is its own paragraph; a table becomes one paragraph per
row (``Header: value; Header: value`` when the first row names the columns); pictures
are stored content-addressed and become figures, with the following ``Caption``
paragraph as their caption and the picture's description as alt text. Title, author,
date, subject and keywords come from the core properties. The file is checked as a zip
package (size, ratio, XML entities, nesting: :mod:`plugins.sources.packages`) first.
"""

from __future__ import annotations

import re
from pathlib import Path

import engine
from engine.artifacts import Document
from engine.sentences import normalize_space
from plugins.sources.assets import MAX_IMAGES, store_image
from plugins.sources.outline import Outline
from plugins.sources.packages import open_checked

_HEADING = re.compile(r"^heading\s*([1-6])$", re.IGNORECASE)
_NS_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_NS_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"


def _heading_level(style) -> int | None:
    """0 for a title, 1-6 for headings, None for body styles (following ``based on``)."""
    depth = 0
    while style is not None and depth < 10:
        name = (style.name or "").strip()
        if name.lower() == "title":
            return 0
        match = _HEADING.match(name)
        if match:
            return int(match.group(1))
        style, depth = style.base_style, depth + 1
    return None


def _table_rows(table) -> list[str]:
    """A table as text, one line per row, cells named by the header row when it has one."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:  # merged cells repeat: keep each once
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(normalize_space(cell.text))
        rows.append(cells)
    if len(rows) < 2 or not all(rows[0]):
        return ["; ".join(c for c in cells if c) for cells in rows]
    header = rows[0]
    return ["; ".join(f"{name}: {value}" for name, value in zip(header, cells) if value)
            for cells in rows[1:]]


class DocxLoader(engine.SourceLoader):
    """Word documents (.docx)."""

    name = "docx"
    extensions = (".docx",)
    produces = "document"

    def load(self, path: Path) -> Document:
        import docx
        from docx.table import Table

        from docx.opc.exceptions import PackageNotFoundError

        path = Path(path)
        document = open_checked(path, "Word document",
                                "open it in Word or LibreOffice and save it again as .docx",
                                docx.Document, (PackageNotFoundError, KeyError, ValueError))
        outline = Outline(path.name)
        title = ""
        images = 0
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                for row in _table_rows(block):
                    outline.paragraph(row)
                continue
            text = block.text
            level = _heading_level(block.style)
            if level == 0 and not title:
                title = text
                continue
            if (block.style.name or "").lower() == "caption" and outline.parts \
                    and outline.parts[-1].figures and not outline.parts[-1].figures[-1].caption:
                last = outline.parts[-1].figures
                last[-1] = last[-1].model_copy(update={"caption": normalize_space(text)})
                continue
            if level:
                outline.heading(text, level)
            else:
                outline.paragraph(text)
            for blip, description in self._pictures(block):
                if images >= MAX_IMAGES:
                    break
                part = document.part.related_parts.get(blip)
                figure = store_image(part.blob, self.assets_dir, name=str(part.partname),
                                     alt=description) if part is not None else None
                outline.figure(figure)
                images += figure is not None
        props = document.core_properties
        date = props.created or props.modified
        return outline.build(title=props.title or title, metadata={
            "author": props.author or "", "date": date.date().isoformat() if date else "",
            "subject": props.subject or "", "keywords": props.keywords or ""},
            empty_hint="pass a document with prose in it")

    @staticmethod
    def _pictures(paragraph) -> list[tuple[str, str]]:
        """(relationship id, description) of every picture drawn in the paragraph."""
        found = []
        for drawing in paragraph._p.iter("{http://schemas.openxmlformats.org/"
                                         "wordprocessingml/2006/main}drawing"):
            doc_pr = next(drawing.iter(f"{_NS_WP}docPr"), None)
            description = doc_pr.get("descr", "") if doc_pr is not None else ""
            for blip in drawing.iter(f"{_NS_A}blip"):
                if blip.get(f"{_NS_R}embed"):
                    found.append((blip.get(f"{_NS_R}embed"), description))
        return found


@engine.hookimpl
def register_source_loaders(register):
    register(DocxLoader)
