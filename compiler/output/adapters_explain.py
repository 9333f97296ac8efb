"""`orc explain` of named adapters (`adapters:`): each adapter, the settings it changes, its data and the file it
becomes; and of `model: {from: ...}`, the recipe it builds on; in the table, the Mermaid diagram and the JSON
(explain.py calls these; nothing for other recipes)."""

from __future__ import annotations

from typing import Any

from orc_olive.recipe.adapter_nodes import node_dir
from orc_olive.recipe.adapters import adapter_overrides, trainer_steps
from orc_olive.recipe.models import Recipe


def _changes(recipe: Recipe, name: str) -> list[str]:
    out = []
    for key, value in adapter_overrides(recipe.adapters[name]).items():
        if isinstance(value, dict):
            out += [f"{key}.{k}={v}" for k, v in value.items()]
        else:
            out.append(f"{key}={value}")
    return out


def _dataset(recipe: Recipe, name: str) -> str:
    own = adapter_overrides(recipe.adapters[name]).get("dataset")
    if isinstance(own, str):
        return own
    index = trainer_steps(recipe)
    return str(getattr(recipe.steps_with_kinds[index[0]][1], "dataset", "") or "") if len(index) == 1 else ""


def table_lines(recipe: Recipe) -> list[str]:
    chain = [f"from:    {recipe.model.from_} (that recipe's output model; compile-and-run runs it first when it is stale)"] if recipe.model and recipe.model.from_ else []
    if not recipe.adapters:
        return chain
    names = list(recipe.adapters)
    lines = []
    for index, name in enumerate(names):
        changes = "; ".join(_changes(recipe, name)) or "the step's settings"
        lines.append(f"{'adapters: ' if index == 0 else '':10}{name}: {changes} -> {name}.onnx_adapter (workflow in {node_dir(recipe, name)})")
    lines.append(f"{'':10}one Olive workflow per adapter, in this order; the base model comes from the '{names[0]}' workflow")
    return chain + lines


def mermaid_lines(recipe: Recipe, prefix: str, indent: str) -> list[str]:
    lines = []
    if recipe.model and recipe.model.from_:
        lines += [f'{indent}{prefix}producer[["recipe {recipe.model.from_}"]]', f'{indent}{prefix}producer ==>|"its output"| {prefix}model']
    if not recipe.adapters:
        return lines
    trainer = trainer_steps(recipe)
    for name in recipe.adapters:
        node = f"{prefix}adapter_{_node_id(name)}"
        lines.append(f'{indent}{node}[/"{name}.onnx_adapter"/]')
        if len(trainer) == 1:
            lines.append(f'{indent}{prefix}step{trainer[0]} -.->|"{name}"| {node}')
        dataset = _dataset(recipe, name)
        if dataset in recipe.datasets:
            lines.append(f"{indent}{prefix}data_{_node_id(dataset)} -.-> {node}")
        lines.append(f"{indent}{node} --> {prefix}output")
    return lines


def data(recipe: Recipe) -> dict[str, Any]:
    chain = {"from": recipe.model.from_} if recipe.model and recipe.model.from_ else {}
    if not recipe.adapters:
        return chain
    return {
        **chain,
        "adapters": [
            {"name": name, "dataset": _dataset(recipe, name), "changes": adapter_overrides(recipe.adapters[name]),
             "file": f"{name}.onnx_adapter", "workflow_output": node_dir(recipe, name)}
            for name in recipe.adapters
        ]
    }


def _node_id(name: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() else "_" for c in name)
