"""Values no Olive workflow can carry, refused at validate time and located: NaN and infinity anywhere
(JSON has neither: they would silently become null, or stop the compile), and `null` for a pass
parameter that Olive's pass config does not accept null for (Olive takes it, then the pass fails with a
TypeError minutes into the run).

A `null` is accepted where Olive's schema for the parameter admits null, or where Olive's own default
is null (then it says "use the default").
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator

from orc_olive import catalog
from orc_olive.checks.base import at, steps
from orc_olive.diagnostics import Diagnostic, Path_
from orc_olive.recipe.models import Recipe
from orc_olive.recipe.steps import STEP_KINDS
from orc_olive.source.loader import Document

ORC_FIELDS = {"id", "olive", "group", "type"}  # a step's own fields, not Olive pass parameters
TRAINING = {"training": "training_args", "training_args": "training_args"}


def _non_finite(data: Any, path: Path_) -> Iterator[tuple[Path_, float]]:
    stack: list[tuple[Path_, Any]] = [(path, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            yield where, value
        elif isinstance(value, dict):
            stack.extend((where + (key,), child) for key, child in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((where + (index,), child) for index, child in reversed(list(enumerate(value))))


def non_finite_numbers(doc: Document) -> Iterator[Diagnostic]:
    """NaN and infinity, wherever they are (`.nan`, `.inf`, `1e999`, a `--set` or an environment value)."""
    for path, value in _non_finite(doc.data, ()):
        shown = "NaN" if math.isnan(value) else "infinity" if value > 0 else "-infinity"
        yield at(doc, path, f"{shown} is not a number a workflow can hold", "Olive's JSON has no NaN or infinity: write a finite number", "out_of_range")


def finite_numbers(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    yield from non_finite_numbers(doc)


def admits_null(schema: dict[str, Any]) -> bool:
    """Whether a JSON-schema fragment from the catalog accepts null (an empty one accepts anything)."""
    if not schema:
        return True
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if None in schema.get("enum", ()) or ("const" in schema and schema["const"] is None):
        return True
    return any(admits_null(option) for key in ("anyOf", "oneOf") for option in schema.get(key, ()))


def _null_problem(name: str, param: dict[str, Any] | None, owner: str) -> tuple[str, str] | None:
    if param is None or admits_null(param.get("schema", {})) or param.get("default") is None:
        return None
    schema = param.get("schema", {})
    kind = schema.get("type") if isinstance(schema.get("type"), str) else "value"
    return f"'{name}' cannot be null: {owner} takes {'an' if kind[0] in 'aeiou' else 'a'} {kind} here", f"leave it out to use Olive's default ({param['default']!r})"


def null_parameters(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """`r: null` or `--set steps.lora.r=`: refused where Olive's pass does not take null."""
    training = catalog.catalog().get("training_arguments", {})
    for _, kind, olive_type, path, values in steps(recipe):
        pass_type = catalog.canonical_pass_name(olive_type)
        if pass_type is None:
            continue
        params = catalog.pass_params(pass_type)
        renames = STEP_KINDS[kind].renames if kind in STEP_KINDS else {}
        for name, value in values.items():
            if name in TRAINING and isinstance(value, dict):
                for arg, arg_value in value.items():
                    problem = None if arg_value is not None else _null_problem(arg, training.get(arg), "the training arguments")
                    if problem:
                        yield at(doc, path + (name, arg), *problem, "wrong_type")
            elif value is None and name not in ORC_FIELDS:
                problem = _null_problem(name, params.get(renames.get(name, name)), f"Olive's {pass_type}")
                if problem:
                    yield at(doc, path + (name,), *problem, "wrong_type")


VALUE_CHECKS = [finite_numbers, null_parameters]
