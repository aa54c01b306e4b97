"""HTML source loader: the article's prose, without the page around it.

Reads ``<article>``, else ``<main>`` (or ``role="main"``), else ``<body>``; drops
navigation, headers, footers, asides, scripts, styles, forms, tables and code blocks.
Images (``<img>``, and ``<figure>`` with its ``<figcaption>``) become the section's
figures. The title is the first ``<h1>``, else ``og:title`` (usually cleaner than ``<title>``, which tends to
carry the site name), else ``<title>``. Headings ``<h2>``-``<h6>`` start sections, and so do labels: ``<dt>``, ``<summary>``,
table and figure captions, table headers, and a short unpunctuated line right before a
block (``<li><b>Term</b><p>...``), so a term is never read as part of the prose after it.
Text that sits directly in a container (``<div>text<br>more</div>``) still becomes a
paragraph, so loosely written pages load too.
"""

from __future__ import annotations

import re
from pathlib import Path

import engine
from engine.artifacts import Document
from plugins.sources.textfile import DocumentBuilder, read_text
from engine.sentences import ends_sentence, normalize_space

_DROPPED = ("nav", "header", "footer", "aside", "script", "style", "form", "noscript",
            "template", "svg", "iframe", "button", "select", "textarea", "video", "audio", "canvas", "object", "embed", "pre", "table")
#: phrasing elements, the obsolete ones (``tt``, ``big``...) too: their text stays in the
#: paragraph around them ("the <tt>close()</tt> system call")
_INLINE = frozenset("""
a abbr acronym b bdi bdo big cite code data del dfn em font i ins kbd label mark nobr q s
samp small span strike strong sub sup time tt u var wbr
""".split())
_HEADINGS = {f"h{n}": n for n in range(1, 7)}


def _meta(soup, *keys: str) -> str:
    """The content of the first ``<meta name|property=KEY>`` present (case-insensitive)."""
    for key in keys:
        pattern = re.compile(f"^{re.escape(key)}$", re.IGNORECASE)
        tag = soup.find("meta", attrs={"name": pattern}) or \
            soup.find("meta", attrs={"property": pattern})
        if tag and tag.get("content", "").strip():
            return normalize_space(tag["content"])
    return ""


def _metadata(soup) -> dict[str, str]:
    time_tag = soup.find("time", attrs={"datetime": True})
    found = {
        "author": _meta(soup, "author", "article:author", "dc.creator"),
        "date": _meta(soup, "article:published_time", "date", "dc.date", "pubdate")
        or (normalize_space(time_tag["datetime"]) if time_tag else ""),
        "description": _meta(soup, "description", "og:description"),
    }
    return {key: value for key, value in found.items() if value}


#: elements whose text labels what follows: they become headings, never prose
_LABELS = frozenset("dt summary caption figcaption th legend".split())
#: a short line of text before a block (``<li><b>Term</b><p>...``) is a label too
_LABEL_WORDS = 12


def _is_label(text: str) -> bool:
    """Two to twelve words, capitalised, unpunctuated (one word is more often a menu
    item than a term)."""
    text = normalize_space(text)
    return 1 < len(text.split()) <= _LABEL_WORDS and text[:1].isupper() \
        and not ends_sentence(text) and not text.endswith((":", ",", ";"))


def _field_list(dl) -> bool:
    """A ``<dl>`` of short values ("Release: 0.1", "Author: A. M. Kuchling"): metadata,
    not terms with descriptions."""
    values = [normalize_space(dd.get_text()) for dd in dl.find_all("dd")]
    return bool(values) and all(len(v.split()) <= 6 and not ends_sentence(v) for v in values)


