"""The `orc` command: a thin layer that parses arguments, calls the library and sets the exit code.

Heavy modules are imported inside the commands so that `orc --help` stays instant and never
imports torch or Olive.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
EXIT_NOT_RUN = 4  # compiled, but nothing was run (e.g. AzureML without credentials)


def _expand(patterns: Sequence[str]) -> list[Path]:
    """Files, folders (every .yaml/.yml below) and globs, in a stable order, each once."""
    found: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        elif any(ch in pattern for ch in "*?["):
            found += sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def cmd_validate(args: argparse.Namespace) -> int:
    from .pipeline import compile_file
    from .report import render, summary

    files = _expand(args.paths)
    if not files:
        print("orc validate: no recipe files matched", file=sys.stderr)
        return EXIT_USAGE
    diagnostics = []
    for file in files:
        diagnostics += compile_file(file, olive=args.olive).diagnostics.items
    if args.strict:  # warnings become errors, and are reported as such
        diagnostics = [replace(d, severity="error") for d in diagnostics]
    errors = [d for d in diagnostics if d.severity == "error"]
    text = render(diagnostics, args.format)
    if text:
        print(text, file=sys.stdout if args.format != "text" else sys.stderr)
    if args.format == "text":
        print(summary(len(files), len(errors), len(diagnostics) - len(errors)), file=sys.stderr)
    return EXIT_ERRORS if errors else EXIT_OK


def cmd_compile(args: argparse.Namespace) -> int:
    from .pipeline import compile_file, write_result
    from .report import render

    result = compile_file(args.recipe, olive=args.olive)
    if result.diagnostics.items:
        print(render(result.diagnostics), file=sys.stderr)
    if not result.ok:
        return EXIT_ERRORS
    if args.output is None:
        sys.stdout.write(result.text)
        return EXIT_OK
    for path in write_result(result, Path(args.output)):
        print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def cmd_compile_and_run(args: argparse.Namespace) -> int:
    from .pipeline import compile_file
    from .report import render
    from .run import default_progress, run_workflow

    result = compile_file(args.recipe)
    if result.diagnostics.items:
        print(render(result.diagnostics), file=sys.stderr)
    if not result.ok:
        return EXIT_ERRORS
    assert result.recipe is not None and result.document is not None
    if result.recipe.target.system == "azureml":
        return _run_on_azureml(result, args)
    mode = "quiet" if args.quiet else "verbose" if args.verbose else "normal"
    recipe_files = sorted({Path(result.file), *map(Path, result.document.origins.values())})
    outcome = run_workflow(result, recipe_files, force=args.force, dry_run=args.dry_run, progress=default_progress(mode))
    return outcome.exit_code


def _run_on_azureml(result, args: argparse.Namespace) -> int:
    from . import azureml
    from .pipeline import write_result

    recipe = result.recipe
    output = (result.base_dir / recipe.output.dir).resolve()
    workflow_file = output.with_name(output.name + ".workflow.json")
    spec = [p for p in write_result(result, workflow_file) if p.name.endswith(azureml.SUFFIX)][0]
    command = azureml.submit_command(recipe, str(spec))
    why_not = azureml.can_submit()
    if args.dry_run or why_not:
        if why_not:
            print(f"orc: not submitted: {why_not}", file=sys.stderr)
        print(f"orc: submit it with:\n  {command}", file=sys.stderr)
        return EXIT_OK if args.dry_run else EXIT_NOT_RUN
    return azureml.submit(recipe, str(spec), str(output), lambda text: print(text, file=sys.stderr))


def cmd_try(args: argparse.Namespace) -> int:
    from .try_model import generate

    return generate(Path(args.model), args.prompt, adapter=args.adapter, max_tokens=args.max_tokens, raw=args.raw)


def cmd_schema(args: argparse.Namespace) -> int:
    from .schema_gen import RECIPE_SCHEMA_FILE, recipe_schema_text, write_recipe_schema

    target = Path(args.output) if args.output else RECIPE_SCHEMA_FILE
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != recipe_schema_text():
            print(f"{target} is out of date: run `orc schema`", file=sys.stderr)
            return EXIT_ERRORS
        print(f"{target} is up to date", file=sys.stderr)
        return EXIT_OK
    print(f"wrote {write_recipe_schema(target)}", file=sys.stderr)
    return EXIT_OK


def cmd_passes(args: argparse.Namespace) -> int:
    from . import catalog

    for name in catalog.pass_names():
        params = ", ".join(sorted(catalog.pass_params(name)))
        print(f"{name}: {params}" if args.verbose else name)
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orc", description="Compile YAML recipes into Microsoft Olive workflows, check them and run them.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    p = command("validate", cmd_validate, "Check recipes (files, folders or globs) and report every problem.")
    p.add_argument("paths", nargs="+", help="recipe files, folders or globs")
    p.add_argument("--format", choices=["text", "json", "github"], default="text", help="how to print problems")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--olive", action="store_true", help="also parse the compiled workflow with Olive's own RunConfig (slow)")

    p = command("compile", cmd_compile, "Compile a recipe into an Olive workflow JSON.")
    p.add_argument("recipe")
    p.add_argument("-o", "--output", help="the workflow JSON to write (default: print to stdout)")
    p.add_argument("--olive", action="store_true", help="also parse the compiled workflow with Olive's own RunConfig (slow)")

    p = command("compile-and-run", cmd_compile_and_run, "Compile a recipe and run it with the real `olive run`; fail unless the final model loads.")
    p.add_argument("recipe")
    p.add_argument("--force", action="store_true", help="run even when the output is up to date")
    p.add_argument("--dry-run", action="store_true", help="print the olive command and the compiled config path, run nothing")
    noise = p.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true", help="print only errors and the result")
    noise.add_argument("-v", "--verbose", action="store_true", help="pass Olive's log through")

    p = command("try", cmd_try, "Generate text with a built model through onnxruntime-genai, streaming tokens.")
    p.add_argument("model", help="the output folder of a run (holds genai_config.json)")
    p.add_argument("--prompt", required=True, help="what to ask")
    p.add_argument("--adapter", help="the adapter to activate: a name (file stem) or an .onnx_adapter path")
    p.add_argument("--max-tokens", type=int, default=64, help="the most tokens to generate (default 64)")
    p.add_argument("--raw", action="store_true", help="send the prompt as is, without the chat template")

    p = command("schema", cmd_schema, "Write the recipe JSON Schema (schemas/recipe.schema.json).")
    p.add_argument("-o", "--output", help="where to write it")
    p.add_argument("--check", action="store_true", help="fail if the file differs from the models")

    p = command("passes", cmd_passes, "List the Olive passes orc knows (from the generated catalog).")
    p.add_argument("-v", "--verbose", action="store_true", help="show each pass's parameters")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - a bug in orc: say so in one line, never a traceback
        print(f"orc: internal error: {type(exc).__name__}: {exc} (please report this; set ORC_DEBUG=1 for details)", file=sys.stderr)
        if os.environ.get("ORC_DEBUG"):
            raise
        return 3


if __name__ == "__main__":
    sys.exit(main())
