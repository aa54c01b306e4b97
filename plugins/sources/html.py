"""HTML source loader: the article's prose, without the page around it.

Reads ``<article>``, else ``<main>``, else ``<body>``; drops navigation, headers,
footers, asides, scripts, styles, forms, tables and code blocks. Images (``<img>``, and
``<figure>`` with its ``<figcaption>``) become the section's figures. The title is
the first ``<h1>``, else ``og:title`` (usually cleaner than ``<title>``, which tends to
carry the site name), else ``<title>``. Headings ``<h2>``-``<h6>`` start sections.
Text that sits directly in a container (``<div>text<br>more</div>``) still becomes a
paragraph, so loosely written pages load too.
"""

from __future__ import annotations

import re
from pathlib import Path

import engine
from engine.artifacts import Document
from plugins.sources.textfile import DocumentBuilder, read_text
from engine.sentences import normalize_space

_DROPPED = ("nav", "header", "footer", "aside", "script", "style", "form", "noscript",
            "template", "svg", "iframe", "button", "select", "textarea", "video", "audio", "canvas", "object", "embed", "pre", "table")
_INLINE = frozenset("""
a abbr b bdi bdo cite code data del dfn em font i ins kbd label mark q s samp small span
strong sub sup time u var wbr
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


def _walk(node, builder: DocumentBuilder, title_tag) -> None:
    """Headings and paragraphs of ``node`` in reading order.

    Runs of text and inline elements between block elements form a paragraph; block
    elements are walked in turn.
    """
    from bs4 import NavigableString
    from bs4.element import PreformattedString

    run: list[str] = []
    for child in node.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, PreformattedString):  # comments, doctype, CDATA
                run.append(str(child))
        elif child.name in _INLINE:
            run.append(child.get_text())
            for img in child.find_all("img"):
                _image(img, builder)
        elif child.name == "img":
            _image(child, builder)
        elif child.name in ("figure", "picture"):
            caption = child.find("figcaption")
            text = normalize_space(caption.get_text()) if caption else ""
            for img in child.find_all("img"):
                _image(img, builder, caption=text)
        else:
            builder.paragraph("".join(run))
            run = []
            if child.name in _HEADINGS:
                if child is not title_tag:
                    builder.heading(child.get_text(), max(1, _HEADINGS[child.name] - 1))
            else:
                _walk(child, builder, title_tag)
    builder.paragraph("".join(run))


def _image(img, builder: DocumentBuilder, caption: str = "") -> None:
    alt = normalize_space(img.get("alt") or "")
    builder.figure(img.get("src") or "", alt=alt, caption=caption or img.get("title") or alt)


class HtmlLoader(engine.SourceLoader):
    """Web pages and exported articles (.html, .htm)."""

    name = "html"
    extensions = (".html", ".htm")
    produces = "document"
    version = "2"  # 2: sections carry their figures

    def load(self, path: Path) -> Document:
        from bs4 import BeautifulSoup

        path = Path(path)
        text, encoding = read_text(path)
        soup = BeautifulSoup(text, "html.parser")
        for line_break in soup.find_all("br"):
            line_break.replace_with(" ")
        root = soup.find("article") or soup.find("main") or soup.body or soup
        title_tag = root.find("h1") or soup.find("h1")
        title = (title_tag.get_text() if title_tag else "") or _meta(soup, "og:title") \
            or (soup.title.get_text() if soup.title else "")
        for tag in root.find_all([*_DROPPED]) + root.find_all(attrs={"hidden": True}) \
                + root.find_all(attrs={"aria-hidden": "true"}):
            if not tag.decomposed:
                tag.decompose()
        builder = DocumentBuilder(path)
        _walk(root, builder, title_tag)
        return builder.build(title=title, metadata={**_metadata(soup), "encoding": encoding})


@engine.hookimpl
def register_source_loaders(register):
    register(HtmlLoader)
