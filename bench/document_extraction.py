"""How well the PDF and Word loaders recover a document's structure and words, and how fast.

Generates N articles (``bench/corpus.py``: Markdown with a title and sections), typesets
each as a PDF with reportlab (running header, page numbers, a footnote) and as a DOCX
with python-docx, loads them with remixer's loaders and compares with the Markdown:

- headings: share of the article's section headings found as section headings, at the
  right level;
- word error rate of the loaded headings and paragraphs against the article's (the
  footnote, which the PDF loader keeps apart in "Notes", is left out of both);
- PDF pages per second, against a baseline measured in the same run: PDFium's bare text
  extraction of the same files (no structure), so the ratio is the cost of the structure.

Targets: >= 95% of headings, <= 2% word error, >= 20 pages/s for text PDFs.

    python bench/document_extraction.py [--articles 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import article  # noqa: E402
from bench.intelligibility import normalise, wer  # noqa: E402
from plugins.sources.docx import DocxLoader  # noqa: E402
from plugins.sources.pdf import PdfLoader  # noqa: E402
from tests.document_helpers import make_docx, make_pdf, markdown_blocks  # noqa: E402


def reference(blocks) -> tuple[list[tuple[str, int]], list[str]]:
    """The article's (heading, level) list and its words (headings and text, no title)."""
    headings = [(str(text), int(kind[1]) - 1) for kind, text in blocks if kind in ("h2", "h3")]
    words = normalise(" ".join(str(text) for kind, text in blocks if kind != "h1"))
    return headings, words


def measured(doc) -> tuple[list[tuple[str, int]], list[str]]:
    sections = [s for s in doc.sections if s.heading != "Notes"]
    headings = [(s.heading, s.level) for s in sections if s.heading]
    text = " ".join(f"{s.heading or ''} {' '.join(s.paragraphs)}" for s in sections)
    return headings, normalise(text)


def bare_pdfium(path: Path) -> int:
    """The baseline: every page's text through PDFium, nothing else. Returns pages."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    for page in pdf:
        page.get_textpage().get_text_range()
    pages = len(pdf)
    pdf.close()
    return pages


def with_details(blocks):
    """The article with a sub-heading and a two-item list in every section (levels, lists)."""
    out = []
    for kind, text in blocks:
        out.append((kind, text))
        if kind == "h2":
            out += [("p", f"This part is about {str(text).lower()}."), ("h3", f"{text} in detail"),
                    ("li", "A first point that the section makes."),
                    ("li", "A second point, with a number: 42 percent.")]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="remixer-docbench-"))
    files = []
    for index in range(args.articles):
        metadata, blocks = markdown_blocks(article(index, sections=7, sentences_per_section=14))
        blocks = with_details(blocks)
        pdf = make_pdf(folder / f"a{index}.pdf", blocks, title=metadata["title"],
                       author=metadata["author"], header="Remixer Bench Journal",
                       footnote="Figures from the bench's generated survey.")
        docx = make_docx(folder / f"a{index}.docx", blocks, title=metadata["title"],
                         author=metadata["author"])
        files.append((blocks, pdf, docx))

    pdf_loader, docx_loader = PdfLoader(), DocxLoader()
    pdf_loader.assets_dir = docx_loader.assets_dir = folder / "assets"
    # headings found, headings in all, sum of word error rates, documents, extra words
    results = {"pdf": [0, 0, 0.0, 0, 0], "docx": [0, 0, 0.0, 0, 0]}
    pages = 0
    loader_seconds = bare_seconds = 0.0
    for blocks, pdf, docx in files:
        want_headings, want_words = reference(blocks)
        start = time.perf_counter()
        pdf_doc = pdf_loader.load(pdf)   # first: it pays for reading the file cold
        loader_seconds += time.perf_counter() - start
        start = time.perf_counter()
        pages += bare_pdfium(pdf)
        bare_seconds += time.perf_counter() - start
        for kind, doc in (("pdf", pdf_doc), ("docx", docx_loader.load(docx))):
            got_headings, got_words = measured(doc)
            found = sum(1 for heading in want_headings if heading in got_headings)
            row = results[kind]
            row[0] += found
            row[1] += len(want_headings)
            row[2] += wer(want_words, got_words)
            row[3] += 1
            row[4] += len(got_words) - len(want_words)
    print(f"{args.articles} articles, {pages} PDF pages ({pages / args.articles:.1f} per article)")
    for kind, (found, total, wer_sum, docs, extra) in results.items():
        print(f"{kind:>5}: headings {found}/{total} = {found / total:.1%} (target >= 95%), "
              f"word error rate {wer_sum / docs:.2%} (target <= 2%), "
              f"{extra:+d} words against the original")
    print(f"  pdf: {pages / loader_seconds:.0f} pages/s with structure (target >= 20); "
          f"bare PDFium text {pages / bare_seconds:.0f} pages/s; "
          f"structure costs {loader_seconds / bare_seconds:.1f}x the bare extraction")


if __name__ == "__main__":
    main()
