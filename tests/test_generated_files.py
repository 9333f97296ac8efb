"""Generated files in schemas/ must match what their commands produce today."""

import pytest

from orc_olive.catalog import PASSES_FILE, RUN_CONFIG_SCHEMA_FILE
from orc_olive.olive.run_config import olive_available
from orc_olive.output.schema import RECIPE_SCHEMA_FILE, recipe_schema_text


def test_recipe_schema_is_up_to_date():
    assert RECIPE_SCHEMA_FILE.read_text(encoding="utf-8") == recipe_schema_text(), "run `orc schema` and commit the result"


@pytest.mark.skipif(not olive_available(), reason="olive-ai is not installed")
def test_olive_catalogs_match_the_installed_olive(tmp_path):
    from orc_olive.olive.catalog_gen import generate

    for path in generate(tmp_path):
        committed = {"olive-passes.json": PASSES_FILE, "olive-run-config.schema.json": RUN_CONFIG_SCHEMA_FILE}[path.name]
        assert path.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8"), (
            f"{committed.name} drifted from the installed olive-ai: run `python -m orc_olive.olive.catalog_gen`"
        )


def _properties(schema):
    """(owner, field, property schema, required) of every field in the recipe schema. A plain recipe's
    fields sit under `else` (a recipe with `extends:` may leave out what its base gives)."""
    for owner, node in [("Recipe", schema.get("else", schema)), *schema["$defs"].items()]:
        for name, prop in node.get("properties", {}).items():
            yield owner, name, prop, name in node.get("required", [])


def test_every_recipe_field_is_documented_with_a_default_and_examples_that_validate():
    import json

    import jsonschema

    schema = json.loads(RECIPE_SCHEMA_FILE.read_text(encoding="utf-8"))
    fields = list(_properties(schema))
    assert len(fields) > 200  # the generated pass and training parameters are included
    for owner, name, prop, required in fields:
        where = f"{owner}.{name}"
        assert prop.get("description", "").strip(), f"{where} has no description"
        # a XPartial twin (for recipes that extend a base) is X with nothing required: X's check covers it
        assert required or "default" in prop or owner.endswith("Partial"), f"{where} is optional but has no default"
        assert prop.get("examples"), f"{where} has no examples"
        for example in prop["examples"]:
            # Each example is a valid value for its field (references resolve against the schema's $defs).
            jsonschema.Draft202012Validator({**prop, "$defs": schema["$defs"]}).validate(example)
