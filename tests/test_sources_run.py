"""`remixer run` over every publisher format at once, and the source expander hook."""

from __future__ import annotations

import json
import textwrap

from engine.plugins import PluginConfig, build_registry
from tests.conftest import RECIPES
from tests.document_helpers import make_docx, make_epub, make_pdf, make_pptx
from tests.test_documents import BLOCKS
from tests.test_web import ARTICLE
from tests.web_server import Route, Server


def test_every_format_in_one_batch(invoke, tmp_path):
    """The issue's command: report.pdf draft.docx book.epub deck.pptx URL -o out."""
    pdf = make_pdf(tmp_path / "report.pdf", BLOCKS, title="Roots Under the Pavement",
                   author="Maren Ostby", header="City Journal")
    docx = make_docx(tmp_path / "draft.docx", BLOCKS, title="Roots draft", author="Ana")
    epub = make_epub(tmp_path / "book.epub", [
        ("Chapter One", ["It was spring when the river rose over the old banks again.",
                         "Nobody in the village had expected the water so early."]),
        ("Chapter Two", ["Summer came early and dried the fields.", "The banks held."])],
        title="River Book", author="Kim Berg")
    pptx = make_pptx(tmp_path / "deck.pptx", [
        {"title": "Why trees", "bullets": ["Shade cools streets by several degrees.",
                                           "Roots need loose soil to spread."],
         "notes": "Mention the survey.", "image": True}], title="Tree deck")
    broken = tmp_path / "broken.docx"
    broken.write_bytes(docx.read_bytes()[:500])
    out = tmp_path / "out"
    with Server({"/trees": Route(ARTICLE)}) as server:
        result = invoke("run", RECIPES / "article-text.yaml", pdf, docx, epub, pptx, broken,
                        f"{server.url}/trees", "-o", out)
    assert result.exit_code == 1, result.output   # the broken file only
    assert "failed: broken.docx: broken.docx is not a readable Word document" in result.output
    for slug, loader in (("report", "pdf"), ("draft", "docx"), ("book", "epub"),
                         ("deck", "pptx"), ("trees", "webpage")):
        manifest = json.loads((out / slug / "manifest.json").read_text())
        assert manifest["status"] == "ok", (slug, manifest["error"])
        assert manifest["source"]["loader"] == loader
        assert (out / slug / "summary-50.md").read_text().strip()
    assert json.loads((out / "trees" / "manifest.json").read_text())["source"]["origin"] == \
        f"{server.url}/trees"


PLUGIN = '''
import engine
from engine.sources import ExpandedSource


class NotesExpander(engine.SourceExpander):
    """notes:NAME sources, written as Markdown into the download cache."""

    name = "notes"

    def claims(self, spec):
        return spec.startswith("notes:")

    def expand(self, spec, settings):
        name = spec.split(":", 1)[1]
        if name == "missing":
            return [ExpandedSource(path=None, origin=spec, name=name,
                                   error="notes:missing does not exist")]
        folder = settings.cache_dir / "downloads" / "notes"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.md"
        path.write_text("# " + name + "\\n\\nTrees shade the street. Roots need soil.\\n")
        return [ExpandedSource(path=path, origin=spec, metadata=(("author", "Notes bot"),))]


@engine.hookimpl
def register_source_expanders(register):
    register(NotesExpander)
'''


def test_plugin_source_expander(tmp_path, invoke):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "notes.py").write_text(textwrap.dedent(PLUGIN))
    registry = build_registry(PluginConfig(load_entry_points=False, plugins_dirs=(str(folder),)))
    assert registry.expanders.entries["notes"].plugin.endswith("notes.py")
    assert registry.expander_for("notes:x") is not None and registry.expander_for("x.md") is None
    from click.testing import CliRunner

    from engine.cli import create_cli

    cli = create_cli(PluginConfig(load_entry_points=False))
    result = CliRunner().invoke(cli, ["--plugins-dir", str(folder), "run",
                                      str(RECIPES / "article-text.yaml"), "notes:trees",
                                      "notes:missing", "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    manifest = json.loads((tmp_path / "out" / "trees" / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["source"]["origin"] == "notes:trees"
    from engine.cache import Cache

    loaded = Cache(tmp_path / "cache").get(manifest["source"]["load_key"]).artifact
    assert loaded.title == "trees" and loaded.metadata["author"] == "Notes bot"  # origin's
    missing = json.loads((tmp_path / "out" / "missing" / "manifest.json").read_text())
    assert missing["error"] == "notes:missing does not exist"
