"""The commands that show rather than build: `orc explain`, `orc diff`, `orc passes`, and `orc completion`.
Each has a machine format (`--format json`; explain also `mermaid`) that is one valid document."""

from __future__ import annotations

import argparse
import json
import sys

from orc_olive.cli import guards
from orc_olive.cli.conventions import recipe_reader
from orc_olive.cli.exit_codes import EXIT_DIFFERENT, EXIT_ERRORS, EXIT_OK, EXIT_USAGE


def _problems(results: list) -> list:
    return list(dict.fromkeys(d for result in results for d in result.diagnostics.items))


def cmd_explain(args: argparse.Namespace) -> int:
    from orc_olive.build.compile import compile_variants
    from orc_olive.build.graph import plan_data
    from orc_olive.output import explain
    from orc_olive.output.formats import render
    from orc_olive.secrecy import mask

    results = compile_variants(args.recipe, [args.variant] if args.variant else None, sets=args.set, reader=recipe_reader())
    diagnostics = _problems(results)
    if diagnostics:
        print(render(diagnostics), file=sys.stderr)
    shown = [(result, result.recipe) for result in results if result.recipe is not None and result.document is not None]
    plans = [plan_data(result) for result, _ in shown]  # issue 15: the workflows a recipe compiles to, when several
    if args.format == "mermaid":
        text = explain.mermaid_variants([(result.variant, recipe) for result, recipe in shown], plans) if shown else ""
    elif args.format == "json":
        text = explain.variants_json([explain.as_data(recipe, r.sources, r.variant, plan) for (r, recipe), plan in zip(shown, plans)]) if shown else ""
    else:
        text = "\n".join(explain.table(recipe, result.sources, result.variant, plan) for (result, recipe), plan in zip(shown, plans))
    secrets = {k: v for result in results for k, v in result.secrets.items()}
    sys.stdout.write(mask(text, secrets))
    return EXIT_OK if results and all(result.ok for result in results) else EXIT_ERRORS


def cmd_diff(args: argparse.Namespace) -> int:
    from orc_olive.build.compile import compile_file
    from orc_olive.output import diff
    from orc_olive.output.formats import render
    from orc_olive.secrecy import mask

    if (args.new is None) == (args.rev is None) and not (args.new is None and args.variant and len(args.variant) == 2):
        guards.say("orc diff: give two recipes, one recipe and --rev REV, or one recipe and two --variant")
        return EXIT_USAGE
    variants = args.variant or [None]
    if len(variants) > 2:
        guards.say("orc diff: --variant at most twice (the old side's, then the new side's)")
        return EXIT_USAGE
    old_variant, new_variant = variants[0], variants[-1]
    reader = recipe_reader()  # `-`: standard input (read once)
    if args.rev is not None:
        problem = diff.rev_problem(args.old, args.rev)
        if problem:
            guards.say(f"orc diff: {problem}")
            return EXIT_USAGE
        old = compile_file(args.old, sets=args.set, variant=old_variant, reader=diff.git_reader(args.rev))
        new_file, names = args.old, [f"{args.old}@{args.rev}", args.old]
    elif args.new is None and len(variants) == 2:  # two variants of one recipe
        old = compile_file(args.old, sets=args.set, variant=old_variant, reader=reader)
        new_file, names = args.old, [args.old, args.old]
    else:
        old = compile_file(args.old, sets=args.set, variant=old_variant, reader=reader)
        new_file, names = args.new, [args.old, args.new]
    new = compile_file(new_file, sets=args.set, variant=new_variant, reader=reader)
    names = [name + (f" --variant {v}" if v and len(variants) == 2 else "") for name, v in zip(names, (old_variant, new_variant))]
    problems = old.diagnostics.items + new.diagnostics.items
    if problems:
        print(render(problems), file=sys.stderr)
    if not (old.ok and new.ok):
        return EXIT_ERRORS  # a recipe has errors: problems in the input, as for every command
    found = diff.changes(old.workflow, new.workflow)
    text = diff.as_json(found, *names) if args.format == "json" else diff.render(found, *names)
    sys.stdout.write(mask(text, {**old.secrets, **new.secrets}))
    return EXIT_DIFFERENT if found and args.exit_code else EXIT_OK


def cmd_passes(args: argparse.Namespace) -> int:
    from orc_olive import catalog

    if args.format == "json":
        data = {name: {param: {k: v for k, v in spec.items() if k in ("required", "default", "description")}
                       for param, spec in sorted(catalog.pass_params(name).items())} if args.verbose else sorted(catalog.pass_params(name))
                for name in catalog.pass_names()}
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    for name in catalog.pass_names():
        params = ", ".join(sorted(catalog.pass_params(name)))
        print(f"{name}: {params}" if args.verbose else name)
    return EXIT_OK


def cmd_completion(args: argparse.Namespace) -> int:
    """A completion script for bash, zsh or tcsh, generated from orc's own argument parser (by shtab)."""
    from orc_olive.cli.main import parser

    try:
        import shtab
    except ModuleNotFoundError:
        guards.say("orc completion: needs shtab, which is not installed: pip install 'orc-olive[completion]' (or pip install shtab)")
        return EXIT_ERRORS
    sys.stdout.write(shtab.complete(parser(), shell=args.shell))
    return EXIT_OK
