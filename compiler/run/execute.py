"""compile-and-run: compile a recipe, run the real `olive run` on it, and decide the outcome ourselves.

Olive writes into a staging folder; only a run whose every step finished and whose final model loads
is moved to the recipe's output folder. Beside that folder go the compiled workflow, Olive's full log
and the run manifest:  models/x/  models/x.workflow.json  models/x.olive.log  models/x.manifest.json
"""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, TextIO

from orc_olive.build.compile import Result
from orc_olive.files import write_atomic
from orc_olive.olive.log import OliveLog
from orc_olive.run import manifest
from orc_olive.run.model_check import ModelReport, check_model
from orc_olive.run.progress import Progress
from orc_olive.secrecy import holds_secret

# Olive waits on unreachable telemetry without these; HF_HUB_OFFLINE is added when nothing needs the hub.
OLIVE_ENV = {"OLIVE_DISABLE_TELEMETRY": "1", "CI": "1", "PYTHONUNBUFFERED": "1"}


@dataclass
class RunPaths:
    output: Path

    @property
    def staging(self) -> Path:
        # Olive takes an output_dir whose name has a suffix for a file path: keep dots out of it.
        return self.output.with_name(".orc-staging-" + self.output.name.replace(".", "_"))

    def beside(self, suffix: str) -> Path:
        return self.output.with_name(self.output.name + suffix)

    @property
    def workflow(self) -> Path:
        return self.beside(".workflow.json")

    @property
    def log(self) -> Path:
        return self.beside(".olive.log")

    @property
    def manifest(self) -> Path:
        return self.beside(".manifest.json")


@dataclass
class RunOutcome:
    exit_code: int
    message: str = ""
    skipped: bool = False
    model: ModelReport | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    paths: RunPaths | None = None


def olive_command(workflow: Path) -> list[str]:
    return [sys.executable, "-m", "olive", "run", "--config", str(workflow)]


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
    progress: Progress,
) -> RunOutcome:
    """Run a compiled, error-free result through `olive run`; the recipe's folder is the working folder."""
    assert result.ok and result.recipe is not None and result.workflow is not None
    recipe, base = result.recipe, result.base_dir
    paths = RunPaths((base / recipe.output.dir).resolve())
    current = manifest.fingerprint(recipe_files, result.text, recipe, base)
    workflow = dict(result.workflow, output_dir=os.path.relpath(paths.staging, base))
    command = olive_command(paths.workflow)

    if dry_run:
        progress.say(f"would run (in {base}): {shlex.join(command)}")
        progress.say(f"compiled config: {paths.workflow}")
        return RunOutcome(0, "dry run", paths=paths)
    if not force and manifest.up_to_date(manifest.read(paths.manifest), current, paths.output):
        progress.say(f"up to date: {paths.output} (recipe, data and config unchanged; --force runs again)")
        return RunOutcome(0, "up to date", skipped=True, paths=paths)

    workflow_text = json.dumps(workflow, indent=2, ensure_ascii=False) + "\n"
    write_atomic(paths.workflow, workflow_text, private=holds_secret(workflow_text, result.secrets))
    shutil.rmtree(paths.staging, ignore_errors=True)
    started = datetime.now(timezone.utc)
    step_ids = list(result.workflow["passes"])
    log = OliveLog(step_ids)
    progress.begin(recipe.name, [(i, p["type"]) for i, p in result.workflow["passes"].items()])
    returncode = _stream(command, base, olive_env(result), paths.log, lambda line: progress.event(log, line, log.feed(line)))
    ended = datetime.now(timezone.utc)

    report = check_model(paths.staging) if not log.failed else None
    outcome = _decide(log, returncode, report, paths)
    if outcome.exit_code == 0:
        shutil.rmtree(paths.output, ignore_errors=True)
        os.replace(paths.staging, paths.output)
        outcome.model = outcome.model and outcome.model.moved(paths.staging, paths.output)
    else:
        shutil.rmtree(paths.staging, ignore_errors=True)
    outcome.steps = _step_rows(log, progress, _step_sizes(recipe.output.cache, base, result.workflow["workflow_id"], paths, outcome))
    _write_manifest(paths, result, current, started, ended, outcome)
    progress.summary(outcome.steps, outcome, paths)
    return outcome


