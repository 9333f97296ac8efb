"""`orc new --from TEMPLATE NAME`: start a recipe from one of the ready ones in recipes/.

The copy keeps the original's comments and layout; only values change: the name, the output folder,
the schema modeline, the AzureML subscription (read from the environment), and the local inputs: the
data files and model folder the ready recipe uses are copied beside the new one (`data/...`, the model's
folder name), and the new recipe names them relative to itself. So the new recipe belongs to the user's
project, whether orc runs from a checkout or from a wheel, and nothing points into orc's own files.
An input already there is used when it is the same, and never replaced when it differs.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from orc_olive import resources
from orc_olive.diagnostics import Diagnostic, OrcError, Path_, one_of
from orc_olive.files import write_atomic, write_problem
from orc_olive.recipe.models import NAME_PATTERN, PATTERN_RULES
from orc_olive.resources import RECIPES_DIR, SCHEMAS_DIR
from orc_olive.source.loader import Document, load_text

TEMPLATES = {
    "lab-travel": "phi35-awq-lora-travel.yaml",
    "qlora-classification": "phi3-qlora-phrase-classification.yaml",
    "tiny-cpu": "tiny-cpu-lora-int4.yaml",
}
MODELINE = "# yaml-language-server: $schema="
PLAIN = re.compile(r"^[A-Za-z0-9_./${}:-]+$")


def _rel(target: Path, folder: Path) -> str:
    return Path(os.path.relpath(target.resolve(), folder.resolve())).as_posix()


def _is_local(value: Any) -> bool:
    return isinstance(value, str) and not value.startswith(("$", "azureml:", "azureml://")) and resources.recipe_input(value).exists()


def _inputs(doc: Document) -> dict[Path_, str]:
    """The local inputs of the ready recipe: data files and model folders, by path in the recipe."""
    data = doc.data
    found: dict[Path_, str] = {}
    model = data.get("model", {})
    for key in ("path", "adapter_path"):
        if _is_local(model.get(key)):
            found[("model", key)] = model[key]
    for ds_name, ds in data.get("datasets", {}).items():
        files = ds.get("files")
        if _is_local(files):
            found[("datasets", ds_name, "files")] = files
        for index, file in enumerate(files if isinstance(files, list) else []):
            if _is_local(file):
                found[("datasets", ds_name, "files", index)] = file
    return found


def _copy_plan(doc: Document, folder: Path) -> tuple[dict[Path_, str], list[tuple[Path, Path]], list[Diagnostic]]:
    """(new relative value by path, (source, destination) copies to make, problems): data files go to
    data/, a model folder keeps its name; a destination that exists and differs is a problem."""
    values: dict[Path_, str] = {}
    copies: list[tuple[Path, Path]] = []
    problems: list[Diagnostic] = []
    for path, value in _inputs(doc).items():
        source = resources.recipe_input(value)
        name = PurePosixPath(value).name  # as the ready recipe names it (installed, the folder itself is a package)
        relative = f"./{name}" if source.is_dir() else f"data/{name}"  # ./: a folder, never a hub id
        values[path] = relative
        destination = folder / relative
        if not destination.exists():
            copies.append((source, destination))
        elif not _same(source, destination):
            problems.append(Diagnostic(f"{destination} exists and differs from the {'model' if source.is_dir() else 'data file'} the recipe starts with",
                                       str(destination), hint="move it away, or write the recipe in another folder with --dir", code="usage"))
    return values, list(dict.fromkeys(copies)), problems


def _same(source: Path, destination: Path) -> bool:
    if source.is_dir():
        if not destination.is_dir():
            return False
        match, mismatch, errors = filecmp.cmpfiles(source, destination, [p.name for p in source.iterdir() if p.is_file()], shallow=False)
        return not mismatch and not errors
    return destination.is_file() and filecmp.cmp(source, destination, shallow=False)


def _edits(doc: Document, inputs: dict[Path_, str], name: str) -> dict[Path_, Any]:
    """New values by path."""
    data = doc.data
    edits: dict[Path_, Any] = {("name",): name, ("output", "dir"): f"models/{name}", ("output", "cache"): ".olive-cache", **inputs}
    azure = data.get("target", {}).get("azureml")
    if isinstance(azure, dict) and "subscription_id" in azure:
        edits[("target", "azureml", "subscription_id")] = f"${{env:AZURE_SUBSCRIPTION_ID:-{azure['subscription_id']}}}"
    return {path: value for path, value in edits.items() if path in doc.values}  # only values the template has


def _replace_scalar(lines: list[str], doc: Document, path: Path_, old: Any, new: str) -> None:
    pos = doc.values[path]
    line = lines[pos.line - 1]
    start = pos.column - 1
    written = new if PLAIN.match(new) else json.dumps(new, ensure_ascii=False)
    for form in (str(old), json.dumps(old, ensure_ascii=False), f"'{old}'"):
        if line.startswith(form, start):
            lines[pos.line - 1] = line[:start] + written + line[start + len(form):]
            return
    raise ValueError(f"cannot rewrite {path} in the template at line {pos.line}")


def _value(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def _template(template: str) -> tuple[str, Document]:
    source = RECIPES_DIR / TEMPLATES[template]
    text = source.read_text(encoding="utf-8")
    return text, load_text(text, str(source))


def _recipe_text(text: str, doc: Document, name: str, folder: Path, inputs: dict[Path_, str]) -> str:
    """The ready recipe's text with the new values in place, comments and layout kept."""
    lines = text.split("\n")
    edits = _edits(doc, inputs, name)
    # Right to left within a line, bottom to top: earlier positions stay valid.
    for path in sorted(edits, key=lambda p: (doc.values[p].line, doc.values[p].column), reverse=True):
        _replace_scalar(lines, doc, path, _value(doc.data, path), edits[path])
    modeline = MODELINE + _rel(SCHEMAS_DIR / "recipe.schema.json", folder)
    if lines and lines[0].startswith(MODELINE):
        lines[0] = modeline
    else:
        lines.insert(0, modeline)
    return "\n".join(lines)


