"""The commands of `orc`: each parses nothing (main.py does), calls the library and returns an exit code.

Heavy modules are imported inside the commands so that `orc --help` stays instant and never imports
torch or Olive. An OrcError raised by any command is reported by main(), once.
"""

from __future__ import annotations

import argparse
import glob
import json
import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Sequence

from orc_olive.cli import conventions, guards, report_cmd
from orc_olive.cli.exit_codes import EXIT_ERRORS, EXIT_NOT_RUN, EXIT_OK, EXIT_USAGE, run_exit
from orc_olive.cli.worker_cmd import keep_outputs

# A recipe (or a base it extends) has one of these keys at the top level; a CI workflow or another
# tool's YAML in the same folder has none of them.
_RECIPE_KEY = re.compile(rb"^(?:steps|extends|model|variants):", re.MULTILINE)


def _looks_like_recipe(path: Path) -> bool:
    try:
        return bool(_RECIPE_KEY.search(path.read_bytes()[:1 << 20]))
    except OSError:
        return True  # let validation report it


def _expand(patterns: Sequence[str], skipped: list[Path] | None = None) -> list[Path]:
    """Files, folders (the recipe-like .yaml/.yml below; the others go to `skipped`) and globs, in a
    stable order, each once. A file named explicitly or by a glob is always checked."""
    found: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        if pattern == conventions.STDIO:
            found.append(path)  # standard input
        elif path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()):
                (found if _looks_like_recipe(file) else skipped if skipped is not None else []).append(file)
        elif any(ch in pattern for ch in "*?["):
            found += sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def _problems(results: Iterable) -> list:
    """The diagnostics of several results, each once: variants of a recipe share their base's problems."""
    return list(dict.fromkeys(d for result in results for d in result.diagnostics.items))


def cmd_validate(args: argparse.Namespace) -> int:
    from orc_olive.build.compile import compile_variants
    from orc_olive.output.formats import render, summary

    if args.olive and (code := guards.needs_extra("validate", "--olive (parsing with Olive's RunConfig)", guards.OLIVE)) is not None:
        return code
    if (code := _ignore_usage("validate", args.ignore)) is not None:
        return code
    skipped: list[Path] = []
    files = _expand(args.paths, skipped)
    if args.with_dependents:  # and every recipe that extends one of them (a changed base)
        from orc_olive.cli.dependents import dependents

        files += [f for f in dependents([f for f in files if str(f) != conventions.STDIO], Path(args.root)) if f not in files]
    if not files:
        print("orc validate: no recipe files matched", file=sys.stderr)
        return EXIT_USAGE
    variants = [args.variant] if args.variant else None
    reader = conventions.recipe_reader()
    diagnostics = _problems(result for file in files
                            for result in compile_variants(str(file), variants, olive=args.olive, sets=args.set, reader=reader))
    diagnostics = conventions.silence(diagnostics, args.ignore, reader)  # --ignore, `# orc: ignore[CODE]`: warnings only
    if args.strict:  # warnings become errors, and are reported as such
        diagnostics = [replace(d, severity="error") for d in diagnostics]
    errors = [d for d in diagnostics if d.severity == "error"]
    text = render(diagnostics, args.format, reader)
    if args.format == "markdown":  # a job summary: the count first, then the table (nothing to list: the count alone)
        text = "\n\n".join(filter(None, [f"**orc validate: {summary(len(files), len(errors), len(diagnostics) - len(errors))}**", text]))
    if text:
        print(text, file=sys.stdout if args.format != "text" else sys.stderr)
    if args.format == "text":
        print(summary(len(files), len(errors), len(diagnostics) - len(errors)), file=sys.stderr)
        if skipped:
            guards.say(f"skipped {len(skipped)} YAML file(s) in the folders that are not recipes (no top-level steps/extends/model): "
                       + ", ".join(map(str, skipped)))
    return EXIT_ERRORS if errors else EXIT_OK


