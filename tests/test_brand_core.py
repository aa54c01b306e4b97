"""The brand layer in the engine: loading, located errors, precedence, cache keys, manifest.

A one-file plugin gives a transform whose parameters a brand fills (``sign``) and a
``check_brand`` hook, so these tests exercise the engine alone; the built-in transforms'
use of brand fields is tested with them.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from engine.brand import load_brand
from engine.cli import create_cli
from engine.errors import RecipeError
from engine.plugins import PluginConfig

PLUGIN = '''
import engine
from pydantic import Field
from engine.artifacts import Text


class Sign(engine.Transform):
    """Sign a text with a line (the brand's call to action by default)."""

    name = "sign"
    consumes = ("document",)
    produces = "text"

    class Params(engine.Params):
        line: str = Field("-- plain", description="the line added")
        mark: str = Field("*", description="a mark before the line")

    @classmethod
    def brand_params(cls, brand):
        cta = brand.words.call_to_action
        return {"line": cta.text if cta else None, "mark": brand.tagline or None}

    def run(self, source, params, ctx):
        return Text(body=f"{source.title}\\n{params.mark} {params.line}")


@engine.hookimpl
def register_transforms(register):
    register(Sign)


@engine.hookimpl
def check_brand(brand):
    if brand.name == "Refused":
        return [("name", "this plugin refuses the name 'Refused'")]
    return []
'''


def _png(path, colour):
    """A real logo (the brands plugin checks that it decodes)."""
    from PIL import Image
    Image.new("RGBA", (32, 32), (*colour, 255)).save(path)


@pytest.fixture
def setup(tmp_path):
    plugins = tmp_path / "plugins_here"
    plugins.mkdir()
    (plugins / "sign.py").write_text(PLUGIN)
    (tmp_path / "art.md").write_text("# Trees\n\nStreet trees cool the city.\n")
    _png(tmp_path / "logo.png", (0, 128, 0))
    cli = create_cli(PluginConfig(load_entry_points=False, plugins_dirs=(str(plugins),)))

    def write_brand(body: str, name: str = "brand.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(body))
        return path

    def write_recipe(body: str):
        path = tmp_path / "recipe.yaml"
        path.write_text(textwrap.dedent(body))
        return path

    def run(*args):
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return tmp_path, write_brand, write_recipe, run


BRAND = """\
    name: Green City Press
    tagline: "~"
    look:
      logo: logo.png
    words:
      call_to_action: {text: Plant one tree this spring, link: "https://example.org"}
    """

RECIPE = """\
    name: signed
    steps:
      - id: signed
        use: sign
    """


def _body(out, step="signed"):
    return (out / "art" / f"{step}.md").read_text().strip()


def test_brand_fills_parameters_below_the_recipe(setup):
    tmp, write_brand, write_recipe, run = setup
    brand = write_brand(BRAND)
    recipe = write_recipe(RECIPE)
    result = run("run", recipe, tmp / "art.md", "-o", tmp / "out", "--brand", brand)
    assert result.exit_code == 0, result.output
    assert _body(tmp / "out").endswith("~ Plant one tree this spring")

    # the recipe's defaults win over the brand, the step's with: over both
    recipe = write_recipe("name: signed\ndefaults: {mark: D}\nsteps:\n"
                          "  - id: signed\n    use: sign\n    with: {line: step says}\n")
    result = run("run", recipe, tmp / "art.md", "-o", tmp / "out2", "--brand", brand)
    assert result.exit_code == 0, result.output
    assert _body(tmp / "out2").endswith("D step says")

    # without a brand, the transform's own defaults
    result = run("run", write_recipe(RECIPE), tmp / "art.md", "-o", tmp / "out3")
    assert _body(tmp / "out3").endswith("* -- plain")


def test_recipe_names_its_brand_relative_to_itself(setup):
    tmp, write_brand, write_recipe, run = setup
    (tmp / "kit").mkdir()
    _png(tmp / "kit" / "logo.png", (0, 128, 0))
    write_brand(BRAND, "kit/brand.yaml")
    recipe = write_recipe(RECIPE.replace("steps:", "brand: kit/brand.yaml\n    steps:"))
    result = run("run", recipe, tmp / "art.md", "-o", tmp / "out")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp / "out" / "art" / "manifest.json").read_text())
    assert manifest["brand"]["name"] == "Green City Press"
    assert manifest["brand"]["file"] == str((tmp / "kit" / "brand.yaml").resolve())
    assert len(manifest["brand"]["digest"]) == 64


def test_brand_files_are_in_the_cache_key(setup):
    tmp, write_brand, write_recipe, run = setup
    brand, recipe = write_brand(BRAND), write_recipe(RECIPE)
    out = tmp / "out"
    run("run", recipe, tmp / "art.md", "-o", out, "--brand", brand)
    key = json.loads((out / "art" / "manifest.json").read_text())["steps"][0]["cache_key"]
    run("run", recipe, tmp / "art.md", "-o", out, "--brand", brand, "--force")
    assert json.loads((out / "art" / "manifest.json").read_text())["steps"][0]["cache_key"] == key
    _png(tmp / "logo.png", (200, 0, 0))  # same path, new pixels
    run("run", recipe, tmp / "art.md", "-o", out, "--brand", brand)
    steps = json.loads((out / "art" / "manifest.json").read_text())["steps"]
    assert steps[0]["cache"] == "miss" and steps[0]["cache_key"] != key


@pytest.mark.parametrize("edit, location, words", [
    ("look:\n  logo: missing.png\n", "look.logo", "not found"),
    ("look:\n  logo: logo.gif\n", "look.logo", "not a png or svg"),
    ("look:\n  colors: {accent: blu}\n", "look.colors.accent", "#RRGGBB"),
    ("show:\n  base_url: example.com/feed\n", "show.base_url", "absolute http(s)"),
    ("words:\n  pronunciation: {SQLite: ''}\n", "words.pronunciation", "spoken form"),
    ("words:\n  hashtags: ['two words']\n", "words.hashtags", "one word"),
    ("sound:\n  narrator: hibari:nobody\n", "sound.narrator", "remixer voices"),
    ("colour: red\n", "colour", "Extra inputs"),
])
def test_bad_brand_is_one_located_line_before_any_work(setup, edit, location, words):
    tmp, write_brand, write_recipe, run = setup
    brand = write_brand("name: Green City Press\n" + edit)
    result = run("run", write_recipe(RECIPE), tmp / "art.md", "-o", tmp / "out",
                 "--brand", brand)
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert any(f"{location}:" in line and words in line for line in lines), result.output
    assert "Traceback" not in result.output
    assert not (tmp / "out").exists()


def test_check_brand_hook_reports_at_its_field(setup):
    tmp, write_brand, write_recipe, run = setup
    brand = write_brand("name: Refused\n")
    result = run("validate", write_recipe(RECIPE), "--brand", brand)
    assert result.exit_code != 0
    assert "name: this plugin refuses the name 'Refused'" in result.output


def test_paths_resolve_next_to_the_brand_file(tmp_path):
    (tmp_path / "kit").mkdir()
    _png(tmp_path / "kit" / "logo.png", (0, 128, 0))
    path = tmp_path / "kit" / "brand.yaml"
    path.write_text("name: X\nlook:\n  logo: logo.png\n")
    loaded = load_brand(path)
    assert loaded.brand.look.logo == str((tmp_path / "kit" / "logo.png").resolve())
    path.write_text("- a list\n")
    with pytest.raises(RecipeError, match="a brand is a mapping"):
        load_brand(path)
