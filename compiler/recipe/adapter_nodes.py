"""A recipe with named adapters -> one recipe per adapter (a node of the run graph).

Each node is the recipe with its lora/qlora step's settings changed by the adapter's, an `extract_adapters`
step at the end when the recipe has none, only the datasets it uses, its own workflow name and its own
output folder (`<output.dir>.adapters/<name>`). The first node's base model and every node's adapter file
make the recipe's output (run/adapters.py). A recipe whose adapters are invalid is never split: the checks
(checks/adapters.py) run first.
"""

from __future__ import annotations

from typing import Any

from orc_olive.recipe.adapters import TRAINER_KINDS, adapter_overrides, trainer_steps
from orc_olive.recipe.models import Output, Recipe, StepItem
from orc_olive.recipe.pass_models import is_dataset_param

NODES_SUFFIX = ".adapters"


def node_dir(recipe: Recipe, name: str) -> str:
    """The output folder of one adapter's workflow, relative to the recipe (as output.dir is)."""
    return f"{recipe.output.dir.rstrip('/')}{NODES_SUFFIX}/{name}"


def merged_settings(step: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """The step's settings with an adapter's on top; `training:` merges key by key."""
    merged = {**step, **overrides}
    if isinstance(step.get("training"), dict) and isinstance(overrides.get("training"), dict):
        merged["training"] = {**step["training"], **overrides["training"]}
    return merged


def node_recipe(recipe: Recipe, name: str) -> Recipe:
    """The recipe of the workflow that trains and exports adapter `name`."""
    (index,) = trainer_steps(recipe)
    items = [item.model_dump(exclude_unset=True, by_alias=True) for item in recipe.steps]
    (kind,) = (k for k in items[index] if k in TRAINER_KINDS)
    items[index] = {kind: merged_settings(items[index][kind], adapter_overrides(recipe.adapters[name]))}
    if not any("extract_adapters" in item for item in items):
        items.append({"extract_adapters": {}})
    steps = [StepItem.model_validate(item) for item in items]
    used = _datasets_used(items)
    others = {d for other, a in recipe.adapters.items() if other != name for d in _datasets_used([{"": adapter_overrides(a)}])}
    datasets = {k: v for k, v in recipe.datasets.items() if k in used or k not in others}
    output = Output(dir=node_dir(recipe, name), cache=recipe.output.cache)
    return recipe.model_copy(update={"name": f"{recipe.name}-{name.lower()}", "adapters": {}, "steps": steps, "datasets": datasets, "output": output})


def first_node(recipe: Recipe) -> Recipe:
    """What `orc compile` renders for a recipe with adapters: the first adapter's workflow (the others differ only
    in the step settings the adapters change); the recipe itself when it has none or they cannot be split."""
    if not recipe.adapters or len(trainer_steps(recipe)) != 1:
        return recipe
    try:
        return node_recipe(recipe, next(iter(recipe.adapters)))
    except ValueError:  # settings that do not validate on the step: reported by checks/adapters.py
        return recipe


def _datasets_used(items: list[dict[str, Any]]) -> set[str]:
    return {
        value
        for item in items
        for params in item.values()
        if isinstance(params, dict)
        for key, value in params.items()
        if is_dataset_param(key) and isinstance(value, str)
    }
