"""The run manifest written beside a run's output, and the fingerprint that decides a re-run.

A re-run is skipped only when the recipe, the compiled workflow, the data files and the local model
are unchanged and the output the manifest lists is still on disk, file for file: the same names, sizes
and SHA-256 hashes (a file corrupted in place, even at the same size, makes the run happen again).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orc_olive import __version__
from orc_olive.checks.data_columns import data_files, is_pattern
from orc_olive.files import manifest_path
from orc_olive.run.lock import lock_path

if TYPE_CHECKING:
    from orc_olive.recipe.models import Recipe

PACKAGES = ("olive-ai", "onnxruntime-genai", "onnxruntime-genai-cuda", "onnxruntime", "torch", "transformers", "peft")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _folder_stamp(folder: Path) -> str:
    """Names, sizes and modification times of a folder's files: cheap for large model folders."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"{file.relative_to(folder).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def fingerprint(recipe_files: list[Path], workflow_text: str, recipe: Recipe, base: Path) -> dict[str, Any]:
    inputs: dict[str, str] = {}
    for dataset in recipe.datasets.values():
        for name in dataset.file_list:
            matches = data_files(base, name)  # a glob pattern names several files
            if not matches:
                inputs[f"data:{name}"] = "missing"
            for file in matches:
                inputs[f"data:{name if not is_pattern(name) else os.path.relpath(file, base)}"] = sha256_file(file)
    for folder in (recipe.model.path, recipe.model.adapter_path) if recipe.model else ():
        if folder and (base / folder).is_dir():
            inputs[f"model:{folder}"] = _folder_stamp(base / folder)
    return {
        "recipes": {str(p.resolve()): sha256_file(p) for p in recipe_files},  # the same however the recipe was named
        "workflow_sha256": sha256_text(workflow_text),
        "inputs": inputs,
    }


def versions() -> dict[str, str | None]:
    from importlib import metadata  # not imported by the no-op (run/quick_noop.py)

    found: dict[str, str | None] = {"orc": __version__}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def output_listing(folder: Path) -> dict[str, dict[str, Any]]:
    """Every file of the output folder with its size and SHA-256: what the no-op check compares."""
    return {
        p.relative_to(folder).as_posix(): {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def output_intact(listing: Any, output: Path) -> bool:
    """The output folder holds exactly the files of `listing`, each of its size and hash (sizes first: cheap)."""
    if not isinstance(listing, dict) or not listing or not output.is_dir():
        return False
    if any(not isinstance(entry, dict) or "sha256" not in entry or "bytes" not in entry for entry in listing.values()):
        return False  # a manifest of an older orc, with sizes only
    on_disk = {p.relative_to(output).as_posix(): p for p in output.rglob("*") if p.is_file()}
    if set(on_disk) != set(listing):
        return False
    if any(on_disk[name].stat().st_size != entry["bytes"] for name, entry in listing.items()):
        return False
    return all(sha256_file(on_disk[name]) == entry["sha256"] for name, entry in listing.items())


def up_to_date(manifest: dict[str, Any] | None, current: dict[str, Any], output: Path) -> bool:
    if not manifest or manifest.get("status") != "succeeded" or manifest.get("fingerprint") != current:
        return False
    return output_intact(manifest.get("output_files"), output)


def keep_sample(model_dir: Path, prompt: str, text: str, adapter: str | None, tokens: int) -> str:
    """Keep `orc try`'s generation in the manifest of the model in place (and refresh its report page);
    returns what was done, in a line ("" when there is no manifest of that model, or a run holds it)."""
    model_dir = model_dir.resolve()
    path = manifest_path(model_dir)
    data = read(path)
    if data is None or data.get("status") != "succeeded" or lock_path(model_dir).exists():
        return ""
    data["sample"] = {"prompt": prompt, "text": text, "adapter": adapter, "tokens": tokens, "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    from orc_olive.files import os_error_line, write_atomic

    try:
        write_atomic(path, json.dumps(data, indent=2) + "\n", private=path.stat().st_mode & 0o077 == 0)
    except OSError as exc:
        return f"the sample was not kept: {os_error_line(exc)}"
    from orc_olive.run.report import report_path, write_report

    if report_path(path).is_file():
        write_report(path)
    return f"kept the prompt and the generated text in {path}"
