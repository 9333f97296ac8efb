"""Outputs kept by workflow: switching back to an earlier configuration restores its model instead of
running it again (`orc compile-and-run --keep-outputs N`; 3 with --warm).

When a run replaces a model, the model and its record go to an entry of the store beside the output,
named by the hash of what made it (the compiled workflow and the hashes of the data and model it read):
  models/x.store/<key>/model/            the model's files (hard links: no copy while the output holds them)
  models/x.store/<key>/record.manifest.json, record.olive.log, record.workflow.json
A later run whose workflow and inputs hash to a key in the store, and whose entry is intact file for file
(sizes and SHA-256 as its manifest lists them), gets that model back in place with a record of its own
(status succeeded, `restored_from` naming the run that made it), through the same swap as a run; no step
runs. The newest N entries are kept. A failed swap leaves the model in place and its record as they were.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from orc_olive.files import beside, write_atomic
from orc_olive.run import history, manifest

RECORD = {suffix: "record" + suffix for suffix in history.RECORD_SUFFIXES}


def store_folder(output: Path) -> Path:
    return beside(output, ".store")


def entry_key(fingerprint: dict[str, Any]) -> str:
    """What made a model: the workflow and the inputs' hashes (not the recipe's text: a comment changes nothing)."""
    made_of = {"workflow_sha256": fingerprint.get("workflow_sha256"), "inputs": fingerprint.get("inputs")}
    return hashlib.sha256(json.dumps(made_of, sort_keys=True).encode()).hexdigest()[:24]


def put(output: Path, top: dict[str, Path], keep: int) -> None:
    """Keep the model in place and its record as an entry (before a run or a restore replaces them)."""
    if keep <= 0:  # every run comes here: nothing is read unless the store is in use
        return
    data = manifest.read(top[".manifest.json"])
    if data is None or not history.model_in_place(data, output) or not isinstance(data.get("fingerprint"), dict):
        return
    folder = store_folder(output)
    key = entry_key(data["fingerprint"])
    building = folder / f".building-{key}-{os.getpid()}"
    try:
        history.remove_tree(building)
        _link_tree(output, building / "model")
        for suffix, name in RECORD.items():
            if top[suffix].is_file():
                history.link_or_copy(top[suffix], building / name)
        history.remove_tree(folder / key)
        os.rename(building, folder / key)
        os.utime(folder / key)  # the newest entry
    finally:
        history.remove_tree(building)
    _prune(output, keep)


def entries(output: Path) -> list[Path]:
    """The store's entries, newest first."""
    try:
        found = [p for p in store_folder(output).iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return []
    return sorted(found, key=lambda p: p.stat().st_mtime_ns, reverse=True)


def find(output: Path, current: dict[str, Any]) -> Path | None:
    """The intact entry of the model `current` (a run's fingerprint) makes, if the store holds one."""
    entry = store_folder(output) / entry_key(current)
    data = manifest.read(entry / RECORD[".manifest.json"])
    if not data or data.get("status") != "succeeded" or not isinstance(data.get("fingerprint"), dict):
        return None
    if entry_key(data["fingerprint"]) != entry_key(current):
        return None
    return entry if manifest.output_intact(data.get("output_files"), entry / "model") else None


def restore(entry: Path, output: Path, changes: dict[str, Any], keep: int) -> tuple[dict[str, Any], Path]:
    """Put the entry's model in place with a new record (its manifest updated by `changes`), the caller holding
    the output's lock; the model it replaces goes to the store first. Returns that manifest and its path."""
    data = manifest.read(entry / RECORD[".manifest.json"]) or {}
    made_by = data.get("run_id")
    started = datetime.now(timezone.utc)
    record = history.new_record(beside(output, ".runs"), started)
    now = started.isoformat(timespec="seconds")
    data.update(changes, run_id=record.run_id, started=now, ended=now, seconds=0.0, log=str(record.log), workflow=str(record.workflow),
                restored_from={"run_id": made_by, "entry": entry.name})
    staging, top = history.staging_path(output), history.top_records(output)
    history.remove_tree(staging)
    record.folder.mkdir(parents=True, exist_ok=True)
    try:
        _link_tree(entry / "model", staging)
        for suffix in (".olive.log", ".workflow.json"):
            if (entry / RECORD[suffix]).is_file():
                history.link_or_copy(entry / RECORD[suffix], record.file(suffix))
        private = (entry / RECORD[".manifest.json"]).stat().st_mode & 0o077 == 0
        write_atomic(record.manifest, json.dumps(data, indent=2) + "\n", private=private)
        put(output, top, keep)
        history.swap_in(staging, output, record, top)
    finally:
        history.remove_tree(staging)
    os.utime(entry)
    history.prune(record.folder, protect=record.run_id)
    return data, record.manifest


def restored_line(output: Path, data: dict[str, Any], entry: Path) -> str:
    return (f"restored: {output} (the model run {data['restored_from']['run_id']} made from this workflow and these inputs,"
            f" kept in {entry.parent}; no step ran; --force runs again)")


def _link_tree(source: Path, target: Path) -> None:
    """The folder's files at `target` as hard links (copies where the file system cannot link)."""
    target.mkdir(parents=True)
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_dir() and not path.is_symlink():
            destination.mkdir(exist_ok=True)
        elif path.is_symlink():
            os.symlink(os.readlink(path), destination)
        else:
            history.link_or_copy(path, destination)


def _prune(output: Path, keep: int) -> None:
    for stale in entries(output)[keep:]:
        shutil.rmtree(stale, ignore_errors=True)
