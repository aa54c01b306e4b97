"""Real documents for tests and benchmarks, made with the writer libraries.

A document is described as blocks: ``("h1", text)`` (the title), ``("h2"|"h3", text)``,
``("p", text)``, ``("li", text)``, ``("image", caption)`` and ``("table", rows)``.
:func:`markdown_blocks` turns Markdown into blocks, so a benchmark can build a PDF and a
DOCX from the same text it later compares the loaded document with.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

Block = tuple[str, object]


def markdown_blocks(markdown: str) -> tuple[dict[str, str], list[Block]]:
    """Front matter and blocks of a simple Markdown article (headings, paragraphs, lists)."""
    import frontmatter

    post = frontmatter.loads(markdown)
    blocks: list[Block] = []
    for chunk in post.content.split("\n\n"):
        chunk = " ".join(chunk.split())
        if not chunk:
            continue
        if chunk.startswith("#"):
            hashes = len(chunk) - len(chunk.lstrip("#"))
            blocks.append((f"h{min(hashes, 3)}", chunk.lstrip("#").strip()))
        elif chunk.startswith(("- ", "* ")):
            blocks += [("li", item.strip()) for item in chunk[2:].split(" - ")]
        else:
            blocks.append(("p", chunk))
    if post.get("title") and not any(kind == "h1" for kind, _ in blocks):
        blocks.insert(0, ("h1", str(post["title"])))
    return {k: str(v) for k, v in post.metadata.items()}, blocks


def png_bytes(width: int = 320, height: int = 200, colour=(30, 120, 200)) -> bytes:
    """A PNG picture with a pattern (so it is not a trivially compressible sliver)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 16):
        draw.line([(x, 0), (width - x, height)], fill=(255, (x * 3) % 256, 60), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# --------------------------------------------------------------------------- PDF

def make_pdf(path: Path, blocks: list[Block], *, title: str = "", author: str = "",
             header: str = "", footnote: str = "", encrypt: str = "") -> Path:
    """A PDF typeset by reportlab: running header, page numbers, an optional footnote
    at the foot of the first page, real images, optionally password-protected."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    style = {"h1": styles["Title"], "h2": styles["Heading1"], "h3": styles["Heading2"],
             "p": styles["BodyText"], "li": styles["BodyText"]}
    story = []
    for kind, value in blocks:
        if kind == "image":
            story += [Image(io.BytesIO(png_bytes()), width=8 * cm, height=5 * cm),
                      Paragraph(str(value), styles["Italic"])]
        elif kind == "table":
            story += [Paragraph(" | ".join(row), styles["BodyText"]) for row in value]
        else:
            text = f"\u2022 {value}" if kind == "li" else str(value)
            story.append(Paragraph(text, style[kind]))
    story.append(Spacer(1, 1))

    def decorate(canvas: Canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        if header:
            canvas.drawString(2 * cm, A4[1] - 1.2 * cm, header)
        canvas.drawCentredString(A4[0] / 2, 1.2 * cm, str(doc.page))
        if footnote and doc.page == 1:
            canvas.drawString(2 * cm, 2.0 * cm, f"1 {footnote}")
        canvas.restoreState()

    kwargs = {"encrypt": encrypt} if encrypt else {}
    document = SimpleDocTemplate(str(path), pagesize=A4, title=title, author=author,
                                 topMargin=2.5 * cm, bottomMargin=3 * cm, **kwargs)
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return path


def make_scanned_pdf(path: Path) -> Path:
    """A PDF whose pages are only pictures (what a scanner makes)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=A4)
    for _ in range(2):
        canvas.drawImage(ImageReader(io.BytesIO(png_bytes(600, 800))), 0, 0, *A4)
        canvas.showPage()
    canvas.save()
    return path


# --------------------------------------------------------------------------- DOCX

