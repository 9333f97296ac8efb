"""compile-and-run: compile a recipe, run the real `olive run` on it, and decide the outcome ourselves.

Olive writes into a staging folder; only a run whose every step finished and whose final model loads
replaces the recipe's output folder. Beside that folder go the record of the model in it (manifest,
Olive's log, the workflow) and every run's own record (see history.py):
  models/x/  models/x.manifest.json  models/x.olive.log  models/x.workflow.json  models/x.runs/
A run holds models/x.lock (see lock.py); SIGINT/SIGTERM stop Olive's whole process group, remove the
staging folder and leave the model in place and its record as they were (exit 130/143). Secrets from
`${env:...}` are masked in everything printed and written, and the files that may hold them are owner-only.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from orc_olive.build.compile import Result
from orc_olive.files import beside, manifest_path, os_error_line, write_atomic
from orc_olive.olive.log import OliveLog, read_metrics
from orc_olive.run import history, manifest, measures, store
from orc_olive.run.lean_runner import OLIVE_ENV  # Olive waits on unreachable telemetry without it
from orc_olive.run.lock import LockHeld, acquire, lock_path
from orc_olive.run.model_check import ModelReport, check_model
from orc_olive.run.olive_process import Interrupts, Starter, open_log, run_olive
from orc_olive.run.progress import Progress
from orc_olive.run.quick_noop import quick_key
from orc_olive.secrecy import holds_secret, mask


@dataclass
class RunPaths:
    output: Path

    @property
    def staging(self) -> Path:
        return history.staging_path(self.output)

    def beside(self, suffix: str) -> Path:
        return beside(self.output, suffix)

    @property
    def workflow(self) -> Path:
        return self.beside(".workflow.json")

    @property
    def log(self) -> Path:
        return self.beside(".olive.log")

    @property
    def manifest(self) -> Path:
        return manifest_path(self.output)

    @property
    def history(self) -> Path:
        return self.beside(".runs")

    @property
    def lock(self) -> Path:
        return lock_path(self.output)

    def top(self) -> dict[str, Path]:
        """The top-level record files by the suffix of the run's own record files."""
        return history.top_records(self.output)


@dataclass
class RunOutcome:
    exit_code: int
    message: str = ""
    skipped: bool = False
    model: ModelReport | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    paths: RunPaths | None = None
    interrupted: bool = False
    log: Path | None = None  # this run's Olive log (where it stays; None when it could not be written)
    record: Path | None = None  # this run's own manifest
    kept: str = ""  # what was left as it was, said after a failure
    metrics: dict[str, float] = field(default_factory=dict)  # the final model's evaluation (Olive's metrics.json)
    data: dict[str, Any] = field(default_factory=dict)  # the run's manifest (for --format json)
    report: Path | None = None  # the run's report page, when one was written


def olive_command(workflow: Path) -> list[str]:
    """What a user runs by hand on the workflow file: Olive's CLI."""
    return [sys.executable, "-m", "olive", "run", "--config", str(workflow)]


def runner_command(workflow: Path) -> list[str]:
    """What orc runs: the same workflow through Olive's Python API, in a lean child process (lean_runner.py)."""
    return [sys.executable, "-m", "orc_olive.run.lean_runner", str(workflow)]


def olive_env(result: Result) -> dict[str, str]:
    env = {**os.environ, **OLIVE_ENV}
    recipe, base = result.recipe, result.base_dir
    assert recipe is not None
    needs_hub = recipe.model is None or not (base / recipe.model.path).is_dir() or any(ds.hf for ds in recipe.datasets.values())
    if not needs_hub:
        env.setdefault("HF_HUB_OFFLINE", "1")
    return env


