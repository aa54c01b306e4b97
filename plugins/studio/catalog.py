"""The recipes a studio offers and the parameter forms of their steps.

Forms are generated from the JSON Schema ``remixer schema`` prints
(:func:`engine.schema.recipe_json_schema`), so they offer exactly what validation
accepts. A form field's value starts as the recipe's own (``with``, ``matrix`` or
``defaults``), else the schema's default, written as YAML, the way ``--set`` reads it;
only fields a person changed become ``--set`` overrides, validated like the CLI's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.errors import Problem, RemixerError
from engine.plugins import Registry
from engine.recipe import read_recipe_file
from engine.schema import recipe_json_schema

BUILTIN_RECIPES = Path(__file__).resolve().parents[2] / "recipes"


@dataclass
class FormField:
    key: str              # STEP.PARAM
    name: str
    kind: str             # number, integer, boolean, choice, text
    value: str
    description: str = ""
    minimum: Any = None
    maximum: Any = None
    choices: list[str] = field(default_factory=list)


@dataclass
class StepForm:
    id: str
    use: str
    summary: str
    fields: list[FormField]


@dataclass
class RecipeEntry:
    id: str               # what the API and the form call it: the file's stem
    name: str
    description: str
    path: Path
    origin: str           # "built-in" or "folder"
    steps: list[StepForm]


def yaml_text(value: Any) -> str:
    """A value as ``--set`` would take it: ``150``, ``true``, ``[50, 150]``, ``hibari:heart``."""
    if isinstance(value, str):
        return value
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text.removesuffix("...").strip()


def _field(step: dict[str, Any], defaults: dict[str, Any], name: str, prop: dict[str, Any]) -> FormField:
    kind = prop.get("type", "text")
    if "enum" in prop:
        kind = "choice"
    elif kind not in ("number", "integer", "boolean"):
        kind = "text"
    with_ = step.get("with") or {}
    matrix = step.get("matrix") or {}
    if name in matrix:
        value = matrix[name]
    elif name in with_:
        value = with_[name]
    elif name in defaults:
        value = defaults[name]
    else:
        value = prop.get("default", "")
    return FormField(key=f"{step['id']}.{name}", name=name, kind=kind,
                  value="" if value is None else yaml_text(value),
                  description=prop.get("description", ""), minimum=prop.get("minimum"),
                  maximum=prop.get("maximum"), choices=[str(c) for c in prop.get("enum", [])])


class Catalog:
    def __init__(self, registry: Registry, folder: Path | None = None):
        self.registry = registry
        self.folders = [(BUILTIN_RECIPES, "built-in")]
        if folder is not None:
            self.folders.insert(0, (Path(folder), "folder"))
        self._stamp: tuple = ()
        self._entries: list[RecipeEntry] = []
        schema = recipe_json_schema(registry)
        self.step_schemas = {s["properties"]["use"]["const"]: s
                             for s in schema["properties"]["steps"]["items"]["oneOf"]}

    def entries(self) -> list[RecipeEntry]:
        """Every offered recipe; files are read again only when one changed."""
        files = [(path, origin) for folder, origin in self.folders if folder.is_dir()
                 for path in sorted(folder.glob("*.y*ml"))]
        stamp = tuple((str(path), path.stat().st_mtime_ns) for path, _ in files)
        if stamp != self._stamp:
            seen: dict[str, RecipeEntry] = {}
            for path, origin in files:
                if path.stem not in seen:
                    try:
                        seen[path.stem] = self._entry(path, origin)
                    except RemixerError:
                        continue  # a broken file is for `remixer validate`, not the menu
            self._entries = sorted(seen.values(), key=lambda e: (e.origin != "folder", e.id))
            self._stamp = stamp
        return self._entries

    def get(self, recipe_id: str) -> RecipeEntry:
        if re.fullmatch(r"[A-Za-z0-9_.-]+", recipe_id or ""):
            for entry in self.entries():
                if entry.id == recipe_id:
                    return entry
        names = ", ".join(e.id for e in self.entries())
        raise RemixerError(f"no recipe {recipe_id!r}", hint=f"recipes: {names}")

    def _entry(self, path: Path, origin: str) -> RecipeEntry:
        raw = read_recipe_file(path)
        defaults = raw.get("defaults") if isinstance(raw.get("defaults"), dict) else {}
        steps = []
        for step in raw.get("steps") or []:
            if not isinstance(step, dict) or step.get("use") not in self.step_schemas:
                continue
            schema = self.step_schemas[step["use"]]
            props = schema["properties"]["with"].get("properties", {})
            fields = [_field(step, defaults, name, prop) for name, prop in props.items()
                      if prop.get("type") != "object" and "$ref" not in prop]
            steps.append(StepForm(id=str(step.get("id")), use=step["use"],
                                  summary=schema.get("description", ""), fields=fields))
        return RecipeEntry(id=path.stem, name=str(raw.get("name", path.stem)),
                           description=str(raw.get("description", "")), path=path,
                           origin=origin, steps=steps)


def overrides_from_form(entry: RecipeEntry, form: dict[str, str]) -> list[str]:
    """``--set`` strings for the fields whose submitted value differs from the recipe's."""
    changed = []
    for step in entry.steps:
        for f in step.fields:
            submitted = form.get(f"p:{entry.id}:{f.key}")
            if submitted is not None and submitted.strip() != f.value.strip():
                changed.append(f"{f.key}={submitted.strip()}")
    return changed


def problems_by_field(problems: list[Problem], entry: RecipeEntry) -> dict[str, list[str]]:
    """Validation problems attached to the form field each is about (``""`` for the rest)."""
    raw_ids = [s.get("id") for s in read_recipe_file(entry.path).get("steps") or []]
    placed: dict[str, list[str]] = {}
    for p in problems:
        key = ""
        if m := re.match(r"^steps\[(\d+)\]\.(?:with|matrix)\.([a-z_0-9]+)", p.location):
            index = int(m[1])
            key = f"{raw_ids[index]}.{m[2]}" if index < len(raw_ids) else ""
        elif m := re.match(r"^--set ([^=]+)=", p.location):
            key = m[1]
        placed.setdefault(key, []).append(str(p))
    return placed
