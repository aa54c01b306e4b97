"""Recipes: YAML files that say which transforms to run on every source, and how.

Validation is complete before any work starts and reports every problem at once, each at
its place (``steps[3].with.voice``) with the fix. The checks, in order: YAML syntax and
duplicate keys; unknown top-level and step keys; duplicate step ids; unknown transforms;
parameters (types, ranges, unknown names, registry names such as generators); matrix
keys and values; references to missing steps; cycles; artifact kinds between steps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import product
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from engine.brand import LoadedBrand, brand_problems, load_brand
from engine.errors import (LimitError, Problem, RecipeError, RemixerError, clip,
                           short_repr)
from engine.graph import SOURCE, Node, check_graph, expand_nodes, slug_value
from engine.names import did_you_mean, split_spec
from engine.plugins import Registry
from engine.safe_yaml import parse_yaml, read_yaml_file

STEP_ID = r"^[a-z0-9][a-z0-9_-]*$"
#: step ids that would write over remixer's own files in OUT/<source>/ (manifest.json)
#: or read as the batch's (index.html)
RESERVED_STEP_IDS = frozenset({"manifest", "index"})
#: outputs per source a recipe may make unless --max-outputs raises it
MAX_OUTPUTS = 1000


class StepSpec(BaseModel):
    """One step as written in a recipe."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=STEP_ID, description="unique step name; names the output files")
    use: str = Field(description="the transform to run (see `remixer plugins`)")
    from_: str = Field(SOURCE, alias="from",
                       description="input: `source` (the loaded file) or another step's id")
    with_: dict[str, Any] = Field(default_factory=dict, alias="with",
                                  description="the transform's parameters")
    matrix: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="fan the step out over values: one output per combination")
    output: bool = Field(True, description="write this step's result to the output folder")
    description: str = Field("", description="a note for readers of the recipe")

    @field_validator("with_", mode="before")
    @classmethod
    def _empty_with(cls, value: Any) -> Any:
        """``with:`` left empty (its lines commented out) means no parameters."""
        return {} if value is None else value


