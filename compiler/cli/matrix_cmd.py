"""`orc compile-and-run` over a matrix (`--all-variants`, several recipe files), and the registration of
a local run's model (`output.register`).

One recipe without `--all-variants` goes to commands.cmd_compile_and_run as before; its model is then
registered when the recipe asks. A matrix is compiled whole first (nothing runs unless every member
compiles): AzureML members become one job each (or, with `--pipeline`, one pipeline job with a node per
member) under one experiment name, local members run one after another; one table sums it all up.
"""

from __future__ import annotations

import argparse
import json
import os
import posixpath
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orc_olive.cli import guards
from orc_olive.cli.exit_codes import EXIT_ERRORS, EXIT_NOT_RUN, EXIT_OK, EXIT_RUN_FAILED, run_exit
from orc_olive.cli.worker_cmd import keep_outputs


@dataclass
class Row:
    member: str
    target: str
    status: str
    detail: str  # the job's studio link, the output folder, or what to run
    code: int = EXIT_OK


def cmd_compile_and_run_matrix(args: argparse.Namespace) -> int:
    recipes = list(args.recipe) if isinstance(args.recipe, list) else [args.recipe]
    if len(recipes) == 1 and not args.all_variants:
        from orc_olive.cli.quick_cmd import quick_noop  # issue 19: "up to date" before anything is compiled

        args.recipe = recipes[0]
        if (code := quick_noop(args)) is not None:
            return code
        from orc_olive.cli.commands import cmd_compile_and_run

        code = cmd_compile_and_run(args)
        return register_after_run(args, code)
    return _matrix(args, recipes)


def register_after_run(args: argparse.Namespace, code: int) -> int:
    """After a successful local run of a recipe with `output.register`: register its model (azure-ai-ml and
    credentials), else print the `az ml model create` command and exit 4."""
    if code != EXIT_OK:
        return code
    from orc_olive.build.compile import compile_file

    result = compile_file(args.recipe, sets=args.set, variant=args.variant)  # the run compiled it: no new problems
    recipe = result.recipe
    if recipe is None or recipe.output.register_ is None or recipe.target.system == "azureml":
        return code  # an azureml job registers its own output
    row = _register(recipe, (result.base_dir / recipe.output.dir).resolve(), args.dry_run)
    return row.code


def _register(recipe: Any, output: Path, dry_run: bool) -> Row:
    from orc_olive.run import azureml_submit

    command = azureml_submit.register_command(recipe, str(output))
    why_not = azureml_submit.can_submit()
    register = recipe.output.register_
    label = f"{register.name}:{register.version_text or 'next'}"
    if dry_run or why_not:
        if why_not:
            guards.say(f"orc: model not registered: {why_not}")
        guards.say(f"orc: register it with:\n  {command}")
        return Row(recipe.name, "register", "not registered", command, EXIT_OK if dry_run else EXIT_NOT_RUN)
    code = azureml_submit.register(recipe, str(output), guards.say)  # pragma: no cover - needs Azure
    return Row(recipe.name, "register", f"registered {label}" if code == EXIT_OK else "failed", label, code)  # pragma: no cover


def _member(result: Any) -> str:
    """The recipe's name, which a variant's name usually ends with; else the variant in brackets."""
    name, variant = result.recipe.name, result.variant
    return name if not variant or name.endswith(f"-{variant}") else f"{name} ({variant})"


def _matrix(args: argparse.Namespace, recipes: list[str]) -> int:
    from orc_olive.build.compile import compile_variants
    from orc_olive.output.formats import render

    variants = None if args.all_variants else [args.variant]
    results = [result for file in recipes for result in compile_variants(file, variants, sets=args.set)]
    diagnostics = list(dict.fromkeys(d for result in results for d in result.diagnostics.items))
    if diagnostics:
        print(render(diagnostics), file=sys.stderr)
    if not all(result.ok for result in results):
        guards.say("orc compile-and-run: nothing was run: every member of the matrix must compile")
        return EXIT_ERRORS
    cloud = [r for r in results if r.recipe is not None and r.recipe.target.system == "azureml"]
    local = [r for r in results if r.recipe is not None and r.recipe.target.system != "azureml"]
    rows = _submit_all(cloud, args) if cloud else []
    for result in local:
        rows += _run_local(result, args)
    _print_table(rows, args)
    codes = [row.code for row in rows]
    worst = next((c for c in (EXIT_RUN_FAILED, EXIT_ERRORS, 130, 143) if c in codes), None)
    return worst if worst is not None else EXIT_NOT_RUN if EXIT_NOT_RUN in codes else EXIT_OK


