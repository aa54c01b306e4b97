"""Markdown, plain-text and HTML source loaders and the shared file reading."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from engine.errors import SourceError
from plugins.sources import textfile
from plugins.sources.html import HtmlLoader
from plugins.sources.markdown import MarkdownLoader
from plugins.sources.text import TextLoader
from plugins.sources.textfile import read_text

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "article.md"
PROSE = "Street trees cool the pavement. Their roots need loose soil."


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def source_error(loader, path: Path) -> str:
    """Load ``path`` expecting a SourceError; its message, checked to be one line."""
    with pytest.raises(SourceError) as info:
        loader.load(path)
    message = str(info.value)
    assert "\n" not in message and path.name in message
    return message


# --------------------------------------------------------------------------- markdown

def test_sample_article(tmp_path):
    doc = MarkdownLoader().load(SAMPLE)
    assert doc.title == "Roots Under the Pavement: How Cities Rebuild Their Tree Canopy"
    assert doc.metadata["author"] == "Maren Ostby"
    assert doc.metadata["date"] == "2024-04-18"
    assert doc.metadata["tags"] == "urban forestry, cities, climate, engineering"
    assert doc.metadata["encoding"] == "utf-8"
    headings = [s.heading for s in doc.sections if s.heading]
    assert 5 <= len(headings) <= 7 and all(s.level == 1 for s in doc.sections)
    assert doc.title not in headings
    assert 1300 <= doc.word_count() <= 1700
    text = doc.text()
    assert "https://www.itreetools.org" in text and "U.S." in text
    assert "#" not in text and "\n" not in "".join(doc.paragraphs())


MARKDOWN = """---
title: Trees
author: Ana
date: 2024-05-01 10:30:00
tags:
  - a
  - b
draft: true
---

# Trees

