"""The `orc` command line: arguments -> a command in commands.py -> an exit code (exit_codes.py).

Every error a user or the machine can cause is reported here, once: as diagnostics, or as one line for
an OS error (a full disk, a read-only place: exit 1) and a missing extra (which `pip install` to run);
anything else is a bug in orc, said in one line (exit 3).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import shutil
import sys
from typing import Sequence, cast

from orc_olive import __version__
from orc_olive.cli.conventions import PipeSafeStdout
from orc_olive.cli.exit_codes import EXIT_ERRORS, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE
from orc_olive.cli.help_text import epilog
from orc_olive.diagnostics import OrcError, printable
from orc_olive.files import os_error_line

# command -> "module:function" that runs it; the module is imported only when its command is dispatched
# (issue 19: a cold `orc validate` imports no other command's module).
COMMANDS = {
    "validate": "orc_olive.cli.commands:cmd_validate",
    "compile": "orc_olive.cli.batch_compile:cmd_compile_batch",
    "compile-and-run": "orc_olive.cli.matrix_cmd:cmd_compile_and_run_matrix",  # the cheap no-op first (quick_cmd.py)
    "report": "orc_olive.cli.report_cmd:cmd_report",
    "explain": "orc_olive.cli.review:cmd_explain",
    "diff": "orc_olive.cli.review:cmd_diff",
    "new": "orc_olive.cli.commands:cmd_new",
    "try": "orc_olive.cli.commands:cmd_try",
    "schema": "orc_olive.cli.commands:cmd_schema",
    "codes": "orc_olive.cli.commands:cmd_codes",
    "import": "orc_olive.cli.commands:cmd_import",
    "passes": "orc_olive.cli.review:cmd_passes",
    "completion": "orc_olive.cli.review:cmd_completion",
    "worker": "orc_olive.cli.worker_cmd:cmd_worker",
}

CYCLE_FREE = ("validate", "compile", "explain", "diff", "import")  # issue 19: see main()


class Command:
    """A command's function, imported on the first call."""

    def __init__(self, target: str):
        self.target = target

    def __call__(self, args: argparse.Namespace) -> int:
        module, _, function = self.target.partition(":")
        code: int = getattr(importlib.import_module(module), function)(args)
        return code


