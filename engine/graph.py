"""Steps to a DAG: cycle and kind checks, matrix expansion, topological order.

A step with a ``matrix`` becomes one node per combination, named
``<step>-<value>[-<value>...]`` in the order the matrix lists its keys. A step that reads
from a fanned-out step fans out too and inherits its suffix, so
``post`` reading ``summary`` (words: [50, 150]) becomes ``post-50`` and ``post-150``.
"""

from __future__ import annotations

import graphlib
import re
from dataclasses import dataclass
from typing import Any, Iterable, Protocol

from engine.artifacts import SAME_KIND
from engine.errors import Problem
from engine.plugins import Registry


class StepSpec(Protocol):
    """What the graph reads of a recipe step (``engine.recipe.StepSpec`` is one)."""

    id: str
    use: str
    from_: str
    output: bool

#: the input name of steps that read the loaded source file
SOURCE = "source"


@dataclass(frozen=True)
class Node:
    """A concrete step after matrix expansion: one transform run per source."""

    id: str
    step_id: str
    use: str
    params: Any
    input: str
    output: bool
    combo: tuple[tuple[str, Any], ...] = ()
    #: the digest of the brand that filled some of ``params`` ("" when none did): part of
    #: the node's cache key, so new brand files (a new logo) re-run it
    brand: str = ""


def kinds_text(kinds: Iterable[str]) -> str:
    """``("audio", "video")`` -> ``"audio or video"``, for messages."""
    kinds = list(kinds)
    return kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} or {kinds[-1]}"


def slug_value(value: Any) -> str:
    """How a matrix value appears in output names: ``9:16`` -> ``9-16``."""
    return re.sub(r"[^a-z0-9.]+", "-", str(value).lower()).strip("-") or "x"


def _cycle_problems(steps: list[StepSpec], where_of: dict[str, str]) -> tuple[list[str], list[Problem]]:
    sorter = graphlib.TopologicalSorter(
        {s.id: ([s.from_] if s.from_ != SOURCE else []) for s in steps})
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        return [], [Problem(where_of[cycle[0]] + ".from",
                            "steps form a cycle: " + " -> ".join(cycle) +
                            "; one of them must read from `source` or another step")]
    return _recipe_order(steps), []


def _recipe_order(steps: list[StepSpec]) -> list[str]:
    """Step ids in the order the recipe lists them, except that a step read by another
    comes before it: what people see (the report, manifests) follows their recipe."""
    by_id = {s.id: s for s in steps}
    order: list[str] = []
    for step in steps:
        chain = []
        while step.id not in order and step.id not in chain:
            chain.append(step.id)
            if step.from_ == SOURCE or step.from_ not in by_id:
                break
            step = by_id[step.from_]
        order += [i for i in reversed(chain) if i not in order]
    return order


def _kind_problems(steps: list[StepSpec], where_of: dict[str, str],
                   registry: Registry) -> list[Problem]:
    by_id = {s.id: s for s in steps}
    loader_kinds = {r.obj.produces for r in registry.loaders}

    def kinds_out(step: StepSpec) -> set[str]:
        """The kinds a step may produce: one, or for a SAME_KIND transform those of its
        input that it consumes."""
        transform = registry.transforms.get(step.use)
        if transform.produces != SAME_KIND:
            return {transform.produces}
        inputs = loader_kinds if step.from_ == SOURCE else kinds_out(by_id[step.from_])
        return inputs & set(transform.consumes)

    problems = []
    for step in steps:
        consumes = registry.transforms.get(step.use).consumes
        if step.from_ == SOURCE:
            if not loader_kinds & set(consumes):
                problems.append(Problem(f"{where_of[step.id]}.from",
                                        f"{step.use} takes {kinds_text(consumes)}, and no source "
                                        "loader produces that; read from a step that does"))
            continue
        upstream = by_id[step.from_]
        produced = kinds_out(upstream)
        if not produced & set(consumes):
            problems.append(Problem(
                f"{where_of[step.id]}.from",
                f"{step.use} takes {kinds_text(consumes)} but step {upstream.id!r} "
                f"({upstream.use}) produces {kinds_text(sorted(produced)) or 'nothing it takes'}; "
                f"read from a step that produces {kinds_text(consumes)}"))
    return problems


def check_graph(steps: list[StepSpec], where_of: dict[str, str],
                registry: Registry) -> list[Problem]:
    """Cycles and kind mismatches among steps whose transforms and inputs exist."""
    known = {s.id for s in steps if s.use in registry.transforms}
    usable = [s for s in steps if s.id in known and (s.from_ == SOURCE or s.from_ in known)]
    _, problems = _cycle_problems(usable, where_of)
    return problems or _kind_problems(usable, where_of, registry)


def expand_nodes(steps: list[StepSpec], combos_of: dict[str, list[tuple[tuple, Any]]],
                 where_of: dict[str, str]) -> tuple[list[Node], list[Problem]]:
    """Concrete nodes in topological order, for a recipe that passed every other check."""
    order, problems = _cycle_problems(steps, where_of)
    by_id = {s.id: s for s in steps}
    expanded: dict[str, list[Node]] = {}
    nodes: list[Node] = []
    for step_id in order:
        step = by_id[step_id]
        parents = [None] if step.from_ == SOURCE else expanded[step.from_]
        expanded[step_id] = []
        for parent in parents:
            inherited = parent.id[len(parent.step_id):] if parent else ""
            for combo, params in combos_of[step_id]:
                suffix = "".join(f"-{slug_value(v)}" for _, v in combo)
                node = Node(id=f"{step_id}{inherited}{suffix}", step_id=step_id, use=step.use,
                            params=params, input=parent.id if parent else SOURCE,
                            output=step.output,
                            combo=(parent.combo if parent else ()) + combo)
                expanded[step_id].append(node)
                nodes.append(node)
    seen: dict[str, str] = {}
    for node in nodes:
        if node.id in seen:
            problems.append(Problem(where_of[node.step_id] + ".id",
                                    f"output name {node.id!r} is made by steps {seen[node.id]!r} "
                                    f"and {node.step_id!r}; rename one of them"))
        seen[node.id] = node.step_id
    return nodes, problems


def select(nodes: Iterable[Node], only: Iterable[str]) -> list[Node]:
    """The nodes named by ``only`` (step ids or expanded ids) and everything they need."""
    nodes = list(nodes)
    wanted = set(only)
    by_id = {n.id: n for n in nodes}
    chosen = {n.id for n in nodes if n.id in wanted or n.step_id in wanted}
    stack = list(chosen)
    while stack:
        node = by_id[stack.pop()]
        if node.input != SOURCE and node.input not in chosen:
            chosen.add(node.input)
            stack.append(node.input)
    return [n for n in nodes if n.id in chosen]
