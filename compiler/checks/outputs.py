"""The output guard: `output.dir` must be a folder orc may replace.

A successful `orc compile-and-run` replaces the whole output folder with the new model, so the folder
may never hold anything orc did not make. Refused, at validate time, located at `output.dir`:
  - an empty value;
  - a folder that is or contains the recipe, a base it extends, or an input (model, adapter, data
    files, a docker context or python environment);
  - a folder that is or contains the current folder, the project root, the home folder or `/`;
  - an existing file (or anything not a folder) at the output's place or above it;
  - an existing, non-empty folder orc did not make: orc's runs leave `<dir>.manifest.json` beside the
    folder they made (an empty folder holds nothing to lose, so it may be used).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

from orc_olive.checks.base import at
from orc_olive.checks.data_columns import data_files
from orc_olive.diagnostics import Diagnostic, OrcError
from orc_olive.files import manifest_path
from orc_olive.recipe.models import Recipe
from orc_olive.source.compose import read_disk
from orc_olive.source.loader import Document, load_bytes

PROJECT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")
WHERE = ("output", "dir")
MAX_BASES = 64  # more than a family ever has (compose refuses chains deeper than 16)


def made_by_orc(output: Path) -> bool:
    """Whether an orc run left its manifest beside `output`, naming that folder."""
    try:
        data = json.loads(manifest_path(output).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "status" in data and "fingerprint" in data and Path(str(data.get("output", ""))) == output


def _inside(path: Path, folder: Path) -> bool:
    """`path` is `folder` or somewhere below it."""
    return path == folder or folder in path.parents


def project_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return None


def _inputs(recipe: Recipe, doc: Document, base: Path) -> Iterator[tuple[str, Path]]:
    """(what it is, resolved path) of every local file or folder the recipe reads."""
    yield "the recipe", Path(doc.file).resolve()
    for base_file in base_recipes(Path(doc.file)):
        yield "a base recipe it extends", base_file
    if recipe.model is not None:
        for field in ("path", "adapter_path"):
            value = getattr(recipe.model, field)
            if value and (base / value).exists():
                yield f"the model's {field}", (base / value).resolve()
    input_model = (recipe.olive or {}).get("input_model")
    if isinstance(input_model, dict):
        for field, value in _string_fields(input_model, ("model_path", "adapter_path", "script_dir", "model_script")):
            if (base / value).exists():
                yield f"the input model's {field}", (base / value).resolve()
    for name, dataset in recipe.datasets.items():
        for file in dataset.file_list:
            for match in data_files(base, file):
                yield f"a data file of dataset '{name}'", match.resolve()
    docker, python_env = recipe.target.docker, recipe.target.python_env
    if docker is not None:
        yield "the docker build context", (base / docker.build_context).resolve()
    if python_env is not None:
        yield "the python environment", (base / python_env.python_environment_path).resolve()


def base_recipes(recipe: Path) -> list[Path]:
    """Every file `recipe` extends, directly or through its bases (resolved; those that cannot be read
    are left out: composing the recipe has reported them)."""
    found: list[Path] = []
    todo, seen = [recipe.resolve()], {recipe.resolve()}
    while todo and len(seen) <= MAX_BASES:
        current = todo.pop()
        try:
            raw = read_disk(str(current))
            # No key 'extends' can be written without these bytes (a quoted key could spell it with escapes):
            # then the file, a long recipe perhaps, is not parsed a second time (issue 19).
            if b"extends" not in raw and b"\\" not in raw:
                continue
            data = load_bytes(raw, str(current)).data
        except (OSError, OrcError):
            continue
        entries = data.get("extends") if isinstance(data, dict) else None
        for entry in [entries] if isinstance(entries, str) else entries if isinstance(entries, list) else []:
            if isinstance(entry, str):
                base = (current.parent / entry).resolve()
                if base not in seen and base.is_file():
                    seen.add(base)
                    found.append(base)
                    todo.append(base)
    return found


def _string_fields(config: dict[str, Any], names: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    for key in names:
        value = config.get(key) if key in config else (config.get("config") or {}).get(key) if isinstance(config.get("config"), dict) else None
        if isinstance(value, str) and value.strip():
            yield key, value


def _places(base: Path) -> Iterator[tuple[str, Path]]:
    """Folders of the machine no output may be or contain."""
    cwd = Path.cwd().resolve()
    for start in (cwd, base):  # named before the folders it holds: the clearer message
        root = project_root(start)
        if root is not None:
            yield "the project root", root
    yield "the current folder", cwd
    yield "the home folder", Path.home().resolve()
    yield "the file system root", Path(os.path.abspath(os.sep))


def output_problem(recipe: Recipe, doc: Document, base: Path) -> tuple[str, str] | None:
    """(message, hint) when orc may not replace the recipe's output folder, else None."""
    raw = recipe.output.dir
    fix = f"name a folder of its own for the model, e.g. 'models/{recipe.name}'"
    if not raw.strip():
        return "it is empty: the model would replace the recipe's own folder", fix
    output = (base / raw).resolve()
    for what, path in [*_inputs(recipe, doc, base), *_places(base)]:
        if _inside(path, output):
            where = "is" if path == output else "contains"
            return f"'{raw}' ({output}) {where} {what} ({path}): a run replaces this folder with the model", fix
    for folder in (output, *output.parents):
        if folder.exists() and not folder.is_dir():
            kind = "a file" if folder.is_file() else "not a folder"
            if folder == output:
                return f"'{raw}' ({output}) is {kind}: orc writes the model into a folder of its own", fix
            return f"'{raw}' ({output}) cannot be made: {folder} is {kind}", fix
    if output.is_dir() and not made_by_orc(output) and _not_empty(output):
        return (
            f"'{raw}' ({output}) is an existing folder orc did not make (no {manifest_path(output).name} beside it): "
            "a run would replace everything in it",
            f"{fix}, or empty that folder first",
        )
    return None


def _not_empty(folder: Path) -> bool:
    try:
        return any(True for _ in folder.iterdir())
    except OSError:
        return True


def output_guard(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    if not Path(doc.file).is_file():
        return  # a recipe compiled in memory (`orc import` before it writes): nothing runs it until it is written
    problem = output_problem(recipe, doc, base)
    if problem is not None:
        yield at(doc, WHERE, problem[0], problem[1], "output_dir")
