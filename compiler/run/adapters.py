"""compile-and-run of one recipe (a stage) of the plan (build/graph.py): its one workflow, or, for named adapters,
each adapter's workflow through run_workflow (which skips one whose manifest fingerprint is unchanged), then
the recipe's output folder assembled from them (with
`output.layout: model`, everything below goes under models/x/model/, the Olive CLI's layout; a recipe without
adapters is then one workflow into models/x.olive-output/, copied there the same way):

  models/x/             model.onnx(.data), genai_config.json, tokenizer... (from the first adapter's workflow)
                        travel.onnx_adapter, tone.onnx_adapter (each adapter's ExtractAdapters weights)
  models/x.manifest.json  the assembly's record: which node runs it was made from, and its files' hashes
  models/x.adapters/NAME/ (+ .manifest.json, .olive.log, ...)  each adapter's own workflow output

The assembly is written into a staging folder and swapped in whole; it is a no-op when every node was up to
date and the folder still holds what the record says.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

from orc_olive.build.graph import Plan, Stage
from orc_olive.files import os_error_line, write_atomic
from orc_olive.run import history, manifest
from orc_olive.run.execute import RunPaths, run_workflow
from orc_olive.run.model_check import adapter_files, check_model
from orc_olive.run.progress import Progress
from orc_olive.secrecy import mask

ADAPTER_SUFFIX = ".onnx_adapter"


def run_stage(plan: Plan, stage: Stage, *, force: bool, dry_run: bool, progress: Callable[[], Progress], warm: bool = False, keep: int = 0) -> int:
    """Run one recipe of the plan: its one workflow, or each of its workflows in order (each adapter's, or the one
    of `output.layout: model`) and then its assembled output folder; the exit code of the first that fails, else 0."""
    result = stage.result
    assert result.recipe is not None
    recipe_files = sorted(Path(p) for p in result.sources if Path(p).is_file())
    say = progress()
    for node in stage.nodes:
        if not node.result.ok:
            say.say(f"orc: {node.result.diagnostics.errors[0].message}", always=True)
            return 1
    if not stage.assembled:
        (node,) = stage.nodes
        return run_workflow(node.result, recipe_files, force=force, dry_run=dry_run, warm=warm, keep=keep, progress=say).exit_code
    label = (lambda name: f"adapter '{name}'") if result.recipe.adapters else (lambda name: "the workflow")
    output = (result.base_dir / stage.output).resolve()
    if dry_run:
        for node in stage.nodes:
            say.say(f"{label(node.name)}: workflow {node.result.workflow['workflow_id'] if node.result.workflow else '?'} -> {node.output}")
            run_workflow(node.result, recipe_files, dry_run=True, progress=say)
        files = ("the first adapter's base model and " + ", ".join(n.name + ADAPTER_SUFFIX for n in stage.nodes)) if result.recipe.adapters else "its model"
        say.say(f"then: {output} assembled from {files}" + (" (under model/)" if result.recipe.output.layout == "model" else ""))
        return 0
    for node in stage.nodes:
        outcome = run_workflow(node.result, recipe_files, force=force, warm=warm, keep=keep, progress=progress())
        if outcome.exit_code != 0:
            say.say(f"orc: {label(node.name)} failed: {outcome.message}", always=True)
            return outcome.exit_code
    return assemble(plan, stage, output, say)


def _node_runs(stage: Stage, base: Path) -> dict[str, str | None]:
    return {node.name: history.run_id_of(manifest.read(RunPaths((base / node.output).resolve()).manifest)) for node in stage.nodes}


def stage_plan(plan: Plan, stage: Stage) -> Plan:
    """The part of the plan a stage's output is made from: it and the recipes before it (a chain is one line)."""
    index = next(i for i, s in enumerate(plan.stages) if s is stage)
    return Plan(stage.result.file, stage.output, plan.stages[: index + 1])


def assemble(plan: Plan, stage: Stage, output: Path, say: Progress) -> int:
    """The recipe's output folder from its nodes' folders (skipped when nothing changed)."""
    result = stage.result
    base = result.base_dir
    layout = result.recipe.output.layout if result.recipe else "flat"
    runs = {"nodes": _node_runs(stage, base), "layout": layout}  # what the folder is made from, and how
    paths = RunPaths(output)
    record = manifest.read(paths.manifest) or {}
    if record.get("fingerprint") == runs and record.get("output_files") == _listing(output):
        say.say(f"up to date: {output} (every adapter's workflow and the assembled folder unchanged)")
        return 0
    staging = paths.staging
    try:
        history.remove_tree(staging)
        named = bool(result.recipe and result.recipe.adapters)
        model = staging / "model" if result.recipe and result.recipe.output.layout == "model" else staging
        model.mkdir(parents=True)
        first = (base / stage.nodes[0].output).resolve()
        for item in sorted(first.iterdir()):
            if item.suffix == ADAPTER_SUFFIX and named:
                continue
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, model / item.name)
        adapters = {}
        for node in stage.nodes if named else ():
            files = adapter_files((base / node.output).resolve())
            if len(files) != 1:
                say.say(f"orc: adapter '{node.name}': its workflow left {len(files)} adapter files in {node.output} (expected one)", always=True)
                history.remove_tree(staging)
                return 1
            shutil.copy2(files[0], model / f"{node.name}{ADAPTER_SUFFIX}")
            adapters[node.name] = str(output / model.relative_to(staging) / f"{node.name}{ADAPTER_SUFFIX}")
        report = check_model(model)
        if not report.ok:
            say.say(f"orc: the assembled model is not usable: {report.detail}", always=True)
            history.remove_tree(staging)
            return 1
        data = {
            "status": "succeeded",
            "recipe": result.file,
            "fingerprint": runs,
            "output": str(output),
            "plan": json.loads(mask(json.dumps(stage_plan(plan, stage).as_json()), result.secrets)),
            "adapters": adapters,
            "output_files": manifest.output_listing(staging),
        }
        history.swap_folder(staging, output)
        write_atomic(paths.manifest, json.dumps(data, indent=2) + "\n", private=bool(result.secrets))
    except OSError as exc:
        history.remove_tree(staging)
        say.say(f"orc: cannot assemble {output}: {os_error_line(exc)}", always=True)
        return 1
    what = f"base model + {', '.join(f'{name}{ADAPTER_SUFFIX}' for name in adapters)}" if adapters else "the model"
    say.say(f"assembled {output}: {what}" + (" (under model/)" if model.name == "model" and model != staging else ""), always=True)
    return 0


def _listing(folder: Path) -> dict:
    return manifest.output_listing(folder) if folder.is_dir() else {}


