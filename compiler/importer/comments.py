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
    # where each step and each carried data config sits, looked up once per note (issue 19: not a scan of the
    # list per note, which made a config with a note on each of its passes cost the square of its passes)
    steps = _positions(step_names)
    carried = _positions([c.get("name") for c in recipe.get("olive", {}).get("data_configs", [])])
    for note in result.notes:
        home = _home(note.path, recipe, steps, carried, result.modern)
        comments.setdefault(home, []).append(_text(note))
    for where, reason in sorted(reasons.items()):
        kind, name = where[0], where[-1]
        if kind == "systems" and "systems" in recipe.get("olive", {}):
            comments.setdefault(("olive", "systems"), []).append(reason)
        if kind == "passes" and name in steps:
            comments.setdefault(("steps", steps[name]), []).append(reason)
        if kind == "data_configs" and name in carried:
            comments.setdefault(("olive", "data_configs", carried[name]), []).append(reason)
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


def _positions(names: list[Any]) -> dict[Any, int]:
    """Each name's first index (list.index as a look-up); a name that cannot be a key is left out."""
    out: dict[Any, int] = {}
    for index, name in enumerate(names):
        try:
            out.setdefault(name, index)
        except TypeError:
            continue
    return out


def _home(path: Path_, recipe: dict[str, Any], steps: dict[Any, int], carried: dict[Any, int], modern: dict[str, Any]) -> Path_:
    """The recipe path that holds what the Olive config had at `path`; () for the top of the file."""
    olive = recipe.get("olive", {})
    head = path[0] if path else None
    if head == "passes" and len(path) > 1 and path[1] in steps:
        return ("steps", steps[path[1]])
    if head == "data_configs" and len(path) > 1 and isinstance(path[1], int):
        configs = modern.get("data_configs") or []
        name = configs[path[1]].get("name") if path[1] < len(configs) and isinstance(configs[path[1]], dict) else None
        if name is not None and name in recipe.get("datasets", {}):
            return ("datasets", name)
        if name in carried:
            return ("olive", "data_configs", carried[name])
    if head == "input_model":
        return ("model",) if "model" in recipe else ("olive", "input_model")
    if head in SYSTEM_FIELDS:
        return ("target",) if "target" in recipe else ("olive", "systems") if "systems" in olive else ()
    if head is not None and head in olive:
        return ("olive", head)
    if head in TOP_LEVEL_HOMES:
        return TOP_LEVEL_HOMES[head]
    return ()
