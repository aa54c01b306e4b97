"""Plugin loading: built-ins, entry points, plugin folders, allowlist, clashes."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from engine.cli import create_cli
from engine.errors import PluginError
from engine.plugins import DEFAULT_PLUGINS, PluginConfig, build_registry

from .conftest import FIXTURES, SAMPLES

WORDCOUNT = FIXTURES / "remixer-wordcount"


@pytest.fixture
def installed_wordcount(tmp_path, monkeypatch):
    """Install the fixture package's entry point the way pip would (a dist-info on sys.path)."""
    site = tmp_path / "site"
    dist = site / "remixer_wordcount-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: remixer-wordcount\n"
                                   "Version: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[remixer]\nwordcount = remixer_wordcount\n")
    monkeypatch.syspath_prepend(str(WORDCOUNT))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("REMIXER_LOAD_PLUGINS", "wordcount")


def test_builtins_are_registered_like_plugins(registry):
    names = {registry.pm.get_name(p) for p in registry.pm.get_plugins()}
    assert set(DEFAULT_PLUGINS) <= names
    assert {"summary", "key-points", "social-post"} <= set(registry.transforms.names())
    assert registry.transforms.entries["summary"].plugin == "plugins.text.outputs"


def test_third_party_package_runs_from_a_recipe(installed_wordcount, tmp_path):
    recipe = tmp_path / "count.yaml"
    recipe.write_text("name: count\nsteps:\n  - id: count\n    use: word-count\n"
                      "    with: {label: words in total}\n")
    cli = create_cli(PluginConfig())
    result = CliRunner().invoke(cli, ["run", str(recipe), str(SAMPLES / "article.md"),
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output + result.stderr
    body = (tmp_path / "out" / "article" / "count.md").read_text()
    count, unit = body.split(" ", 1)
    assert int(count) > 500 and unit.strip() == "words in total"
    listing = CliRunner().invoke(cli, ["plugins"]).output
    assert "word-count" in listing and "[wordcount]" in listing


def test_allowlist_keeps_other_entry_points_out(installed_wordcount, monkeypatch):
    monkeypatch.setenv("REMIXER_LOAD_PLUGINS", "")
    assert "word-count" not in build_registry(PluginConfig()).transforms
    monkeypatch.setenv("REMIXER_LOAD_PLUGINS", "wordcount,other")
    assert "word-count" in build_registry(PluginConfig()).transforms


def write_plugin(folder, name, body):
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(body))
    return folder


def test_plugins_dir_loads_one_file_plugins(tmp_path):
    registry = build_registry(PluginConfig(load_entry_points=False,
                                           plugins_dirs=(str(FIXTURES / "local_plugins"),)))
    assert {"shout", "listen"} <= set(registry.transforms.names())


def test_name_clash_is_a_startup_error_naming_both(tmp_path):
    folder = write_plugin(tmp_path / "p", "clash", """
        import engine
        from plugins.text.outputs import Summary

        class MySummary(Summary):
            pass

        @engine.hookimpl
        def register_transforms(register):
            register(MySummary)
        """)
    with pytest.raises(PluginError) as info:
        build_registry(PluginConfig(load_entry_points=False, plugins_dirs=(str(folder),)))
    message = str(info.value)
    assert "'summary' is registered by both plugins.text.outputs and" in message
    assert "clash.py" in message


def test_misspelt_hook_fails_loudly(tmp_path):
    folder = write_plugin(tmp_path / "p", "typo", """
        import engine

        @engine.hookimpl
        def register_transfroms(register):
            pass
        """)
    with pytest.raises(PluginError, match="register_transfroms"):
        build_registry(PluginConfig(load_entry_points=False, plugins_dirs=(str(folder),)))


def test_plugin_that_fails_to_import_names_the_file(tmp_path):
    folder = write_plugin(tmp_path / "p", "broken", "import not_a_module_anywhere\n")
    with pytest.raises(PluginError, match="broken.py failed to import"):
        build_registry(PluginConfig(load_entry_points=False, plugins_dirs=(str(folder),)))


def test_cli_reports_plugin_errors_in_one_line(tmp_path):
    folder = write_plugin(tmp_path / "p", "broken", "raise RuntimeError('boom')\n")
    cli = create_cli(PluginConfig(load_entry_points=False))
    result = CliRunner().invoke(cli, ["--plugins-dir", str(folder), "plugins"])
    assert result.exit_code == 2
    assert "broken.py failed to import: boom" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_plugins_dir(tmp_path):
    with pytest.raises(PluginError, match="does not exist"):
        build_registry(PluginConfig(load_entry_points=False,
                                    plugins_dirs=(str(tmp_path / "nope"),)))
