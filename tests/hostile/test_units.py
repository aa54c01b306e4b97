"""The hardening pieces on their own: the YAML budget, the slug rule, the breaker's test of
what retrying cannot fix, the display helpers."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from engine.errors import LimitError, printable, short_repr
from engine.safe_yaml import YamlLimits, parse_yaml
from engine.runner import assign_slugs
from plugins.text.llm_client import hopeless


@pytest.mark.hostile("yaml")
def test_ordinary_aliases_are_fine_and_counted_expanded():
    limits = YamlLimits(nodes=13)
    assert parse_yaml("a: &a [1, 2]\nb: [*a, *a]\n", "r", limits) == \
        {"a": [1, 2], "b": [[1, 2], [1, 2]]}
    # 1 mapping + keys a, b + [1, 2] (3) + [*a, *a] (1 + 3 + 3) = 13 values; c: 1 adds 2
    with pytest.raises(LimitError, match="REMIXER_MAX_YAML_NODES"):
        parse_yaml("a: &a [1, 2]\nb: [*a, *a]\nc: 1\n", "r", limits)


@pytest.mark.hostile("yaml")
def test_depth_counts_through_aliases():
    limits = YamlLimits(depth=4)
    assert parse_yaml("a: &a [[1]]\n", "r", limits)
    with pytest.raises(LimitError, match="REMIXER_MAX_YAML_DEPTH"):
        parse_yaml("a: &a [[1]]\nb: [[*a]]\n", "r", limits)


@pytest.mark.hostile("yaml")
def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("REMIXER_MAX_YAML_BYTES", "10")
    with pytest.raises(LimitError, match="over the YAML size limit of 10 bytes"):
        parse_yaml("name: longer than ten\n", "r")


@pytest.mark.hostile("yaml")
def test_a_bomb_is_refused_in_milliseconds():
    levels = ["b0: &b0 [" + ", ".join(["x"] * 9) + "]"] + [
        f"b{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * 9) + "]" for i in range(1, 12)]
    started = time.perf_counter()
    with pytest.raises(LimitError):
        parse_yaml("\n".join(levels), "r")
    assert time.perf_counter() - started < 1.0


@pytest.mark.hostile("yaml")
def test_voice_profiles_are_read_through_the_bounded_reader(tmp_path):
    from plugins.speech.cloning.profiles import PROFILE_FILE, load_profile

    folder = tmp_path / "me"
    folder.mkdir()
    levels = ["b0: &b0 [" + ", ".join(["x"] * 9) + "]"] + [
        f"b{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * 9) + "]" for i in range(1, 9)]
    (folder / PROFILE_FILE).write_text("\n".join(levels) + "\n")
    with pytest.raises(LimitError, match="profile.yaml: the YAML expands to more values"):
        load_profile(folder)


@pytest.mark.hostile("slugs")
def test_the_slug_rule():
    paths = [Path(p) for p in ("a/x.md", "b/x.md", "a-x.md", "a-x-2.md", "A.md", "a.md",
                               "c/My Talk.md")]
    assert assign_slugs(paths) == ["a-x", "b-x", "a-x-3", "a-x-2", "a", "a-2", "my-talk"]
    # the batch's own folders (.remixer, _report) cannot be a slug: no name is reserved
    assert assign_slugs([Path("report.md"), Path("_report.md")]) == ["report", "report-2"]


@pytest.mark.hostile("slugs")
def test_slugs_are_unique_and_linear_for_many_clashes():
    """Ten times the names costs about ten times the time (quadratic would be a hundred)."""
    def timed(count: int) -> float:
        paths = [Path(f"d{i % 7}/same-{i % 5}.md") for i in range(count)]
        started = time.perf_counter()
        slugs = assign_slugs(paths)
        elapsed = time.perf_counter() - started
        assert len(set(slugs)) == len(slugs)
        return elapsed

    small = min(timed(5_000) for _ in range(3))
    large = min(timed(50_000) for _ in range(3))
    assert large / small < 25


@pytest.mark.hostile("dead endpoint")
def test_what_retrying_cannot_fix():
    try:
        raise RuntimeError("wrapper") from ConnectionRefusedError(111, "refused")
    except RuntimeError as exc:
        assert hopeless(exc) == "connection refused"
    try:
        raise RuntimeError("wrapper") from socket.gaierror(-2, "Name or service not known")
    except RuntimeError as exc:
        assert hopeless(exc) == "the host name does not resolve"
    assert hopeless(TimeoutError("slow")) is None


@pytest.mark.hostile("control characters")
def test_printable_and_short_repr():
    assert printable("a\x1b[31mb\x07\n\x9b") == "a\\x1b[31mb\\x07\\x0a\\x9b"
    assert printable("ümlaut [b]ok[/b]") == "ümlaut [b]ok[/b]"
    huge = {"k": ["x" * 10_000] * 10_000}
    assert len(short_repr(huge)) <= 80


@pytest.mark.hostile("argv")
@pytest.mark.parametrize("argv,dirs,debug", [
    (["--plugins-dir", "d", "plugins"], ("d",), False),
    (["--plugins-dir=d", "--debug", "run", "r"], ("d",), True),
    (["run", "r", "-o", "out", "--", "--plugins-dir=payload", "--debug"], (), False),
    (["run", "--plugins-dir", "x", "r", "src"], (), False),
    (["--version"], (), False),
])
def test_group_options_are_read_only_before_the_subcommand(argv, dirs, debug):
    from engine.cli import _group_options

    assert _group_options(argv) == (dirs, debug)


@pytest.mark.hostile("argv")
def test_plugins_dir_before_the_subcommand_still_loads_plugins(tmp_path):
    from tests.hostile.harness import child_env, hostile_workspace, pwned, run_engine

    ws = hostile_workspace(tmp_path / "ws")
    run = run_engine(["--plugins-dir", "payload", "plugins"], ws, env=child_env(ws / "home"),
                     timeout=60)
    assert run.returncode == 0, run.output
    assert pwned(ws) == ["PWNED-payload"]  # the payload folder is loaded when asked for
