"""The CLI through CliRunner, and start-up cost through a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import RECIPES, ROOT

ARTICLE = RECIPES / "article-text.yaml"


def test_validate_lists_outputs(invoke):
    result = invoke("validate", ARTICLE)
    assert result.exit_code == 0
    assert "is valid" in result.output and "summary-400" in result.output


def test_invalid_recipe_lists_every_problem_without_traceback(invoke, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nsteps:\n  - id: a\n    use: sumary\n"
                   "  - id: b\n    use: summary\n    with: {words: 2}\n")
    result = invoke("validate", bad)
    assert result.exit_code == 2
    assert "steps[0].use: unknown transform 'sumary' (did you mean 'summary'?)" in result.stderr
    assert "steps[1].with.words" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_recipe_is_one_line(invoke, tmp_path):
    result = invoke("run", tmp_path / "nope.yaml", "x.md")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "not found" in result.stderr


def test_debug_shows_the_traceback(invoke, tmp_path):
    result = invoke("--debug", "run", tmp_path / "nope.yaml", "x.md")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr


def test_schema_includes_every_transform_parameter(invoke):
    result = invoke("schema")
    schema = json.loads(result.output)
    steps = schema["properties"]["steps"]["items"]["oneOf"]
    by_use = {s["properties"]["use"]["const"]: s for s in steps}
    words = by_use["summary"]["properties"]["with"]["properties"]["words"]
    assert words["minimum"] == 10 and "target length" in words["description"]
    assert by_use["summary"]["additionalProperties"] is False


def test_schema_validates_the_shipped_recipe(invoke):
    import jsonschema
    import yaml

    schema = json.loads(invoke("schema").output)
    jsonschema.validate(yaml.safe_load(ARTICLE.read_text()), schema)


def test_plugins_lists_builtins_with_their_sources(invoke):
    result = invoke("plugins", "--json")
    listing = json.loads(result.output)
    transforms = {t["name"]: t for t in listing["transforms"]}
    assert transforms["summary"]["plugin"] == "plugins.text.outputs"
    assert "document" in transforms["summary"]["consumes"]
    assert {g["name"] for g in listing["text generators"]} >= {"extractive"}
    assert ".md" in {e for loader in listing["source loaders"] for e in loader["extensions"]}
    assert "summary" in invoke("plugins").output


def test_new_writes_a_valid_recipe_with_every_parameter(invoke, tmp_path):
    path = tmp_path / "my recipe.yaml"
    result = invoke("new", path, "--use", "summary", "--use", "social-post")
    assert result.exit_code == 0, result.stderr
    text = path.read_text()
    # optional parameters are shown but commented out, so they override no brand or default
    assert "# words: 150" in text and "# max_chars: 280" in text and "# target length" in text
    assert invoke("validate", path).exit_code == 0
    uncommented = text.replace("# words: 150", "words: 80")
    path.write_text(uncommented)
    assert invoke("validate", path).exit_code == 0
    assert invoke("new", path).exit_code == 2  # refuses to overwrite


def test_cache_info_and_clear(invoke, tmp_path):
    out = tmp_path / "out"
    cache = tmp_path / "c"
    src = ROOT / "samples" / "article.md"
    invoke("run", ARTICLE, src, "-o", out, "--cache-dir", cache, "--only", "tldr")
    info = invoke("cache", "info", "--cache-dir", cache).output
    assert "steps: 2" in info  # the loaded source and the tldr step
    assert invoke("cache", "clear", "--cache-dir", cache, "--yes").exit_code == 0
    assert "steps: 0" in invoke("cache", "info", "--cache-dir", cache).output


def test_help_is_fast_and_imports_nothing_heavy():
    code = ("import sys; from engine.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = {'numpy', 'onnxruntime', 'ctranslate2', 'faster_whisper', 'torch', "
            "'distributed', 'dask', 'openai', 'cv2', 'fastapi', 'uvicorn', 'starlette', "
            "'jinja2'} & set(sys.modules)\n"
            "print('HEAVY', sorted(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert "Usage: remixer" in done.stdout
    assert "HEAVY []" in done.stdout, done.stdout