def _stream(command: list[str], cwd: Path, env: dict[str, str], log_path: Path, on_line: Callable[[str], None]) -> int:
    """Run Olive, copying every byte to the log and every line (tqdm's \\r too) to on_line."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log_file:
        log_file.write(f"$ cd {shlex.quote(str(cwd))} && {shlex.join(command)}\n".encode())
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        stdout = process.stdout
        assert isinstance(stdout, io.BufferedReader)  # a PIPE with Popen's default buffering
        pending = b""
        try:
            for chunk in iter(lambda: stdout.read1(65536), b""):
                log_file.write(chunk)
                pending += chunk
                *lines, pending = pending.replace(b"\r", b"\n").split(b"\n")
                for line in lines:
                    on_line(line.decode("utf-8", "replace"))
            if pending:
                on_line(pending.decode("utf-8", "replace"))
        except BaseException:
            process.kill()
            raise
        finally:
            process.wait()
    return process.returncode


def _decide(log: OliveLog, returncode: int, report: ModelReport | None, paths: RunPaths) -> RunOutcome:
    unfinished = [s.id for s in log.steps.values() if s.status != "succeeded"]
    if log.failed or unfinished or returncode != 0:
        cause = log.root_cause() or (f"step '{unfinished[0]}' never ran" if unfinished else f"olive exited with code {returncode}")
        if returncode != 0 and not log.failed and log.last_exception:
            cause = log.last_exception
        return RunOutcome(1, cause, paths=paths)
    if report is None or not report.ok:
        return RunOutcome(1, f"the final model is not usable: {report.detail if report else 'not checked'}", model=report, paths=paths)
    return RunOutcome(0, "succeeded", model=report, paths=paths)


def _step_sizes(cache: str, base: Path, workflow_id: str, paths: RunPaths, outcome: RunOutcome) -> list[int | None]:
    """Size of the model each step produced, from Olive's footprint chain and its cache folders."""
    footprint = manifest.read((paths.output if outcome.exit_code == 0 else paths.staging) / "footprint.json") or {}
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


def _step_rows(log: OliveLog, progress: Progress, sizes: list[int | None]) -> list[dict[str, Any]]:
    rows = []
    for index, step in enumerate(log.steps.values()):
        rows.append(
            {
                "id": step.id,
                "status": step.status,
                "cached": step.cached,
                "seconds": progress.durations.get(step.id, step.olive_seconds),
                "olive_seconds": step.olive_seconds,
                "train_loss": step.latest_loss,
                "model_bytes": sizes[index] if index < len(sizes) and step.status == "succeeded" else None,
            }
        )
    return rows


def _write_manifest(paths: RunPaths, result: Result, current: dict, started: datetime, ended: datetime, outcome: RunOutcome) -> None:
    succeeded = outcome.exit_code == 0
    data = {
        "status": "succeeded" if succeeded else "failed",
        "cause": "" if succeeded else outcome.message,
        "recipe": result.file,
        "fingerprint": current,
        "versions": manifest.versions(),
        "started": started.isoformat(timespec="seconds"),
        "ended": ended.isoformat(timespec="seconds"),
        "seconds": round((ended - started).total_seconds(), 3),
        "steps": outcome.steps,
        "output": str(paths.output),
        "output_files": manifest.output_listing(paths.output) if succeeded else {},
        "adapters": [str(p) for p in (outcome.model.adapters if outcome.model else [])],
        "log": str(paths.log),
        "workflow": str(paths.workflow),
    }
    write_atomic(paths.manifest, json.dumps(data, indent=2) + "\n")


def default_progress(mode: str, stream: TextIO | None = None) -> Progress:
    return Progress(mode=mode, stream=stream or sys.stderr, clock=time.monotonic)