def _ignore_usage(command: str, codes: list[str]) -> int | None:
    problems = conventions.ignore_problems(codes)
    for problem in problems:
        guards.say(f"orc {command}: {problem}")
    return EXIT_USAGE if problems else None


def cmd_compile(args: argparse.Namespace) -> int:
    from orc_olive.build.compile import compile_variants
    from orc_olive.build.outputs import planned_outputs
    from orc_olive.output.formats import render

    if args.olive and (code := guards.needs_extra("compile", "--olive (parsing with Olive's RunConfig)", guards.OLIVE)) is not None:
        return code
    if (code := _ignore_usage("compile", args.ignore)) is not None:
        return code
    if conventions.is_stdio(args.output):
        args.output = None  # -o -: standard output
    output = Path(args.output) if args.output is not None else None
    # the output's place is checked before any work: -o FOLDER (existing, or with --all-variants) is a folder to write in
    in_folder = output is not None and (output.is_dir() or (args.all_variants and output.suffix != ".json"))
    if output is not None and (code := guards.cannot_write("compile", output, folder=in_folder)) is not None:
        return code
    reader = conventions.recipe_reader()
    results = compile_variants(args.recipe, None if args.all_variants else [args.variant], olive=args.olive, sets=args.set, reader=reader)
    diagnostics = conventions.silence(_problems(results), args.ignore, reader)
    if diagnostics:
        print(render(diagnostics), file=sys.stderr)
    if not all(result.ok for result in results):
        return EXIT_ERRORS  # nothing is written unless every variant compiles
    if args.output is None:
        if len(results) > 1:
            print("orc compile: --all-variants writes one file per variant: give -o FOLDER or -o FILE.json", file=sys.stderr)
            return EXIT_USAGE
        sys.stdout.write(results[0].masked_text)
        _say_masked("the workflow printed", results[0])
        return EXIT_OK
    # every file is planned (and checked) before any is written
    planned = [planned_outputs(result, _output_file(Path(args.output), result, len(results) > 1, in_folder)) for result in results]
    return write_planned(results, planned, also_print=args.print)


def write_planned(results: list, planned: list, *, also_print: bool) -> int:
    """Write every planned file (each result's files, in order), saying each; with --print show the workflow too."""
    from orc_olive.build.outputs import write_outputs

    for result, files in zip(results, planned):
        for path in write_outputs(files):
            guards.say(f"wrote {path}")
        if also_print:
            sys.stdout.write(result.masked_text)
            _say_masked("the workflow printed (--print)", result)
    return EXIT_OK


def _say_masked(what: str, result) -> None:
    """A workflow shown with `<masked ${env:NAME}>` in place of secrets does not run as is: say so, and how to get one that does."""
    if result.secrets and result.masked_text != result.text:
        names = ", ".join(sorted(set(result.secrets.values())))
        guards.say(f"orc compile: {what} has the value of {names} masked (<masked ${{env:NAME}}>), so it will not run as is; "
                   "write a runnable file with -o FILE.json (owner-only, mode 0600), or run it with `orc compile-and-run`")


def _output_file(output: Path, result, variants: bool, in_folder: bool) -> Path:
    if variants:
        return variant_output(output, result)
    return output / f"{result.workflow['workflow_id']}.json" if in_folder else output


def variant_output(output: Path, result) -> Path:
    """-o FILE.json -> FILE.VARIANT.json; -o FOLDER -> FOLDER/WORKFLOW-NAME.json (the name includes the variant)."""
    if output.suffix == ".json":
        return output.with_name(f"{output.stem}.{result.variant}.json")
    return output / f"{result.workflow['workflow_id']}.json"


def cmd_compile_and_run(args: argparse.Namespace) -> int:
    from orc_olive.run.prestart import Prestart  # the runner loads torch while orc compiles (run/prestart.py)

    prestart = Prestart.maybe(not args.dry_run and not getattr(args, "warm", False))
    try:
        return _compile_and_run(args, prestart)
    finally:
        if prestart is not None:
            prestart.discard()


