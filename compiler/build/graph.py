"""The plan of a recipe as data: the Olive workflows it compiles to, in run order, and what feeds what.

A plan is a list of stages, one per recipe, producers first (`model: {from: stage1.yaml}`, build/chain.py), the
recipe itself last. A stage is one workflow writing the recipe's output folder, or, when its output folder is
assembled by orc, several: one per named adapter (recipe/adapter_nodes.py, each writing its own folder, the
first adapter's base model and every adapter's weights file assembled into the output folder), or the one workflow
of `output.layout: model` (written into `<dir>.olive-output/` and copied into `<dir>/model/`). A workflow whose
input model is another recipe's output names it in its `inputs`.

`orc compile -o` (plan_files), `orc explain`, `compile-and-run` (run/graph.py, its dry run and the manifest) read
this one structure; `Plan.as_json()` is what they show and write.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from orc_olive.build.chain import producer_file, producers
from orc_olive.build.compile import Result
from orc_olive.diagnostics import Diagnostic
from orc_olive.olive.run_config import schema_errors
from orc_olive.recipe.adapter_nodes import node_dir, node_recipe
from orc_olive.recipe.models import Output
from orc_olive.render.context import build_context
from orc_olive.render.jinja import render_workflow
from orc_olive.render.olive_block import apply as apply_olive_block
from orc_olive.secrecy import holds_secret

LAYOUT_SUFFIX = ".olive-output"
INPUT_FIELDS = ("model_path", "adapter_path")  # the fields of a workflow's input_model another recipe's output can fill


@dataclass
class Node:
    """One Olive workflow of the plan."""

    name: str  # unique in the plan: the adapter's name, else the recipe's name
    result: Result  # the node's compiled workflow, with its own recipe (and output folder)
    output: str  # the node's output folder, relative to its recipe
    feeds: list[str] = field(default_factory=list)  # what it gives the assembly ("base model", "<name>.onnx_adapter", "model")
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)  # input_model.<field> -> the recipe (absolute), workflow, path it comes from
    users: list[str] = field(default_factory=list)  # the inputs of other recipes' workflows its output fills ("<node>: input_model.<field>")


@dataclass
class Stage:
    """One recipe of the plan and its workflows, in run order."""

    result: Result
    nodes: list[Node]
    assembled: bool  # its output folder is assembled from its nodes' folders (named adapters, `output.layout: model`)

    @property
    def output(self) -> str:
        assert self.result.recipe is not None
        return self.result.recipe.output.dir


@dataclass
class Plan:
    recipe: str
    output: str
    stages: list[Stage]  # producers first, the recipe itself last

    @property
    def own(self) -> Stage:
        return self.stages[-1]

    @property
    def nodes(self) -> list[Node]:
        """The recipe's own workflows (not its producers')."""
        return self.own.nodes

    @property
    def workflows(self) -> list[Node]:
        """Every workflow, in run order."""
        return [node for stage in self.stages for node in stage.nodes]

    def as_json(self) -> dict[str, Any]:
        top = self.own.result.base_dir

        def where(stage: Stage, path: str) -> str:  # a stage's path, relative to the recipe's folder
            if os.path.isabs(path) or stage.result.base_dir == top:
                return path
            return os.path.normpath(os.path.relpath(stage.result.base_dir / path, top))

        def recipe_file(stage: Stage) -> str:
            return os.path.relpath(os.path.abspath(stage.result.file), top)

        workflows = [
            {
                "name": node.name,
                "recipe": recipe_file(stage),
                "workflow_id": (node.result.workflow or {}).get("workflow_id"),
                "output": where(stage, node.output),
                "inputs": {key: {**value, "recipe": os.path.relpath(value["recipe"], top), "path": where(stage, value["path"])} for key, value in node.inputs.items()},
                "feeds": node.feeds + node.users,
            }
            for stage in self.stages
            for node in stage.nodes
        ]
        assemblies = [
            {"recipe": recipe_file(stage), "output": where(stage, stage.output), "layout": stage.result.recipe.output.layout if stage.result.recipe else "flat",
             "from": {node.name: node.feeds for node in stage.nodes}}
            for stage in self.stages
            if stage.assembled
        ]
        return {
            "recipe": Path(self.recipe).name,
            "output": self.output,
            "builds_on": [recipe_file(stage) for stage in self.stages[:-1]],
            "workflows": workflows,
            "assemblies": assemblies,
        }


def _adapter_nodes(result: Result) -> list[Node]:
    recipe = result.recipe
    assert recipe is not None
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
    return nodes


def stage_of(result: Result) -> Stage | None:
    """The stage of one error-free recipe (its own workflows, without its producers'); None for one with errors."""
    recipe = result.recipe
    if recipe is None or not result.ok or result.workflow is None:
        return None
    if recipe.adapters:
        return Stage(result, _adapter_nodes(result), assembled=True)
    if recipe.output.layout == "model":
        folder = recipe.output.dir.rstrip("/") + LAYOUT_SUFFIX
        node = recipe.model_copy(update={"output": Output(dir=folder, cache=recipe.output.cache)})
        node_result = replace(result, recipe=node, workflow=dict(result.workflow, output_dir=folder), diagnostics=result.diagnostics.__class__())
        return Stage(result, [Node(recipe.name, node_result, folder, ["model"])], assembled=True)
    return Stage(result, [Node(recipe.name, result, recipe.output.dir)], assembled=False)


def graph_plan(result: Result) -> Plan | None:
    """The plan of an error-free recipe: the recipes it builds on (each as it compiles now; one with errors is a
    stage without workflows, which compile-and-run reports), then its own workflows. None when it has errors."""
    own = stage_of(result)
    if own is None or result.recipe is None:
        return None
    stages = [stage_of(produced) or Stage(produced, [], assembled=False) for produced in producers(result)] + [own]
    names: set[str] = set()
    for stage in stages:
        for node in stage.nodes:
            base, number = node.name, 1
            while node.name in names:  # a recipe named like another recipe or an adapter
                number += 1
                node.name = f"{base}-{number}"
            names.add(node.name)
    _link(stages)
    return Plan(result.file, result.recipe.output.dir, stages)


def _link(stages: list[Stage]) -> None:
    """Each workflow's inputs that are the output of a producing recipe's last workflow (and that workflow's feeds)."""
    by_file = {Path(os.path.abspath(stage.result.file)): stage for stage in stages}
    for stage in stages:
        file = producer_file(stage.result.recipe, stage.result.base_dir) if stage.result.recipe is not None else None
        source = by_file.get(file) if file is not None else None
        if source is None or not source.nodes:
            continue
        giver = source.nodes[-1]
        for node in stage.nodes:
            input_model = (node.result.workflow or {}).get("input_model") or {}
            for key in INPUT_FIELDS:
                if isinstance(input_model.get(key), str):
                    node.inputs[f"input_model.{key}"] = {"recipe": os.path.abspath(source.result.file), "workflow": giver.name, "path": input_model[key]}
                    giver.users.append(f"{node.name}: input_model.{key}")


def several(plan: Plan | None) -> bool:
    """Whether the plan is more than the one workflow `orc compile` prints (so it is worth writing down)."""
    return plan is not None and (len(plan.workflows) > 1 or any(stage.assembled for stage in plan.stages))


def plan_files(result: Result, output: Path) -> list[tuple[Path, str, bool]]:
    """What `orc compile -o FILE.json` writes beside FILE.json for a recipe of several workflows (named adapters, a
    recipe it builds on, `output.layout: model`): each workflow (`FILE.<name>.json`, in its recipe's terms: its
    paths are relative to its recipe's folder) and the plan (`FILE.plan.json`), each with whether it holds a secret;
    nothing for a recipe of one workflow. FILE.json stays what `orc compile` prints (the first adapter's workflow)."""
    plan = graph_plan(result)
    if not several(plan):
        return []
    assert plan is not None
    stem = output.name[: -len(".json")] if output.name.endswith(".json") else output.name
    files = []
    for node in plan.workflows:
        text = node.result.text
        files.append((output.with_name(f"{stem}.{node.name}.json"), text, holds_secret(text, {**result.secrets, **node.result.secrets})))
    data = plan.as_json()
    for entry, (path, _, _) in zip(data["workflows"], files):
        entry["file"] = path.name
    text = json.dumps(data, indent=2) + "\n"
    return files + [(output.with_name(f"{stem}.plan.json"), text, holds_secret(text, result.secrets))]


def plan_data(result: Result) -> dict[str, Any] | None:
    """What `orc explain` shows of the plan: Plan.as_json() for a recipe of several workflows, else None."""
    plan = graph_plan(result)
    return plan.as_json() if plan is not None and several(plan) else None