def make_docx(path: Path, blocks: list[Block], *, title: str = "", author: str = "") -> Path:
    """A Word document: heading styles, bulleted lists, a table, an image, core properties."""
    import docx
    from docx.shared import Cm

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = author
    for kind, value in blocks:
        if kind == "h1":
            document.add_heading(str(value), level=0)
        elif kind in ("h2", "h3"):
            document.add_heading(str(value), level=int(kind[1]) - 1)
        elif kind == "li":
            document.add_paragraph(str(value), style="List Bullet")
        elif kind == "image":
            document.add_picture(io.BytesIO(png_bytes()), width=Cm(8))
            document.add_paragraph(str(value), style="Caption")
        elif kind == "table":
            table = document.add_table(rows=len(value), cols=len(value[0]))
            for cells, row in zip(table.rows, value):
                for cell, text in zip(cells.cells, row):
                    cell.text = text
        else:
            document.add_paragraph(str(value))
    document.save(str(path))
    return path


# --------------------------------------------------------------------------- PPTX

def make_pptx(path: Path, slides: list[dict], *, title: str = "", author: str = "") -> Path:
    """Slides of ``{"title", "bullets", "notes", "image"}``."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.core_properties.title = title
    deck.core_properties.author = author
    for spec in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = spec.get("title", "")
        body = slide.placeholders[1].text_frame
        for index, bullet in enumerate(spec.get("bullets", [])):
            paragraph = body.paragraphs[0] if index == 0 else body.add_paragraph()
            paragraph.text = bullet
        if spec.get("image"):
            slide.shapes.add_picture(io.BytesIO(png_bytes()), Inches(6), Inches(5), Inches(3))
        if spec.get("notes"):
            slide.notes_slide.notes_text_frame.text = spec["notes"]
    deck.save(str(path))
    return path


# --------------------------------------------------------------------------- EPUB

_CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""

_CHAPTER = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{title}</title></head>
<body><section>{body}</section></body></html>"""


def make_epub(path: Path, chapters: list[tuple[str, list[str]]], *, title: str = "",
              author: str = "", date: str = "", image: bool = True,
              extra: dict[str, bytes] | None = None) -> Path:
    """An EPUB 3 book: one XHTML file per chapter, a nav document, a cover image."""
    manifest, spine, nav = [], [], []
    files: dict[str, bytes] = {}
    for number, (heading, paragraphs) in enumerate(chapters, 1):
        body = f"<h1>{heading}</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs)
        if image and number == 1:
            body += '<figure><img src="images/plate.png" alt="A plate"/>' \
                    '<figcaption>Plate 1: the river in spring</figcaption></figure>'
        files[f"OEBPS/ch{number}.xhtml"] = _CHAPTER.format(title=heading, body=body).encode()
        manifest.append(f'<item id="ch{number}" href="ch{number}.xhtml" '
                        f'media-type="application/xhtml+xml"/>')
        spine.append(f'<itemref idref="ch{number}"/>')
        nav.append(f'<li><a href="ch{number}.xhtml">{heading}</a></li>')
    files["OEBPS/nav.xhtml"] = _CHAPTER.format(
        title="Contents", body=f'<nav epub:type="toc" xmlns:epub="http://www.idpf.org/2007/ops">'
                               f'<ol>{"".join(nav)}</ol></nav>').encode()
    if image:
        files["OEBPS/images/plate.png"] = png_bytes()
        manifest.append('<item id="plate" href="images/plate.png" media-type="image/png"/>')
    opf = f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="id">urn:uuid:1234</dc:identifier><dc:title>{title}</dc:title>
    <dc:creator>{author}</dc:creator><dc:date>{date}</dc:date><dc:language>en</dc:language>
  </metadata>
  <manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
    {"".join(manifest)}</manifest>
  <spine>{"".join(spine)}</spine>
</package>"""
    files["OEBPS/content.opf"] = opf.encode()
    files.update(extra or {})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), b"application/epub+zip")
        archive.writestr("META-INF/container.xml", _CONTAINER)
        for name, data in files.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return path
