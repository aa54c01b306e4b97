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
from engine.artifacts import Document, Script
from engine.errors import SourceError
from plugins.sources.script import is_script, parse_script
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
    """Split YAML front matter from the body; metadata values become strings.

    Front matter is only a ``---`` block at the very start. The body is kept as written:
    ``frontmatter.parse`` strips it, which turns an indented code block opening the file
    (a README's ASCII-art logo) into a paragraph, and it takes the text between two
    thematic breaks for front matter when the file has none.

    The front matter goes through remixer's bounded YAML reader: a source's alias bomb
    fails that source in one line instead of expanding in memory.
    """
    import yaml
    from frontmatter.default_handlers import YAMLHandler

    from engine.errors import LimitError
    from engine.safe_yaml import parse_yaml

    handler = YAMLHandler()
    head = text.lstrip()
    if not handler.detect(head):
        return {}, text
    try:
        fm, body = handler.split(head)
    except ValueError:   # an opening ``---`` without a closing one: a thematic break
        return {}, text
    try:
        metadata = parse_yaml(fm, f"{name}'s front matter")
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "it cannot be parsed"
        raise SourceError(f"{name} has invalid YAML front matter{where}: {problem}",
                          hint="fix the YAML between the --- lines") from None
    except LimitError as error:
        raise SourceError(error.message, hint=error.hint) from None
    except ValueError as error:
        raise SourceError(f"{name} has a front matter value Python cannot hold: "
                          f"{str(error)[:120]}", hint="fix the YAML between the --- lines") from None
    if not isinstance(metadata, dict):
        metadata = {}
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
    """Markdown articles (.md, .markdown), with optional YAML front matter; podcast
    scripts (front matter ``remixer: podcast-script``) load as scripts."""

    name = "markdown"
    #: 2: a paragraph that repeats the title is dropped; 3: sections carry figures; 4: an
    #: indented code block opening the file is code, text between two rules is not front matter
    version = "4"
    extensions = (".md", ".markdown")
    produces = "document"

    def load(self, path: Path) -> Document | Script:
        from markdown_it import MarkdownIt

        path = Path(path)
        text, encoding = read_text(path)
        metadata, body = _front_matter(text, path.name)
        if is_script(metadata):   # a podcast script written by podcast-script, maybe edited
            return parse_script(metadata, body, path.name)
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
        doc = builder.build(title=title, metadata={**metadata, "encoding": encoding})
        return doc.model_copy(update={"language": declared_language(metadata)})


def declared_language(metadata: dict[str, str]) -> str | None:
    """The front matter's ``lang:`` or ``language:`` as a BCP 47 tag; a value that is not
    one is left out (the language is then detected from the text when a step needs it)."""
    from engine.errors import LanguageError
    from engine.languages import tag

    value = metadata.get("lang") or metadata.get("language")
    try:
        return tag(value) if value else None
    except LanguageError:
        return None


@engine.hookimpl
def register_source_loaders(register):
    register(MarkdownLoader)
