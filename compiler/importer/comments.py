"""The comments `orc import` writes into a recipe: where each legacy field went, and what was dropped and why.

Notes are located in the original config (passes.lora.lora_r); each is written above the recipe part
that now holds that piece (the step, the dataset, the model, or the `olive:` entry).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orc_olive.diagnostics import Path_, dotted
from orc_olive.importer import legacy
from orc_olive.recipe.olive_block import SYSTEM_FIELDS

if TYPE_CHECKING:
    from orc_olive.importer.convert import Imported

TOP_LEVEL_HOMES = {"output_dir": ("output",), "cache_dir": ("output",), "log_severity_level": ("engine",),
                   "evaluate_input_model": ("engine",), "clean_cache": ("engine",), "no_artifacts": ("engine",)}  # fmt: skip


def header_for(source: Path, moved: str, result: Imported) -> list[str]:
    shown = os.path.normpath(os.path.join(moved, source.name))
    changed = [n for n in result.notes if n.kind != legacy.DROPPED]
    dropped = [n for n in result.notes if n.kind == legacy.DROPPED]
    what = "its Olive 0.13 form" if changed or dropped else "the same Olive 0.13 workflow"
    lines = [f"Imported by `orc import` from {shown}; compiles to {what}."]
    if changed or dropped:
        lines.append(f"The config used an older Olive layout: {len(changed)} change(s) to the 0.13 layout, {len(dropped)} field(s) dropped;")
        lines.append("each is noted above the part of this recipe that holds it.")
    if result.unsupported:
        lines.append("Not carried over:")
        lines += [f"  - {text}" for text in dict.fromkeys(result.unsupported)]
    return lines


OLIVE_FIELD_NOTES = {
    "workflow_id": "Olive's workflow id, as in the config (orc would use the recipe's name)",
    "systems": "the config names no systems: Olive picks the local machine and its execution providers",
}


def comments_for(recipe: dict[str, Any], step_names: list[str], result: Imported, reasons: dict[Path_, str]) -> dict[Path_, list[str]]:
    comments: dict[Path_, list[str]] = {}
    for note in result.notes:
        home = _home(note.path, recipe, step_names, result.modern)
        comments.setdefault(home, []).append(_text(note))
    carried = [c.get("name") for c in recipe.get("olive", {}).get("data_configs", [])]
    for where, reason in sorted(reasons.items()):
        kind, name = where[0], where[-1]
        if kind == "systems" and "systems" in recipe.get("olive", {}):
            comments.setdefault(("olive", "systems"), []).append(reason)
        if kind == "passes" and name in step_names:
            comments.setdefault(("steps", step_names.index(name)), []).append(reason)
        if kind == "data_configs" and name in carried:
            comments.setdefault(("olive", "data_configs", carried.index(name)), []).append(reason)
    olive = recipe.get("olive", {})
    if olive.get("workflow_id") == "default_workflow":
        comments.setdefault(("olive", "workflow_id"), []).append(OLIVE_FIELD_NOTES["workflow_id"])
    if "systems" in olive and olive["systems"] is None:
        comments.setdefault(("olive", "systems"), []).append(OLIVE_FIELD_NOTES["systems"])
    return comments


def _text(note: legacy.Note) -> str:
    where = dotted(note.path) or "(top)"
    if note.kind == legacy.DROPPED:
        return f"dropped {where}: {note.message}"
    return f"{where} -> {dotted(note.new_path) or 'top level'}: {note.message}"


def _home(path: Path_, recipe: dict[str, Any], step_names: list[str], modern: dict[str, Any]) -> Path_:
    """The recipe path that holds what the Olive config had at `path`; () for the top of the file."""
    olive = recipe.get("olive", {})
    head = path[0] if path else None
    if head == "passes" and len(path) > 1 and path[1] in step_names:
        return ("steps", step_names.index(str(path[1])))
    if head == "data_configs" and len(path) > 1 and isinstance(path[1], int):
        configs = modern.get("data_configs") or []
        name = configs[path[1]].get("name") if path[1] < len(configs) and isinstance(configs[path[1]], dict) else None
        if name is not None and name in recipe.get("datasets", {}):
            return ("datasets", name)
        carried = [c.get("name") for c in olive.get("data_configs", [])]
        if name in carried:
            return ("olive", "data_configs", carried.index(name))
    if head == "input_model":
        return ("model",) if "model" in recipe else ("olive", "input_model")
    if head in SYSTEM_FIELDS:
        return ("target",) if "target" in recipe else ("olive", "systems") if "systems" in olive else ()
    if head is not None and head in olive:
        return ("olive", head)
    if head in TOP_LEVEL_HOMES:
        return TOP_LEVEL_HOMES[head]
    return ()
