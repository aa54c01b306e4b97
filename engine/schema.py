"""Recipe documentation generated from the registry: JSON Schema and starter recipes.

Both are built from the transforms' ``Params`` models, so they never drift from what
validation accepts.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

import yaml

from engine.plugins import Registry
from engine.recipe import RecipeSpec, StepSpec


def _step_schema(name: str, transform: type) -> dict[str, Any]:
    params = transform.Params.model_json_schema()
    defs = params.pop("$defs", {})
    step_props = StepSpec.model_json_schema(by_alias=True)["properties"]
    schema = {
        "type": "object",
        "title": f"step using {name}",
        "description": transform.summary(),
        "additionalProperties": False,
        "required": ["id", "use"],
        "properties": {
            **step_props,
            "use": {"const": name, "description": transform.summary()},
            "with": params,
            "matrix": {
                "type": "object",
                "description": "fan out over parameter values: one output per combination",
                "additionalProperties": False,
                "properties": {k: {"type": "array", "items": v, "minItems": 1}
                               for k, v in params.get("properties", {}).items()},
            },
        },
    }
    if defs:
        schema["$defs"] = defs
    return schema


def recipe_json_schema(registry: Registry) -> dict[str, Any]:
    """JSON Schema (2020-12) of a recipe, with every registered transform's parameters."""
    top = RecipeSpec.model_json_schema()
    top["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    top["title"] = "remixer recipe"
    top["additionalProperties"] = False
    top["properties"]["steps"]["items"] = {
        "oneOf": [_step_schema(r.name, r.obj) for r in sorted(registry.transforms,
                                                               key=lambda r: r.name)]}
    return top


def _yaml_value(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True).strip()
    return text.removesuffix("...").strip()


def _parameter_lines(model: type[BaseModel], indent: str, comment: str = "") -> list[str]:
    """One line per parameter with its default and description. Only required parameters
    are written as values: the rest are commented out, since a value written in ``with:``
    would override the recipe's ``defaults:`` and a brand's parameters."""
    lines = []
    for name, field in model.model_fields.items():
        if field.is_required():  # no default: the field's first example, marked required
            example = (field.examples or [""])[0]
            lines.append(f"{indent}{comment}{name}: {_yaml_value(example)}    # required: "
                         f"{field.description or ''}".rstrip())
            continue
        default = field.get_default(call_default_factory=True)
        about = f"    # {field.description}" if field.description else ""
        if isinstance(default, BaseModel):
            lines.append(f"{indent}# {name}:{about}".rstrip())
            lines += _parameter_lines(type(default), indent + "  ", comment="# ")
        else:
            lines.append(f"{indent}# {name}: {_yaml_value(default)}{about}".rstrip())
    return lines


def starter_recipe(registry: Registry, name: str, uses: list[str]) -> str:
    """A commented recipe with one step per transform in ``uses`` and every parameter shown."""
    lines = [f"# remixer recipe. Validate with: remixer validate {name}.yaml",
             "# Every parameter is listed with its default, commented out: uncomment what you",
             "# change (a value set here overrides the recipe's defaults and a brand's).",
             f"name: {name}",
             "description: what this recipe makes",
             "steps:"]
    for use in uses:
        transform = registry.transforms.get(use)
        lines += [f"  # {transform.summary()}",
                  f"  - id: {use}",
                  f"    use: {use}",
                  "    from: source",
                  "    with:"]
        if not transform.Params.model_fields:
            lines[-1] = "    with: {}"
        lines += _parameter_lines(transform.Params, indent="      ")
    return "\n".join(lines) + "\n"