class RecipeSpec(BaseModel):
    """The top level of a recipe file."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=STEP_ID, description="the recipe's name")
    description: str = Field("", description="what the recipe makes")
    defaults: dict[str, Any] = Field(
        default_factory=dict,
        description="parameters applied to every step that has them and does not set them "
                    "(for example generator, tone, voice)")
    steps: list[dict[str, Any]] = Field(min_length=1, description="the steps, in any order")
    brand: str | None = Field(None, description="a brand file (`remixer brand init` writes one), "
                                                "relative to the recipe; `--brand` overrides it")


@dataclass(frozen=True)
class Recipe:
    """A validated recipe: its spec and its concrete nodes in topological order."""

    spec: RecipeSpec
    steps: tuple[StepSpec, ...]
    nodes: tuple[Node, ...]
    raw: dict[str, Any]
    #: the brand the recipe or --brand named, validated
    brand: LoadedBrand | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def source_steps(self) -> list[StepSpec]:
        return [s for s in self.steps if s.from_ == SOURCE]


def read_recipe_file(path: Path) -> dict[str, Any]:
    """Read a recipe file into a dict (see :func:`engine.safe_yaml.read_yaml_file`)."""
    raw = read_yaml_file(Path(path), "recipe",
                         "with `name` and `steps` (see recipes/article.yaml)",
                         missing_hint="check the path; ready recipes are in recipes/")
    if isinstance(raw.get("brand"), str):
        raw["brand"] = str((Path(path).parent / raw["brand"]).resolve())
    return raw


# --------------------------------------------------------------------------- --set

def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> tuple[dict[str, Any], list[Problem]]:
    """Apply ``STEP.PARAM=VALUE`` overrides to a raw recipe; values are parsed as YAML.

    Setting a parameter that the step fans out over in ``matrix`` replaces the fan-out
    with the one value given, or with new values when given a YAML list. Elsewhere a list
    is the parameter's value (``podcast.voices=[hibari:heart,piper:joe]``).
    """
    import copy
    data = copy.deepcopy(raw)
    problems: list[Problem] = []
    steps = data.get("steps") if isinstance(data.get("steps"), list) else []
    by_id = {s.get("id"): s for s in steps if isinstance(s, dict)}
    for item in overrides:
        where = f"--set {clip(item, 60)}"
        target, eq, value_text = item.partition("=")
        step_id, dot, param = target.partition(".")
        if not eq or not dot or not step_id or not param:
            problems.append(Problem(where, "write overrides as STEP.PARAM=VALUE, "
                                           "for example summary.words=200"))
            continue
        if step_id not in by_id:
            problems.append(Problem(where, f"no step {short_repr(step_id)} in the recipe"
                                           f"{did_you_mean(step_id, [k for k in by_id if k])}"))
            continue
        try:
            value = parse_yaml(value_text, "--set value") if value_text.strip() else ""
        except (yaml.YAMLError, ValueError):
            value = value_text
        except LimitError as exc:
            problems.append(Problem(where, str(exc)))
            continue
        step = by_id[step_id]
        matrix = step.get("matrix") if isinstance(step.get("matrix"), dict) else {}
        params = step.get("with") if isinstance(step.get("with"), dict) else {}
        if isinstance(value, list) and param in matrix:
            matrix[param] = value
        else:
            matrix.pop(param, None)
            params[param] = value
        step["with"] = params
        if matrix:
            step["matrix"] = matrix
        else:
            step.pop("matrix", None)
    return data, problems


# --------------------------------------------------------------------------- validation

def format_location(loc: tuple[Any, ...] | list[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + clip(str(part), 40)
    return out


def _pydantic_problems(exc: ValidationError, prefix: str, model: type[BaseModel]) -> list[Problem]:
    problems = []
    fields = model.model_fields
    aliases = {f.alias or name: name for name, f in fields.items()}
    for err in exc.errors():
        loc = format_location([prefix, *err["loc"]] if prefix else list(err["loc"]))
        name = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "extra_forbidden":
            known = sorted(aliases)
            msg = (f"unknown key {short_repr(name)}{did_you_mean(name, known)}; "
                   f"allowed: {', '.join(known)}")
        elif err["type"] == "missing":
            field = fields.get(aliases.get(name, name))
            about = f" ({field.description})" if field and field.description else ""
            msg = f"required key {short_repr(name)} is missing{about}"
        else:
            field = fields.get(aliases.get(name, name))
            about = f"; {name}: {field.description}" if field and field.description else ""
            msg = f"{err['msg']} (got {short_repr(err.get('input'))}{about})"
        problems.append(Problem(loc, msg))
    return problems


def _registry_problems(params_model: type[BaseModel], values: dict[str, Any], where: str,
                       registry: Registry) -> list[Problem]:
    """Check fields that name registered components (``json_schema_extra.registry``),
    one name or a list of them; voices down to the voice (``hibari:nobody``)."""
    problems = []
    for field_name, field in params_model.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        table_name = extra.get("registry")
        value = values.get(field_name)
        if not table_name or not value:
            continue
        names = value if isinstance(value, list) else [value]
        for i, spec in enumerate(names):
            place = f"{where}.{field_name}" + (f"[{i}]" if isinstance(value, list) else "")
            message = _component_problem(table_name, spec, registry) if isinstance(spec, str) else None
            if message:
                problems.append(Problem(place, message))
    return problems


def _component_problem(table_name: str, spec: str, registry: Registry) -> str | None:
    """Why ``spec`` names no registered component, or None when it does."""
    table = getattr(registry, table_name)
    name, rest = split_spec(spec)
    if table_name == "voices" and name not in table and registry.claiming_engine(spec):
        return None  # e.g. a reference recording: voice cloning checks it when it runs
    if name not in table:
        return (f"unknown {table.sort} {short_repr(name)}{did_you_mean(name, table.names())}; "
                f"available: {', '.join(table.names()) or 'none'}")
    if table_name == "voices" and rest:
        try:
            registry.voice_engine(name).voice(rest)
        except RemixerError as exc:
            return f"{exc}; `remixer voices` lists them"
    return None


def _param_combos(step: StepSpec, params_model: type[BaseModel], defaults: dict[str, Any],
                  where: str, registry: Registry,
                  branded: dict[str, Any]) -> tuple[list[tuple[tuple, Any]], list[Problem]]:
    """Validate a step's parameters for every matrix combination. ``branded``: what the
    brand fills, beneath the recipe's defaults and the step's own values."""
    problems: list[Problem] = []
    fields = params_model.model_fields
    base = dict(branded)
    base.update((k, v) for k, v in defaults.items() if k in fields)
    base.update(step.with_)
    for key, values in step.matrix.items():
        if key not in fields:
            problems.append(Problem(f"{where}.matrix.{key}",
                                    f"{step.use} has no parameter {short_repr(key)}"
                                    f"{did_you_mean(key, fields)}; parameters: "
                                    f"{', '.join(fields) or 'none'}"))
        elif not values:
            problems.append(Problem(f"{where}.matrix.{key}", "give at least one value"))
        elif key in step.with_:
            problems.append(Problem(f"{where}.matrix.{key}",
                                    f"{short_repr(key)} is set in both `with` and `matrix`; keep one"))
        elif len({slug_value(v) for v in values}) != len(values):
            problems.append(Problem(f"{where}.matrix.{key}",
                                    "values must be distinct (they name the outputs)"))
    if problems:
        return [], problems
    keys = list(step.matrix)
    combos = []
    seen_errors: set[str] = set()
    for values in product(*(step.matrix[k] for k in keys)) if keys else [()]:
        combo = tuple(zip(keys, values))
        merged = {**base, **dict(combo)}
        try:
            params = params_model(**merged)
        except ValidationError as exc:
            for p in _pydantic_problems(exc, "", params_model):
                field = p.location.split(".")[0].split("[")[0]
                if field in step.matrix:
                    idx = step.matrix[field].index(dict(combo)[field])
                    loc = f"{where}.matrix.{field}[{idx}]"
                else:
                    loc = f"{where}.with.{p.location}" if p.location else f"{where}.with"
                    if field in branded and field not in step.with_ and field not in defaults:
                        loc += " (from the brand)"
                key = f"{loc}: {p.message}"
                if key not in seen_errors:
                    seen_errors.add(key)
                    problems.append(Problem(loc, p.message))
            continue
        found = _registry_problems(params_model, merged, f"{where}.with", registry)
        if not found:
            found = [Problem(f"{where}.with.{name}", message) for name, message
                     in registry.transform(step.use).check(params, registry)]
        problems += [p for p in found if str(p) not in seen_errors]
        seen_errors.update(str(p) for p in problems)
        combos.append((combo, params))
    return combos, problems


def _outputs_per_source(steps: list[StepSpec]) -> int:
    """How many nodes the steps expand to: a step's matrix combinations times its input's.

    Iterative, so a long chain of steps cannot exhaust the stack.
    """
    by_id = {s.id: s for s in steps}
    fan: dict[str, int] = {}
    for step in steps:
        chain: list[StepSpec] = []
        on_chain: set[str] = set()
        current: StepSpec | None = step
        while current is not None and current.id not in fan and current.id not in on_chain:
            chain.append(current)
            on_chain.add(current.id)
            current = by_id.get(current.from_)  # None at the source or a missing step
        below = fan.get(current.id, 1) if current is not None else 1
        for link in reversed(chain):
            combos = 1
            for values in link.matrix.values():
                combos *= max(len(values), 1)
            fan[link.id] = below = combos * below
    return sum(fan.values())


def _load_brand(spec: RecipeSpec | None, registry: Registry) -> LoadedBrand | None:
    """The recipe's brand, checked completely; its problems are the brand file's own."""
    if spec is None or not spec.brand:
        return None
    loaded = load_brand(spec.brand)
    problems = brand_problems(loaded, registry)
    if problems:
        raise RecipeError(problems, source=str(loaded.path))
    return loaded


def _brand_layer(brand: LoadedBrand | None, transform: type, fields) -> dict[str, Any]:
    if brand is None:
        return {}
    return {k: v for k, v in transform.brand_params(brand.brand).items()
            if k in fields and v is not None}


def validate_recipe(raw: dict[str, Any], registry: Registry, *, origin: str = "recipe",
                    overrides: list[str] = (), max_outputs: int | None = MAX_OUTPUTS) -> Recipe:
    """Validate a raw recipe completely; raise RecipeError listing every problem.

    A brand (``brand:``, an absolute path by now: :func:`read_recipe_file` resolves it)
    is loaded and checked first, and fills parameters beneath the recipe's own (see
    :mod:`engine.brand`).

    A recipe making more than ``max_outputs`` outputs per source (None: no limit) is
    refused with a :class:`LimitError` before its parameters are checked, since each
    combination is validated and, later, run.
    """
    data, problems = apply_overrides(raw, list(overrides))
    try:
        spec = RecipeSpec(**data)
    except ValidationError as exc:
        problems += _pydantic_problems(exc, "", RecipeSpec)
        steps_raw = data.get("steps") if isinstance(data.get("steps"), list) else []
        spec = None
    else:
        steps_raw = spec.steps
    defaults = data.get("defaults") if isinstance(data.get("defaults"), dict) else {}
    brand = _load_brand(spec, registry)
    branded_steps: set[str] = set()

    steps: list[StepSpec] = []
    where_of: dict[str, str] = {}
    combos_of: dict[str, list] = {}
    for i, step_raw in enumerate(steps_raw):
        where = f"steps[{i}]"
        if not isinstance(step_raw, dict):
            problems.append(Problem(where, "a step is a mapping with `id` and `use`"))
            continue
        try:
            step = StepSpec(**step_raw)
        except ValidationError as exc:
            problems += _pydantic_problems(exc, where, StepSpec)
            continue
        if step.id in where_of:
            problems.append(Problem(f"{where}.id", f"duplicate step id {short_repr(step.id)} "
                                                   f"(also {where_of[step.id]}); rename one"))
            continue
        if step.id in RESERVED_STEP_IDS:
            problems.append(Problem(f"{where}.id", f"{step.id!r} is reserved for remixer's own "
                                                   f"files ({', '.join(sorted(RESERVED_STEP_IDS))}); "
                                                   "choose another id"))
            continue
        where_of[step.id] = where
        steps.append(step)

    outputs = _outputs_per_source(steps)
    if max_outputs is not None and outputs > max_outputs:
        raise LimitError(f"{origin} makes {outputs:,} outputs per source, over the limit of "
                         f"{max_outputs:,} (each step's matrix combinations count)",
                         hint="trim the matrix, or raise the limit with --max-outputs")

    for step in steps:
        where = where_of[step.id]
        if step.use not in registry.transforms:
            problems.append(Problem(f"{where}.use", f"unknown transform {short_repr(step.use)}"
                                    f"{did_you_mean(step.use, registry.transforms.names())}; "
                                    "`remixer plugins` lists them"))
            continue
        transform = registry.transforms.get(step.use)
        params_model = transform.Params
        branded = _brand_layer(brand, transform, params_model.model_fields)
        if branded:
            branded_steps.add(step.id)
        combos, param_problems = _param_combos(step, params_model, defaults, where, registry,
                                               branded)
        problems += param_problems
        combos_of[step.id] = combos

    for step in steps:
        if step.from_ != SOURCE and step.from_ not in where_of:
            problems.append(Problem(
                f"{where_of[step.id]}.from",
                f"no step {short_repr(step.from_)}{did_you_mean(step.from_, [*where_of, SOURCE])}; "
                f"use `source` or one of: {', '.join(where_of)}"))

    problems += check_graph(steps, where_of, registry)
    if not problems:
        nodes, problems = expand_nodes(steps, combos_of, where_of)
    if problems or spec is None:
        raise RecipeError(problems, source=origin)
    if brand is not None:
        nodes = [replace(n, brand=brand.digest) if n.step_id in branded_steps else n
                 for n in nodes]
    return Recipe(spec=spec, steps=tuple(steps), nodes=tuple(nodes), raw=data, brand=brand)


def load_recipe(path: Path, registry: Registry, overrides: list[str] = ()) -> Recipe:
    return validate_recipe(read_recipe_file(path), registry, origin=str(path),
                           overrides=overrides)
