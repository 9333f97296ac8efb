"""Place the recipe's `olive:` block in the compiled workflow (see recipe/olive_block.py)."""

from __future__ import annotations

from typing import Any

from orc_olive.recipe.olive_block import APPENDED


def apply(workflow: dict[str, Any], olive: dict[str, Any]) -> dict[str, Any]:
    """The compiled workflow with the `olive:` fields placed: replaced in place (null removes the
    field), new ones at the end; `data_configs` entries are added to the datasets' own."""
    out = dict(workflow)
    for key, value in olive.items():
        if key == APPENDED:
            out[key] = list(out.get(key) or []) + list(value or [])
        elif value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out