def parser() -> argparse.ArgumentParser:
    """orc's argument parser (also what `orc completion` generates its scripts from)."""
    parser = argparse.ArgumentParser(prog="orc", description="Compile YAML recipes into Microsoft Olive workflows, check them and run them.",
                                     epilog=epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_Version, nargs=0, help="show orc's version and the olive-ai version its recipes compile for")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_, epilog=epilog(name), formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=Command(COMMANDS[name]))
        return p

    def ignoring(p: argparse.ArgumentParser) -> None:
        p.add_argument("--ignore", action="append", default=[], metavar="CODE",
                       help="silence warnings of this code (repeatable; `orc codes` lists them); a recipe can say `# orc: ignore[CODE]`")

    def composing(p: argparse.ArgumentParser, variant_help: str) -> None:
        p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a recipe value, e.g. steps.lora.training.max_steps=10 (repeatable)")
        p.add_argument("--variant", help=variant_help)

    p = command("validate", "Check recipes (files, folders or globs) and report every problem.")
    p.add_argument("paths", nargs="+", help="recipe files, folders or globs; - reads one recipe from standard input")
    p.add_argument("--format", choices=["text", "json", "github", "markdown"], default="text",
                   help="how to print problems: text (stderr), json, GitHub annotations, or a Markdown table (a CI job summary)")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--with-dependents", action="store_true",
                   help="also check every recipe under --root that extends a given file, directly or through another base")
    p.add_argument("--root", default=".", metavar="DIR", help="where --with-dependents looks for recipes (default: here)")
    ignoring(p)
    p.add_argument("--olive", action="store_true", help="also parse the compiled workflow with Olive's own RunConfig (slow)")
    composing(p, "check only this variant (default: every variant)")

    p = command("compile", "Compile a recipe into an Olive workflow JSON.")
    p.add_argument("recipe", nargs="+", help="the recipe; - reads it from standard input; several recipes (one process) need -o FOLDER (cli/batch_compile.py)")
    p.add_argument("-o", "--output", help="the workflow JSON to write (default, or -: print to stdout, secrets masked); an existing folder: "
                   "WORKFLOW-NAME.json inside it; a device or FIFO (/dev/stdout) is written through; the recipe or an input is never replaced")
    p.add_argument("--olive", action="store_true", help="also parse the compiled workflow with Olive's own RunConfig (slow)")
    p.add_argument("--print", action="store_true", help="with -o, also print the workflow (secrets masked)")
    composing(p, "the variant to compile")
    ignoring(p)
    p.add_argument("--all-variants", action="store_true", help="compile every variant: -o FILE.json gives FILE.VARIANT.json, -o FOLDER one file per workflow name")

    p = command("compile-and-run", "Compile a recipe and run it with the real `olive run`; fail unless the final model loads.")
    p.add_argument("recipe", nargs="+", help="a recipe; several recipes (or --all-variants) run as a matrix with one summary table (cli/matrix_cmd.py)")
    p.add_argument("--all-variants", action="store_true", help="run every variant: azureml ones as one job each (one experiment), local ones one after another")
    p.add_argument("--pipeline", action="store_true", help="with a matrix on azureml: submit one pipeline job with a node per member")
    p.add_argument("--experiment", help="the AzureML experiment name of a matrix's jobs (default: the first member's)")
    p.add_argument("--force", action="store_true", help="run even when the output is up to date")
    p.add_argument("--dry-run", action="store_true", help="print the olive command and the compiled config path, run nothing")
    composing(p, "the variant to run")
    noise = p.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true", help="print only errors and the result")
    noise.add_argument("-v", "--verbose", action="store_true", help="pass Olive's log through")
    p.add_argument("--no-progress", action="store_true", help="plain lines even on a terminal (no live view; also when NO_COLOR is set)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="json: print the run's manifest on stdout when it ends (progress stays on stderr)")
    p.add_argument("--warm", action="store_true", default=os.environ.get("ORC_WARM") == "1",
                   help="run in the project's warm worker, which keeps Olive and torch loaded between runs (started when needed; `orc worker` stops it; ORC_WARM=1 sets this)")
    from orc_olive.cli.worker_cmd import count

    p.add_argument("--keep-outputs", type=count, metavar="N", help="keep the last N replaced models by workflow and inputs; switching back to one puts it back"
                   " instead of running (default 3 with --warm, else 0)")
    from orc_olive.cli.report_cmd import add_report_arguments

    add_report_arguments(command("report", "Write a self-contained HTML page about a run (or compare two runs) from its manifest."))
    from orc_olive.cli.worker_cmd import add_worker_arguments

    add_worker_arguments(command("worker", "Show or stop the warm worker that `compile-and-run --warm` keeps for a project."))

    p = command("explain", "Show the pipeline after all merging: steps, Olive passes, model forms, devices, data.")
    p.add_argument("recipe")
    p.add_argument("--format", choices=["text", "mermaid", "json"], default="text",
                   help="a table, a Mermaid flowchart (a subgraph per variant), or JSON (an array of one object per variant)")
    composing(p, "explain only this variant (default: every variant)")

    p = command("diff", "Show how the compiled workflows of two recipes (or one recipe and a git revision) differ, by field.")
    p.add_argument("old", help="a recipe (the old side)")
    p.add_argument("new", nargs="?", help="another recipe (the new side)")
    p.add_argument("--rev", help="compare the recipe at this git revision (old) with the working tree (new)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a value on both sides (repeatable)")
    p.add_argument("--variant", action="append", help="the variant to compare; twice: the old side's, then the new side's")
    p.add_argument("--format", choices=["text", "json"], default="text", help="field by field, or one JSON document {old, new, equal, changes}")
    p.add_argument("--exit-code", action="store_true", help="exit 6 when the workflows differ (default: 0 either way)")

    p = command("new", "Start a new recipe from a ready one.")
    p.add_argument("name", help="the recipe's name (lower-case letters, digits, dashes); writes NAME.yaml")
    p.add_argument("--from", dest="template", required=True, help="lab-travel, qlora-classification or tiny-cpu")
    p.add_argument("-d", "--dir", default=".", help="the folder to write it in (default: here)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")

    p = command("try", "Generate text with a built model through onnxruntime-genai, streaming tokens.")
    p.add_argument("model", help="the output folder of a run (holds genai_config.json)")
    p.add_argument("--prompt", required=True, help="what to ask")
    p.add_argument("--adapter", help="the adapter to activate: a name (file stem) or an .onnx_adapter path")
    p.add_argument("--max-tokens", type=int, default=64, help="the most tokens to generate (default 64; 1 to the model's context length)")
    p.add_argument("--raw", action="store_true", help="send the prompt as is, without the chat template")

    p = command("schema", "Write the recipe JSON Schema for editors, into ./schemas/recipe.schema.json of the current project.")
    p.add_argument("-o", "--output", help="where to write it instead (a file, or an existing folder to write recipe.schema.json in)")
    p.add_argument("--check", action="store_true", help="fail if the file differs from the models")

    p = command("codes", "List every diagnostic code orc reports, with what it means.")
    p.add_argument("--format", choices=["text", "json"], default="text", help="a Markdown table, or JSON (code -> meaning)")

    p = command("import", "Turn an Olive workflow config (current or older layout) into a recipe that compiles back to it.")
    p.add_argument("config", help="an Olive workflow config, JSON or YAML (with --check: it, or a folder of them)")
    p.add_argument("-o", "--output", help="the recipe to write (default: print it); an existing folder: CONFIG-NAME.yaml inside it; "
                   "its paths are relative to its folder (printed: to the current folder)")
    p.add_argument("--check", action="store_true", help="import the config (or every config in the folder), compile it back and compare both through Olive's RunConfig; write nothing")
    p.add_argument("--format", choices=["text", "json", "github"], default="text", help="how to print problems (on stderr: stdout holds the recipe)")

    p = command("passes", "List the Olive passes orc knows (from the generated catalog).")
    p.add_argument("-v", "--verbose", action="store_true", help="show each pass's parameters")
    p.add_argument("--format", choices=["text", "json"], default="text", help="lines, or JSON (pass -> parameters)")

    p = command("completion", "Print a shell completion script for orc.")
    p.add_argument("shell", choices=["bash", "zsh", "tcsh"], help="the shell")
    return parser


_parser = parser  # the name other modules used


class _Version(argparse.Action):
    """--version, read from the catalog only when asked for (not on every start)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from orc_olive.catalog import olive_version

        print(f"orc {__version__} (orc-olive; recipes compile for olive-ai {olive_version()})")  # stdout, as argparse's own
        parser.exit()


# The packages only an extra installs, by top-level module: a core install lacks them.
EXTRAS = {"olive": "run", "torch": "run", "transformers": "run", "onnxruntime": "run", "onnxruntime_genai": "run",
          "peft": "run", "datasets": "run", "azure": "azureml"}


def install_line(module: str) -> str:
    return f"pip install 'orc-olive[{EXTRAS.get(module.split('.')[0], 'run')}]'"


def _say(text: str) -> None:
    try:
        print(printable(text, newlines=True), file=sys.stderr)
    except OSError:
        pass  # stderr itself is gone: the exit code says it


def _drop_stdout() -> None:
    """Standard output failed (a full disk, a closed pipe): send what is left in its buffer nowhere, so
    that Python's flush at exit does not fail a second time with a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)  # opened and written through, never replaced
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # issue 19: the collector's default pace (a pass every 700 new objects, a full one as the heap grows)
    # made large recipes cost more per step; orc's data hold few cycles, so it runs far less often.
    gc.set_threshold(100_000, 50, 100)
    # The commands that only compile leave no reference cycles but argparse's few hundred objects (a test keeps
    # it so), so a collection there only walks live data: at 3,000 steps, ~40 ms per 100,000 objects. The
    # collector is off while one of them runs, and on again after it (for a process that calls main again).
    paused = args.command in CYCLE_FREE and gc.isenabled()
    if paused:
        gc.disable()
    real_stdout = sys.stdout
    sys.stdout = PipeSafeStdout(real_stdout)  # a closed pipe keeps the command's exit code
    try:
        return _main(args)
    finally:
        sys.stdout = real_stdout
        if paused:
            gc.enable()


def _main(args: argparse.Namespace) -> int:
    name = f"orc {args.command}"
    try:
        code = args.func(args)
        sys.stdout.flush()  # a full disk under stdout is found here, not at exit
        return code
    except OrcError as exc:
        from orc_olive.output.formats import Format, render

        fmt = getattr(args, "format", "text")  # explain's and codes' own formats are not diagnostic formats
        print(render(exc.diagnostics, cast(Format, fmt) if fmt in ("json", "github") else "text"), file=sys.stderr)
        return EXIT_USAGE if exc.diagnostics and all(d.code == "usage" for d in exc.diagnostics) else EXIT_ERRORS
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _drop_stdout()
        return EXIT_OK
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in EXTRAS:
            return _internal(exc)
        _say(f"{name}: needs {exc.name}, which this install lacks (a core install has no Olive, torch or onnxruntime-genai): {install_line(exc.name or '')}")
        return EXIT_ERRORS
    except OSError as exc:  # the machine's: a full disk, a read-only place, a file where a folder should be
        if exc.filename is None and not isinstance(exc, shutil.Error):  # standard output itself failed
            _drop_stdout()
            _say(f"{name}: cannot write the output: {os_error_line(exc)}")
        else:
            _say(f"{name}: {os_error_line(exc)}")
        return EXIT_ERRORS
    except Exception as exc:  # noqa: BLE001 - a bug in orc: say so in one line, never a traceback
        return _internal(exc)


def _internal(exc: Exception) -> int:
    _say(f"orc: internal error: {type(exc).__name__}: {exc} (please report this; set ORC_DEBUG=1 for details)")
    if os.environ.get("ORC_DEBUG"):
        raise exc
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
