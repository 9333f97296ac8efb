"""Checks of named adapters (`adapters:`): they must be able to share one base ONNX model.

The recipe needs exactly one lora/qlora step (whose settings the adapters change), no merge_adapters after it
and an ONNX model at the end; adapters must agree on what shapes the model's adapter inputs (rank, target
modules, modules_to_save), name declared datasets, and give settings the step takes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from pydantic import ValidationError

from orc_olive.checks.base import at
from orc_olive.diagnostics import Diagnostic, one_of, suggest
from orc_olive.recipe.adapter_nodes import merged_settings, node_recipe
from orc_olive.recipe.adapters import ADAPTER_NAME_PATTERN, SHAPE_FIELDS, adapter_overrides, trainer_steps
from orc_olive.recipe.forms import recipe_forms
from orc_olive.recipe.models import TYPED_STEP_MODELS, Recipe
from orc_olive.recipe.olive_block import olive_data_config_names
from orc_olive.recipe.pass_models import is_dataset_param
from orc_olive.recipe.steps import ONNX, ONNX_ADAPTERS
from orc_olive.source.loader import Document


def named_adapters(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    if not recipe.adapters:
        return
    trainers = trainer_steps(recipe)
    if not trainers:
        yield at(doc, ("adapters",), "`adapters:` changes the settings of the recipe's lora or qlora step, but it has none",
                 "add a lora step (with the settings the adapters share) before model_builder", "adapters", key=True)
        return
    if len(trainers) > 1:
        yield at(doc, ("steps", trainers[1]), f"`adapters:` needs exactly one lora/qlora step, but steps[{trainers[0]}] and steps[{trainers[1]}] both train one",
                 "keep one training step: each named adapter is trained from the same base by that step", "adapters")
        return
    yield from _pipeline(recipe, doc, trainers[0])
    for name, adapter in recipe.adapters.items():
        yield from _adapter(recipe, doc, trainers[0], name, adapter_overrides(adapter))


def _pipeline(recipe: Recipe, doc: Document, trainer: int) -> Iterator[Diagnostic]:
    kinds = [kind for kind, _ in recipe.steps_with_kinds]
    for index in range(trainer + 1, len(kinds)):
        if kinds[index] == "merge_adapters":
            yield at(doc, ("steps", index, "merge_adapters"), "merge_adapters folds the adapter into the base weights, but `adapters:` keeps each adapter in its own file",
                     "remove merge_adapters (the base ONNX model then takes the adapters as inputs), or remove `adapters:`", "adapters")
            return
    forms = recipe_forms(recipe)
    final = forms[-1].after if forms else None
    if final is not None and final not in (ONNX, ONNX_ADAPTERS):
        yield at(doc, ("adapters",), f"named adapters need an ONNX model built from the {kinds[trainer]} step, but the steps end with a {final} model",
                 "add model_builder (e.g. `model_builder: {precision: int4}`) after the training step", "adapters", key=True)


def _adapter(recipe: Recipe, doc: Document, trainer: int, name: str, overrides: dict) -> Iterator[Diagnostic]:
    path = ("adapters", name)
    if not re.match(ADAPTER_NAME_PATTERN, name):
        yield at(doc, path, f"adapter name '{name}' may hold only letters, digits, '_' and '-' (it names the file {name}.onnx_adapter)",
                 "", "bad_name", key=True)
        return
    kind, params = recipe.steps_with_kinds[trainer]
    step = params.model_dump(exclude_unset=True, by_alias=True)
    unknown = [key for key in overrides if key not in TYPED_STEP_MODELS[kind].model_fields]
    for key in unknown:
        yield at(doc, path + (key,), f"'{key}' is a qlora setting, but the training step (steps[{trainer}]) is {kind}", "use a qlora step, or remove it here", "unknown_field", key=True)
    for key in SHAPE_FIELDS:
        if key in overrides and overrides[key] != step.get(key, getattr(params, key, None)):
            yield at(doc, path + (key,),
                     f"adapter '{name}' sets {key} {overrides[key]!r}, but the base model's adapter inputs are built with {key} {step.get(key, getattr(params, key, None))!r} "
                     f"(steps[{trainer}].{kind}): the adapters of one base model share {', '.join(SHAPE_FIELDS)}, which decide the names and shapes of its adapter inputs",
                     f"set {key} on the {kind} step for every adapter, or build this adapter with its own recipe", "adapters")
    names = list(recipe.datasets) + olive_data_config_names(recipe.olive)
    for key, value in overrides.items():
        if is_dataset_param(key) and isinstance(value, str) and value not in names:
            hint = suggest(value, names) or (one_of(names) if names else "no datasets are declared under 'datasets:'")
            yield at(doc, path + (key,), f"unknown dataset '{value}'", hint, "unknown_dataset")
    if unknown:
        return
    try:
        node_recipe(recipe, name)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])[1:]
            yield at(doc, path + loc, f"adapter '{name}': {error['msg']} (with the {kind} step's settings: {sorted(merged_settings(step, overrides))})", "", "invalid")


ADAPTER_CHECKS = [named_adapters]