def run_workflow(
    result: Result,
    recipe_files: list[Path],
    *,
    force: bool = False,
    dry_run: bool = False,
    warm: bool = False,
    keep: int = 0,
    prestarted: Starter | None = None,
    progress: Progress,
) -> RunOutcome:
    """Run a compiled, error-free result through `olive run`; the recipe's folder is the working folder."""
    assert result.ok and result.recipe is not None and result.workflow is not None
    recipe, base = result.recipe, result.base_dir
    paths = RunPaths((base / recipe.output.dir).resolve())
    progress.secrets = {**result.secrets, **progress.secrets}
    if dry_run:
        planned = paths.history / "<run-id>.workflow.json"
        progress.say(f"would run (in {base}): {shlex.join(runner_command(planned))}")
        progress.say(f"  (Olive's Python API on the workflow; by hand: {shlex.join(olive_command(planned))})")
        progress.say(f"compiled config: {paths.history}/<run-id>.workflow.json (written when it runs; {paths.workflow} once it succeeds)")
        return RunOutcome(0, "dry run", paths=paths)
    try:
        lock = acquire(paths.output)
    except LockHeld as held:
        progress.say(f"orc: {held}", always=True)
        return RunOutcome(1, str(held), paths=paths)
    except OSError as exc:
        progress.say(f"orc: cannot lock the output: {os_error_line(exc)}", always=True)
        return RunOutcome(1, os_error_line(exc), paths=paths)
    with lock:
        if lock.stale_pid:
            progress.say(f"orc: took over the lock left by pid {lock.stale_pid}, which is no longer running")
        # as the manifest holds it: secrets in paths masked (the hashes of the contents still decide)
        current = json.loads(mask(json.dumps(manifest.fingerprint(recipe_files, result.text, recipe, base)), result.secrets))
        if not force and manifest.up_to_date(manifest.read(paths.manifest), current, paths.output):
            progress.say(f"up to date: {paths.output} (recipe, data, config and every output file unchanged; --force runs again)")
            return RunOutcome(0, "up to date", skipped=True, paths=paths, data=manifest.read(paths.manifest) or {})
        if keep and not force and (entry := store.find(paths.output, current)) is not None:
            restored = _restore(result, paths, current, entry, keep, progress)
            if restored is not None:
                return restored
        with Interrupts() as interrupts:
            return _run(result, paths, current, progress, interrupts, _starter(warm, result, progress) or prestarted, keep)


def _run(result: Result, paths: RunPaths, current: dict[str, Any], progress: Progress, interrupts: Interrupts, start: Starter | None, keep: int) -> RunOutcome:
    assert result.recipe is not None and result.workflow is not None
    recipe, base, secrets = result.recipe, result.base_dir, result.secrets
    top = manifest.read(paths.manifest)
    had_model = history.model_in_place(top, paths.output)
    started = datetime.now(timezone.utc)
    record = history.new_record(paths.history, started)
    workflow = dict(result.workflow, output_dir=os.path.relpath(paths.staging, base))
    step_ids = list(result.workflow["passes"])
    log = OliveLog(step_ids)
    progress.begin(recipe.name, [(i, p["type"]) for i, p in result.workflow["passes"].items()])
    report: ModelReport | None = None
    try:
        workflow_text = json.dumps(workflow, indent=2, ensure_ascii=False) + "\n"
        write_atomic(record.workflow, workflow_text, private=holds_secret(workflow_text, secrets))
        history.remove_tree(paths.staging)
        with open_log(record.log, private=bool(secrets)) as log_file:
            returncode = run_olive(
                runner_command(record.workflow), base, olive_env(result), log_file, record.log,
                lambda line: progress.event(log, line, log.feed(line)), secrets, interrupts, start,
            )
        if interrupts.signum is None:
            report = check_model(paths.staging) if not log.failed else None
            outcome = _decide(log, returncode, report, paths, secrets)
        else:
            what = f"stopped by {interrupts.name}: Olive was stopped and its staging folder removed"
            outcome = RunOutcome(interrupts.exit_code, what, paths=paths, interrupted=True)
    except OSError as exc:  # the machine's: a full disk, a read-only place
        outcome = RunOutcome(1, mask(f"cannot write the run's files: {os_error_line(exc)}", secrets), paths=paths)
    ended = datetime.now(timezone.utc)
    outcome.log, outcome.record = (record.log if record.log.is_file() else None), record.manifest
    if outcome.exit_code == 0 and log.metrics_file:
        outcome.metrics = read_metrics(paths.staging / Path(log.metrics_file).name)
    outcome.steps = _step_rows(log, progress, _step_sizes(recipe.output.cache, base, result.workflow["workflow_id"], paths), outcome)
    data = _manifest(paths, record, result, current, started, ended, outcome)
    if outcome.exit_code == 0:
        _keep_previous(paths, keep, progress)
        _commit(paths, record, data, outcome, secrets)
    else:
        history.remove_tree(paths.staging)
        _keep_record(paths, record, data, had_model, outcome, secrets)
    if outcome.exit_code == 0 and outcome.model is not None:
        outcome.model = outcome.model.moved(paths.staging, paths.output)
    history.prune(paths.history, protect=history.run_id_of(manifest.read(paths.manifest)))
    outcome.data = data
    if history.run_id_of(manifest.read(paths.manifest)) == record.run_id:  # this run's record is the top one: its page beside it
        from orc_olive.run.report import write_report

        outcome.report = write_report(paths.manifest, progress.say)
    progress.summary(outcome.steps, outcome, paths)
    return outcome


