"""The brands plugin: `remixer brand init` and `brand check`, the check_brand hook's
findings (fonts, logo, artwork) and the engine's (files, colours, voices, lexicon, URL),
each one located line."""

from __future__ import annotations

import re
import textwrap

import pytest
from PIL import Image

from engine.brand import Brand, load_brand
from plugins.brands.template import brand_template

from .conftest import SAMPLES

BRAND = SAMPLES / "brand" / "brand.yaml"


def test_brand_init_writes_a_commented_brand_that_validates(invoke, tmp_path):
    path = tmp_path / "kit" / "brand.yaml"
    path.parent.mkdir()
    result = invoke("brand", "init", path)
    assert result.exit_code == 0, result.output
    assert load_brand(path).brand.name == "My Brand"
    assert invoke("brand", "check", path).exit_code == 0
    again = invoke("brand", "init", path)
    assert again.exit_code == 2 and "exists" in again.output


def _fields(model, prefix=""):
    from plugins.brands.template import _model_of
    for name, field in model.model_fields.items():
        nested = _model_of(field.annotation)
        yield prefix + name
        if nested is not None:
            yield from _fields(nested, f"{prefix}{name}.")


def test_the_template_describes_every_field_and_its_examples_are_valid(tmp_path):
    text = brand_template()
    keys = {re.sub(r"^#\s*", "", line.strip()).split(":")[0] for line in text.splitlines()}
    top = {path.split(".")[-1] for path in _fields(Brand)
           if path.count(".") <= 2 and not path.startswith(("sound.hosts.",
                                                            "words.call_to_action."))}
    assert top <= keys, top - keys
    for path in _fields(Brand):
        if path.startswith(("sound.hosts.", "words.call_to_action.")):
            continue
        description = _description(path)
        assert description and f"# {description}" in text, path
    # uncomment every example: the values are valid, only the example files are missing
    names = {p.split(".")[-1] for p in _fields(Brand)}
    lines = [re.sub(r"^(\s*)# (?=(\w+):( |$))",
                    lambda m: m.group(1) if m.group(2) in names else m.group(0), line)
             for line in text.splitlines()]
    (tmp_path / "all.yaml").write_text("\n".join(lines))
    with pytest.raises(Exception) as info:
        load_brand(tmp_path / "all.yaml")
    problems = info.value.problems
    assert problems and all("not found" in p.message for p in problems), problems


def _description(path: str) -> str:
    model = Brand
    from plugins.brands.template import _model_of
    *parents, leaf = path.split(".")
    for name in parents:
        model = _model_of(model.model_fields[name].annotation)
    return model.model_fields[leaf].description


def test_brand_schema_describes_every_section(invoke):
    import json
    result = invoke("brand", "schema")
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema["title"] == "remixer brand" and schema["required"] == ["name"]
    assert set(schema["properties"]) == set(Brand.model_fields)
    assert schema["$defs"]["Show"]["properties"]["base_url"]["description"]


def test_brand_check_of_the_sample_says_what_it_sets(invoke):
    result = invoke("brand", "check", BRAND)
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert line.startswith(f"{BRAND} is a valid brand: Green City Press, logo, 5 colours")
    assert "feed at https://example.org/podcast/" in line
    assert re.search(r"fills parameters of .*podcast-script.*social-post.*translate", line)


def _svg(path, body):
    path.write_text(body)
    return path.name


@pytest.mark.parametrize("case, body, where, says", [
    ("missing logo", "look: {logo: gone.png}", "look.logo", "not found"),
    ("unrasterisable SVG", "look: {logo: broken.svg}", "look.logo", "does not render"),
    ("unknown colour", "look: {colors: {accent: teal}}", "look.colors.accent",
     "unknown colour 'teal'"),
    ("voice not installed", "sound: {hosts: [{name: A, voice: 'hibari:nobody'}, {name: B}]}",
     "sound.hosts[0].voice", "has no voice 'nobody'"),
    ("bad lexicon entry", "words: {pronunciation: {SQLite: ''}}", "words.pronunciation",
     "has no spoken form"),
    ("relative base_url", "show: {base_url: example.org/podcast}", "show.base_url",
     "not an absolute http(s) address"),
    ("unreadable font", "look: {fonts: {heading: broken.ttf}}", "look.fonts.heading",
     "does not load"),
    ("small artwork", "show: {artwork: small.png}", "show.artwork", "1400 to 3000 pixels"),
    ("oblong artwork", "show: {artwork: oblong.png}", "show.artwork", "square"),
])
def test_brand_check_prints_one_located_line_per_problem(invoke, tmp_path, case, body, where,
                                                          says):
    (tmp_path / "broken.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'><g>")
    (tmp_path / "broken.ttf").write_bytes(b"not a font at all")
    Image.new("RGB", (600, 600), "green").save(tmp_path / "small.png")
    Image.new("RGB", (1600, 1400), "green").save(tmp_path / "oblong.png")
    path = tmp_path / "brand.yaml"
    path.write_text(textwrap.dedent(f"name: Broken\n{body}\n"))
    result = invoke("brand", "check", path)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == f"Error: {path} is invalid:"
    assert len(lines) == 2, result.output
    assert lines[1].startswith(f"  - {where}: ") and says in lines[1], lines[1]
    assert "Traceback" not in result.output


def test_a_bad_brand_stops_a_run_before_any_work(invoke, tmp_path):
    path = tmp_path / "brand.yaml"
    path.write_text("name: Broken\nlook: {logo: gone.svg}\n")
    (tmp_path / "a.md").write_text("# A\n\nSome text here for a summary.\n")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: r\nsteps:\n  - {id: s, use: summary}\n")
    result = invoke("run", recipe, tmp_path / "a.md", "-o", tmp_path / "out", "--brand", path)
    assert result.exit_code == 2 and "look.logo" in result.output
    assert not (tmp_path / "out").exists()
