"""Slide deck source loader (.pptx, python-pptx, MIT).

One section per slide: its title as the heading (``Slide N`` when it has none), the text
of its other shapes as paragraphs in reading order (top to bottom, then left to right;
tables one paragraph per row), its speaker notes as a last paragraph, and its pictures
as figures (alt text from the picture's description). The deck's core properties give
title, author and date. Checked as a zip package first (:mod:`plugins.sources.packages`).
"""

from __future__ import annotations

from pathlib import Path

import engine
from engine.artifacts import Document
from engine.errors import SourceError
from engine.sentences import normalize_space
from plugins.sources.assets import MAX_IMAGES, store_image
from plugins.sources.outline import Outline
from plugins.sources.packages import open_checked

MAX_SLIDES = 2000
#: groups nested deeper than this are not opened
MAX_GROUP_DEPTH = 8


def _shapes(shapes, depth: int = 0):
    """Shapes in reading order, groups opened (to a bounded depth)."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    ordered = sorted(shapes, key=lambda s: ((s.top or 0) // 100000, s.left or 0))
    for shape in ordered:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            if depth < MAX_GROUP_DEPTH:
                yield from _shapes(shape.shapes, depth + 1)
        else:
            yield shape


class PptxLoader(engine.SourceLoader):
    """Slide decks (.pptx)."""

    name = "pptx"
    extensions = (".pptx",)
    produces = "document"

    def load(self, path: Path) -> Document:
        from pptx import Presentation
        from pptx.exc import PackageNotFoundError

        path = Path(path)
        deck = open_checked(path, "slide deck", "open it in PowerPoint or LibreOffice Impress "
                            "and save it again as .pptx", Presentation,
                            (PackageNotFoundError, KeyError, ValueError))
        if len(deck.slides) > MAX_SLIDES:
            raise SourceError(f"{path.name} has {len(deck.slides)} slides, over the limit of "
                              f"{MAX_SLIDES}", hint="split the deck")
        outline = Outline(path.name)
        images = 0
        for number, slide in enumerate(deck.slides, 1):
            title_shape = slide.shapes.title
            heading = normalize_space(title_shape.text_frame.text) if title_shape is not None \
                and title_shape.has_text_frame else ""
            outline.heading(heading or f"Slide {number}", 1)
            for shape in _shapes(slide.shapes):
                if title_shape is not None and shape.shape_id == title_shape.shape_id:
                    continue
                if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
                    for paragraph in shape.text_frame.paragraphs:
                        outline.paragraph("".join(run.text for run in paragraph.runs))
                elif getattr(shape, "has_table", False) and shape.has_table:
                    for row in shape.table.rows:
                        outline.paragraph("; ".join(normalize_space(c.text) for c in row.cells
                                                    if c.text.strip()))
                if hasattr(shape, "image") and images < MAX_IMAGES:
                    images += self._picture(shape, outline)
            if slide.has_notes_slide:
                notes = slide.notes_slide.notes_text_frame
                if notes is not None and notes.text.strip():
                    outline.paragraph(notes.text)
        props = deck.core_properties
        first = next((p.heading for p in outline.parts if p.heading), "")
        date = props.created or props.modified
        return outline.build(title=props.title or first, metadata={
            "author": props.author or "", "date": date.date().isoformat() if date else "",
            "slides": str(len(deck.slides))}, empty_hint="pass a deck with text on its slides")

    def _picture(self, shape, outline: Outline) -> int:
        try:
            image = shape.image
            blob, ext = image.blob, image.ext
        except (AttributeError, KeyError, ValueError):
            return 0  # a linked or broken picture
        description = shape._element.xpath("./p:nvPicPr/p:cNvPr/@descr")
        figure = store_image(blob, self.assets_dir, name=f"picture.{ext}",
                             alt=description[0] if description else "")
        outline.figure(figure)
        return figure is not None


@engine.hookimpl
def register_source_loaders(register):
    register(PptxLoader)
