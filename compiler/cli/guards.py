"""What a command checks before any work: that the extra it needs is installed, and that its output's
place can be written. Each says its problem in one line on stderr and gives the exit code to return.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from orc_olive.cli.exit_codes import EXIT_ERRORS
from orc_olive.diagnostics import printable
from orc_olive.files import write_problem

# What each kind of work imports, and the extra that installs it.
OLIVE = ("olive", "torch")
GENAI = ("onnxruntime_genai",)
RUN_EXTRA = "pip install 'orc-olive[run]'"


def missing_module(names: tuple[str, ...]) -> str | None:
    """The first of `names` that cannot be imported here, without importing any of them."""
    for name in names:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):  # an import hook that refuses it, or a broken half-install
            return name
    return None


def say(text: str) -> None:
    print(printable(text, newlines=True), file=sys.stderr)


def needs_extra(command: str, what: str, names: tuple[str, ...], exit_code: int = EXIT_ERRORS) -> int | None:
    """None when `names` are installed; otherwise says which extra to install and gives `exit_code`."""
    missing = missing_module(names)
    if missing is None:
        return None
    say(f"orc {command}: {what} needs {missing}, which is not installed (a core install has no Olive, torch or "
        f"onnxruntime-genai): {RUN_EXTRA}")
    return exit_code


def cannot_write(command: str, path: Path, *, folder: bool = False) -> int | None:
    """None when `path` (a file, or with `folder` a folder) can be written; otherwise says why not, exit 1."""
    problem = write_problem(path, folder=folder)
    if problem is None:
        return None
    say(f"orc {command}: cannot write there: {problem}")
    return EXIT_ERRORS


def run_output_problem(command: str, output: Path) -> int | None:
    """compile-and-run writes the model folder and, beside it, a staging folder, the log and the manifest."""
    return cannot_write(command, output, folder=True) or cannot_write(command, output.parent, folder=True)


def output_inside(output: Path, name: str) -> Path:
    """-o an existing folder: the file `name` inside it (documented in each command's --help)."""
    return output / name if output.is_dir() else output
