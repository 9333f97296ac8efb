"""Runs that go wrong never cost the good model in place, nor its record, nor a secret.

The lock and the swap are tested directly; then the real `olive run` on the tiny model (integration):
a failing run after a good one, SIGTERM/SIGINT during a run, two runs of one output at once, a full
disk (a small tmpfs where this machine lets the test mount one) and a write that fails while the new
model is being put in place.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orc_olive.run import history
from orc_olive.run.lock import LockHeld, acquire, lock_path

from .conftest import ROOT, recipe_copy

SECRET = "Zq8sEcReTvAlUe4242xYwQ"  # the value of DATA_TOKEN: a name that says TOKEN makes it a secret


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(folder.rglob("*"))
    }


# -- the lock and the swap, without Olive ---------------------------------------------------------


def test_a_second_holder_is_refused_with_the_holders_pid_and_a_released_lock_is_free(tmp_path):
    output = tmp_path / "out" / "model"
    first = acquire(output)
    assert lock_path(output).read_text().strip() == str(os.getpid())
    with pytest.raises(LockHeld) as held:
        acquire(output)  # another open of the file: flock refuses it as it would another process
    assert f"pid {os.getpid()}" in str(held.value) and str(output) in str(held.value)
    first.release()
    assert not lock_path(output).exists()
    with acquire(output) as again:
        assert again.stale_pid is None


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    output = tmp_path / "model"
    lock_path(output).write_text(f"{dead.pid}\n")
    with acquire(output) as lock:
        assert lock.stale_pid == dead.pid
        assert lock_path(output).read_text().strip() == str(os.getpid())


def _old_and_new(tmp_path: Path) -> tuple[Path, Path, history.RunRecord, dict[str, Path]]:
    output, staging = tmp_path / "model", tmp_path / ".orc-staging-model"
    output.mkdir()
    (output / "model.onnx").write_text("old model")
    staging.mkdir()
    (staging / "model.onnx").write_text("new model")
    top = {suffix: tmp_path / f"model{suffix}" for suffix in history.RECORD_SUFFIXES}
    for suffix, path in top.items():
        path.write_text(f"old{suffix}")
    record = history.RunRecord(tmp_path / "model.runs", "r2")
    record.folder.mkdir()
    for suffix in history.RECORD_SUFFIXES:
        record.file(suffix).write_text(f"new{suffix}")
    return output, staging, record, top


def test_the_swap_puts_model_and_record_in_together(tmp_path):
    output, staging, record, top = _old_and_new(tmp_path)
    history.swap_in(staging, output, record, top)
    assert (output / "model.onnx").read_text() == "new model" and not staging.exists()
    assert {s: p.read_text() for s, p in top.items()} == {s: f"new{s}" for s in top}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "model.manifest.json", "model.olive.log", "model.runs", "model.workflow.json"]


def test_a_swap_that_fails_half_way_puts_everything_back(tmp_path):
    output, staging, record, top = _old_and_new(tmp_path)
    top[".workflow.json"].unlink()
    top[".workflow.json"].mkdir()  # the second file cannot be renamed over: after the log, before the manifest
    (top[".workflow.json"] / "x").write_text("")
    before = _tree(tmp_path)
    with pytest.raises(OSError):
        history.swap_in(staging, output, record, top)
    assert _tree(tmp_path) == before


def test_prune_keeps_the_latest_runs_and_the_model_in_place(tmp_path):
    folder = tmp_path / "model.runs"
    folder.mkdir()
    for i in range(25):
        for suffix in history.RECORD_SUFFIXES:
            (folder / f"2026010{i:02d}-1{suffix}").write_text("")
    history.prune(folder, keep=20, protect="202601000-1")
    runs = sorted({p.name.split(".", 1)[0] for p in folder.iterdir()})
    assert len(runs) == 21 and runs[0] == "202601000-1" and runs[1] == "202601005-1"


# -- the real runs ---------------------------------------------------------------------------------


def _orc(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orc_olive", *args], cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)


def _good_run(recipe: Path, env: dict | None = None) -> tuple[dict[str, str], dict[str, bytes]]:
    done = _orc("compile-and-run", str(recipe), env=env)
    assert done.returncode == 0, done.stderr
    out = recipe.parent / "out"
    model = out / "model"
    assert (model / "model.onnx").is_file()
    return _tree(model), {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.name.endswith(".lock")}


def _assert_kept(recipe: Path, model_tree: dict[str, str], records: dict[str, bytes]) -> None:
    out = recipe.parent / "out"
    assert _tree(out / "model") == model_tree, "the model in place changed"
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.name.endswith(".lock")} == records, "its record changed"
    assert json.loads((out / "model.manifest.json").read_text())["status"] == "succeeded"
    assert not (out / ".orc-staging-model").exists() and not (out / ".orc-previous-model").exists()
    assert not lock_path(out / "model").exists()


def _runs(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "model.runs").glob("*.manifest.json"))]


def _longer_training(recipe: Path) -> None:
    """A change that makes the next run a real one (LoRA not in Olive's cache), long enough to interrupt."""
    recipe.write_text(recipe.read_text().replace("max_steps: 4", "max_steps: 60"))


@pytest.mark.integration
def test_a_failing_run_after_a_good_one_keeps_the_model_its_record_and_the_secret(tmp_path, monkeypatch):
    pytest.importorskip("olive")
    from orc_olive.build.compile import compile_file
    from orc_olive.run.execute import run_workflow
    from orc_olive.run.progress import Progress

    monkeypatch.setenv("DATA_TOKEN", SECRET)
    data = tmp_path / f"{SECRET}.jsonl"
    shutil.copy(ROOT / "examples" / "data" / "data_sample_travel.jsonl", data)
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4", data=data)
    recipe.write_text(recipe.read_text().replace(f"files: {data.name}", "files: ${env:DATA_TOKEN}.jsonl"))
    model_tree, records = _good_run(recipe, env=dict(os.environ))

    result = compile_file(recipe)
    assert result.ok and SECRET in result.secrets
    data.unlink()  # gone at run time: Olive fails with a FileNotFoundError that names it
    said = io.StringIO()
    outcome = run_workflow(result, [recipe], force=True, progress=Progress("verbose", said, time.monotonic))
    text = said.getvalue()

    assert outcome.exit_code == 1 and "step 'lora' failed: FileNotFoundError" in outcome.message, text
    _assert_kept(recipe, model_tree, records)
    assert "the previous model in" in text and "are unchanged" in text
    assert outcome.log == outcome.record.with_name(outcome.record.name.replace(".manifest.json", ".olive.log"))
    assert f"orc: full Olive log: {outcome.log}" in text
    good, failed = _runs(tmp_path / "out")
    assert good["status"] == "succeeded" and failed["status"] == "failed"
    assert [(s["id"], s["status"]) for s in failed["steps"]] == [("lora", "failed"), ("merge_adapters", "pending"), ("model_builder", "pending")]

    # the secret: masked in what was printed, in the cause, in the log copy; files that may hold it are owner-only
    assert SECRET not in text and "<masked ${env:DATA_TOKEN}>" in text
    assert "<masked ${env:DATA_TOKEN}>" in failed["cause"] + outcome.log.read_text()
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file() and path.parent.name != "model":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
            if not path.name.endswith(".workflow.json"):  # the workflow Olive runs holds the real value
                assert SECRET.encode() not in path.read_bytes(), path

    # the record kept is the model's: with the data back, nothing needs to run
    shutil.copy(ROOT / "examples" / "data" / "data_sample_travel.jsonl", data)
    again = run_workflow(compile_file(recipe), [recipe], progress=Progress("normal", io.StringIO(), time.monotonic))
    assert again.skipped and again.exit_code == 0


@pytest.mark.integration
def test_a_write_that_fails_while_the_new_model_goes_in_leaves_the_old_one(tmp_path, monkeypatch):
    pytest.importorskip("olive")
    from orc_olive.build.compile import compile_file
    from orc_olive.run.execute import RunPaths, run_workflow
    from orc_olive.run.progress import Progress

    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    model_tree, records = _good_run(recipe)
    paths = RunPaths((tmp_path / "out" / "model").resolve())
    replace = os.replace

    def full_disk_at_the_manifest(source, target, *args, **kwargs):  # the test's fault: only this one rename
        if Path(target) == paths.manifest:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return replace(source, target, *args, **kwargs)

    monkeypatch.setattr(history.os, "replace", full_disk_at_the_manifest)
    said = io.StringIO()
    outcome = run_workflow(compile_file(recipe), [recipe], force=True, progress=Progress("normal", said, time.monotonic))
    monkeypatch.undo()

    assert outcome.exit_code == 1, said.getvalue()
    assert outcome.message == f"cannot put the new model in place: {paths.manifest}: no space left on the disk"
    _assert_kept(recipe, model_tree, records)
    assert [r["status"] for r in _runs(tmp_path / "out")] == ["succeeded", "failed"]


@pytest.mark.integration
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_olive_cleans_up_and_keeps_the_previous_output(tmp_path, signum):
    pytest.importorskip("olive")
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    model_tree, records = _good_run(recipe)
    _longer_training(recipe)
    run = subprocess.Popen([sys.executable, "-m", "orc_olive", "compile-and-run", str(recipe)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    assert run.stderr is not None
    lines = []
    for line in run.stderr:
        lines.append(line)
        if "[1/3] lora (LoRA) running..." in line:
            break
    run.send_signal(signum)
    rest = run.stderr.read()  # to the end: orc has exited
    run.wait(timeout=120)
    err = "".join(lines) + rest

    assert run.returncode == 128 + signum, err
    assert f"orc: run interrupted: stopped by {signal.Signals(signum).name}: Olive was stopped and its staging folder removed" in err
    assert "are unchanged" in err
    table = {line.split()[0]: line.split()[2] for line in err.splitlines() if line.startswith(("lora ", "merge_adapters "))}
    assert table == {"lora": "interrupted", "merge_adapters": "pending"}
    _assert_kept(recipe, model_tree, records)
    assert [r["status"] for r in _runs(tmp_path / "out")] == ["succeeded", "interrupted"]
    left = [p for p in Path("/proc").glob("[0-9]*") if _cmdline(p).find(str(tmp_path)) >= 0]
    assert not left, "Olive (or a worker of it) still runs"


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


@pytest.mark.integration
def test_two_runs_of_one_output_the_second_is_refused_and_the_first_succeeds(tmp_path):
    pytest.importorskip("olive")
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    first = subprocess.Popen([sys.executable, "-m", "orc_olive", "compile-and-run", str(recipe)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    assert first.stderr is not None
    lines = [first.stderr.readline()]
    assert lines[0].startswith("orc: running tiny-cpu-lora-int4"), lines  # said once the lock is held
    second = _orc("compile-and-run", str(recipe), "--force")
    rest = first.stderr.read()
    first.wait(timeout=600)

    output = (tmp_path / "out" / "model").resolve()
    assert second.returncode == 5  # the run could not start (exit code 5: the run failed)
    assert second.stderr.strip() == (f"orc: {output} is being written by another orc run (pid {first.pid}; lock {lock_path(output)}): "
                                     "wait for it to finish, or stop it, and run again")
    assert first.returncode == 0, "".join(lines) + rest
    assert [r["status"] for r in _runs(tmp_path / "out")] == ["succeeded"]

    # a lock left behind by a process that is gone is taken over (here by a run that finds nothing to do)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_path(output).write_text(f"{dead.pid}\n")
    third = _orc("compile-and-run", str(recipe))
    assert third.returncode == 0, third.stderr
    assert f"orc: took over the lock left by pid {dead.pid}, which is no longer running" in third.stderr and "up to date" in third.stderr
    assert not lock_path(output).exists()


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MB tmpfs, where this machine lets the test mount one (root in a container that allows it)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(disk)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        if subprocess.run(["umount", str(disk)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def _fill(disk: Path, leave: int) -> None:
    """Fill the disk up to `leave` bytes free."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with (disk / "filler").open("ab", buffering=0) as handle:  # unbuffered: nothing left to fail at close
        try:
            handle.write(b"\0" * max(0, free - leave))
            while leave == 0:
                handle.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


@pytest.mark.integration
def test_a_full_disk_leaves_the_last_good_output(tmp_path, small_disk):
    pytest.importorskip("olive")
    recipe = recipe_copy(small_disk, "tiny-cpu-lora-int4")
    recipe.write_text(recipe.read_text().replace("cache: cache", f"cache: {tmp_path / 'cache'}"))  # the cache off the small disk
    model_tree, records = _good_run(recipe)

    _longer_training(recipe)  # a run that has to write a new model, into less room than it takes
    _fill(small_disk, leave=256 * 1024)
    some_room = _orc("compile-and-run", str(recipe))
    assert some_room.returncode == 5, some_room.stderr  # the run failed
    assert "Traceback" not in some_room.stderr and "internal error" not in some_room.stderr
    assert "orc: run failed:" in some_room.stderr

    _fill(small_disk, leave=0)
    no_room = _orc("compile-and-run", str(recipe))
    assert no_room.returncode == 5, no_room.stderr
    assert "no space left on the disk" in no_room.stderr and "Traceback" not in no_room.stderr

    (small_disk / "filler").unlink()
    _assert_kept(recipe, model_tree, records)
    assert [r["status"] for r in _runs(small_disk / "out")] == ["succeeded", "failed"]  # the run with no room has no record