def _compile_and_run(args: argparse.Namespace, prestart: Any) -> int:
    from orc_olive.build.compile import compile_file
    from orc_olive.output.formats import render
    from orc_olive.run.execute import default_progress, run_workflow

    result = compile_file(args.recipe, sets=args.set, variant=args.variant)
    if result.diagnostics.items:
        print(render(result.diagnostics), file=sys.stderr)
    if not result.ok:
        if args.format == "json":
            report_cmd.print_not_run(list(result.diagnostics.items))
        return EXIT_ERRORS
    assert result.recipe is not None and result.document is not None
    if result.recipe.target.system == "azureml":
        return _run_on_azureml(result, args)
    # before the run: Olive is installed, and the output folder's place can be written
    output = (result.base_dir / result.recipe.output.dir).resolve()
    if (code := guards.run_output_problem("compile-and-run", output)) is not None:
        return code
    if not args.dry_run and (code := guards.needs_extra("compile-and-run", "running the workflow", guards.OLIVE, EXIT_NOT_RUN)) is not None:
        return code
    mode = "quiet" if args.quiet else "verbose" if args.verbose else "normal"
    recipe_files = sorted(Path(p) for p in result.sources if Path(p).is_file())
    from orc_olive.run.graph import needs_graph, run_graph  # issue 15: adapters, chains, output.layout

    if needs_graph(result.recipe):
        return run_exit(run_graph(result, force=args.force, dry_run=args.dry_run, progress=lambda: default_progress(mode),
                                  warm=getattr(args, "warm", False), keep=keep_outputs(args)))
    outcome = run_workflow(result, recipe_files, force=args.force, dry_run=args.dry_run, warm=getattr(args, "warm", False), keep=keep_outputs(args),
                           prestarted=prestart.starter if prestart is not None else None, progress=default_progress(mode, no_progress=args.no_progress))
    if args.format == "json":
        report_cmd.print_run_summary(outcome)
    return run_exit(outcome.exit_code)  # 5: the run failed (1 is kept for a recipe with errors)


def _run_on_azureml(result, args: argparse.Namespace) -> int:
    from orc_olive.build.outputs import write_result
    from orc_olive.render import azureml_job
    from orc_olive.run import azureml_submit
    from orc_olive.run.execute import RunPaths

    recipe = result.recipe
    paths = RunPaths((result.base_dir / recipe.output.dir).resolve())
    spec = [p for p in write_result(result, paths.workflow) if p.name.endswith(azureml_job.SUFFIX)][0]
    command = azureml_submit.submit_command(recipe, str(spec))
    why_not = azureml_submit.can_submit()
    if args.dry_run or why_not:
        if why_not:
            print(f"orc: not submitted: {why_not}", file=sys.stderr)
        print(f"orc: submit it with:\n  {command}", file=sys.stderr)
        return EXIT_OK if args.dry_run else EXIT_NOT_RUN
    return run_exit(azureml_submit.submit(recipe, str(spec), str(paths.output), lambda text: print(text, file=sys.stderr)))


def cmd_new(args: argparse.Namespace) -> int:
    from orc_olive.output.scaffold import new_recipe

    path = new_recipe(args.template, args.name, Path(args.dir), force=args.force)
    guards.say(f"wrote {path}")
    return EXIT_OK


def cmd_try(args: argparse.Namespace) -> int:
    from orc_olive.run.try_model import argument_problems, generate

    problems = argument_problems(args.prompt, args.max_tokens)
    if problems:
        for problem in problems:
            guards.say(f"orc try: {problem}")
        return EXIT_USAGE
    if (code := guards.needs_extra("try", "generating text", guards.GENAI)) is not None:
        return code
    return generate(Path(args.model), args.prompt, adapter=args.adapter, max_tokens=args.max_tokens, raw=args.raw)


