"""compile-and-run of a recipe's plan (build/graph.py): the recipes it builds on (`model: {from: ...}`) first, in
dependency order, each skipped when its manifest says it is up to date, then the recipe itself (one workflow, or
one per named adapter, and its assembled output folder). The first that fails stops the rest, and its exit code is
the command's. The dry run shows the plan; the recipe's manifest keeps it (`plan`, as `orc compile -o` writes it).
"""

from __future__ import annotations

import json
from typing import Callable

from orc_olive.build.compile import Result
from orc_olive.build.graph import Plan, graph_plan
from orc_olive.files import os_error_line, write_atomic
from orc_olive.output.adapters_explain import plan_lines
from orc_olive.recipe.models import Recipe
from orc_olive.run import manifest
from orc_olive.run.adapters import run_stage
from orc_olive.run.execute import RunPaths
from orc_olive.run.progress import Progress
from orc_olive.secrecy import mask


def needs_graph(recipe: Recipe) -> bool:
    """Whether compile-and-run goes through here: named adapters, `output.layout: model`, or `model: {from: ...}`."""
    return bool(recipe.adapters) or recipe.output.layout == "model" or (recipe.model is not None and recipe.model.from_ is not None)


def run_graph(result: Result, *, force: bool, dry_run: bool, progress: Callable[[], Progress], warm: bool = False, keep: int = 0) -> int:
    """Run the producers that are stale, then the recipe; `force` runs the recipe itself again, not its producers.
    `warm` and `keep` go to every run (execute.run_workflow)."""
    plan = graph_plan(result)
    assert plan is not None
    say = progress()
    if dry_run:
        for line in plan_lines(plan.as_json()):
            say.say(line)
    for stage in plan.stages[:-1]:
        produced = stage.result
        if not produced.ok:  # changed on disk since this recipe was checked
            say.say(f"orc: the recipe {produced.file} this one builds on has errors now: run `orc validate {produced.file}`", always=True)
            return 1
        say.say(f"orc: first the recipe this one builds on: {produced.file}")
        code = run_stage(plan, stage, force=False, dry_run=dry_run, progress=progress, warm=warm, keep=keep)
        if code != 0:
            say.say(f"orc: stopped: {produced.file} failed (exit {code}), so {result.file} was not run", always=True)
            return code
    code = run_stage(plan, plan.own, force=force, dry_run=dry_run, progress=progress, warm=warm, keep=keep)
    if code == 0 and not dry_run:
        return keep_plan(plan, say)
    return code


def keep_plan(plan: Plan, say: Progress) -> int:
    """The plan in the recipe's manifest (`plan`), where its run (or the assembly) did not write this one."""
    result = plan.own.result
    paths = RunPaths((result.base_dir / plan.output).resolve())
    record = manifest.read(paths.manifest)
    data = json.loads(mask(json.dumps(plan.as_json()), result.secrets))
    if not isinstance(record, dict) or record.get("plan") == data:
        return 0
    try:
        write_atomic(paths.manifest, json.dumps({**record, "plan": data}, indent=2) + "\n", private=bool(result.secrets))
    except OSError as exc:
        say.say(f"orc: cannot write the plan into {paths.manifest}: {os_error_line(exc)}", always=True)
        return 1
    return 0
