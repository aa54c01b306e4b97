"""Shared fixtures: every test gets a fresh plugin manager, its own cache, no third-party plugins."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import create_cli
from engine.plugins import PluginConfig, build_registry

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
RECIPES = ROOT / "recipes"
FIXTURES = ROOT / "tests" / "fixtures"

#: the plugin configuration of tests: built-ins only, never installed third-party plugins
TEST_PLUGINS = PluginConfig(load_entry_points=False)


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No installed plugins, a private cache, no OpenAI key from the developer's shell."""
    monkeypatch.setenv("REMIXER_LOAD_PLUGINS", "")
    monkeypatch.setenv("REMIXER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
def registry():
    return build_registry(TEST_PLUGINS)


@pytest.fixture
def cli():
    return create_cli(TEST_PLUGINS)


@pytest.fixture
def invoke(cli):
    """Run the CLI in-process: ``invoke("run", recipe, src, "-o", out)``."""
    runner = CliRunner()

    def _invoke(*args: str, **kwargs):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False, **kwargs)

    return _invoke
