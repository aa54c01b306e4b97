"""Recipe validation: every error class, all at once, each at its place with a fix."""

from __future__ import annotations

import pytest

from engine.errors import RecipeError
from engine.plugins import PluginConfig, build_registry
from engine.recipe import read_recipe_file, validate_recipe
from engine.safe_yaml import load_yaml

from .conftest import FIXTURES, RECIPES


def problems_of(raw, registry, **kwargs) -> dict[str, str]:
    with pytest.raises(RecipeError) as info:
        validate_recipe(raw, registry, **kwargs)
    return {p.location: p.message for p in info.value.problems}


def recipe(*steps, **top):
    return {"name": "t", "steps": list(steps), **top}


@pytest.mark.parametrize("name", sorted(p.name for p in RECIPES.glob("*.yaml")))
def test_every_shipped_recipe_is_valid(registry, name):
    assert validate_recipe(read_recipe_file(RECIPES / name), registry).nodes


def test_article_recipe_fans_out_as_documented(registry):
    validated = validate_recipe(read_recipe_file(RECIPES / "article-text.yaml"), registry)
    ids = [n.id for n in validated.nodes]
    assert ids[:1] == ["tldr"]
    assert {"summary-50", "summary-150", "summary-400", "key-points", "thread"} <= set(ids)
    # post reads the fanned-out summary, so it fans out with it
    assert {"post-50", "post-150", "post-400"} <= set(ids)
    assert validated.node("post-150").input == "summary-150"


def test_unknown_top_level_and_step_keys_name_the_allowed_ones(registry):
    found = problems_of(recipe({"id": "s", "use": "summary", "wiht": {}}, stpes=[]), registry)
    assert "unknown key 'stpes'" in found["stpes"] and "steps" in found["stpes"]
    assert "did you mean 'with'" in found["steps[0].wiht"]


def test_unknown_transform_suggests_the_close_one(registry):
    found = problems_of(recipe({"id": "s", "use": "sumary"}), registry)
    assert "unknown transform 'sumary'" in found["steps[0].use"]
    assert "did you mean 'summary'" in found["steps[0].use"]


def test_parameter_errors_give_place_value_and_meaning(registry):
    found = problems_of(recipe(
        {"id": "a", "use": "summary", "with": {"words": 3}},
        {"id": "b", "use": "summary", "with": {"words": "many"}},
        {"id": "c", "use": "summary", "with": {"wrods": 100}},
    ), registry)
    assert "greater than or equal to 10" in found["steps[0].with.words"]
    assert "got 3" in found["steps[0].with.words"]
    assert "target length in words" in found["steps[0].with.words"]
    assert "valid integer" in found["steps[1].with.words"]
    assert "did you mean 'words'" in found["steps[2].with.wrods"]


def test_registry_names_are_checked(registry):
    found = problems_of(recipe({"id": "a", "use": "summary",
                                "with": {"generator": "extractve"}}), registry)
    assert "unknown text generator 'extractve'" in found["steps[0].with.generator"]
    assert "did you mean 'extractive'" in found["steps[0].with.generator"]


@pytest.fixture
def kinds_registry():
    return build_registry(PluginConfig(load_entry_points=False,
                                       plugins_dirs=(str(FIXTURES / "local_plugins"),)))


def test_kind_mismatch_between_steps(kinds_registry):
    found = problems_of(recipe({"id": "a", "use": "summary"},
                               {"id": "b", "use": "listen", "from": "a"},
                               {"id": "c", "use": "shout", "from": "a"},
                               {"id": "d", "use": "summary", "from": "nowhere"}), kinds_registry)
    assert "listen takes audio but step 'a' (summary) produces text" in found["steps[1].from"]
    assert "steps[2].from" not in found
    assert "no step 'nowhere'" in found["steps[3].from"]
    assert "did you mean" not in found["steps[3].from"]


def test_cycles_are_named(registry):
    found = problems_of(recipe({"id": "a", "use": "summary", "from": "b"},
                               {"id": "b", "use": "summary", "from": "a"}), registry)
    (message,) = [m for loc, m in found.items() if loc.endswith(".from")]
    assert "cycle" in message and "a" in message and "b" in message


def test_duplicate_ids(registry):
    found = problems_of(recipe({"id": "a", "use": "summary"}, {"id": "a", "use": "key-points"}),
                        registry)
    assert "duplicate step id 'a'" in found["steps[1].id"]


def test_every_problem_is_reported_at_once(registry):
    found = problems_of(recipe({"id": "a", "use": "sumary"},
                               {"id": "b", "use": "summary", "with": {"words": 1}},
                               {"id": "b", "use": "key-points"},
                               {"id": "c", "use": "key-points", "from": "zz"}, extra=1), registry)
    assert len(found) == 5


def test_matrix_fans_out_with_predictable_names(registry):
    validated = validate_recipe(recipe(
        {"id": "s", "use": "social-post", "matrix": {"max_chars": [140, 280],
                                                     "thread": [False, True]}}), registry)
    assert [n.id for n in validated.nodes] == ["s-140-false", "s-140-true", "s-280-false",
                                               "s-280-true"]
    assert validated.node("s-280-true").params.thread is True


def test_matrix_errors_point_at_the_value(registry):
    found = problems_of(recipe({"id": "s", "use": "summary", "matrix": {"words": [50, 2]}},
                               {"id": "t", "use": "summary", "matrix": {"wordz": [50]}}),
                        registry)
    assert "greater than or equal to 10" in found["steps[0].matrix.words[1]"]
    assert "did you mean 'words'" in found["steps[1].matrix.wordz"]


def test_defaults_apply_where_the_parameter_exists(registry):
    validated = validate_recipe(recipe({"id": "s", "use": "summary"},
                                       defaults={"tone": "plain", "voice": "x"}), registry)
    assert validated.nodes[0].params.tone == "plain"


def test_set_overrides_are_validated_like_the_file(registry):
    raw = recipe({"id": "s", "use": "summary", "matrix": {"words": [50, 100]}})
    validated = validate_recipe(raw, registry, overrides=["s.words=70"])
    assert [n.id for n in validated.nodes] == ["s"]
    assert validated.nodes[0].params.words == 70
    found = problems_of(raw, registry, overrides=["s.words=1", "x.words=5", "oops"])
    assert "greater than or equal to 10" in found["steps[0].with.words"]
    assert "no step 'x'" in found["--set x.words=5"]
    assert "STEP.PARAM=VALUE" in found["--set oops"]


def test_yaml_is_loaded_safely_and_strictly():
    with pytest.raises(RecipeError, match="duplicate key 'name'"):
        load_yaml("name: a\nname: b\n", "r.yaml")
    with pytest.raises(RecipeError, match="line 2"):
        load_yaml("name: a\n  steps: [\n", "r.yaml")
    with pytest.raises(RecipeError):
        load_yaml("!!python/object/apply:os.system ['echo pwned']", "r.yaml")


def test_a_recipe_must_be_a_mapping(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(RecipeError, match="mapping"):
        read_recipe_file(path)
