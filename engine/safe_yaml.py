"""The one safe YAML reader: duplicate keys refused, sizes bounded while parsing.

Everything remixer reads as YAML goes through :func:`parse_yaml` (recipes, ``--set``
values, brand files, voice profiles, Markdown front matter), and every file through
:func:`read_yaml_file`, so a hostile file costs a bounded amount of time and memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.errors import LimitError, Problem, RecipeError, RemixerError, short_repr

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


def read_yaml_file(path: Path, what: str, example: str,
                   missing_hint: str = "check the path") -> dict[str, Any]:
    """Read a YAML mapping from a file, with one-line errors for missing, unreadable,
    oversized or non-YAML files. ``what`` names the file in messages ("recipe", "brand"),
    ``example`` says what the mapping should hold.

    Only a regular file is read (a FIFO would block), and no more of it than the YAML
    size limit allows.
    """
    import os
    import stat
    limits = YamlLimits.from_env()
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise RemixerError(f"{what} {path} is not a regular file",
                               hint="name a .yaml file")
        with open(path, "rb") as handle:
            data = handle.read(limits.bytes + 1)
        if len(data) > limits.bytes:
            raise _too_long(str(path), limits)
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise RemixerError(f"{what} {path} not found", hint=missing_hint) from None
    except PermissionError:
        raise RemixerError(f"cannot read {what} {path}: permission denied",
                           hint="check its permissions") from None
    except OSError as exc:
        raise RemixerError(f"cannot read {what} {path}: {exc.strerror or exc}",
                           hint="check the path") from None
    except UnicodeDecodeError:
        raise RemixerError(f"{what} {path} is not UTF-8 text", hint="save it as UTF-8") from None
    data = load_yaml(text, str(path))
    if not isinstance(data, dict):
        raise RecipeError([Problem("", f"a {what} is a mapping {example}")], source=str(path))
    return data
