"""reStructuredText (a ``.rst`` file, or a ``.txt`` written in it): read by docutils.

The words are kept, the markup goes: references keep their text (``Pylint_`` ->
"Pylint", ```Porting to Python 3`_`` -> "Porting to Python 3"), auto-numbered and
bulleted lists give one paragraph per item, inline literals keep their code as text,
Sphinx roles docutils does not know keep their title or target
(``:ref:`virtual environment <tut-venv>``` -> "virtual environment"). Literal blocks
(after ``::``), doctests, tables, comments, link targets, footnotes and directives
docutils does not know are dropped. Section titles become headings, definition-list
terms and admonition titles headings one level below (a term is never prose).
"""

from __future__ import annotations

import re

from plugins.sources.textfile import DocumentBuilder

#: markup only reStructuredText writes; a ``.txt`` showing two kinds of it is read as such
_SIGNS = (
    re.compile(r"^\.\. (?:[\w-]+::|_[^:\n]+:|\[[^\]\n]+\])", re.MULTILINE),  # directive, target, footnote
    re.compile(r":[\w:.+-]+:`[^`\n]+`"),                                    # a role
    re.compile(r"`[^`\n]+`__?(?!\w)|\b\w+_(?![\w])(?=[\s,.;:)])"),         # a reference
    re.compile(r"``[^`\n]+``"),                                             # an inline literal
    re.compile(r"^\s*#\. ", re.MULTILINE),                                  # an auto-numbered item
    re.compile(r"::\n\n[ \t]+\S"),                                          # a literal block
)
#: a role docutils does not know (Sphinx's): its title, else its target
_ROLE = re.compile(r"^:(?P<role>[\w:.+-]+):`(?P<content>.*)`$", re.DOTALL)
_TITLED = re.compile(r"^(?P<title>.+?)\s*<[^<>]+>$", re.DOTALL)


def looks_like_rst(text: str) -> bool:
    """Whether plain text is written in reStructuredText: two kinds of its markup."""
    return sum(bool(sign.search(text)) for sign in _SIGNS) >= 2


def _role_text(raw: str, sections: dict[str, str]) -> str:
    """``:func:`~io.open``` -> "io.open"; ``:ref:`the guide <guide>``` -> "the guide";
    ``:ref:`label``` -> the title of the section so labelled, when it is in ``sections``."""
    match = _ROLE.match(raw)
    if not match:
        return raw
    content = match["content"]
    titled = _TITLED.match(content)
    if titled:
        return titled["title"]
    label = " ".join(content.lower().split())
    if match["role"] in ("ref", "std:ref") and label in sections:
        return sections[label]
    return content.lstrip("~!")


def _section_titles(doctree) -> dict[str, str]:
    """Each name a section (or the document) is known by -> its title."""
    from docutils import nodes

    titles = {name: doctree.get("title", "") for name in doctree.get("names", ())}
    for section in doctree.findall(nodes.section):
        title = section.next_node(nodes.title)
        titles.update({name: title.astext() for name in section["names"] if title})
    return {name: title for name, title in titles.items() if title}


def _drop_footnote_marks(doctree) -> None:
    """Footnote and citation marks go with the space before them ("open [#]_, as" ->
    "open, as"); the notes themselves are not read."""
    from docutils import nodes

    for node in list(doctree.findall(nodes.footnote_reference)) + \
            list(doctree.findall(nodes.citation_reference)):
        parent, index = node.parent, node.parent.index(node)
        parent.remove(node)
        if index and isinstance(parent[index - 1], nodes.Text):
            before = parent[index - 1]
            parent.replace(before, nodes.Text(before.astext().rstrip()))


def _doctree(text: str):
    from docutils.core import publish_doctree

    settings = {"report_level": 5, "halt_level": 5, "warning_stream": False,
                "file_insertion_enabled": False, "raw_enabled": False,
                "input_encoding": "unicode", "doctitle_xform": True,
                "docinfo_xform": True}
    return publish_doctree(text, settings_overrides=settings)


def load_rst(text: str, builder: DocumentBuilder) -> tuple[str, dict[str, str]]:
    """Fill ``builder`` with the headings and paragraphs of ``text``; the title and the
    bibliographic fields kept as metadata (``:author:``, ``:date:``)."""
    from docutils import nodes

    doctree = _doctree(text)
    metadata = {field: node.astext() for docinfo in doctree.findall(nodes.docinfo)
                for field, kind in (("author", nodes.author), ("date", nodes.date))
                for node in docinfo.findall(kind)}
    sections = _section_titles(doctree)
    for node in list(doctree.findall(nodes.problematic)):
        node.parent.replace(node, nodes.Text(_role_text(node.astext(), sections)))
    _drop_footnote_marks(doctree)
    skipped = (nodes.literal_block, nodes.doctest_block, nodes.table, nodes.comment,
               nodes.target, nodes.footnote, nodes.citation, nodes.system_message,
               nodes.substitution_definition, nodes.docinfo, nodes.raw, nodes.Invisible,
               nodes.field_list, nodes.option_list, nodes.line_block)
    # an explicit stack: nesting in the source never deepens Python's recursion
    stack = [(child, 1) for child in reversed(doctree.children)
             if not isinstance(child, nodes.title)]   # the document's title is returned
    while stack:
        node, level = stack.pop()
        if isinstance(node, skipped):
            continue
        if isinstance(node, nodes.section):
            title = node.next_node(nodes.title)
            if title is not None:
                builder.heading(title.astext(), level)
            stack.extend((child, level + 1) for child in reversed(node.children)
                         if child is not title)
        elif isinstance(node, (nodes.term, nodes.title, nodes.subtitle, nodes.rubric)):
            builder.heading(node.astext(), level)
        elif isinstance(node, nodes.paragraph):
            builder.paragraph(node.astext())
        elif isinstance(node, nodes.Element):
            stack.extend((child, level) for child in reversed(node.children))
    return doctree.get("title", ""), metadata
