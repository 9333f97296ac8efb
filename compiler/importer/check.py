"""`orc import --check DIR`: import every Olive config in a folder, compile it back, and compare.

A config that Olive 0.13's RunConfig accepts as it is must come back equivalent (the same after both
are parsed by RunConfig and normalised, see equivalence.py). A config that RunConfig rejects (an older
layout) must come back as a workflow that RunConfig accepts. Recipes are compiled in memory as if they
sat beside their config, so nothing is written into the folder. Imports Olive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from orc_olive.diagnostics import OrcError, dotted
from orc_olive.importer.convert import import_config, read_config

CONFIG_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass
class Row:
    config: str
    imported: bool = False
    accepted: bool = False  # the original, by Olive 0.13's RunConfig
    round_trips: bool = False
    differences: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def unsupported_paths(self) -> list[str]:
        """Where each thing that was not carried sat in the config ("passes.lora.eval_dataset_size")."""
        return [text.split(":", 1)[0] for text in self.unsupported]

    @property
    def verdict(self) -> str:
        if not self.imported:
            return "no"
        if self.round_trips:
            return "yes" if self.accepted else "yes (modernised)"
        return "no"


def workflow_configs(folder: Path) -> list[tuple[Path, dict]]:
    """(file, config) of the files under `folder` that hold an Olive workflow (they have `input_model`
    and `passes`), sorted by file."""
    found = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in CONFIG_SUFFIXES and p.is_file()):
        try:
            found.append((path, read_config(path)))
        except OrcError:
            continue
    return found


def check_config(path: Path, root: Path, config: dict | None = None) -> Row:
    from orc_olive.olive.equivalence import differences, normalise

    row = Row(str(path.relative_to(root)))
    config = read_config(path) if config is None else config
    original = normalise(config, path.parent)
    recipe_file = str(path.with_name(path.stem + ".orc.yaml"))  # as if beside the config: nothing is written
    imported = import_config(config, path, Path(recipe_file))
    # RunConfig does not look the pass types up; `olive run` fails on one it does not have. Such a
    # config counts as an older one, whose modern form drops that pass (and says so).
    row.accepted = original.ok and not unknown_passes(config, imported.modern)
    row.unsupported = list(dict.fromkeys(imported.unsupported))
    if not imported.ok:
        row.error = "; ".join((f"{d.dotted_path}: " if d.path else "") + d.message for d in imported.errors)[:300]
        return row
    compiled = imported.workflow
    if compiled is None:
        row.error = "the imported recipe does not compile"
        return row
    row.imported = True
    result = normalise(compiled, path.parent)
    if not result.ok:
        row.error = f"Olive rejects the compiled workflow: {result.error[:200]}"
        return row
    if row.accepted:
        # orc's fixes are not changes of what the workflow does: the evaluator type Olive 0.13 needs, and an
        # output folder of its own where the config writes into the folder Olive runs in (the output guard)
        row.differences = [d for d in differences(original.data, result.data)
                           if not _added_type(d, original.data, result.data) and not (imported.output_dir and d == "engine.output_dir")]  # fmt: skip
        row.round_trips = not row.differences
    else:
        row.round_trips = True
    return row


def _added_type(difference: str, original: dict | None, compiled: dict | None) -> bool:
    """The evaluator type orc writes where the config gave none (Olive 0.13 fails at start-up without one):
    a fix, not a change of what the workflow does. RunConfig holds the evaluator under `evaluators` and,
    resolved, as the engine's `evaluator`."""
    original, compiled = original or {}, compiled or {}
    places = [("engine", "evaluator")] + [("evaluators", name) for name in (original.get("evaluators") or {})]
    for place in places:
        if difference == dotted(place + ("type",)):
            before, after = _get(original, place), _get(compiled, place)
            return isinstance(before, dict) and isinstance(after, dict) and before.get("type") is None and bool(after.get("type"))
    return False


def _get(data: dict, place: tuple) -> object:
    found: object = data
    for key in place:
        found = found.get(key) if isinstance(found, dict) else None
    return found


def unknown_passes(config: dict, modern: dict | None = None) -> list[str]:
    """Passes of `config` whose type Olive 0.13 does not have (its modern form, given or made here, drops them)."""
    from orc_olive.importer.legacy import modernise

    kept = (modern or modernise(config)[0]).get("passes") or {}
    return [name for name in config.get("passes") or {} if name not in kept]


def check_folder(folder: Path) -> list[Row]:
    return [check_config(path, Path(folder), config) for path, config in workflow_configs(Path(folder))]


def table(rows: Iterable[Row]) -> str:
    rows = list(rows)
    head = ("config", "imported", "round-trips", "differences", "unsupported")
    body = [
        (r.config, "yes" if r.imported else "no", r.verdict, _first(r.differences, 4) or r.error,
         _first(sorted(r.unsupported_paths, key=lambda p: not p.startswith("passes.")), 3))  # what changes a run first
        for r in rows
    ]  # fmt: skip
    widths = [max([len(h)] + [len(b[i]) for b in body]) for i, h in enumerate(head)]
    widths[3] = min(widths[3], 80)
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
    lines += ["  ".join(c[:w].ljust(w) if i == 3 else c.ljust(w) for i, (c, w) in enumerate(zip(b, widths))).rstrip() for b in body]
    return "\n".join(lines)


def _first(items: list[str], count: int) -> str:
    return ", ".join(items[:count]) + (f" (+{len(items) - count})" if len(items) > count else "")


def summary(rows: list[Row]) -> str:
    accepted = [r for r in rows if r.accepted]
    legacy = [r for r in rows if not r.accepted]
    good = [r for r in rows if r.round_trips]
    return (
        f"{len(rows)} configs: {sum(r.imported for r in rows)} imported, {len(good)} round-trip ({share(rows):.1%}); "
        f"{sum(r.round_trips for r in accepted)} of {len(accepted)} accepted by Olive 0.13 come back equivalent, "
        f"{sum(r.round_trips for r in legacy)} of {len(legacy)} others come back as workflows Olive 0.13 accepts"
    )


def share(rows: list[Row]) -> float:
    return sum(r.round_trips for r in rows) / len(rows) if rows else 0.0
