"""`orc diff`: how two compiled workflows differ, field by field (for reviewing a change to a recipe).

The two sides are two recipes, or one recipe now and at a git revision (`--rev`); at a revision, the
recipe and every base it extends are read from git (`git show REV:path`).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Iterator

from orc_olive.diagnostics import Path_, dotted
from orc_olive.source.compose import Reader


def leaves(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every scalar (and every empty mapping or list) with its path, in document order."""
    if isinstance(value, dict) and value:
        for key, child in value.items():
            yield from leaves(child, path + (key,))
    elif isinstance(value, list) and value:
        for index, child in enumerate(value):
            yield from leaves(child, path + (index,))
    else:
        yield path, value


def changes(old: Any, new: Any) -> list[tuple[str, str, Any, Any]]:
    """(op, dotted path, old, new) with op '-' removed, '+' added, '~' changed; old's order, then new's."""
    before, after = dict(leaves(old)), dict(leaves(new))
    out: list[tuple[str, str, Any, Any]] = []
    for path, value in before.items():
        if path not in after:
            out.append(("-", dotted(path), value, None))
        elif after[path] != value or type(after[path]) is not type(value):
            out.append(("~", dotted(path), value, after[path]))
    out += [("+", dotted(path), None, value) for path, value in after.items() if path not in before]
    return out


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def render(found: list[tuple[str, str, Any, Any]], old_name: str, new_name: str) -> str:
    if not found:
        return f"no differences between {old_name} and {new_name}\n"
    lines = [f"--- {old_name}", f"+++ {new_name}"]
    for op, path, old, new in found:
        if op == "~":
            lines.append(f"~ {path}: {_show(old)} -> {_show(new)}")
        else:
            lines.append(f"{op} {path}: {_show(old if op == '-' else new)}")
    lines.append(f"{len(found)} field{'' if len(found) == 1 else 's'} differ")
    return "\n".join(lines) + "\n"


OPS = {"-": "removed", "+": "added", "~": "changed"}


def as_json(found: list[tuple[str, str, Any, Any]], old_name: str, new_name: str) -> str:
    """The differences as one JSON document (`orc diff --format json`)."""
    items = [{"op": OPS[op], "path": path, **({"old": old} if op != "+" else {}), **({"new": new} if op != "-" else {})}
             for op, path, old, new in found]
    return json.dumps({"old": old_name, "new": new_name, "equal": not found, "changes": items}, indent=2, ensure_ascii=False) + "\n"


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True)


def rev_problem(recipe: str, rev: str) -> str | None:
    """Why `rev` cannot be read for `recipe`, or None."""
    folder = Path(recipe).resolve().parent
    if _git(folder, "rev-parse", "--show-toplevel").returncode != 0:
        return f"{recipe} is not in a git checkout"
    if _git(folder, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode != 0:
        return f"unknown git revision '{rev}'"
    return None


def git_reader(rev: str) -> Reader:
    """Read recipe files as they were at `rev` (paths as in the working tree)."""

    def read(path: str) -> bytes:
        file = Path(path).resolve()
        top = _git(file.parent, "rev-parse", "--show-toplevel")
        if top.returncode != 0:
            raise OSError(0, f"{path} is not in a git checkout")
        root = Path(top.stdout.decode().strip()).resolve()
        shown = _git(root, "show", f"{rev}:{file.relative_to(root).as_posix()}")
        if shown.returncode != 0:
            raise FileNotFoundError(path)
        return shown.stdout

    return read
