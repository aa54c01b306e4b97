"""The layering docs/architecture.md describes: lower modules never import higher ones.

Every import counts, including those deferred inside functions and those made only for
type checking, since each is a dependency a reader has to follow.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: engine modules by level, as the table in docs/architecture.md lists them
ENGINE_LEVELS = {
    0: {"names", "errors", "atomic", "sentences", "hookspecs", "languages", "safe_yaml"},
    1: {"artifacts", "media"},
    2: {"cache", "transform", "sources", "textgen", "transcribers", "voices", "stock", "brand",
        "translators"},
    3: {"plugins"},
    4: {"graph", "recipe", "schema"},
    5: {"runner", "executors", "report", "batch_index", "batch", "progress"},
    6: {"commands", "cli", "__main__"},
}
FAMILIES = ["brands", "sources", "text", "speech", "translation", "audio", "video", "studio"]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in ("engine", "plugins"):
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _engine_level(module: str) -> int | None:
    name = module.split(".")[1] if module.count(".") else ""
    return next((level for level, names in ENGINE_LEVELS.items() if name in names), None)


def test_every_engine_module_has_a_level():
    modules = {p.stem for p in (ROOT / "engine").glob("*.py")} - {"__init__"}
    placed = set().union(*ENGINE_LEVELS.values())
    assert modules == placed, f"unplaced: {modules - placed}, gone: {placed - modules}"


def test_engine_imports_only_downwards_and_never_plugins():
    wrong = []
    graph: dict[str, set[str]] = {}
    for path in (ROOT / "engine").glob("*.py"):
        if path.stem == "__init__":
            continue
        me = f"engine.{path.stem}"
        deps = {d for d in _imports(path) if d.split(".")[0] in ("engine", "plugins")}
        graph[me] = {d for d in deps if d.startswith("engine.") and _engine_level(d) is not None}
        for dep in deps:
            if dep.startswith("plugins"):
                wrong.append(f"{me} imports {dep}")
            elif (level := _engine_level(dep)) is not None and level > _engine_level(me):
                wrong.append(f"{me} (level {_engine_level(me)}) imports {dep} (level {level})")
    assert not wrong, "\n".join(wrong)
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError on an import circle


def test_plugin_families_import_only_lower_families():
    wrong = []
    for path in (ROOT / "plugins").rglob("*.py"):
        parts = path.relative_to(ROOT / "plugins").parts
        if len(parts) < 2:
            continue
        family = parts[0]
        assert family in FAMILIES, f"{path}: plugins/{family} is not a known family"
        for dep in _imports(path):
            dep_parts = dep.split(".")
            if dep_parts[0] == "plugins" and len(dep_parts) > 1 and dep_parts[1] in FAMILIES:
                if FAMILIES.index(dep_parts[1]) > FAMILIES.index(family):
                    wrong.append(f"{path.relative_to(ROOT)} imports {dep}")
    assert not wrong, "\n".join(wrong)


def test_every_transform_module_lives_in_a_family_package():
    loose = [p.name for p in (ROOT / "plugins").glob("*.py") if p.name != "__init__.py"]
    assert not loose, f"modules outside a family package: {loose}"
