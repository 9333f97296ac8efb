"""`orc compile` of several recipes in one process: `orc compile a.yaml b.yaml ... -o FOLDER`.

One process pays Python's start, the imports and the models once for all of them (a process per recipe
pays them every time). Every recipe (and with --all-variants every variant) is compiled and every file
planned before any is written: nothing is written unless all compile, and two recipes whose workflows
would land on one file are an error. One recipe goes to commands.cmd_compile as before.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orc_olive.cli import conventions, guards
from orc_olive.cli.exit_codes import EXIT_ERRORS, EXIT_USAGE


def cmd_compile_batch(args: argparse.Namespace) -> int:
    from orc_olive.cli.commands import cmd_compile

    recipes = list(args.recipe) if isinstance(args.recipe, list) else [args.recipe]
    if len(recipes) == 1:
        args.recipe = recipes[0]
        return cmd_compile(args)
    return _compile_many(args, recipes)


def _compile_many(args: argparse.Namespace, recipes: list[str]) -> int:
    from orc_olive.build.compile import compile_variants
    from orc_olive.build.outputs import planned_outputs
    from orc_olive.cli.commands import _ignore_usage, _output_file, _problems, write_planned
    from orc_olive.diagnostics import OrcError
    from orc_olive.output.formats import render

    if "-" in recipes:
        guards.say("orc compile: standard input (-) is one recipe: give several recipes as files")
        return EXIT_USAGE
    output = None if args.output is None or conventions.is_stdio(args.output) else Path(args.output)
    if output is None or not output.is_dir():
        guards.say("orc compile: several recipes write one file per workflow: give -o FOLDER (an existing folder)")
        return EXIT_USAGE
    if args.olive and (code := guards.needs_extra("compile", "--olive (parsing with Olive's RunConfig)", guards.OLIVE)) is not None:
        return code
    if (code := _ignore_usage("compile", args.ignore)) is not None:
        return code
    if (code := guards.cannot_write("compile", output, folder=True)) is not None:
        return code
    reader = conventions.recipe_reader()
    results = [r for recipe in recipes for r in compile_variants(recipe, None if args.all_variants else [args.variant], olive=args.olive, sets=args.set, reader=reader)]
    diagnostics = conventions.silence(_problems(results), args.ignore, reader)
    if diagnostics:
        print(render(diagnostics), file=sys.stderr)
    if not all(result.ok for result in results):
        return EXIT_ERRORS  # nothing is written unless every recipe compiles
    try:
        planned = [planned_outputs(result, _output_file(output, result, args.all_variants, True)) for result in results]
    except OrcError as exc:
        print(render(exc.diagnostics), file=sys.stderr)
        return EXIT_ERRORS
    seen: dict[Path, str] = {}
    for result, files in zip(results, planned):
        for file in files:
            if file.path in seen:
                guards.say(f"orc compile: {result.file} and {seen[file.path]} would both write {file.path}: give them different names")
                return EXIT_ERRORS
            seen[file.path] = result.file
    return write_planned(results, planned, also_print=args.print)
