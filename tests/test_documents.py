"""PDF, Word, EPUB and slide loaders on real files made by the writer libraries."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from plugins.sources import packages
from plugins.sources.docx import DocxLoader
from plugins.sources.epub import EpubLoader
from plugins.sources.pdf import PdfLoader
from plugins.sources.pptx import PptxLoader
from tests.test_loaders import source_error
from tests.document_helpers import (make_docx, make_epub, make_pdf, make_pptx,
                                    make_scanned_pdf)

PROSE = ("Street trees cool the pavement in summer and shade the people who walk beneath "
         "them every day of the year. ")
BLOCKS = [
    ("h1", "Roots Under the Pavement"),
    ("p", PROSE * 3),
    ("h2", "Why the soil matters"),
    ("p", PROSE * 4),
    ("image", "Figure 1: Soil cells under a new street"),
    ("p", PROSE * 5),
    ("h3", "Structural soil"),
    ("p", PROSE * 6),
    ("li", "Loosen the soil before planting."),
    ("li", "Water the young trees weekly."),
    ("h2", "What cities do next"),
    ("p", PROSE * 8),
    ("table", [["City", "Trees"], ["Oslo", "12000"]]),
    ("p", "The last paragraph closes the article. " * 5),
]


def loaded(loader, path: Path, tmp_path: Path):
    loader.assets_dir = tmp_path / "assets"
    return loader.load(path)


def check_figure(figure, tmp_path: Path) -> None:
    """Extracted into the assets folder under its own digest, never beside the source."""
    import hashlib

    path = Path(figure.path)
    assert path.is_file() and path.is_relative_to(tmp_path / "assets")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == figure.sha256 in path.name


# --------------------------------------------------------------------------- PDF

def test_pdf_structure(tmp_path):
    path = make_pdf(tmp_path / "report.pdf", BLOCKS, title="Roots Under the Pavement",
                    author="Maren Ostby", header="City Journal - Spring issue",
                    footnote="Source: the city's 2023 tree survey.")
    doc = loaded(PdfLoader(), path, tmp_path)
    assert doc.title == "Roots Under the Pavement"
    assert doc.metadata["author"] == "Maren Ostby" and doc.metadata["pages"] == "2"
    headings = [(s.heading, s.level) for s in doc.sections if s.heading]
    assert headings == [("Why the soil matters", 1), ("Structural soil", 2),
                        ("What cities do next", 1), ("Notes", 1)]
    text = doc.text()
    assert "City Journal" not in text                       # running header gone
    assert not any(p.strip().isdigit() for p in doc.paragraphs())  # page numbers gone
    assert doc.sections[-1].paragraphs == ("1 Source: the city's 2023 tree survey.",)
    assert "survey" not in " ".join(p for s in doc.sections[:-1] for p in s.paragraphs)
    assert "Loosen the soil before planting." in doc.paragraphs()  # bullet glyph dropped
    assert text.count("Street trees cool") == 3 + 4 + 5 + 6 + 8
    figures = [f for s in doc.sections for f in s.figures]
    assert len(figures) == 1 and figures[0].caption == "Figure 1: Soil cells under a new street"
    assert doc.sections[1].figures == (figures[0],)
    check_figure(figures[0], tmp_path)


def test_pdf_two_columns(tmp_path):
    """Narrow columns: paragraphs run on over the column break, in reading order."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph

    styles = getSampleStyleSheet()
    path = tmp_path / "columns.pdf"
    document = BaseDocTemplate(str(path), pagesize=A4, title="Two columns")
    width, height = A4
    column = (width - 100) / 2
    document.addPageTemplates([PageTemplate(frames=[
        Frame(40, 60, column, height - 120), Frame(60 + column, 60, column, height - 120)])])
    story = []
    for part in range(4):
        story.append(Paragraph(f"Part {part}", styles["Heading1"]))
        story += [Paragraph(f"Paragraph {part}.{n} begins here, and " + "the avenue needs soil "
                            "and water, and patience from everyone, " * 6 + f"until {part}.{n} "
                            "ends.", styles["BodyText"]) for n in range(3)]
    document.build(story)
    doc = loaded(PdfLoader(), path, tmp_path)
    assert [s.heading for s in doc.sections] == [f"Part {n}" for n in range(4)]
    assert [p.split(" begins")[0] + " | " + p.split("until ")[1] for p in doc.paragraphs()] == [
        f"Paragraph {part}.{n} | {part}.{n} ends." for part in range(4) for n in range(3)]


