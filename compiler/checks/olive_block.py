"""Check the recipe's `olive:` block: unknown or misplaced keys, values Olive's RunConfig schema rejects,
and names that clash with or are missing from the recipe's datasets (see recipe/olive_block.py)."""

from __future__ import annotations

from typing import Any

from orc_olive.catalog import run_config_schema
from orc_olive.checks.base import at
from orc_olive.diagnostics import Diagnostic, one_of, suggest
from orc_olive.recipe.olive_block import APPENDED, NOT_CARRIED, field_schemas, olive_data_config_names
from orc_olive.source.loader import Document


def check(recipe: Any, doc: Document) -> list[Diagnostic]:
    """Unknown or misplaced keys, and values Olive's schema rejects, each located in the recipe."""
    out: list[Diagnostic] = []
    fields = field_schemas()
    defs = run_config_schema()["$defs"]
    for key, value in recipe.olive.items():
        path = ("olive", key)
        if key in NOT_CARRIED:
            out.append(_at(doc, path, f"'{key}' cannot be carried under olive:", NOT_CARRIED[key], key=True))
            continue
        if key not in fields:
            out.append(_at(doc, path, f"unknown Olive field '{key}'", suggest(key, fields) or one_of(list(fields)), key=True))
            continue
        if value is None:
            continue  # removes the compiled field
        import jsonschema  # deferred to a recipe that carries values: importing it costs a cold validate ~30 ms

        validator = jsonschema.validators.validator_for(run_config_schema())({"$defs": defs, **fields[key]})
        for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
            where = path + tuple(error.absolute_path)
            out.append(_at(doc, where, f"not valid for Olive's {key}: {error.message[:300]}"))
    names = list(recipe.datasets)
    for index, name in enumerate(olive_data_config_names(recipe.olive)):
        if name in names:
            out.append(_at(doc, ("olive", APPENDED, index, "name"), f"data config '{name}' is also a dataset under datasets:", "rename one of them"))
        names.append(name)
    # `evaluate:` metrics name their data the way steps do: a dataset, or a data config carried here
    for index, metric in enumerate(recipe.evaluate.metrics if recipe.evaluate else []):
        if metric.dataset is not None and metric.dataset not in names:
            hint = suggest(metric.dataset, names) or (one_of(names) if names else "no datasets are declared")
            out.append(_at(doc, ("evaluate", "metrics", index, "dataset"), f"unknown dataset '{metric.dataset}'", hint))
    return out


def _at(doc: Document, path: tuple, message: str, hint: str = "", *, key: bool = False) -> Diagnostic:
    return at(doc, path, message, hint, "olive_field", key=key)