def new_recipe(template: str, name: str, folder: Path, *, force: bool = False) -> Path:
    """Write NAME.yaml in `folder` (and copy the inputs it needs beside it); an OrcError, before anything
    is written, for a bad template or name, an existing file, or an input beside it that differs."""
    problems = []
    if template not in TEMPLATES:
        problems.append(Diagnostic(f"unknown template '{template}'", "--from", hint=one_of(TEMPLATES), code="usage"))
    if not re.match(NAME_PATTERN, name):
        problems.append(Diagnostic(f"invalid recipe name '{name}'", "NAME", hint=PATTERN_RULES[NAME_PATTERN][0], code="usage"))
    target = folder / f"{name}.yaml"
    place = write_problem(target)  # checked before any work: a file on the way, a read-only place, a name too long
    if place is not None:
        problems.append(Diagnostic(f"cannot write the recipe there: {place}", str(target), hint="pick another --dir or a shorter name", code="cannot_write"))
    elif target.exists() and not force:
        problems.append(Diagnostic("the file exists already", str(target), hint="pick another name or pass --force", code="usage"))
    if template not in TEMPLATES:
        raise OrcError(problems)
    original, doc = _template(template)
    inputs, copies, clashes = _copy_plan(doc, folder)
    if problems or clashes:
        raise OrcError(problems + clashes)
    text = _recipe_text(original, doc, name, folder, inputs)
    made: list[Path] = []  # what this call created, removed again if any of it fails (a full disk)
    try:
        for source, destination in copies:
            for parent in reversed([p for p in destination.parents if not p.exists()]):
                parent.mkdir()
                made.append(parent)
            made.append(destination)
            if source.is_dir():
                shutil.copytree(source, destination)
            else:
                shutil.copyfile(source, destination)
        write_atomic(target, text)
    except BaseException:
        for path in reversed(made):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        raise
    return target