def _starter(warm: bool, result: Result, progress: Progress) -> Starter | None:
    """With --warm, the run goes to the project's warm worker (worker.py); else a child process of orc's."""
    if not warm:
        return None
    from orc_olive.run.worker_client import project_of, warm_starter

    assert result.workflow is not None
    pass_types = [p["type"] for p in result.workflow["passes"].values()]
    return warm_starter(project_of(result.base_dir), pass_types, progress.say)


def _keep_previous(paths: RunPaths, keep: int, progress: Progress) -> None:
    """The model about to be replaced goes to the store (store.py); a store that cannot be written costs only that."""
    try:
        store.put(paths.output, paths.top(), keep)
    except OSError as exc:
        progress.say(f"orc: the previous model was not kept in the store: {os_error_line(exc)}")


def _restore(result: Result, paths: RunPaths, current: dict[str, Any], entry: Path, keep: int, progress: Progress) -> RunOutcome | None:
    """The kept model of this workflow and these inputs back in place, with a record of its own; None to run instead."""
    quick = quick_key(result.document.data, result.file) if result.document is not None else None
    changes = {"fingerprint": current, "quick": quick, "recipe": result.file, "output": str(paths.output)}
    try:
        data, record = store.restore(entry, paths.output, changes, keep)
    except OSError as exc:
        progress.say(f"orc: the kept model could not be put back ({os_error_line(exc)}): running instead")
        return None
    progress.say(store.restored_line(paths.output, data, entry))
    from orc_olive.run.report import write_report

    return RunOutcome(0, "restored", skipped=True, paths=paths, data=data, log=paths.log, record=record, report=write_report(paths.manifest, progress.say))


def _commit(paths: RunPaths, record: history.RunRecord, data: dict[str, Any], outcome: RunOutcome, secrets: dict[str, str]) -> None:
    """The new model and its record in place together; a write that fails leaves the previous ones."""
    try:
        _write_record(record.manifest, data, secrets)
        history.swap_in(paths.staging, paths.output, record, paths.top())
        outcome.log = paths.log
    except OSError as exc:
        history.remove_tree(paths.staging)
        outcome.exit_code, outcome.model = 1, None
        outcome.message = mask(f"cannot put the new model in place: {os_error_line(exc)}", secrets)
        outcome.kept = f"the output folder {paths.output} and its record are as they were"
        data.update(status="failed", cause=outcome.message, output_files={}, adapters=[])
        try:
            _write_record(record.manifest, data, secrets)
        except OSError:
            pass


def _keep_record(paths: RunPaths, record: history.RunRecord, data: dict[str, Any], had_model: bool, outcome: RunOutcome, secrets: dict[str, str]) -> None:
    """A run that did not succeed: its own record; the top-level one is left to the model in place, or
    (with no model in place) becomes this run's."""
    try:
        _write_record(record.manifest, data, secrets)
        if not had_model:
            history.publish(history.record_pairs(record, paths.top()))
            outcome.log = paths.log
    except OSError as exc:
        outcome.message += f" (and its record could not be written: {os_error_line(exc)})"
    if had_model:
        own = f"; this run's record: {record.manifest}" if record.manifest.is_file() else ""
        outcome.kept = f"the previous model in {paths.output} and its record ({paths.manifest}) are unchanged{own}"


def _decide(log: OliveLog, returncode: int, report: ModelReport | None, paths: RunPaths, secrets: dict[str, str]) -> RunOutcome:
    unfinished = [s.id for s in log.steps.values() if s.status != "succeeded"]
    if log.failed or unfinished or returncode != 0:
        cause = log.root_cause() or (f"step '{unfinished[0]}' never ran" if unfinished else f"olive exited with code {returncode}")
        if returncode != 0 and not log.failed and log.last_exception:
            cause = log.last_exception
        return RunOutcome(1, mask(cause, secrets), paths=paths)
    if report is None or not report.ok:
        detail = report.detail if report else "not checked"
        return RunOutcome(1, mask(f"the final model is not usable: {detail}", secrets), model=report, paths=paths)
    return RunOutcome(0, "succeeded", model=report, paths=paths)


