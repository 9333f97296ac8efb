"""The recipe JSON Schema, generated from the recipe models (`orc schema`; the shipped copy is schemas/recipe.schema.json)."""

from __future__ import annotations

import json
from pathlib import Path

from orc_olive.resources import SCHEMAS_DIR

RECIPE_SCHEMA_FILE = SCHEMAS_DIR / "recipe.schema.json"  # the one orc ships (in a checkout: the committed file)
PROJECT_SCHEMA_FILE = Path("schemas") / "recipe.schema.json"  # where `orc schema` writes, in the user's project


def recipe_schema() -> dict:
    from orc_olive.output.schema_compose import composable
    from orc_olive.recipe.models import Recipe

    schema = composable(Recipe.model_json_schema(by_alias=True))
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def recipe_schema_text() -> str:
    return json.dumps(recipe_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def write_recipe_schema(path: Path) -> Path:
    from orc_olive.files import write_atomic

    write_atomic(path, recipe_schema_text())
    return path
