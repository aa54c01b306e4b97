"""The README's promises: its plugin example runs, its commands match .ci/run."""

from __future__ import annotations

import re

from click.testing import CliRunner

from engine.cli import create_cli
from engine.plugins import PluginConfig

from .conftest import ROOT, SAMPLES

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_plugin_example_runs_from_a_recipe(tmp_path):
    block = README.split("<!-- plugin-example -->")[1].split("<!-- /plugin-example -->")[0]
    code = re.search(r"```python\n(.*?)```", block, re.S).group(1)
    plugins = tmp_path / "my_plugins"
    plugins.mkdir()
    (plugins / "reading_time.py").write_text(code)
    recipe = tmp_path / "my-recipe.yaml"
    recipe.write_text("name: mine\nsteps:\n  - id: time\n    use: reading-time\n"
                      "    with: {words_per_minute: 200}\n")
    cli = create_cli(PluginConfig(load_entry_points=False))
    result = CliRunner().invoke(cli, ["--plugins-dir", str(plugins), "run", str(recipe),
                                      str(SAMPLES / "article.md"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output + result.stderr
    body = (tmp_path / "out" / "article" / "time.md").read_text()
    assert re.fullmatch(r".+: \d+ min read\n", body)


def test_ci_runs_exactly_the_readme_test_command():
    commands = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text()
