"""The cheap no-op: "up to date" decided before any model is built.

A run's manifest keeps a key of what it ran: orc's version, the recipe's path and the SHA-256 of the
composed recipe (bases, variant, --set and ${env:}/${var:} values merged in: everything the compiled
workflow is made from, apart from orc itself). `orc compile-and-run` composes the recipe (no validation,
no checks, no rendering) and, when that key, the recipe files, every data file and local model the run
read, and every output file (size and SHA-256) are unchanged, says "up to date" at once. Anything else,
and anything it cannot tell cheaply (a glob in `files:`, adapters, chains, `output.register`, an AzureML
target, a run in progress), leaves the decision to the full path (execute.run_workflow), which decides as before.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from orc_olive import __version__
from orc_olive.checks.data_columns import is_pattern
from orc_olive.files import manifest_path
from orc_olive.run import manifest
from orc_olive.run.lock import lock_path

if TYPE_CHECKING:
    from pydantic import BaseModel


def quick_key(data: Any, recipe_file: str) -> dict[str, str] | None:
    """The key of a composed recipe, or None when a run of it cannot be judged cheaply."""
    if not _plain_local(data):
        return None
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=repr)
    return {"orc": __version__, "recipe": str(Path(recipe_file).resolve()), "document_sha256": hashlib.sha256(text.encode()).hexdigest()}


def _plain_local(data: Any) -> bool:
    """One local Olive run of the recipe (execute.run_workflow), with no glob among its data files."""
    if not isinstance(data, dict) or data.get("adapters"):
        return False
    target, model, output = data.get("target") or {}, data.get("model"), data.get("output") or {}
    if not isinstance(target, dict) or target.get("system", "local") == "azureml" or not isinstance(output, dict):
        return False
    if "layout" in output or "register" in output:  # chained layouts, and a model to register after the run
        return False
    if isinstance(model, dict) and "from" in model:
        return False
    datasets = data.get("datasets") or {}
    for dataset in datasets.values() if isinstance(datasets, dict) else ():
        files = dataset.get("files") if isinstance(dataset, dict) else None
        if any(isinstance(f, str) and is_pattern(f) for f in (files if isinstance(files, list) else [files])):
            return False
    return True


UP_TO_DATE = "up to date: {} (recipe, data, config and every output file unchanged; --force runs again)"


def up_to_date(recipe: str, sets: Sequence[str], variant: str | None, keep: int = 0) -> str | None:
    """What to say when the recipe's last run is up to date by the cheap check, or (with `keep`) when the
    store held its model and put it back (run/store.py); None to go the full way."""
    from orc_olive.source.compose import compose

    path = Path(recipe)
    if recipe == "-" or not path.is_file():
        return None
    try:  # the models are imported only to type a --set or an ${env:} value
        doc = compose(str(path), _recipe_model, sets=list(sets or []), variant=variant)
    except Exception:  # noqa: BLE001 - every problem is worded by the full path
        return None
    key = quick_key(doc.data, doc.file)
    if key is None:
        return None
    output_spec = doc.data.get("output") or {}
    base = Path(doc.file).absolute().parent
    output = (base / str(output_spec.get("dir", "outputs"))).resolve()
    if lock_path(output).exists():  # a run holds it: the full path waits for nothing and says so
        return None
    if _made_by(manifest.read(manifest_path(output)), key, base, output):
        return UP_TO_DATE.format(output)
    return _restore(output, key, base, doc.file, keep) if keep > 0 else None


def _made_by(record: dict[str, Any] | None, key: dict[str, str], base: Path, folder: Path) -> bool:
    """`record` says the model in `folder` was made from the composed recipe `key` with the inputs as they are now."""
    if not record or record.get("status") != "succeeded" or record.get("quick") != key:
        return False
    fingerprint = record.get("fingerprint")
    if not isinstance(fingerprint, dict) or not _inputs_unchanged(fingerprint, base):
        return False
    return manifest.output_intact(record.get("output_files"), folder)


def _restore(output: Path, key: dict[str, str], base: Path, recipe: str, keep: int) -> str | None:
    """Put back a kept model of this composed recipe, under the output's lock, and say so; None if none is kept."""
    from orc_olive.run import store
    from orc_olive.run.lock import LockHeld, acquire

    entry = next((e for e in store.entries(output) if _made_by(manifest.read(e / store.RECORD[".manifest.json"]), key, base, e / "model")), None)
    if entry is None:
        return None
    try:
        with acquire(output):
            data, _ = store.restore(entry, output, {"recipe": recipe, "output": str(output)}, keep)
    except (LockHeld, OSError):
        return None  # the full path says what is wrong
    from orc_olive.run.report import write_report

    write_report(manifest_path(output))
    return store.restored_line(output, data, entry)


def _recipe_model() -> type[BaseModel]:
    from orc_olive.recipe.models import Recipe

    return Recipe


def _inputs_unchanged(fingerprint: dict[str, Any], base: Path) -> bool:
    recipes, inputs = fingerprint.get("recipes"), fingerprint.get("inputs")
    if not isinstance(recipes, dict) or not isinstance(inputs, dict):
        return False
    for file, digest in recipes.items():
        if not Path(file).is_file() or manifest.sha256_file(Path(file)) != digest:
            return False
    for name, digest in inputs.items():
        kind, _, where = name.partition(":")
        target = base / where
        if kind == "data":
            now = manifest.sha256_file(target) if target.is_file() else "missing"
        elif kind == "model":
            now = manifest._folder_stamp(target) if target.is_dir() else "missing"
        else:
            return False
        if now != digest:
            return False
    return True