def cmd_schema(args: argparse.Namespace) -> int:
    from orc_olive.output.schema import PROJECT_SCHEMA_FILE, recipe_schema_text, write_recipe_schema

    # into the current project (or -o), never into orc's own installed files
    target = guards.output_inside(Path(args.output) if args.output else Path.cwd() / PROJECT_SCHEMA_FILE, PROJECT_SCHEMA_FILE.name)
    if not args.check and (code := guards.cannot_write("schema", target)) is not None:
        return code
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != recipe_schema_text():
            guards.say(f"{target} is out of date: run `orc schema`")
            return EXIT_ERRORS
        guards.say(f"{target} is up to date")
        return EXIT_OK
    guards.say(f"wrote {write_recipe_schema(target)}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    if args.check:
        return _import_check(Path(args.config))
    from orc_olive.diagnostics import Diagnostic
    from orc_olive.files import write_atomic
    from orc_olive.importer.convert import import_file
    from orc_olive.output.formats import render

    source = Path(args.config)
    if conventions.is_stdio(args.output):
        args.output = None  # -o -: standard output
    output = guards.output_inside(Path(args.output), source.stem + ".yaml") if args.output else None
    if output is not None and output.resolve() == source.resolve():
        guards.say(f"orc import: {output} is the config itself: write the recipe to another file")
        return EXIT_USAGE
    if output is not None and (code := guards.cannot_write("import", output)) is not None:
        return code
    imported = import_file(source, output or Path.cwd() / (source.stem + ".yaml"))  # an unreadable config: OrcError
    changed = [n for n in imported.notes if n.kind != "dropped"]
    if changed and args.format == "text":
        guards.say(f"orc import: {source}: older Olive layout: {len(changed)} field(s) renamed or moved (see the recipe's comments)")
    # what the recipe does not carry, as warnings; then the errors that stop it
    found = [Diagnostic(note.report(), str(source), severity="warning", code="import_dropped") for note in imported.notes if note.kind == "dropped"]
    noted = {str(n) for n in imported.notes}  # a set: each of N passes may have a note (issue 19: linear in passes)
    found += [Diagnostic(f"not carried: {text}", str(source), severity="warning", code="import_dropped")
              for text in imported.unsupported if text not in noted]
    found += [replace(d, hint="; ".join(filter(None, [d.hint, "the recipe names it as the config does: orc validate refuses it until it is there"])))
              for d in imported.absent]
    found += imported.errors
    if found:
        print(render(found, args.format), file=sys.stderr)
    if not imported.ok:
        if args.format == "text":
            guards.say(f"orc import: {source}: no recipe written, it would not be valid")
        return EXIT_ERRORS
    if output is None:
        sys.stdout.write(imported.text)
    else:
        write_atomic(output, imported.text)
        guards.say(f"wrote {output}")
    return EXIT_OK


def _import_check(folder: Path) -> int:
    if (code := guards.needs_extra("import --check", "comparing through Olive's RunConfig", guards.OLIVE)) is not None:
        return code
    from orc_olive.diagnostics import printable
    from orc_olive.importer.check import check_config, check_folder, summary, table

    if folder.is_file():
        rows = [check_config(folder, folder.parent)]  # an unreadable config: OrcError
    elif folder.is_dir():
        rows = check_folder(folder)
    else:
        guards.say(f"orc import --check: {folder} is neither a config nor a folder")
        return EXIT_USAGE
    if not rows:
        guards.say(f"orc import --check: no Olive workflow configs under {folder}")
        return EXIT_USAGE
    print(printable(table(rows), newlines=True))  # config names are shown escaped
    print(summary(rows))
    return EXIT_OK if all(r.round_trips for r in rows) else EXIT_ERRORS




def cmd_codes(args: argparse.Namespace) -> int:
    from orc_olive.codes import CODES, table

    if args.format == "json":
        print(json.dumps(CODES, indent=2))
    else:
        sys.stdout.write(table())
    return EXIT_OK