def test_pdf_lessons_from_real_manuals(tmp_path):
    """Layouts met in real PDFs (a texinfo manual, a DocBook spec): running heads that
    change with the chapter, list items with a hanging indent, and a small-type listing
    of numbers at the foot of a page, which is not a footnote block."""
    from reportlab.pdfgen.canvas import Canvas

    path = tmp_path / "manual.pdf"
    canvas = Canvas(str(path))  # A4: 595 x 842 points
    for page, head in enumerate(["Chapter 1: Trees 1", "Chapter 1: Trees 2",
                                 "Chapter 2: Soil 3", "Chapter 2: Soil 4"]):
        canvas.setFont("Helvetica", 9)
        canvas.drawString(72, 800, head)
        canvas.setFont("Helvetica", 11)
        y = 740
        for line in (["\u2022 Street trees cool the pavement and shade the people walking,",
                      "which makes summer streets bearable for everyone."] if page == 0 else
                     [f"Page {page + 1} explains one more thing about the trees."]):
            canvas.drawString(72 if line.startswith("\u2022") else 84, y, line)
            y -= 14
        if page == 3:
            canvas.setFont("Courier", 9)
            for number, field in ((2, "CARD16 MAJOR"), (2, "CARD16 MINOR"), (4, "CARD32 LIST")):
                canvas.drawString(84, y - 10, f"{number} {field}")
                y -= 11
        canvas.showPage()
    canvas.save()
    doc = loaded(PdfLoader(), path, tmp_path)
    text = doc.text()
    assert "Chapter" not in text                       # running heads gone, both chapters
    assert doc.paragraphs()[0] == ("Street trees cool the pavement and shade the people "
                                   "walking, which makes summer streets bearable for everyone.")
    assert "Notes" not in [s.heading for s in doc.sections]   # the listing stays in place
    assert "CARD16 MAJOR" in text


def test_pdf_hyphenation_joined(tmp_path):
    from reportlab.pdfgen.canvas import Canvas

    path = tmp_path / "hyphen.pdf"
    canvas = Canvas(str(path))
    canvas.setFont("Helvetica", 11)
    for number, line in enumerate(["The new avenue needs struc-", "tural soil under every",
                                   "tree, says an engi-", "neer."]):
        canvas.drawString(72, 700 - 14 * number, line)
    canvas.save()
    doc = loaded(PdfLoader(), path, tmp_path)
    assert doc.paragraphs() == ["The new avenue needs structural soil under every tree, says "
                                "an engineer."]


def test_pdf_bad_files(tmp_path):
    loader = PdfLoader()
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert "is empty" in source_error(loader, empty)
    good = make_pdf(tmp_path / "good.pdf", BLOCKS)
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(good.read_bytes()[:900])
    assert "is damaged: PDFium cannot open it" in source_error(loader, truncated)
    locked = make_pdf(tmp_path / "locked.pdf", BLOCKS, encrypt="s3cret")
    assert "encrypted with a password" in source_error(loader, locked)
    scan = make_scanned_pdf(tmp_path / "scan.pdf")
    message = source_error(loader, scan)
    assert "needs OCR" in message and "ocrmypdf" in message
    docx_named_pdf = tmp_path / "draft.pdf"
    docx_named_pdf.write_bytes(make_docx(tmp_path / "x.docx", BLOCKS).read_bytes())
    assert "not a PDF" in source_error(loader, docx_named_pdf)


