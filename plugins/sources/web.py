"""Web pages fetched from an ``http(s)://`` URL: the main content, extracted by trafilatura.

trafilatura (Apache-2.0) drops navigation, footers, comments and other boilerplate and
keeps the article's headings, paragraphs, lists, tables and images (captions taken from the
page's own ``<figcaption>``); its metadata gives
title, author, date and site name. Images are downloaded through the same cached,
robots-respecting fetcher (:mod:`plugins.sources.fetch`), stored content-addressed and
kept as figures with their address and alt text; one that cannot be fetched keeps only
its address. The loader is chosen by name for downloads, so it never claims local
``.html`` files (those stay with the ``html`` loader).
"""

from __future__ import annotations

from pathlib import Path

import engine
from engine.artifacts import Document, Figure
from engine.errors import SourceError
from plugins.sources.assets import assets_root, store_image
from plugins.sources.fetch import MAX_PAGE_BYTES, fetch, origin_url
from plugins.sources.outline import Outline
from plugins.sources.textfile import read_text

#: images fetched per page (the rest keep their address only)
MAX_PAGE_IMAGES = 12


class WebPageLoader(engine.SourceLoader):
    """A downloaded web page (an ``http(s)://`` source)."""

    name = "webpage"
    extensions = ()
    produces = "document"

    def load(self, path: Path) -> Document:
        import trafilatura
        from lxml import etree

        path = Path(path)
        url = origin_url(path)
        html, _ = read_text(path, max_bytes=MAX_PAGE_BYTES)
        extracted = trafilatura.extract(html, url=url or None, output_format="xml",
                                        include_images=True, include_tables=True,
                                        include_comments=False, with_metadata=True,
                                        favor_recall=True)
        name = url or path.name
        if not extracted:
            raise SourceError(f"{name} has no main text that could be extracted",
                              hint="the page may need a browser (scripts) or be mostly images")
        root = etree.fromstring(extracted.encode("utf-8"),
                                etree.XMLParser(resolve_entities=False, no_network=True))
        captions = _figure_captions(html, url)
        outline = Outline(name)
        title = root.get("title") or ""
        fetched = 0
        for element in root.iter("head", "p", "item", "row", "graphic", "quote"):
            if element.tag == "head":
                text = " ".join(element.itertext())
                if text.strip() != title.strip():
                    level = int((element.get("rend") or "h2").lstrip("h") or 2)
                    outline.heading(text, max(1, level - 1))
            elif element.tag == "graphic":
                figure, took = self._figure(element, path, fetched < MAX_PAGE_IMAGES,
                                            captions.get(element.get("src") or "", ""))
                fetched += took
                outline.figure(figure)
            elif element.tag == "row":
                outline.paragraph("; ".join(" ".join(c.itertext()).strip() for c in element))
            elif element.getparent() is None or element.getparent().tag not in ("item", "row", "quote"):
                outline.paragraph(" ".join(element.itertext()))
        metadata = {key: root.get(key) or "" for key in ("author", "date", "sitename")}
        if url:
            metadata["url"] = url
        return outline.build(title=title, metadata=metadata,
                             empty_hint="the page may need a browser (scripts) to show its text")

    def _figure(self, element, page: Path, fetch_it: bool,
                caption: str) -> tuple[Figure | None, int]:
        src = element.get("src") or ""
        if not src.startswith(("http://", "https://")):
            return None, 0
        alt, caption = element.get("alt") or "", caption or element.get("title") or ""
        if fetch_it:
            try:
                download = fetch(src, page.parent.parent, accept=("image/",))
                figure = store_image(download.path.read_bytes(), assets_root(self.assets_dir),
                                     name=download.path.name, caption=caption, alt=alt)
                if figure is not None:
                    return figure.model_copy(update={"url": src}), 1
            except (SourceError, OSError):
                pass  # the figure keeps its address; the text still loads
        return Figure(url=src, caption=caption.strip(), alt=alt.strip()), 0


def _figure_captions(html: str, url: str) -> dict[str, str]:
    """``<figcaption>`` text by absolute image address (trafilatura keeps images, not
    their captions)."""
    from urllib.parse import urljoin

    from bs4 import BeautifulSoup

    captions = {}
    for figure in BeautifulSoup(html, "html.parser").find_all("figure"):
        image, caption = figure.find("img"), figure.find("figcaption")
        if image is not None and image.get("src") and caption is not None:
            captions[urljoin(url, image["src"])] = " ".join(caption.get_text(" ").split())
    return captions


@engine.hookimpl
def register_source_loaders(register):
    register(WebPageLoader)
