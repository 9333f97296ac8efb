"""The recipes that extend a file, directly or through another base: `orc validate --with-dependents`
checks them too, so that a change to a base is checked in every recipe it changes (pre-commit, CI).

Only the `extends:` of each recipe-like YAML file under the search folder is read (a regular file of at
most 2 MB, parsed with the safe loader; a file that does not parse is left to its own validation).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable

import yaml

_EXTENDS = re.compile(rb"^extends:", re.MULTILINE)
_SKIP_DIRS = {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".olive-cache"}


def _yaml_files(root: Path) -> Iterable[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith((".yaml", ".yml")):
                yield Path(folder) / name


def _bases(file: Path) -> list[Path]:
    """The files `file`'s `extends:` names, resolved; [] when it has none or cannot be read."""
    from orc_olive.source.compose import read_disk

    try:
        data = read_disk(str(file))
    except OSError:
        return []
    if not _EXTENDS.search(data):
        return []
    try:
        extends = yaml.safe_load(data).get("extends")
    except (yaml.YAMLError, AttributeError, ValueError):
        return []
    entries = extends if isinstance(extends, list) else [extends]
    return [Path(os.path.realpath(os.path.join(os.path.dirname(file), entry))) for entry in entries if isinstance(entry, str)]


def dependents(changed: Iterable[Path], root: Path) -> list[Path]:
    """Every recipe under `root` that extends one of `changed`, directly or through other bases, in a
    stable order (as found under root), without the changed files themselves."""
    children: dict[Path, list[Path]] = {}
    for file in _yaml_files(root):
        for base in _bases(file):
            children.setdefault(base, []).append(file)
    start = {Path(os.path.realpath(p)) for p in changed}
    seen: dict[Path, Path] = {}
    queue = sorted(start)
    while queue:
        for child in children.get(queue.pop(0), []):
            real = Path(os.path.realpath(child))
            if real not in start and real not in seen:
                seen[real] = child
                queue.append(real)
    return sorted(seen.values())