def test_pdf_limits(tmp_path, monkeypatch):
    from plugins.sources import pdf

    path = make_pdf(tmp_path / "long.pdf", BLOCKS * 3)
    monkeypatch.setattr(pdf, "MAX_PAGES", 2)
    assert "pages, over the limit of 2" in source_error(PdfLoader(), path)
    monkeypatch.setattr(pdf, "MAX_BYTES", 1000)
    assert "over the 0 MB limit" in source_error(PdfLoader(), path)


# --------------------------------------------------------------------------- DOCX

def test_docx_structure(tmp_path):
    path = make_docx(tmp_path / "draft.docx", BLOCKS, title="Roots Under the Pavement",
                     author="Maren Ostby")
    doc = loaded(DocxLoader(), path, tmp_path)
    assert doc.title == "Roots Under the Pavement" and doc.metadata["author"] == "Maren Ostby"
    assert [(s.heading, s.level) for s in doc.sections if s.heading] == [
        ("Why the soil matters", 1), ("Structural soil", 2), ("What cities do next", 1)]
    assert "Loosen the soil before planting." in doc.paragraphs()
    assert "City: Oslo; Trees: 12000" in doc.paragraphs()
    figure, = [f for s in doc.sections for f in s.figures]
    assert figure.caption == "Figure 1: Soil cells under a new street"
    assert "Figure 1" not in doc.text()
    check_figure(figure, tmp_path)


def test_docx_title_style_used_when_no_core_title(tmp_path):
    path = make_docx(tmp_path / "untitled.docx", BLOCKS)
    assert loaded(DocxLoader(), path, tmp_path).title == "Roots Under the Pavement"


# --------------------------------------------------------------------------- PPTX

def test_pptx_slides(tmp_path):
    path = make_pptx(tmp_path / "deck.pptx", [
        {"title": "Why trees", "bullets": ["Shade cools streets", "Roots need soil"],
         "notes": "Mention the 2023 survey here.", "image": True},
        {"title": "", "bullets": ["Plant 500 trees by spring"]},
    ], title="Tree deck", author="Ana Lima")
    doc = loaded(PptxLoader(), path, tmp_path)
    assert doc.title == "Tree deck" and doc.metadata == {
        "author": "Ana Lima", "date": doc.metadata["date"], "slides": "2"}
    first, second = doc.sections
    assert first.heading == "Why trees"
    assert first.paragraphs == ("Shade cools streets", "Roots need soil",
                                "Mention the 2023 survey here.")
    assert len(first.figures) == 1 and not second.figures
    check_figure(first.figures[0], tmp_path)
    assert second.heading == "Slide 2" and second.paragraphs == ("Plant 500 trees by spring",)


# --------------------------------------------------------------------------- EPUB

def test_epub_chapters(tmp_path):
    path = make_epub(tmp_path / "book.epub", [
        ("Chapter One", ["It was spring when the river rose.", "Nobody expected it."]),
        ("Chapter Two", ["Summer came early.", "The banks held."])],
        title="River Book", author="Kim Berg", date="2024-03-01")
    doc = loaded(EpubLoader(), path, tmp_path)
    assert doc.title == "River Book"
    assert doc.metadata == {"author": "Kim Berg", "date": "2024-03-01", "language": "en"}
    assert [(s.heading, s.paragraphs) for s in doc.sections] == [
        ("Chapter One", ("It was spring when the river rose.", "Nobody expected it.")),
        ("Chapter Two", ("Summer came early.", "The banks held."))]
    figure, = doc.sections[0].figures
    assert figure.caption == "Plate 1: the river in spring" and figure.alt == "A plate"
    check_figure(figure, tmp_path)


def test_epub_entity_expansion_and_external_entities_refused(tmp_path):
    laughs = b"""<?xml version="1.0"?><!DOCTYPE html [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><html><body><p>&b;</p></body></html>"""
    external = b"""<?xml version="1.0"?><!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<html><body><p>&x;</p></body></html>"""
    for name, data in (("laughs", laughs), ("external", external)):
        path = make_epub(tmp_path / f"{name}.epub", [("One", ["Text."])],
                         extra={"OEBPS/ch1.xhtml": data})
        message = source_error(EpubLoader(), path)
        assert "declares XML entities" in message