def _step_sizes(cache: str, base: Path, workflow_id: str, paths: RunPaths) -> list[int | None]:
    """Size of the model each step produced, from Olive's footprint chain and its cache folders."""
    footprint = manifest.read(paths.staging / "footprint.json") or {}
    chain, node = [], next((k for k, v in footprint.items() if not any(o.get("parent_model_id") == k for o in footprint.values())), None)
    while node and footprint.get(node, {}).get("parent_model_id"):
        chain.append(node)
        node = footprint[node]["parent_model_id"]
    runs = (base / cache / workflow_id / "runs").resolve()
    return [_folder_size(runs / model_id) for model_id in reversed(chain)]


def _folder_size(folder: Path) -> int | None:
    if not folder.is_dir():
        return None
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _step_status(status: str, outcome: RunOutcome) -> str:
    """A step Olive was still running when the run ended failed with it (or was interrupted with it)."""
    if status == "running" and outcome.exit_code != 0:
        return "interrupted" if outcome.interrupted else "failed"
    return status


def _step_rows(log: OliveLog, progress: Progress, sizes: list[int | None], outcome: RunOutcome) -> list[dict[str, Any]]:
    """One row per step for the table and the manifest; more columns are added here."""
    rows = []
    for index, step in enumerate(log.steps.values()):
        status = _step_status(step.status, outcome)
        rows.append(
            {
                "id": step.id,
                "status": status,
                "cached": step.cached,
                "seconds": progress.durations.get(step.id, step.olive_seconds),
                "olive_seconds": step.olive_seconds,
                "train_loss": measures.finite(step.latest_loss),
                "eval_loss": measures.finite(step.eval_loss),
                "model_bytes": sizes[index] if index < len(sizes) and status == "succeeded" else None,
                **measures.step_fields(step, progress._types.get(step.id, "")),
            }
        )
    return rows


def _manifest(
    paths: RunPaths, record: history.RunRecord, result: Result, current: dict, started: datetime, ended: datetime, outcome: RunOutcome
) -> dict[str, Any]:
    succeeded = outcome.exit_code == 0
    files = manifest.output_listing(paths.staging) if succeeded else {}
    return {
        "status": "succeeded" if succeeded else "interrupted" if outcome.interrupted else "failed",
        "cause": "" if succeeded else mask(outcome.message, result.secrets),
        "run_id": record.run_id,
        "recipe": result.file,
        "fingerprint": current,
        "quick": quick_key(result.document.data, result.file) if result.document is not None else None,  # quick_noop.py
        "versions": manifest.versions(),
        "started": started.isoformat(timespec="seconds"),
        "ended": ended.isoformat(timespec="seconds"),
        "seconds": round((ended - started).total_seconds(), 3),
        "steps": outcome.steps,
        "metrics": outcome.metrics,
        **measures.run_fields(result.recipe.name if result.recipe else "", _local_model(result), files, measures.peak_child_memory()),
        "output": str(paths.output),
        # the files as they will be in the output folder (hashed where Olive wrote them)
        "output_files": files,
        "adapters": [str(paths.output / p.relative_to(paths.staging)) for p in (outcome.model.adapters if outcome.model and succeeded else [])],
        "log": str(record.log),
        "workflow": str(record.workflow),
    }


def _local_model(result: Result) -> Path | None:
    model = result.recipe.model if result.recipe else None
    return (result.base_dir / model.path).resolve() if model is not None and (result.base_dir / model.path).is_dir() else None


def _write_record(path: Path, data: dict[str, Any], secrets: dict[str, str]) -> None:
    text = mask(json.dumps(data, indent=2) + "\n", secrets)
    write_atomic(path, text, private=bool(secrets))


def default_progress(mode: str, stream: TextIO | None = None, *, no_progress: bool = False) -> Progress:
    """A live view on a terminal (live.py), plain lines anywhere else."""
    from orc_olive.run.live import LiveProgress, wants_live

    stream = stream or sys.stderr
    if wants_live(stream, mode, no_progress):
        return LiveProgress(mode=mode, stream=stream, clock=time.monotonic)
    return Progress(mode=mode, stream=stream, clock=time.monotonic)
