"""The recipe JSON Schema, generated from the recipe models (`orc schema`; the shipped copy is schemas/recipe.schema.json).

Editor and validator agree: where a check accepts fewer values than the pass's catalog lists (ModelBuilder
builds 4 of the 14 precisions Olive declares), the schema's choices are the check's own (NARROWED). Each
field shows one example (the first): an editor offers the choices of an enum itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orc_olive import __version__
from orc_olive.checks.passes import MODEL_BUILDER_PRECISIONS
from orc_olive.resources import SCHEMAS_DIR

RECIPE_SCHEMA_FILE = SCHEMAS_DIR / "recipe.schema.json"  # the one orc ships (in a checkout: the committed file)
PROJECT_SCHEMA_FILE = Path("schemas") / "recipe.schema.json"  # where `orc schema` writes, in the user's project
# Where each release's schema stays (a tag's file never changes): the form SchemaStore's catalog takes for a
# self-hosted schema (an https URL of a .json file, one per version).
SCHEMA_URL = "https://raw.githubusercontent.com/orc-olive/orc/v{version}/schemas/recipe.schema.json"

# (definition, field) -> the values the checks accept, where they are fewer than the model's enum.
# checks/evaluation.py refuses a `custom` metric (Olive 0.13 cannot write its config out).
METRIC_TYPES = ("accuracy", "perplexity", "latency", "throughput", "size_on_disk")
NARROWED: dict[tuple[str, str], tuple[Any, ...]] = {
    ("ModelBuilderStep", "precision"): MODEL_BUILDER_PRECISIONS,
    ("Metric", "type"): METRIC_TYPES,
}


def schema_id(version: str = __version__) -> str:
    return SCHEMA_URL.format(version=version)


def recipe_schema() -> dict:
    from orc_olive.output.schema_compose import composable
    from orc_olive.recipe.models import Recipe

    raw = Recipe.model_json_schema(by_alias=True)
    _narrow(raw)
    schema = _one_example(composable(raw))
    # the $id is this release's URL (the models' own is replaced)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id(), **{k: v for k, v in schema.items() if k != "$id"}}


def _narrow(schema: dict[str, Any]) -> None:
    """The enums the checks narrow, with examples from the accepted values only."""
    for (owner, name), accepted in NARROWED.items():
        prop = schema["$defs"][owner]["properties"][name]
        for node in _enum_nodes(prop):
            node["enum"] = [value for value in node["enum"] if value in accepted or value is None]
        if "examples" in prop:
            prop["examples"] = [accepted[0]]


def _enum_nodes(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return ([node] if "enum" in node else []) + [n for key, value in node.items() if key not in ("default", "examples") for n in _enum_nodes(value)]
    if isinstance(node, list):
        return [n for item in node for n in _enum_nodes(item)]
    return []


def _one_example(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: (value[:1] if key == "examples" and isinstance(value, list) else _one_example(value) if key not in ("default", "const", "enum") else value)
                for key, value in node.items()}
    if isinstance(node, list):
        return [_one_example(item) for item in node]
    return node


def recipe_schema_text() -> str:
    return json.dumps(recipe_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def write_recipe_schema(path: Path) -> Path:
    from orc_olive.files import write_atomic

    write_atomic(path, recipe_schema_text())
    return path
