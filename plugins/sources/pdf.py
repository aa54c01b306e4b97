"""PDF source loader (pypdfium2: PDFium, BSD-3-Clause / Apache-2.0).

PDFium's text page gives the characters in content order with generated line breaks;
each line keeps its font size, weight and position. From those lines:

- running headers and footers (a line in the top or bottom tenth of the page that
  repeats, digits aside, on another page: running heads often change with the chapter)
  and bare page numbers are removed;
- headings are lines set larger than the body text, or short lines set wholly in bold at
  body size; their levels follow their sizes (largest first);
- a line ending in a hyphen joins the next one without it when that starts in lower case;
- footnotes (smaller lines at the foot of a page that start with a marker) are kept apart,
  in a last section "Notes", instead of being glued into the prose;
- a new paragraph starts at a vertical gap, an indent, or after a line that ends a
  sentence well short of its column's right edge; a paragraph runs on over a column or
  page break unless a sentence ended there (columns are read in content order, which
  LaTeX, Word and most producers write column by column);
- images (at least 32x32 pixels) are extracted to the content-addressed assets folder and
  become the figures of the section they appear in, with a "Figure ..." line beneath
  one as its caption.

A PDF without a text layer (a scan), an encrypted or damaged one, and one over the size or
page limits are refused with a one-line reason.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import engine
from engine.artifacts import Document, Figure
from engine.errors import SourceError
from plugins.sources.assets import MAX_IMAGES, store_image
from plugins.sources.outline import Outline
from plugins.sources.packages import read_head

MAX_BYTES = 200 * 1024 * 1024
MAX_PAGES = 2000
#: share of the page height at the top and at the bottom where running lines live
BAND = 0.1
#: a line is a heading when its size is at least this many times the body size
HEADING_RATIO = 1.12
MIN_IMAGE_PX = 32
#: baseline to baseline, in font sizes: lines of a paragraph sit closer (leading is
#: usually 1.2), paragraphs further apart (spacing after them)
PARAGRAPH_PITCH = 1.45
#: a footnote block lies in this bottom share of the page and has at most this many lines
FOOTNOTE_AREA = 0.35
MAX_FOOTNOTE_LINES = 12

_PAGE_NUMBER = re.compile(r"^(page\s+)?(\d{1,4}|[ivxlcdm]{1,7})(\s*(of|/)\s*\d{1,4})?$|^[-–—]\s*\d{1,4}\s*[-–—]$",
                          re.IGNORECASE)
_FOOTNOTE_MARK = re.compile(r"^(\d{1,3}|[*†‡§¶])(\s|\.|\)|(?=[A-Z]))")
_CAPTION = re.compile(r"^(figure|fig\.|image|photo|chart|illustration)\s*\d*", re.IGNORECASE)
#: PDFium reports a hyphen it recognises at a line end as U+FFFE (or 0x02)
_HYPHENS = ("-", "\ufffe", "\x02", "\u00ad", "\u2010")
_BULLET = re.compile(r"^[\u2022\u25aa\u25cf\u2013\u25e6\uf0b7\uf0a7-]\s+")
_SENTENCE_END = (".", "!", "?", ":", "\u201d", '"', ")")
_BOLD_NAMES = ("bold", "black", "heavy", "semibold", "demibold")
_PLACEHOLDER_TITLES = re.compile(r"^(untitled|\(unspecified\)|microsoft word - .*|.*\.(docx?|pdf|odt))$",
                                 re.IGNORECASE)


@dataclass
class Line:
    """One line of text as PDFium lays it out (PDF points, y growing upwards)."""

    page: int
    text: str
    size: float
    bold: bool
    left: float
    right: float
    top: float
    bottom: float
    #: the baselines of the first and the last character (they differ when PDFium joined
    #: a hyphenated line to the next); line pitch measured between baselines does not
    #: depend on which letters have ascenders or descenders
    first_baseline: float
    last_baseline: float


@dataclass
class Picture:
    page: int
    top: float
    bottom: float
    figure: Figure


def _open(path: Path):
    import pypdfium2 as pdfium

    name = path.name
    head = read_head(path, MAX_BYTES)
    if b"%PDF" not in head:
        kind = "a zip archive (a Word, EPUB or slide file?)" if head.startswith(b"PK") else \
            "text" if head[:200].isascii() else "something else"
        raise SourceError(f"{name} is not a PDF: it is {kind}",
                          hint="give the file its real extension")
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        if error.err_code == pdfium.raw.FPDF_ERR_PASSWORD:
            raise SourceError(f"{name} is encrypted with a password",
                              hint="save an unprotected copy (for example `qpdf --decrypt "
                                   "--password=PASSWORD in.pdf out.pdf`) and pass that") from None
        if error.err_code == pdfium.raw.FPDF_ERR_SECURITY:
            raise SourceError(f"{name} uses an unsupported security handler",
                              hint="save an unprotected copy and pass that") from None
        raise SourceError(f"{name} is damaged: PDFium cannot open it ({error})",
                          hint="repair it (for example `qpdf in.pdf out.pdf`) or export it "
                               "again") from None
    if len(pdf) > MAX_PAGES:
        pages = len(pdf)
        pdf.close()
        raise SourceError(f"{name} has {pages} pages, over the limit of {MAX_PAGES}",
                          hint="split it into parts (for example with `qpdf --split-pages`)")
    return pdf


def _font(textpage, index: int, buffer, flags) -> tuple[float, bool]:
    import pypdfium2.raw as raw

    size = raw.FPDFText_GetFontSize(textpage, index)
    weight = raw.FPDFText_GetFontWeight(textpage, index)
    raw.FPDFText_GetFontInfo(textpage, index, buffer, len(buffer), flags)
    name = buffer.value.decode("latin-1", "replace").lower()
    return round(size, 1), weight >= 600 or any(word in name for word in _BOLD_NAMES)


def _page_lines(page_number: int, textpage) -> list[Line]:
    """The page's lines from PDFium's text (content order, generated CR LF between lines)."""
    import ctypes

    import pypdfium2.raw as raw

    count = textpage.count_chars()
    text = textpage.get_text_range(0, count) if count else ""
    if len(text) != count:  # surrogate pairs: read character by character
        text = "".join(chr(raw.FPDFText_GetUnicode(textpage, i)) for i in range(count))
    buffer, flags = ctypes.create_string_buffer(128), ctypes.c_int()
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    lines = []
    for match in re.finditer(r"[^\r\n]+", text):
        start, end = match.span()
        stripped = match.group().strip()
        if not stripped:
            continue
        first = start + (len(match.group()) - len(match.group().lstrip()))
        last = start + len(match.group().rstrip()) - 1
        middle = (first + last) // 2
        sizes, bolds, boxes = [], [], []
        for index in (first, middle, last):
            size, bold = _font(textpage, index, buffer, flags)
            sizes.append(size)
            bolds.append(bold)
            raw.FPDFText_GetCharBox(textpage, index, left, right, bottom, top)
            boxes.append((left.value, right.value, bottom.value, top.value))
        baselines = []
        for index in (first, last):
            raw.FPDFText_GetCharOrigin(textpage, index, origin_x, origin_y)
            baselines.append(origin_y.value)
        # PDFium joins a line ending in a hyphen it recognises to the next, marking it U+FFFE
        lines.append(Line(page=page_number, text=stripped.replace("\ufffe", ""), size=sorted(sizes)[1],
                          bold=all(bolds), left=boxes[0][0], right=max(b[1] for b in boxes),
                          top=max(b[3] for b in boxes), bottom=min(b[2] for b in boxes),
                          first_baseline=baselines[0], last_baseline=baselines[1]))
    return lines


def _pictures(page_number: int, page, assets_dir: Path | None, budget: int) -> list[Picture]:
    """The page's images, stored content-addressed (at most ``budget`` of them)."""
    import io

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pictures = []
    for obj in page.get_objects(filter=(raw.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
        if len(pictures) >= budget:
            break
        try:
            width, height = obj.get_px_size()
            if width < MIN_IMAGE_PX or height < MIN_IMAGE_PX:
                continue
            buffer = io.BytesIO()
            obj.extract(buffer, fb_format="png")
            _, bottom, _, top = obj.get_bounds()
        except (pdfium.PdfiumError, OSError, ValueError):
            continue  # an image PDFium cannot decode is skipped, not fatal
        figure = store_image(buffer.getvalue(), assets_dir)
        if figure is not None:
            pictures.append(Picture(page_number, top, bottom, figure))
    return pictures


def _normalised(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.lower())).strip()


def _drop_running_lines(pages: list[list[Line]], heights: list[float]) -> list[list[Line]]:
    """Without repeated headers and footers and bare page numbers."""
    def in_band(line: Line) -> str | None:
        height = heights[line.page]
        if line.bottom >= height * (1 - BAND):
            return "top"
        if line.top <= height * BAND:
            return "bottom"
        return None

    seen: Counter[tuple[str, str]] = Counter()
    for lines in pages:
        seen.update({(band, _normalised(line.text)) for line in lines
                     if (band := in_band(line))})
    return [[line for line in lines
             if not ((band := in_band(line))
                     and (seen[(band, _normalised(line.text))] >= 2
                          or _PAGE_NUMBER.match(line.text)))]
            for lines in pages]


def _split_footnotes(lines: list[Line], body: float,
                     height: float) -> tuple[list[Line], list[Line]]:
    """The page's footnote block: smaller lines below all body text, low on the page, the
    first starting with a marker (``1``, ``*``, ``†``), numbered markers counting up by
    one (a code listing's column of numbers does not)."""
    body_lines = [line for line in lines if line.size >= 0.92 * body]
    floor = min((line.bottom for line in body_lines), default=None)
    if floor is None:
        return lines, []
    below = sorted((line for line in lines if line.size < 0.92 * body and line.top <= floor),
                   key=lambda line: -line.top)
    while below and not _FOOTNOTE_MARK.match(below[0].text):
        below = below[1:]
    if not below or len(below) > MAX_FOOTNOTE_LINES or below[0].top > FOOTNOTE_AREA * height:
        return lines, []
    numbers = [int(m.group(1)) for line in below
               if (m := _FOOTNOTE_MARK.match(line.text)) and m.group(1).isdigit()]
    if any(b != a + 1 for a, b in zip(numbers, numbers[1:])):
        return lines, []
    notes = {id(line) for line in below}
    return [line for line in lines if id(line) not in notes], below


def _body_size(lines: list[Line]) -> float:
    weights: Counter[float] = Counter()
    for line in lines:
        weights[line.size] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 10.0


def _is_heading(line: Line, body: float) -> bool:
    words = len(line.text.split())
    if words == 0 or words > 20 or _PAGE_NUMBER.match(line.text):
        return False
    if line.size >= body * HEADING_RATIO:
        return True
    return line.bold and words <= 15 and line.size >= body * 0.95 and \
        not line.text.endswith((".", ",", ";"))


def _joined(previous: str, line: str) -> str:
    """``previous`` and the next line's text, joining words split by a hyphen."""
    if previous.endswith(_HYPHENS) and line[:1].islower():
        return previous[:-1] + line
    return f"{previous.rstrip(chr(0xfffe))} {line}"


def _title(metadata_title: str, headings: list[Line]) -> str:
    title = metadata_title.strip()
    if title and not _PLACEHOLDER_TITLES.match(title):
        return title
    first_page = [h for h in headings if h.page == 0]
    return max(first_page, key=lambda h: h.size).text if first_page else ""


def _pdf_date(raw_date: str) -> str:
    """``D:20240418103000+02'00'`` -> ``2024-04-18``."""
    match = re.match(r"D:(\d{4})(\d{2})?(\d{2})?", raw_date or "")
    if not match:
        return ""
    return "-".join(part for part in match.groups() if part)


class PdfLoader(engine.SourceLoader):
    """PDF documents (.pdf) with a text layer."""

    name = "pdf"
    extensions = (".pdf",)
    produces = "document"

    def load(self, path: Path) -> Document:
        path = Path(path)
        pdf = _open(path)
        try:
            return self._read(path, pdf)
        finally:
            pdf.close()

    def _read(self, path: Path, pdf) -> Document:
        import pypdfium2 as pdfium

        pages: list[list[Line]] = []
        sizes: list[tuple[float, float]] = []
        pictures: list[Picture] = []
        images_seen = 0
        try:
            for number in range(len(pdf)):
                page = pdf[number]
                sizes.append(page.get_size())
                textpage = page.get_textpage()
                pages.append(_page_lines(number, textpage))
                pictures += _pictures(number, page, self.assets_dir, MAX_IMAGES - len(pictures))
                images_seen += sum(1 for _ in page.get_objects(
                    filter=(pdfium.raw.FPDF_PAGEOBJ_IMAGE,), max_depth=1)) if not pages[-1] else 0
                textpage.close()
                page.close()
        except pdfium.PdfiumError as error:
            raise SourceError(f"{path.name} is damaged: page {len(pages) + 1} cannot be read "
                              f"({error})", hint="repair it (for example `qpdf in.pdf out.pdf`) "
                                                 "or export it again") from None
        if not any(pages):
            if images_seen:
                raise SourceError(f"{path.name} has no text layer, only page images (a scan): "
                                  f"it needs OCR", hint="run `ocrmypdf --skip-text "
                                                        f"{path.name} ocr.pdf` and pass ocr.pdf")
            raise SourceError(f"{path.name} has no text", hint="pass a PDF with text in it")
        metadata = pdf.get_metadata_dict(skip_empty=True)
        return self._document(path, pages, sizes, pictures, metadata)

    def _document(self, path: Path, pages: list[list[Line]], sizes: list[tuple[float, float]],
                  pictures: list[Picture], metadata: dict[str, str]) -> Document:
        pages = _drop_running_lines(pages, [height for _, height in sizes])
        body = _body_size([line for lines in pages for line in lines])
        notes: list[Line] = []
        kept = []
        for lines, (_, height) in zip(pages, sizes):
            text_lines, footnotes = _split_footnotes(lines, body, height)
            kept.append(text_lines)
            notes += footnotes
        headings = [line for lines in kept for line in lines if _is_heading(line, body)]
        title = _title(metadata.get("Title", ""), headings)
        styles = sorted({(h.size, h.bold) for h in headings
                         if not (h.page == 0 and h.text == title)}, reverse=True)
        outline = Outline(path.name)
        self._walk(kept, [width for width, _ in sizes], pictures, body, title, styles, outline)
        self._notes(notes, outline)
        info = {"author": metadata.get("Author", ""),
                "date": _pdf_date(metadata.get("CreationDate", "")),
                "subject": metadata.get("Subject", "").replace("(unspecified)", ""),
                "keywords": metadata.get("Keywords", ""), "pages": str(len(pages))}
        return outline.build(title=title, metadata=info,
                             empty_hint="pass a PDF with prose in it")

    @staticmethod
    def _walk(pages: list[list[Line]], widths: list[float], pictures: list[Picture], body: float,
              title: str, styles: list[tuple[float, bool]], outline: Outline) -> None:
        """Headings, paragraphs and figures, page by page in reading order."""
        paragraph = ""
        previous: Line | None = None
        title_skipped = False
        for page_number, lines in enumerate(pages):
            waiting = sorted((p for p in pictures if p.page == page_number),
                             key=lambda p: -p.top)
            edges = _column_edges(lines, widths[page_number])
            captioned: Picture | None = None
            for line in lines:
                while waiting and waiting[0].top >= line.top:
                    if paragraph:
                        outline.paragraph(paragraph)
                        paragraph = ""
                    captioned = waiting.pop(0)
                    outline.figure(captioned.figure)
                if captioned and _CAPTION.match(line.text) and \
                        captioned.bottom - line.top < 3 * body:
                    outline.parts[-1].figures[-1] = captioned.figure.model_copy(
                        update={"caption": line.text})
                    captioned, previous = None, None
                    continue
                captioned = None
                if _is_heading(line, body):
                    if paragraph:
                        outline.paragraph(paragraph)
                        paragraph = ""
                    if line.page == 0 and line.text == title and not title_skipped:
                        title_skipped = True
                    elif previous is not None and previous.page == line.page and \
                            _is_heading(previous, body) and \
                            (previous.size, previous.bold) == (line.size, line.bold) and \
                            previous.bottom - line.top < line.size and outline.parts:
                        part = outline.parts[-1]
                        part.heading = f"{part.heading} {line.text}"  # a heading on two lines
                    else:
                        level = styles.index((line.size, line.bold)) + 1 \
                            if (line.size, line.bold) in styles else 1
                        outline.heading(line.text, level)
                    previous = line
                    continue
                bullet = _BULLET.match(line.text)
                if paragraph and (bullet or previous is not None and _new_paragraph(
                        previous, line, body, edges.get(id(previous), previous.right))):
                    outline.paragraph(paragraph)
                    paragraph = ""
                text = line.text[bullet.end():] if bullet else line.text
                paragraph = _joined(paragraph, text) if paragraph else text
                previous = line
            for picture in waiting:
                outline.figure(picture.figure)
        if paragraph:
            outline.paragraph(paragraph)

    @staticmethod
    def _notes(notes: list[Line], outline: Outline) -> None:
        if not notes:
            return
        outline.heading("Notes", 1)
        current = ""
        for line in notes:
            if _FOOTNOTE_MARK.match(line.text) and current:
                outline.paragraph(current)
                current = line.text
            else:
                current = _joined(current, line.text) if current else line.text
        outline.paragraph(current)


def _new_paragraph(previous: Line, line: Line, body: float, edge: float) -> bool:
    """Whether ``line`` starts a new paragraph after ``previous``; ``edge`` is the right
    edge of ``previous``'s column."""
    if _is_heading(previous, body) or abs(previous.size - line.size) > 0.5:
        return True
    pitch = previous.last_baseline - line.first_baseline
    if previous.page != line.page or pitch < -body:
        # the next page or column: a paragraph runs on unless a sentence ended there
        return previous.text.endswith(_SENTENCE_END) and not line.text[:1].islower()
    if pitch > PARAGRAPH_PITCH * max(previous.size, line.size):
        return True  # more space than between the lines of a paragraph
    if line.left > previous.left + body and not _BULLET.match(previous.text):
        return True  # an indented first line (not a list item's hanging indent)
    return previous.right < edge - 6 * body and previous.text.endswith(_SENTENCE_END)


def _column_edges(lines: list[Line], width: float) -> dict[int, float]:
    """The right edge of each line's column: the furthest right of lines starting near it."""
    return {id(line): max(other.right for other in lines
                          if abs(other.left - line.left) < 0.15 * width) for line in lines}


@engine.hookimpl
def register_source_loaders(register):
    register(PdfLoader)
