"""The plan of a recipe as data: the Olive workflows it compiles to, in run order, and what feeds what.

A plain recipe is one workflow (with `output.layout: model`, written into `<dir>.olive-output/` and copied into
`<dir>/model/`). A recipe with named adapters (`adapters:`) is one workflow per adapter
(recipe/adapter_nodes.py), each writing its own folder, and an assembly step that takes the first adapter's
base model and every adapter's weights file into the recipe's output folder. `compile-and-run` (run/adapters.py)
and `orc explain` read this one structure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from orc_olive.build.compile import Result
from orc_olive.diagnostics import Diagnostic
from orc_olive.olive.run_config import schema_errors
from orc_olive.recipe.adapter_nodes import node_dir, node_recipe
from orc_olive.recipe.models import Output
from orc_olive.render.context import build_context
from orc_olive.render.jinja import render_workflow
from orc_olive.render.olive_block import apply as apply_olive_block


@dataclass
class Node:
    name: str  # the adapter's name
    result: Result  # the node's compiled workflow, with its own recipe (and output folder)
    output: str  # the node's output folder, relative to the recipe
    feeds: list[str] = field(default_factory=list)  # what it gives the assembly: "base model", "<name>.onnx_adapter"


@dataclass
class Plan:
    recipe: str
    output: str
    nodes: list[Node]

    def as_json(self) -> dict[str, Any]:
        return {
            "recipe": self.recipe,
            "output": self.output,
            "workflows": [
                {"name": node.name, "workflow_id": (node.result.workflow or {}).get("workflow_id"), "output": node.output, "feeds": node.feeds}
                for node in self.nodes
            ],
        }


def adapter_plan(result: Result) -> Plan | None:
    """The plan of an error-free result whose recipe has named adapters; None for any other recipe."""
    recipe = result.recipe
    if recipe is None or not recipe.adapters or not result.ok:
        return None
    nodes = []
    for index, name in enumerate(recipe.adapters):
        node = node_recipe(recipe, name)
        workflow = apply_olive_block(render_workflow(build_context(node, result.base_dir)), node.olive)
        problems = schema_errors(workflow)
        diagnostics = result.diagnostics.__class__()
        diagnostics.extend(Diagnostic(f"the compiled workflow of adapter '{name}' is not valid for Olive: {p}", result.file, 1, 1, code="olive_schema") for p in problems)
        node_result = Result(file=result.file, diagnostics=diagnostics, recipe=node, document=result.document, workflow=workflow, variant=result.variant)
        feeds = (["base model"] if index == 0 else []) + [f"{name}.onnx_adapter"]
        nodes.append(Node(name, node_result, node_dir(recipe, name), feeds))
    return Plan(result.file, recipe.output.dir, nodes)


LAYOUT_SUFFIX = ".olive-output"


def plan_for(result: Result) -> Plan | None:
    """The plan of an error-free result that is more than one workflow writing its output folder: named
    adapters, or `output.layout: model`; None for a recipe whose one workflow writes its output itself."""
    recipe = result.recipe
    if recipe is None or not result.ok:
        return None
    if recipe.adapters:
        return adapter_plan(result)
    if recipe.output.layout != "model" or result.workflow is None:
        return None
    folder = recipe.output.dir.rstrip("/") + LAYOUT_SUFFIX
    node = recipe.model_copy(update={"output": Output(dir=folder, cache=recipe.output.cache)})
    node_result = replace(result, recipe=node, workflow=dict(result.workflow, output_dir=folder), diagnostics=result.diagnostics.__class__())
    return Plan(result.file, recipe.output.dir, [Node("model", node_result, folder, ["model"])])


def plan_files(result: Result, output: Path) -> list[tuple[Path, str]]:
    """What `orc compile -o FILE.json` writes beside FILE.json for a recipe of several workflows: each adapter's
    workflow (`FILE.<name>.json`; FILE.json is the first's) and the plan (`FILE.plan.json`); nothing otherwise."""
    from orc_olive.build.chain import producers

    plan = adapter_plan(result)
    if plan is None:
        return []
    stem = output.name[: -len(".json")] if output.name.endswith(".json") else output.name
    files = [(output.with_name(f"{stem}.{node.name}.json"), node.result.text) for node in plan.nodes]
    data = plan.as_json()
    for entry, (path, _) in zip(data["workflows"], files):
        entry["file"] = path.name
    data["builds_on"] = [p.file for p in producers(result)]
    return files + [(output.with_name(f"{stem}.plan.json"), json.dumps(data, indent=2) + "\n")]