class _Walk:
    """Headings and paragraphs of a tree in reading order, without recursion (a page of
    a thousand nested ``div`` elements loads like any other).

    Runs of text and inline elements between block elements form a paragraph; a run
    that is a short unpunctuated label right before a block, and the text of ``dt``,
    ``summary``, captions and table headers, become headings one level below the last
    one, so a term is never glued to the prose after it.
    """

    def __init__(self, builder: DocumentBuilder, title_tag):
        self.builder = builder
        self.title_tag = title_tag
        self.level = 1

    def heading(self, text: str, level: int) -> None:
        self.builder.heading(text, level)
        self.level = level

    def label(self, text: str) -> None:
        """A label heads what follows, one level below the last real heading."""
        self.builder.heading(text, min(self.level + 1, 6))

    def flush(self, run: list[str], *, before_block: bool) -> None:
        text = "".join(run)
        if before_block and _is_label(text):
            self.label(text)
        else:
            self.builder.paragraph(text)
        run.clear()

    def walk(self, root) -> None:
        from bs4 import NavigableString
        from bs4.element import PreformattedString

        stack = [(iter(root.children), [])]
        while stack:
            children, run = stack[-1]
            child = next(children, None)
            if child is None:
                self.flush(run, before_block=False)
                stack.pop()
            elif isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):  # comments, doctype, CDATA
                    run.append(str(child))
            elif child.name in _INLINE:
                run.append(child.get_text())
                for img in child.find_all("img"):
                    _image(img, self.builder)
            elif child.name == "img":
                _image(child, self.builder)
            elif child.name in ("figure", "picture"):
                caption = child.find("figcaption")
                text = normalize_space(caption.get_text()) if caption else ""
                for img in child.find_all("img"):
                    _image(img, self.builder, caption=text)
            else:
                self.flush(run, before_block=True)
                if child.name in _HEADINGS:
                    if child is not self.title_tag:
                        self.heading(child.get_text(), max(1, _HEADINGS[child.name] - 1))
                elif child.name == "dl" and _field_list(child):
                    for term in child.find_all("dt"):
                        value = term.find_next_sibling("dd")
                        self.builder.paragraph(f"{term.get_text().strip().rstrip(':')}: "
                                               f"{value.get_text() if value else ''}")
                elif child.name in _LABELS:
                    label = normalize_space(child.get_text())
                    if len(label.split()) <= _LABEL_WORDS:
                        self.label(label)
                    else:
                        self.builder.paragraph(label)
                else:
                    stack.append((iter(child.children), []))


def _image(img, builder: DocumentBuilder, caption: str = "") -> None:
    alt = normalize_space(img.get("alt") or "")
    builder.figure(img.get("src") or "", alt=alt, caption=caption or img.get("title") or alt)


class HtmlLoader(engine.SourceLoader):
    """Web pages and exported articles (.html, .htm)."""

    name = "html"
    #: 2: labels (dt, summary, captions) become headings; 3: figures; 4: ``tt``, ``big``,
    #: ``strike``, ``acronym``, ``nobr`` stay inline
    version = "4"
    extensions = (".html", ".htm")
    produces = "document"

    def load(self, path: Path) -> Document:
        from bs4 import BeautifulSoup

        path = Path(path)
        text, encoding = read_text(path)
        soup = BeautifulSoup(text, "html.parser")
        for line_break in soup.find_all("br"):
            line_break.replace_with(" ")
        for anchor in soup.find_all(class_="headerlink"):  # Sphinx's "¶" after headings
            anchor.decompose()
        root = soup.find("article") or soup.find("main") \
            or soup.find(attrs={"role": "main"}) or soup.body or soup
        title_tag = root.find("h1") or soup.find("h1")
        title = (title_tag.get_text() if title_tag else "") or _meta(soup, "og:title") \
            or (soup.title.get_text() if soup.title else "")
        for tag in root.find_all([*_DROPPED]) + root.find_all(attrs={"hidden": True}) \
                + root.find_all(attrs={"role": "navigation"}) \
                + root.find_all(attrs={"aria-hidden": "true"}):
            if not tag.decomposed:
                tag.decompose()
        builder = DocumentBuilder(path)
        _Walk(builder, title_tag).walk(root)
        return builder.build(title=title, metadata={**_metadata(soup), "encoding": encoding})


@engine.hookimpl
def register_source_loaders(register):
    register(HtmlLoader)
