"""Recipes: YAML files that say which transforms to run on every source, and how.

Validation is complete before any work starts and reports every problem at once, each at
its place (``steps[3].with.voice``) with the fix. The checks, in order: YAML syntax and
duplicate keys; unknown top-level and step keys; duplicate step ids; unknown transforms;
parameters (types, ranges, unknown names, registry names such as generators); matrix
keys and values; references to missing steps; cycles; artifact kinds between steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import (LimitError, Problem, RecipeError, RemixerError, clip,
                           short_repr)
from engine.graph import SOURCE, Node, check_graph, expand_nodes, slug_value
from engine.names import did_you_mean, split_spec
from engine.plugins import Registry

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


@dataclass(frozen=True)
class Recipe:
    """A validated recipe: its spec and its concrete nodes in topological order."""

    spec: RecipeSpec
    steps: tuple[StepSpec, ...]
    nodes: tuple[Node, ...]
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        return self.spec.name

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def source_steps(self) -> list[StepSpec]:
        return [s for s in self.steps if s.from_ == SOURCE]


# --------------------------------------------------------------------------- YAML loading

@dataclass(frozen=True)
class YamlLimits:
    """Bounds on any YAML remixer reads (recipes, ``--set`` values, brand and profile
    files), enforced while the document is parsed, before anything is built from it.

    ``nodes`` counts values with every alias expanded, which is what defeats alias bombs
    (a few hundred bytes that expand to billions of values): each alias adds the size of
    what it names, and the count stops at the limit. ``depth`` is nesting, also with
    aliases expanded. Each can be raised through its environment variable.
    """

    bytes: int = 1_000_000
    nodes: int = 100_000
    depth: int = 64

    @classmethod
    def from_env(cls) -> "YamlLimits":
        import os
        values = {}
        for name in ("bytes", "nodes", "depth"):
            text = os.environ.get(f"REMIXER_MAX_YAML_{name.upper()}", "").strip()
            if text:
                try:
                    values[name] = int(text)
                except ValueError:
                    raise RemixerError(f"REMIXER_MAX_YAML_{name.upper()}={text!r} is not a "
                                       "whole number", hint="unset it or give a number") from None
        return cls(**values)


class _Budget:
    """Counts the values and nesting a YAML event stream expands to, aliases included."""

    def __init__(self, limits: YamlLimits, origin: str):
        self.limits, self.origin = limits, origin
        self.total = 0
        #: open collections: [anchor, expanded size, expanded depth below]
        self.open: list[list] = []
        #: anchor -> (expanded size, expanded depth) of the node it names
        self.anchors: dict[str, tuple[int, int]] = {}

    def _too_big(self, what: str, setting: str, limit: int) -> LimitError:
        return LimitError(f"{self.origin}: the YAML {what} the limit of {limit:,}",
                          hint=f"aliases repeated many times? if it really is, raise {setting}")

    def _add(self, size: int, depth: int) -> None:
        self.total += size
        if self.total > self.limits.nodes:
            raise self._too_big("expands to more values than", "REMIXER_MAX_YAML_NODES",
                                self.limits.nodes)
        if len(self.open) + depth > self.limits.depth:
            raise self._too_big("nests deeper than", "REMIXER_MAX_YAML_DEPTH",
                                self.limits.depth)
        if self.open:
            self.open[-1][1] += size
            self.open[-1][2] = max(self.open[-1][2], depth)

    def see(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.AliasEvent):
            if any(entry[0] == event.anchor for entry in self.open):
                raise LimitError(f"{self.origin}: the YAML alias *{event.anchor} refers to "
                                 "the value that contains it", hint="remove the loop")
            self._add(*self.anchors.get(event.anchor, (1, 0)))
        elif isinstance(event, yaml.ScalarEvent):
            self._add(1, 0)
            if event.anchor:
                self.anchors[event.anchor] = (1, 0)
        elif isinstance(event, yaml.CollectionStartEvent):
            self._add(1, 1)
            self.open.append([event.anchor, 1, 0])
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, size, depth = self.open.pop()
            if anchor:
                self.anchors[anchor] = (size, depth + 1)
            if self.open:
                self.open[-1][1] += size - 1  # the collection itself was counted at its start
                self.open[-1][2] = max(self.open[-1][2], depth + 1)


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys instead of silently keeping the last, and
    stops at the :class:`YamlLimits` while parsing (see :class:`_Budget`)."""

    budget: _Budget | None = None

    def get_event(self):
        event = super().get_event()
        if self.budget is not None:
            self.budget.see(event)
        return event


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep=False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {short_repr(key)} (first on line {seen[key] + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                              _mapping_without_duplicates)


def _too_long(origin: str, limits: YamlLimits) -> LimitError:
    return LimitError(f"{origin} is over the YAML size limit of {limits.bytes:,} bytes",
                      hint="raise REMIXER_MAX_YAML_BYTES if it is really this big")


def parse_yaml(text: str, origin: str, limits: YamlLimits | None = None) -> Any:
    """The one safe YAML reader: duplicate keys refused, sizes bounded.

    Raises :class:`LimitError` past a limit, ``yaml.YAMLError`` for bad syntax and
    ``ValueError`` for values Python refuses (an integer of 5,000 digits).
    """
    limits = limits or YamlLimits.from_env()
    if len(text) > limits.bytes:
        raise _too_long(origin, limits)
    loader = _StrictLoader(text)
    loader.budget = _Budget(limits, origin)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_yaml(text: str, origin: str) -> Any:
    """:func:`parse_yaml`, with syntax errors as a :class:`RecipeError` at their line."""
    try:
        return parse_yaml(text, origin)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RecipeError([Problem(where, f"YAML syntax: {problem} "
                                          "(fix the indentation or quoting there)")],
                          source=origin) from None
    except ValueError as exc:
        raise RecipeError([Problem("", f"YAML value Python cannot hold: "
                                       f"{short_repr(str(exc))}")], source=origin) from None


def read_recipe_file(path: Path) -> dict[str, Any]:
    """Read a recipe file into a dict, with one-line errors for missing or non-YAML files.

    Only a regular file is read (a FIFO would block), and no more of it than the YAML
    size limit allows.
    """
    import os
    import stat
    limits = YamlLimits.from_env()
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise RemixerError(f"recipe {path} is not a regular file",
                               hint="name a .yaml file")
        with open(path, "rb") as handle:
            data = handle.read(limits.bytes + 1)
        if len(data) > limits.bytes:
            raise _too_long(str(path), limits)
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise RemixerError(f"recipe {path} not found",
                           hint="check the path; ready recipes are in recipes/") from None
    except PermissionError:
        raise RemixerError(f"cannot read recipe {path}: permission denied",
                           hint="check its permissions") from None
    except OSError as exc:
        raise RemixerError(f"cannot read recipe {path}: {exc.strerror or exc}",
                           hint="check the path") from None
    except UnicodeDecodeError:
        raise RemixerError(f"recipe {path} is not UTF-8 text", hint="save it as UTF-8") from None
    data = load_yaml(text, str(path))
    if not isinstance(data, dict):
        raise RecipeError([Problem("", "a recipe is a mapping with `name` and `steps` "
                                       "(see recipes/article.yaml)")], source=str(path))
    return data


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
                  where: str, registry: Registry) -> tuple[list[tuple[tuple, Any]], list[Problem]]:
    """Validate a step's parameters for every matrix combination."""
    problems: list[Problem] = []
    fields = params_model.model_fields
    base = {k: v for k, v in defaults.items() if k in fields}
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


def validate_recipe(raw: dict[str, Any], registry: Registry, *, origin: str = "recipe",
                    overrides: list[str] = (), max_outputs: int | None = MAX_OUTPUTS) -> Recipe:
    """Validate a raw recipe completely; raise RecipeError listing every problem.

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
        params_model = registry.transforms.get(step.use).Params
        combos, param_problems = _param_combos(step, params_model, defaults, where, registry)
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
    return Recipe(spec=spec, steps=tuple(steps), nodes=tuple(nodes), raw=data)


def load_recipe(path: Path, registry: Registry, overrides: list[str] = ()) -> Recipe:
    return validate_recipe(read_recipe_file(path), registry, origin=str(path),
                           overrides=overrides)
