"""Read access to the Olive pass catalog generated into schemas/ (by olive/catalog_gen.py).

The catalog lets orc check pass parameters without importing Olive or torch.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from orc_olive.resources import SCHEMAS_DIR

PASSES_FILE = SCHEMAS_DIR / "olive-passes.json"
RUN_CONFIG_SCHEMA_FILE = SCHEMAS_DIR / "olive-run-config.schema.json"


@lru_cache(maxsize=None)
def catalog() -> dict[str, Any]:
    return json.loads(PASSES_FILE.read_text(encoding="utf-8"))


def pass_names() -> list[str]:
    return sorted(catalog()["passes"])


@lru_cache(maxsize=1)
def run_config_schema() -> dict[str, Any]:
    """The generated JSON Schema of Olive's RunConfig (shared: callers only read it)."""
    return json.loads(RUN_CONFIG_SCHEMA_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _names_by_lower_case() -> dict[str, str]:
    return {n.lower(): n for n in catalog()["passes"]}


def canonical_pass_name(name: str) -> str | None:
    """Olive matches pass types case-insensitively; return the catalog's spelling, or None."""
    return _names_by_lower_case().get(name.lower())


def pass_entry(name: str) -> dict[str, Any]:
    return catalog()["passes"][name]


def pass_params(name: str) -> dict[str, dict[str, Any]]:
    return pass_entry(name).get("params", {})


def olive_version() -> str:
    return catalog()["olive_version"]