def test_epub_deep_nesting_refused(tmp_path):
    deep = b"<html><body>" + b"<div>" * 5000 + b"x" + b"</div>" * 5000 + b"</body></html>"
    path = make_epub(tmp_path / "deep.epub", [("One", ["Text."])],
                     extra={"OEBPS/ch1.xhtml": deep})
    assert "nests elements over" in source_error(EpubLoader(), path)


# --------------------------------------------------------------------------- all zip formats

@pytest.mark.parametrize("loader,suffix", [(DocxLoader(), ".docx"), (PptxLoader(), ".pptx"),
                                           (EpubLoader(), ".epub")])
def test_package_bad_files(tmp_path, loader, suffix):
    empty = tmp_path / f"empty{suffix}"
    empty.write_bytes(b"")
    assert "is empty" in source_error(loader, empty)
    text = tmp_path / f"notes{suffix}"
    text.write_text("just some text, not a document", encoding="utf-8")
    assert "not a zip archive" in source_error(loader, text)
    good = {".docx": lambda p: make_docx(p, BLOCKS),
            ".pptx": lambda p: make_pptx(p, [{"title": "A", "bullets": ["b"]}]),
            ".epub": lambda p: make_epub(p, [("One", ["Text."])])}[suffix](tmp_path / f"g{suffix}")
    truncated = tmp_path / f"truncated{suffix}"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert "truncated or damaged" in source_error(loader, truncated)
    ole = tmp_path / f"locked{suffix}"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000)
    assert "password-protected" in source_error(loader, ole)
    pdf = make_pdf(tmp_path / "real.pdf", BLOCKS)
    wrong = tmp_path / f"report{suffix}"
    wrong.write_bytes(pdf.read_bytes())
    assert "not a zip archive" in source_error(loader, wrong)
    bomb = tmp_path / f"bomb{suffix}"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<a>" + b" " * (50 * 1024 * 1024) + b"</a>")
    assert "zip bomb" in source_error(loader, bomb)


def test_package_size_limits(tmp_path, monkeypatch):
    from plugins.sources import pptx

    deck = make_pptx(tmp_path / "deck.pptx", [{"title": "A", "bullets": ["b"]}] * 3)
    monkeypatch.setattr(pptx, "MAX_SLIDES", 2)
    assert "has 3 slides, over the limit of 2" in source_error(PptxLoader(), deck)
    monkeypatch.setattr(packages, "MAX_UNPACKED", 10_000)
    path = make_docx(tmp_path / "big.docx", BLOCKS * 5)
    assert "would unpack to" in source_error(DocxLoader(), path)
    monkeypatch.setattr(packages, "MAX_FILE_BYTES", 1000)
    book = make_epub(tmp_path / "book.epub", [("One", ["Text."])])
    assert "over the 0 MB limit" in source_error(EpubLoader(), book)


def test_docx_entity_expansion_refused(tmp_path):
    path = make_docx(tmp_path / "evil.docx", BLOCKS)
    evil = tmp_path / "evil2.docx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(evil, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE d [<!ENTITY e "boom">]>', 1)
            target.writestr(item, data)
    assert "declares XML entities" in source_error(DocxLoader(), evil)


def test_images_are_content_addressed_and_shared(tmp_path):
    one = make_docx(tmp_path / "one.docx", BLOCKS)
    two = make_epub(tmp_path / "two.epub", [("One", ["Text here."])])
    a = [f for s in loaded(DocxLoader(), one, tmp_path).sections for f in s.figures]
    b = [f for s in loaded(EpubLoader(), two, tmp_path).sections for f in s.figures]
    assert a[0].sha256 == b[0].sha256 and a[0].path == b[0].path  # same picture, one file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assets", "one.docx", "two.epub"]
