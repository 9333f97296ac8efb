"""A list of values for a searchable pass parameter: a search space, which only a search runs.

Olive 0.13 turns a non-empty list given for a parameter with search defaults (LoRA's `r`,
OrtSessionParamsTuning's `*_list`, ModelBuilder's `int4_block_size`, ...) into a search space, but only
when the workflow has a search strategy; without one, `olive run` fails validating the pass config
(even the config `olive tune-session-params` writes). The recipe models accept the list
(recipe/pass_models.py `searchable`); this check says when it cannot run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from orc_olive.checks.base import at, steps
from orc_olive.diagnostics import Diagnostic
from orc_olive.recipe.models import Recipe
from orc_olive.recipe.pass_models import is_searchable
from orc_olive.recipe.steps import STEP_KINDS
from orc_olive.source.loader import Document


def searches_pass_params(olive: dict[str, Any]) -> bool:
    """Whether the workflow searches pass parameters: a search strategy that does not turn them off."""
    strategy = olive.get("search_strategy")
    if isinstance(strategy, dict):
        return strategy.get("include_pass_params", True) is not False
    return bool(strategy)


def search_lists(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    if searches_pass_params(recipe.olive):
        return
    for _, kind, olive_type, path, values in steps(recipe):
        renames = STEP_KINDS[kind].renames if kind in STEP_KINDS else {}
        for name, value in values.items():
            if isinstance(value, list) and value and is_searchable(olive_type, renames.get(name, name)):
                yield at(
                    doc, path + (name,),
                    f"a list for {name} is a search space: Olive 0.13 searches it only with a search strategy, "
                    f"and without one `olive run` fails validating {olive_type}'s config",
                    f"give one value, e.g. `{name}: {value[0]!r}`; or, to search, add `olive: {{search_strategy: ...}}` and `evaluate:`",
                    "unsupported",
                )


SEARCH_CHECKS = [search_lists]
