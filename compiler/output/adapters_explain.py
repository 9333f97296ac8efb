"""`orc explain` of named adapters (`adapters:`): each adapter, the settings it changes, its data and the file it
becomes; of `model: {from: ...}`, the recipe it builds on; and the plan (build/graph.py's Plan.as_json(): the
Olive workflows in run order, what feeds what), for a recipe of more than one workflow; in the table, the
Mermaid diagram and the JSON (explain.py calls these; nothing for other recipes). compile-and-run's dry run
prints the same plan lines."""

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


def plan_lines(plan: dict[str, Any]) -> list[str]:
    """The plan as text: each workflow in run order, with what feeds its inputs, then each assembled folder."""
    lines = []
    for index, flow in enumerate(plan["workflows"], 1):
        fed = "".join(f"; {key} = {value['path']} (from {value['workflow']})" for key, value in flow["inputs"].items())
        lines.append(f"{'plan:' if index == 1 else '':9}{index}. {flow['name']}: {flow['recipe']}, workflow {flow['workflow_id']} -> {flow['output']}{fed}")
    for assembly in plan["assemblies"]:
        parts = ", ".join(f"{name} ({', '.join(feeds)})" for name, feeds in assembly["from"].items())
        lines.append(f"{'':9}then: {assembly['output']} assembled from {parts}" + (" under model/" if assembly["layout"] == "model" else ""))
    return lines


def table_lines(recipe: Recipe, plan: dict[str, Any] | None = None) -> list[str]:
    chain = [f"from:    {recipe.model.from_} (that recipe's output model; compile-and-run runs it first when it is stale)"] if recipe.model and recipe.model.from_ else []
    chain += plan_lines(plan) if plan else []
    if not recipe.adapters:
        return chain
    names = list(recipe.adapters)
    lines = []
    for index, name in enumerate(names):
        changes = "; ".join(_changes(recipe, name)) or "the step's settings"
        lines.append(f"{'adapters: ' if index == 0 else '':10}{name}: {changes} -> {name}.onnx_adapter (workflow in {node_dir(recipe, name)})")
    lines.append(f"{'':10}one Olive workflow per adapter, in this order; the base model comes from the '{names[0]}' workflow")
    return chain + lines


def _producer_lines(plan: dict[str, Any], prefix: str, indent: str) -> list[str]:
    """The workflows of the recipes this one builds on, in run order, the last one's output into the model."""
    flows = [flow for flow in plan["workflows"] if flow["recipe"] in plan["builds_on"]]
    lines, previous = [], None
    for flow in flows:
        node = f"{prefix}producer_{_node_id(flow['name'])}"
        lines.append(f'{indent}{node}[["workflow {flow["name"]}<br/>recipe {flow["recipe"]}"]]')
        for key, value in flow["inputs"].items():
            lines.append(f'{indent}{prefix}producer_{_node_id(value["workflow"])} ==>|"{key}"| {node}')
        previous = node
    if previous is not None:
        fed = sorted({key for flow in plan["workflows"] if flow["recipe"] not in plan["builds_on"] for key in flow["inputs"]})
        lines.append(f'{indent}{previous} ==>|"{", ".join(fed) or "its output"}"| {prefix}model')
    return lines


def mermaid_lines(recipe: Recipe, prefix: str, indent: str, plan: dict[str, Any] | None = None) -> list[str]:
    lines = []
    if plan and plan["builds_on"]:
        lines += _producer_lines(plan, prefix, indent)
    elif recipe.model and recipe.model.from_:
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


def data(recipe: Recipe, plan: dict[str, Any] | None = None) -> dict[str, Any]:
    chain: dict[str, Any] = {"from": recipe.model.from_} if recipe.model and recipe.model.from_ else {}
    if plan:
        chain["plan"] = plan
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
