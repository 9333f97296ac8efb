"""`orc new --from TEMPLATE NAME`: start a recipe from one of the ready ones in recipes/.

The copy keeps the original's comments and layout; only values change: the name, paths (rewritten so
they still point at the same data and model from the new file's folder), the output folder, the
schema modeline, and the AzureML subscription (read from the environment).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from orc_olive.catalog import SCHEMAS_DIR
from orc_olive.diagnostics import Diagnostic, OrcError, Path_, one_of
from orc_olive.source.loader import Document, load_text
from orc_olive.recipe.models import NAME_PATTERN, PATTERN_RULES

RECIPES_DIR = SCHEMAS_DIR.parent / "recipes"
TEMPLATES = {
    "lab-travel": "phi35-awq-lora-travel.yaml",
    "qlora-classification": "phi3-qlora-phrase-classification.yaml",
    "tiny-cpu": "tiny-cpu-lora-int4.yaml",
}
MODELINE = "# yaml-language-server: $schema="
PLAIN = re.compile(r"^[A-Za-z0-9_./${}:-]+$")


def _rel(target: Path, folder: Path) -> str:
    return Path(os.path.relpath(target.resolve(), folder.resolve())).as_posix()


def _edits(doc: Document, source_dir: Path, folder: Path, name: str) -> dict[Path_, Any]:
    """New values by path."""
    data = doc.data
    edits: dict[Path_, Any] = {("name",): name, ("output", "dir"): f"models/{name}", ("output", "cache"): ".olive-cache"}
    model = data.get("model", {})
    for key in ("path", "adapter_path"):
        value = model.get(key)
        if isinstance(value, str) and (value.startswith(".") or (source_dir / value).exists()):
            edits[("model", key)] = _rel(source_dir / value, folder)
    for ds_name, ds in data.get("datasets", {}).items():
        files = ds.get("files")
        if isinstance(files, str):
            edits[("datasets", ds_name, "files")] = _rel(source_dir / files, folder)
        for index, file in enumerate(files if isinstance(files, list) else []):
            edits[("datasets", ds_name, "files", index)] = _rel(source_dir / file, folder)
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


def new_recipe_text(template: str, name: str, folder: Path) -> str:
    source = RECIPES_DIR / TEMPLATES[template]
    text = source.read_text(encoding="utf-8")
    doc = load_text(text, str(source))
    lines = text.split("\n")
    edits = _edits(doc, source.parent, folder, name)
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
    problems = []
    if template not in TEMPLATES:
        problems.append(Diagnostic(f"unknown template '{template}'", "--from", hint=one_of(TEMPLATES), code="usage"))
    if not re.match(NAME_PATTERN, name):
        problems.append(Diagnostic(f"invalid recipe name '{name}'", "NAME", hint=PATTERN_RULES[NAME_PATTERN][0], code="usage"))
    target = folder / f"{name}.yaml"
    if target.exists() and not force:
        problems.append(Diagnostic("the file exists already", str(target), hint="pick another name or pass --force", code="usage"))
    if problems:
        raise OrcError(problems)
    from orc_olive.files import write_atomic

    write_atomic(target, new_recipe_text(template, name, folder))
    return target