Intro with a [link](https://example.com), *emphasis*, **strong**, ~~old~~ and `code`.
It wraps here. ![a photo](photo.png)

## Soil

- First item is a sentence.
- Second item
  1. nested item

> Quoted wisdom.

```python
print("dropped")
```

| a | b |
|---|---|
| 1 | 2 |

<div>raw html</div>

### Deeper

Last paragraph.

## Empty heading
"""


def test_markdown_structure(tmp_path):
    doc = MarkdownLoader().load(write(tmp_path, "trees.md", MARKDOWN))
    assert doc.title == "Trees"
    assert doc.metadata == {"title": "Trees", "author": "Ana", "date": "2024-05-01T10:30:00",
                            "tags": "a, b", "draft": "true", "encoding": "utf-8"}
    assert [(s.heading, s.level) for s in doc.sections] == [(None, 1), ("Soil", 1),
                                                            ("Deeper", 2)]
    assert doc.sections[0].paragraphs == (
        "Intro with a link, emphasis, strong, old and code. It wraps here.",)
    assert doc.sections[1].paragraphs == ("First item is a sentence.", "Second item",
                                          "nested item", "Quoted wisdom.")
    assert doc.sections[2].paragraphs == ("Last paragraph.",)


def test_markdown_title_from_h1_then_file_name(tmp_path):
    doc = MarkdownLoader().load(write(tmp_path, "x.md", f"# The Heading\n\n{PROSE}\n"))
    assert doc.title == "The Heading" and doc.sections[0].heading is None
    doc = MarkdownLoader().load(write(tmp_path, "city-trees_2024.md", PROSE))
    assert doc.title == "City trees 2024"


def test_markdown_h1_differing_from_front_matter_title_is_a_section(tmp_path):
    doc = MarkdownLoader().load(write(tmp_path, "x.md", f"---\ntitle: T\n---\n# Part\n\n{PROSE}"))
    assert doc.title == "T" and doc.sections[0].heading == "Part"


def test_markdown_bad_front_matter(tmp_path):
    message = source_error(MarkdownLoader(), write(tmp_path, "bad.md",
                                                   f"---\ntitle: [oops\n---\n{PROSE}"))
    assert "front matter" in message and "line" in message


def test_markdown_without_paragraphs(tmp_path):
    path = write(tmp_path, "code.md", "# Title\n\n## Part\n\n```\ncode only\n```\n![i](x.png)\n")
    assert "no paragraphs" in source_error(MarkdownLoader(), path)


# --------------------------------------------------------------------------- text

def test_text_title_headings_lists_and_wrapping(tmp_path):
    text = ("Trees in the City\n\n"
            "The first paragraph is here,\nwrapped over two lines.\n\n"
            "Shade\n\n"
            "Shade cools streets.\n- item one\n- item two\n  continues\n\n"
            "Soil\n====\nRoots need soil.\n\n"
            "Water\nYoung trees need about 100 litres a week in dry summer weather.\n")
    doc = TextLoader().load(write(tmp_path, "notes.txt", text))
    assert doc.title == "Trees in the City"
    assert [(s.heading, s.paragraphs) for s in doc.sections] == [
        (None, ("The first paragraph is here, wrapped over two lines.",)),
        ("Shade", ("Shade cools streets.", "item one", "item two continues")),
        ("Soil", ("Roots need soil.",)),
        ("Water", ("Young trees need about 100 litres a week in dry summer weather.",)),
    ]


def test_text_without_title_line(tmp_path):
    doc = TextLoader().load(write(tmp_path, "plain-notes.txt", f"{PROSE}\n\nMore text here.\n"))
    assert doc.title == "Plain notes"
    assert doc.paragraphs() == [PROSE, "More text here."]


# --------------------------------------------------------------------------- html

HTML = """<!doctype html><html><head><title>Trees | City News</title>
<meta property="og:title" content="Trees (og)"><meta name="Author" content="Jo Bloggs">
<meta property="article:published_time" content="2024-04-18T09:00:00Z"></head>
<body><nav><a href="/">Home</a></nav><header><h1>Site name</h1></header>
<main><article><header><h1>Why <em>trees</em> matter</h1><p>By Jo</p></header>
<p>First paragraph with a <a href="x">link</a> and <code>code</code>.<br>Second line.</p>
<!-- a comment -->
<h2>Shade</h2><div>Loose text in a div. <span>More</span></div>
<ul><li>Item one is a sentence.</li><li><p>Item two.</p></li></ul>
<pre>code block</pre><table><tr><td>cell</td></tr></table>
<aside>Advert</aside><script>var x = 1;</script><style>p {}</style>
<form><label>Email</label></form><figure><img src="x"><figcaption>Caption</figcaption></figure>
<h3>Sub</h3><blockquote><p>A quote &amp; more.</p></blockquote><footer>Share this</footer>
</article></main><footer>Site footer</footer></body></html>"""


def test_html_article(tmp_path):
    doc = HtmlLoader().load(write(tmp_path, "page.html", HTML))
    assert doc.title == "Why trees matter"
    assert doc.metadata == {"author": "Jo Bloggs", "date": "2024-04-18T09:00:00Z",
                            "encoding": "utf-8"}
    assert [(s.heading, s.level, s.paragraphs) for s in doc.sections] == [
        (None, 1, ("First paragraph with a link and code. Second line.",)),
        ("Shade", 1, ("Loose text in a div. More", "Item one is a sentence.", "Item two.")),
        ("Sub", 2, ("A quote & more.",)),
    ]


def test_html_title_fallbacks(tmp_path):
    page = "<html><head><title>Plain title</title>{}</head><body><p>{}</p></body></html>"
    doc = HtmlLoader().load(write(tmp_path, "a.htm", page.format(
        '<meta property="og:title" content="Open Graph title">', PROSE)))
    assert doc.title == "Open Graph title"
    doc = HtmlLoader().load(write(tmp_path, "b.html", page.format("", PROSE)))
    assert doc.title == "Plain title" and doc.paragraphs() == [PROSE]


def test_html_without_paragraphs(tmp_path):
    path = write(tmp_path, "nav.html", "<html><body><nav>Home About</nav><h2>Hi</h2></body></html>")
    assert "no paragraphs" in source_error(HtmlLoader(), path)


# --------------------------------------------------------------------------- reading

@pytest.mark.parametrize("encoding, bom, expected", [
    ("utf-8", codecs.BOM_UTF8, "utf-8"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16-le"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16-be"),
    ("utf-32-le", codecs.BOM_UTF32_LE, "utf-32-le"),
    ("utf-16-le", b"", "utf-16-le"),
    ("utf-16-be", b"", "utf-16-be"),
])
def test_encodings(tmp_path, encoding, bom, expected):
    content = "# Café “trees”\r\n\r\nNaïve roots — 15 m³ of soil.\r\n"
    path = write(tmp_path, "enc.md", bom + content.encode(encoding))
    doc = MarkdownLoader().load(path)
    assert doc.title == "Café “trees”"
    assert doc.paragraphs() == ["Naïve roots — 15 m³ of soil."]
    assert doc.metadata["encoding"] == expected


def test_cp1252_fallback(tmp_path):
    path = write(tmp_path, "old.txt", "He said “plant more” – café.\r\n".encode("cp1252"))
    doc = TextLoader().load(path)
    assert doc.paragraphs() == ["He said “plant more” – café."]
    assert doc.metadata["encoding"] == "cp1252"


@pytest.mark.parametrize("name, content, fragment", [
    ("empty.md", b"", "is empty"),
    ("blank.txt", b" \n\t\r\n  ", "is empty"),
    ("bom-only.html", codecs.BOM_UTF8, "is empty"),
    ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "NUL bytes"),
    ("junk.txt", bytes([1, 2, 3, 4, 5, 6, 7, 8, 11, 14]) * 20 + b"text", "control characters"),
    ("latin.md", b"caf\xe9 " + bytes(range(0x80, 0x100)) * 3, "is not UTF-8 text: byte 0x"),
    ("broken16.txt", codecs.BOM_UTF16_LE + b"a\x00\x00\xd8b", "is not valid UTF-16-LE at byte"),
])
def test_unreadable_files(tmp_path, name, content, fragment):
    path = write(tmp_path, name, content)
    loader = {".md": MarkdownLoader, ".txt": TextLoader, ".html": HtmlLoader}[path.suffix]()
    message = source_error(loader, path)
    assert fragment in message
    assert message.count("(") == 1 and message.endswith(")")  # the fix, as the hint


def test_size_limit(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as f:
        f.truncate(textfile.MAX_BYTES + 1)  # sparse: the size check comes before reading
    message = source_error(TextLoader(), path)
    assert "20.0 MB" in message and "limit" in message
    small = write(tmp_path, "small.txt", PROSE)
    with pytest.raises(SourceError, match="over the 10 bytes limit"):
        read_text(small, max_bytes=10)


def test_missing_file(tmp_path):
    message = source_error(HtmlLoader(), tmp_path / "missing.html")
    assert "cannot read" in message


def test_registered_loaders(registry):
    assert registry.loader_for(Path("a.MD")).name == "markdown"
    assert registry.loader_for(Path("a.markdown")).name == "markdown"
    assert registry.loader_for(Path("a.txt")).name == "text"
    assert registry.loader_for(Path("a.htm")).name == "html"
    assert registry.loader_for(Path("a.html")).produces == "document"


def test_nul_interleaved_junk_is_not_taken_for_utf16(tmp_path):
    path = write(tmp_path, "junk.md", b"\x00\xff" * 40)
    assert "does not look like text" in source_error(MarkdownLoader(), path)


# --------------------------------------------------------------------------- issue 12

def test_html_definition_terms_are_headings_not_prose(tmp_path):
    """"Embedded devices and the internet of things Because an SQLite database..." must
    not happen: a term is a heading, its description the prose under it."""
    from plugins.sources.html import HtmlLoader

    page = tmp_path / "uses.html"
    page.write_text(
        "<html><body><h1>Appropriate Uses For SQLite</h1><ul>"
        "<li><b>Embedded devices and the internet of things</b>"
        "<p>Because an SQLite database requires no administration, it works well in "
        "devices that must operate without expert human support.</p></li></ul>"
        "<dl><dt>Data analysis</dt><dd>People who understand SQL can use the command-line "
        "shell to analyze large datasets.</dd></dl>"
        "<details><summary>Why not a server</summary><p>A server needs an administrator "
        "who watches over it.</p></details></body></html>")
    doc = HtmlLoader().load(page)
    headings = [s.heading for s in doc.sections]
    assert "Embedded devices and the internet of things" in headings
    assert "Data analysis" in headings and "Why not a server" in headings
    assert all(not p.startswith(("Embedded devices", "Data analysis", "Why not"))
               for p in doc.paragraphs())


def test_html_thousand_nested_divs_load(tmp_path):
    from plugins.sources.html import HtmlLoader

    page = tmp_path / "deep.html"
    page.write_text("<html><body>" + "<div>" * 1000 + "<p>Deep text here.</p>"
                    + "</div>" * 1000 + "</body></html>")
    assert HtmlLoader().load(page).paragraphs() == ["Deep text here."]


def test_markdown_inline_code_keeps_its_spaces(tmp_path):
    """"Files with an.mjs extension" must not happen, in the loader or the script."""
    from plugins.sources.markdown import MarkdownLoader
    from plugins.text.podcast_script import spoken
    from engine.sentences import compressions

    page = tmp_path / "modules.md"
    page.write_text("# Modules\n\nFiles with an `.mjs` extension (and `.js` files in a "
                    "module package) are loaded as ES modules, which means they can use "
                    "import. Node.js will interpret `.js` files within that package as "
                    "CommonJS.\n")
    paragraph = MarkdownLoader().load(page).paragraphs()[0]
    assert "Files with an .mjs extension" in paragraph
    assert "interpret .js files" in paragraph
    sentence = paragraph.split(". Node")[0] + "."
    assert all("an.mjs" not in c for c in compressions(sentence))
    assert "an .mjs" in spoken(sentence)[0]


def test_plain_text_essay_headings_become_chapters():
    """Short title-case lines without a final stop, between blank lines, are headings
    (even ending in a small word: "...When Streets Slow Down"), so a plain-text essay
    talks through as several podcast chapters, not one."""
    from plugins.sources.text import TextLoader
    from plugins.text.extractive import ExtractiveGenerator

    essay = Path(__file__).parent / "fixtures" / "slow-streets-essay.txt"
    doc = TextLoader().load(essay)
    assert doc.title == "The Case for Slow Streets"
    assert [s.heading for s in doc.sections if s.heading] == [
        "Why Speed Costs More Than It Saves", "What Changes When Streets Slow Down",
        "Where the Money Goes"]
    turns = ExtractiveGenerator().dialogue(doc, hosts=["Alex", "Sam"], words=450)
    assert len({chapter for _, _, chapter in turns if chapter}) == 3


def test_plain_text_lines_of_data_are_not_headings(tmp_path):
    from plugins.sources.text import TextLoader

    page = tmp_path / "table.txt"
    page.write_text("Lookup tables\n\nThe table maps each code to a length in bits.\n\n"
                    "A: 0\n\nThe next entries follow the same pattern for every code.\n")
    headings = [s.heading for s in TextLoader().load(page).sections]
    assert "A: 0" not in headings


def test_html_field_lists_stay_lines_and_role_main_is_the_article(tmp_path):
    """A ``<dl>`` of short values is metadata ("Release: 0.1"), not a heading that would
    swallow the prose after it; a documentation page's ``role="main"`` is the article."""
    from plugins.sources.html import HtmlLoader

    page = tmp_path / "howto.html"
    page.write_text(
        "<html><body><div role='navigation'><h3>Navigation</h3><p>index</p></div>"
        "<div role='main'><h1>Sorting HOW TO</h1>"
        "<dl class='field-list'><dt>Release:</dt><dd>0.1</dd></dl>"
        "<p>Python lists have a built-in sort method that modifies the list in place.</p>"
        "<h2>Key Functions</h2><p>A key function is called on each element first.</p>"
        "</div><div class='sphinxsidebar'><h3>Previous topic</h3><p>Logging.</p></div>"
        "</body></html>")
    doc = HtmlLoader().load(page)
    assert [s.heading for s in doc.sections] == [None, "Key Functions"]
    assert doc.sections[0].paragraphs == (
        "Release: 0.1",
        "Python lists have a built-in sort method that modifies the list in place.")


@pytest.mark.parametrize("tag", ["tt", "code", "kbd", "var", "samp", "big", "strike", "acronym"])
def test_html_inline_code_stays_in_its_paragraph(tmp_path, tag):
    """An inline element (``<tt>close()</tt>``, as SQLite's pages write it) is part of
    the sentence around it: its text kept, the paragraph whole."""
    path = write(tmp_path, "locks.html", (
        "<html><body><h1>Locks</h1><p>One particularly pernicious problem is that the "
        f"<{tag}>close()</{tag}> system call will cancel all POSIX advisory locks on the "
        "same file.</p><pre>int fd = open(path);</pre><p>Other threads keep running.</p>"
        "</body></html>"))
    paragraphs = HtmlLoader().load(path).sections[0].paragraphs
    assert paragraphs == ("One particularly pernicious problem is that the close() system "
                          "call will cancel all POSIX advisory locks on the same file.",
                          "Other threads keep running.")


def test_markdown_indented_code_opening_the_file_is_code(tmp_path):
    """A README that opens with an indented ASCII-art logo (underscore's): the logo is an
    indented code block, dropped like fenced code, never a paragraph of slashes."""
    logo = ["                  __", "     __  __    ___\\ \\", "    /\\ \\/\\ \\ /' _ `\\"]
    path = write(tmp_path, "readme.md", "\n".join(logo) + f"\n\n{PROSE}\n\n    x = 1\n")
    doc = MarkdownLoader().load(path)
    assert [p for s in doc.sections for p in s.paragraphs] == [PROSE]


def test_markdown_front_matter_only_at_the_start(tmp_path):
    """Text between two thematic breaks is prose, not front matter; real front matter
    still leaves an indented code block after it as code."""
    path = write(tmp_path, "rules.md", f"Intro line here.\n\n---\n\nMiddle: part.\n\n---\n\n{PROSE}\n")
    doc = MarkdownLoader().load(path)
    assert [p for s in doc.sections for p in s.paragraphs] == \
        ["Intro line here.", "Middle: part.", PROSE]
    path = write(tmp_path, "front.md", f"---\ntitle: Trees\n---\n    /\\_/\\ art\n\n{PROSE}\n")
    doc = MarkdownLoader().load(path)
    assert doc.title == "Trees" and [p for s in doc.sections for p in s.paragraphs] == [PROSE]


RST = """\
.. _porting:

Porting Guide
=============

:author: Brett Cannon

.. _short:

The Short Explanation
---------------------

To make your project compatible, the basic steps are:

#. Use Pylint_ to help (``python -m pip install pylint``)
#. Read `Porting to Python 3`_ and :ref:`the notes <tut-notes>` first
#. Open files with :func:`~io.open` [#]_, as :ref:`short` says, or :ref:`cporting`

Write the code like this::

    import io

.. _Pylint: https://example.org/pylint
.. _Porting to Python 3: https://example.org/book
.. [#] Since version 2.6.
"""


@pytest.mark.parametrize("name", ["porting.txt", "porting.rst"])
def test_restructured_text_markup_goes_words_stay(tmp_path, name):
    """A ``.txt`` written in reStructuredText (Sphinx's ``_sources``) or a ``.rst``: no
    "#." markers, no "Pylint_" or link targets, no literal block; each item a paragraph."""
    doc = TextLoader().load(write(tmp_path, name, RST))
    assert doc.title == "Porting Guide"
    assert doc.metadata == {"author": "Brett Cannon", "encoding": "utf-8"}
    assert [(s.heading, s.paragraphs) for s in doc.sections] == [("The Short Explanation", (
        "To make your project compatible, the basic steps are:",
        "Use Pylint to help (python -m pip install pylint)",
        "Read Porting to Python 3 and the notes first",
        "Open files with io.open, as The Short Explanation says, or cporting",
        "Write the code like this:"))]


def test_plain_text_with_one_underscore_word_is_not_restructured_text(tmp_path):
    """One sign of markup is not enough: an essay mentioning ``max_len_`` stays plain
    text, its lines read by the plain-text rules."""
    path = write(tmp_path, "essay.txt", "Field Notes\n\nThe max_len_ value is set. "
                 "#. is not a marker here.\n\n  Indented lines stay prose.\n")
    doc = TextLoader().load(path)
    assert doc.title == "Field Notes"
    assert doc.sections[0].paragraphs == ("The max_len_ value is set. #. is not a marker "
                                          "here.", "Indented lines stay prose.")


def test_restructured_text_nested_too_deep_for_docutils_loads_as_plain_text(tmp_path):
    items = "".join(" " * (2 * i) + f"- item {i}\n\n" for i in range(400))
    path = write(tmp_path, "deep.rst", f"Use ``x`` and Pylint_ here.\n\n{items}")
    doc = TextLoader().load(path)
    assert doc.sections[0].paragraphs[0] == "Use ``x`` and Pylint_ here."
    assert sum(len(s.paragraphs) for s in doc.sections) == 401


def test_list_after_a_lead_in_keeps_each_item(tmp_path):
    """httplib2's "The following three types ... are supported." and its list: every item
    stays, in order, its own paragraph right after the lead-in (Markdown, HTML, rST)."""
    lead = "The following three types of HTTP Authentication are supported."
    expected = (lead, "Digest", "Basic", "WSSE Token auth", "Caching is optional.")
    sources = {
        "auth.md": f"# Auth\n\n{lead}\n\n* Digest\n* Basic\n* WSSE Token auth\n\n"
                   "Caching is optional.\n",
        "auth.html": f"<h1>Auth</h1><p>{lead}</p><ul><li>Digest</li><li><p>Basic</p></li>"
                     "<li>WSSE Token auth</li></ul><p>Caching is optional.</p>",
        "auth.rst": f"Auth\n====\n\n{lead}\n\n#. Digest\n#. Basic\n#. WSSE Token auth\n\n"
                    "Caching is optional.\n",
    }
    for name, text in sources.items():
        loader = {".md": MarkdownLoader, ".html": HtmlLoader, ".rst": TextLoader}[Path(name).suffix]
        doc = loader().load(write(tmp_path, name, text))
        assert [p for s in doc.sections for p in s.paragraphs] == list(expected), name
