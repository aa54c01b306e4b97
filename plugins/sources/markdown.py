"""Markdown source loader: front matter, headings as sections, prose as paragraphs.

Paragraphs, list items and block quotes become paragraphs of plain text (links keep
their text, emphasis markers go, inline code stays as text). Each list item is its own
paragraph, so an item that is a sentence can be chosen for a summary on its own. Code
blocks, tables and raw HTML are dropped: they do not read aloud or summarise. Images
(``![alt](path "title")``) become the section's figures (the title, else the alt text,
as caption; relative paths resolved next to the file).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import engine
from engine.artifacts import Document
from engine.errors import SourceError
from plugins.sources.textfile import DocumentBuilder, read_text
from engine.sentences import normalize_space


def _as_string(value: Any) -> str:
    """A front-matter value as metadata text: dates in ISO form, lists comma-separated."""
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(_as_string(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def _front_matter(text: str, name: str) -> tuple[dict[str, str], str]:
    """Split YAML front matter from the body; metadata values become strings."""
    import frontmatter
    import yaml

    try:
        metadata, body = frontmatter.parse(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "it cannot be parsed"
        raise SourceError(f"{name} has invalid YAML front matter{where}: {problem}",
                          hint="fix the YAML between the --- lines") from None
    return {str(k): _as_string(v) for k, v in metadata.items()}, body


def _inline_text(children) -> str:
    """Plain text of an inline token: markup dropped, images and raw HTML removed."""
    parts = []
    for child in children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


class MarkdownLoader(engine.SourceLoader):
    """Markdown articles (.md, .markdown), with optional YAML front matter."""

    name = "markdown"
    extensions = (".md", ".markdown")
    produces = "document"
    version = "2"  # 2: sections carry their figures

    def load(self, path: Path) -> Document:
        from markdown_it import MarkdownIt

        path = Path(path)
        text, encoding = read_text(path)
        metadata, body = _front_matter(text, path.name)
        tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(body)
        builder = DocumentBuilder(path)
        title = metadata.get("title", "")
        title_heading_seen = False
        in_table = 0
        for previous, token in zip([None, *tokens], tokens):
            in_table += {"table_open": 1, "table_close": -1}.get(token.type, 0)
            if token.type != "inline" or in_table or previous is None:
                continue
            content = _inline_text(token.children)
            for child in token.children or ():
                if child.type == "image":
                    alt = _inline_text(child.children) or child.content
                    builder.figure(child.attrs.get("src", ""), alt=alt,
                                   caption=child.attrs.get("title") or alt)
            if previous.type == "paragraph_open":
                builder.paragraph(content)
            elif previous.type == "heading_open":
                level = int(previous.tag[1:])
                if level == 1 and not title_heading_seen:
                    title_heading_seen = True
                    if not title or normalize_space(content) == normalize_space(title):
                        title = title or content
                        continue
                builder.heading(content, level - 1)
        return builder.build(title=title, metadata={**metadata, "encoding": encoding})


@engine.hookimpl
def register_source_loaders(register):
    register(MarkdownLoader)
