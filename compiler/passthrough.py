"""The recipe's `olive:` block: Olive RunConfig fields carried into the workflow as they are.

It keeps every Olive feature reachable from a recipe (evaluators, search strategies, packaging, cache
configs, several systems, any input model or data config), which `orc import` relies on. Each key is
checked against the schema generated from Olive's own RunConfig; its value then replaces the compiled
field of that name (null removes the field), except `data_configs`, whose entries are added to the
datasets' own configs so that typed datasets and carried ones can sit side by side.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .catalog import run_config_schema
from .check_base import at
from .diagnostics import Diagnostic, one_of, suggest
from .loader import Document
from .steps import HF, HF_ADAPTER, ONNX

APPENDED = "data_configs"
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


# Olive input model types whose form orc follows through the steps (others: not followed, nothing flagged).
MODEL_FORMS = {"hfmodel": HF, "pytorchmodel": HF, "onnxmodel": ONNX}


def input_form(recipe: Any) -> str | None:
    """The form of the recipe's input model: from `model:`, or from the type of `olive.input_model`."""
    if recipe.model is not None:
        return HF_ADAPTER if recipe.model.adapter_path else HF
    model = recipe.olive.get("input_model")
    return MODEL_FORMS.get(str(model.get("type", "")).lower()) if isinstance(model, dict) else None


def target_is_carried(recipe: Any) -> bool:
    """Whether the workflow's systems come from `olive:` (then `target:` does not describe the device)."""
    return any(key in recipe.olive for key in SYSTEM_FIELDS)


def olive_data_config_names(olive: Any) -> list[str]:
    """Names of the data configs an `olive:` block adds beside the recipe's datasets."""
    configs = (olive.get(APPENDED) if isinstance(olive, dict) else None) or []
    if not isinstance(configs, list):
        return []
    return [c["name"] for c in configs if isinstance(c, dict) and isinstance(c.get("name"), str)]


def apply(workflow: dict[str, Any], olive: dict[str, Any]) -> dict[str, Any]:
    """The compiled workflow with the `olive:` fields placed: replaced in place, new ones at the end."""
    out = dict(workflow)
    for key, value in olive.items():
        if key == APPENDED:
            out[key] = list(out.get(key) or []) + list(value or [])
        elif value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


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
