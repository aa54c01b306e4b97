"""Recipe documentation generated from the registry: JSON Schema and starter recipes.

Both are built from the transforms' ``Params`` models, so they never drift from what
validation accepts.
"""

from __future__ import annotations

from typing import Any

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


def starter_recipe(registry: Registry, name: str, uses: list[str]) -> str:
    """A commented recipe with one step per transform in ``uses`` and every parameter shown."""
    lines = [f"# remixer recipe. Validate with: remixer validate {name}.yaml",
             "# Every parameter is listed with its default; delete what you do not change.",
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
        fields = transform.Params.model_fields
        if not fields:
            lines[-1] = "    with: {}"
        for field_name, field in fields.items():
            value = yaml.safe_dump(field.get_default(call_default_factory=True),
                                   default_flow_style=True).strip()
            value = value.removesuffix("\n...").removesuffix("...").strip()
            lines.append(f"      {field_name}: {value}    # {field.description or ''}".rstrip())
    return "\n".join(lines) + "\n"