def _run_local(result: Any, args: argparse.Namespace) -> list[Row]:
    from orc_olive.run.execute import default_progress, run_workflow

    recipe, member = result.recipe, _member(result)
    output = (result.base_dir / recipe.output.dir).resolve()
    if (code := guards.run_output_problem("compile-and-run", output)) is not None:
        return [Row(member, recipe.target.system, "not run", str(output), code)]
    if not args.dry_run and (code := guards.needs_extra("compile-and-run", "running the workflow", guards.OLIVE, EXIT_NOT_RUN)) is not None:
        return [Row(member, recipe.target.system, "not run", "Olive is not installed", code)]
    guards.say(f"== {member}")
    mode = "quiet" if args.quiet else "verbose" if args.verbose else "normal"
    started = time.monotonic()
    files = sorted(Path(p) for p in result.sources if Path(p).is_file())
    outcome = run_workflow(result, files, force=args.force, dry_run=args.dry_run, warm=getattr(args, "warm", False), keep=keep_outputs(args),
                           progress=default_progress(mode, no_progress=args.no_progress))
    seconds = time.monotonic() - started
    status = "dry run" if args.dry_run else "up to date" if outcome.skipped else "ok" if outcome.exit_code == EXIT_OK else "failed"
    detail = f"{_shown(output)} ({seconds:.1f} s)" if outcome.exit_code == EXIT_OK else (outcome.message or str(output))
    rows = [Row(member, recipe.target.system, status, detail, run_exit(outcome.exit_code))]
    if outcome.exit_code == EXIT_OK and recipe.output.register_ is not None:
        rows.append(_register(recipe, output, args.dry_run))
    return rows


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def _submit_all(results: list[Any], args: argparse.Namespace) -> list[Row]:
    """Write every member's job spec (checked by azure-ai-ml where installed), then submit them as one job
    each or as one pipeline job, under one experiment name."""
    from orc_olive.build.outputs import write_result
    from orc_olive.render import azureml_job
    from orc_olive.run import azureml_submit
    from orc_olive.run.execute import RunPaths

    experiment = args.experiment or results[0].recipe.target.azureml.experiment
    specs: list[tuple[Any, Path]] = []
    for result in results:
        result.recipe.target.azureml.experiment = experiment  # one experiment for the matrix
        paths = RunPaths((result.base_dir / result.recipe.output.dir).resolve())
        spec = [p for p in write_result(result, paths.workflow) if p.name.endswith(azureml_job.SUFFIX)][0]
        specs.append((result, spec))
        guards.say(f"wrote {_shown(spec)}")
    why_not = azureml_submit.can_submit()
    if args.pipeline:
        pipeline = write_pipeline(specs, experiment)
        guards.say(f"wrote {_shown(pipeline)}")
        command = azureml_submit.submit_command(results[0].recipe, str(pipeline))
        if args.dry_run or why_not:
            return [_not_submitted(f"{experiment} (pipeline: {', '.join(_member(r) for r, _ in specs)})", command, why_not, args.dry_run)]
        name, link = azureml_submit.submit_only(results[0].recipe, str(pipeline))  # pragma: no cover - needs Azure
        return [Row(f"{experiment} (pipeline)", "azureml", name, link)]  # pragma: no cover
    rows = []
    for result, spec in specs:
        command = azureml_submit.submit_command(result.recipe, str(spec))
        if args.dry_run or why_not:
            rows.append(_not_submitted(_member(result), command, why_not, args.dry_run))
            continue
        name, link = azureml_submit.submit_only(result.recipe, str(spec))  # pragma: no cover - needs Azure
        rows.append(Row(_member(result), "azureml", name, link))  # pragma: no cover
    if why_not and not args.dry_run:
        guards.say(f"orc: not submitted: {why_not}")
    return rows


def _not_submitted(member: str, command: str, why_not: str, dry_run: bool) -> Row:
    return Row(member, "azureml", "dry run" if dry_run else "not submitted", command, EXIT_OK if dry_run else EXIT_NOT_RUN)


def write_pipeline(specs: list[tuple[Any, Path]], experiment: str) -> Path:
    """One pipeline job (a node per member) beside the first member's spec, its paths made relative to it;
    checked with azure-ai-ml like the command jobs, written only if it passes."""
    from orc_olive.diagnostics import Diagnostic, OrcError
    from orc_olive.files import write_atomic
    from orc_olive.render import azureml_job

    folder = specs[0][1].parent
    target = folder / f"{experiment}.azureml-pipeline.yaml"
    nodes: dict[str, dict] = {}
    for result, spec in specs:
        node = _moved(azureml_job.job_spec_from_file(spec), spec.parent, folder)
        nodes[_member(result).replace(" (", "-").rstrip(")")] = node
    text = azureml_job.dump(azureml_job.pipeline_spec(nodes, experiment, f"orc matrix: {', '.join(nodes)}"))
    problems = azureml_job.spec_problems(text, target.resolve()) or []
    if problems:
        raise OrcError([Diagnostic(f"azure-ai-ml rejects the pipeline job orc made: {p}", str(target), code="azureml_spec") for p in problems])
    write_atomic(target, text)
    return target


def _moved(spec: dict, old: Path, new: Path) -> dict:
    """A job spec's local paths (code, the workflow input, the conda file), relative to `new` instead of `old`."""
    def rebase(path: str) -> str:
        return posixpath.normpath(os.path.relpath((old / path).resolve(), new.resolve())).replace(os.sep, "/")

    spec = json.loads(json.dumps(spec))
    spec["code"] = rebase(spec["code"])
    spec["inputs"]["workflow"]["path"] = "./" + rebase(spec["inputs"]["workflow"]["path"])
    if isinstance(spec.get("environment"), dict) and "conda_file" in spec["environment"]:
        spec["environment"]["conda_file"] = rebase(spec["environment"]["conda_file"])
    return spec


def _print_table(rows: list[Row], args: argparse.Namespace) -> None:
    if getattr(args, "format", "text") == "json":
        print(json.dumps([row.__dict__ for row in rows], indent=2))
        return
    head = ("member", "target", "status", "job / output / command")
    cells = [head] + [(r.member, r.target, r.status, r.detail) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(3)]
    for cell in cells:
        print("  ".join(text.ljust(width) for text, width in zip(cell[:3], widths)) + "  " + cell[3])
