"""The recipe's `olive:` block: Olive RunConfig fields carried into the workflow as they are.

It keeps every Olive feature reachable from a recipe (evaluators, search strategies, packaging, cache
configs, several systems, any input model or data config), which `orc import` relies on. This module
says what the block may hold; checks/olive_block.py checks it against the schema generated from Olive's
own RunConfig, and render/olive_block.py places it in the compiled workflow.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from orc_olive.catalog import run_config_schema

APPENDED = "data_configs"  # its entries are added to the datasets' own configs; every other key replaces
SYSTEM_FIELDS = ("systems", "host", "target")  # the Olive fields that say where a workflow runs
# Olive fields a recipe writes in its own sections; carrying them here would hide or duplicate the steps.
NOT_CARRIED = {
    "passes": "passes come from `steps:`; give Olive fields of one pass under that step's `olive:`",
    "engine": "write the engine's fields (search_strategy, evaluator, ...) directly under `olive:`",
}


@lru_cache(maxsize=1)
def field_schemas() -> dict[str, dict[str, Any]]:
    """Every field a workflow may set at its top level -> its JSON schema (engine fields are flattened there)."""
    schema = run_config_schema()
    fields = {k: v for k, v in schema["properties"].items() if k not in NOT_CARRIED}
    fields.update(schema["$defs"]["RunEngineConfig"]["properties"])
    return dict(sorted(fields.items()))


def target_is_carried(recipe: Any) -> bool:
    """Whether the workflow's systems come from `olive:` (then `target:` does not describe the device)."""
    return any(key in recipe.olive for key in SYSTEM_FIELDS)


def olive_data_config_names(olive: Any) -> list[str]:
    """Names of the data configs an `olive:` block adds beside the recipe's datasets."""
    configs = (olive.get(APPENDED) if isinstance(olive, dict) else None) or []
    if not isinstance(configs, list):
        return []
    return [c["name"] for c in configs if isinstance(c, dict) and isinstance(c.get("name"), str)]
