"""Each run's own record, and the swap that puts a new model and its record in place together.

Beside the output folder (here models/x):
  models/x/                     the model in place
  models/x.manifest.json        the record of what is in models/x: the run that made it (its steps, its
  models/x.olive.log            files and their hashes), Olive's log of that run (secrets masked), and
  models/x.workflow.json        the workflow it ran. While no model is in place: the latest run's record.
  models/x.runs/<run-id>.manifest.json, .olive.log, .workflow.json
                                every run's own record, succeeded, failed or interrupted (the latest
                                KEEP_RUNS, and always the one of the model in place)
  models/x.lock                 while a run holds the folder (see lock.py)

A run writes only its own record and a staging folder. A failed or interrupted run leaves the model in
place and its record untouched. A run that succeeds moves its model and its record in together: the old
folder is renamed aside, the staging folder renamed in, the record linked in, the old folder removed;
if any of that fails, everything is put back as it was.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from orc_olive.files import beside

KEEP_RUNS = 20
RECORD_SUFFIXES = (".olive.log", ".workflow.json", ".manifest.json")  # the manifest last: it says what is in place


@dataclass(frozen=True)
class RunRecord:
    folder: Path  # models/x.runs
    run_id: str

    def file(self, suffix: str) -> Path:
        return self.folder / f"{self.run_id}{suffix}"

    @property
    def manifest(self) -> Path:
        return self.file(".manifest.json")

    @property
    def log(self) -> Path:
        return self.file(".olive.log")

    @property
    def workflow(self) -> Path:
        return self.file(".workflow.json")


def staging_path(output: Path) -> Path:
    """Where a run (or a restore) builds the folder that replaces `output`. Olive takes an output_dir whose name
    has a suffix for a file path: no dots in it."""
    return output.with_name(".orc-staging-" + output.name.replace(".", "_"))


def top_records(output: Path) -> dict[str, Path]:
    """The top-level record files beside `output` (the record of the model in place), by suffix."""
    return {suffix: beside(output, suffix) for suffix in RECORD_SUFFIXES}


def new_record(folder: Path, started: datetime) -> RunRecord:
    """A record named by the run's start (UTC) and pid: sortable, and unique on this machine."""
    return RunRecord(folder, started.strftime("%Y%m%dT%H%M%S.%fZ").replace(".", "") + f"-{os.getpid()}")


def model_in_place(top_manifest: dict[str, Any] | None, output: Path) -> bool:
    """Whether the output folder holds a model an orc run made (and recorded as succeeded)."""
    return bool(top_manifest) and top_manifest.get("status") == "succeeded" and output.is_dir()  # type: ignore[union-attr]


def link_or_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
        os.chmod(target, stat.S_IMODE(source.stat().st_mode))


def publish(pairs: list[tuple[Path, Path]]) -> None:
    """Each source file at its destination, all of them or none: linked (or copied) to temporary names
    beside the destinations first, then renamed over them in order (the last one is the commit point);
    if a rename fails, the destinations already replaced get their previous files back."""
    tag = f".orc-{os.getpid()}"
    staged: list[tuple[Path, Path]] = []
    try:
        for source, target in pairs:
            temporary = target.with_name(f".{target.name}{tag}")
            link_or_copy(source, temporary)
            staged.append((temporary, target))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    done: list[tuple[Path, Path | None]] = []
    try:
        for temporary, target in staged:
            backup = target.with_name(f".{target.name}{tag}-previous")
            kept = None
            if target.is_file():
                link_or_copy(target, backup)
                kept = backup
            os.replace(temporary, target)
            done.append((target, kept))
    except BaseException:
        for target, kept in reversed(done):
            if kept is not None:
                os.replace(kept, target)
            else:
                target.unlink(missing_ok=True)
        raise
    finally:
        for temporary, target in staged:
            temporary.unlink(missing_ok=True)
            target.with_name(f".{target.name}{tag}-previous").unlink(missing_ok=True)


def record_pairs(record: RunRecord, top: dict[str, Path]) -> list[tuple[Path, Path]]:
    """(record file, top-level file) for each of the record's files that exists."""
    return [(record.file(suffix), top[suffix]) for suffix in RECORD_SUFFIXES if record.file(suffix).is_file()]


def remove_tree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def swap_in(staging: Path, output: Path, record: RunRecord, top: dict[str, Path]) -> None:
    """Replace the output folder with the staging folder and the top-level record with the run's own,
    together; on any error, put everything back and raise."""
    swap_folder(staging, output, then=lambda: publish(record_pairs(record, top)))


def swap_folder(staging: Path, output: Path, then: Callable[[], None] | None = None) -> None:
    """Replace the output folder with the staging folder, and `then` change what must change with it; on any
    error, put everything back and raise."""
    previous = output.with_name(".orc-previous-" + output.name.replace(".", "_"))
    remove_tree(previous)
    had_output = output.exists()
    if had_output:
        os.rename(output, previous)
    try:
        os.rename(staging, output)
        if then is not None:
            try:
                then()
            except BaseException:
                os.rename(output, staging)
                raise
    except BaseException:
        if had_output:
            os.rename(previous, output)
        raise
    remove_tree(previous)


def prune(folder: Path, keep: int = KEEP_RUNS, protect: str | None = None) -> None:
    """Remove the records of all but the latest `keep` runs (never the record of the model in place)."""
    try:
        names = [p.name for p in folder.iterdir() if p.is_file()]
    except OSError:
        return
    runs = sorted({name.split(".", 1)[0] for name in names if name.endswith(RECORD_SUFFIXES)})
    for run_id in runs[: max(0, len(runs) - keep)]:
        if run_id == protect:
            continue
        for suffix in RECORD_SUFFIXES:
            (folder / f"{run_id}{suffix}").unlink(missing_ok=True)


def run_id_of(top_manifest: dict[str, Any] | None) -> str | None:
    value = (top_manifest or {}).get("run_id")
    return value if isinstance(value, str) else None


