"""The warm worker (`orc compile-and-run --warm`, run/worker.py): the same runs as cold ones, isolated from
each other, signals and failures handled as for a cold run, and a worker never shared across users' folders.

Every test keeps its workers in its own ORC_WORKER_DIR and stops them (and kills what is left) at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orc_olive.run import worker_client

from .conftest import ROOT, recipe_copy

QUIET = {"CI": "1", "OLIVE_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}


def _status(project: Path) -> dict | None:
    return worker_client.ask(worker_client.socket_path(project), {"op": "status"})


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.is_file() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def _orc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orc_olive", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **QUIET})


# -- isolation, on a workflow whose user script records what it sees ------------------------------

ISO_SCRIPT = '''
import json, os, sys
from olive.data.registry import Registry

record = {"pid": os.getpid(), "cwd": os.getcwd(), "value": os.environ.get("ISO_VALUE"), "leak": os.environ.get("ISO_LEAK"),
          "marker_seen": "iso_marker" in sys.modules, "path0": sys.path[0]}
with open(os.environ["ISO_RECORD"], "a") as f:
    f.write(json.dumps(record) + "\\n")
sys.modules["iso_marker"] = type(sys)("iso_marker")  # what a user script imports stays in its run
os.environ["ISO_LEAK"] = "leaked"


@Registry.register_dataset()
def iso_dataset(data_name=None, **kwargs):
    return [1, 2, 3]
'''


def _iso_workflow(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "iso_script.py").write_text(ISO_SCRIPT)
    workflow = {
        "input_model": {"type": "HfModel", "model_path": str(ROOT / "examples" / "tiny-phi3")},
        "data_configs": [{"name": "d", "user_script": "iso_script.py", "load_dataset_config": {"type": "iso_dataset"}}],
        "passes": {}, "output_dir": "out", "cache_dir": "cache",
    }
    path = folder / "workflow.json"
    path.write_text(json.dumps(workflow))
    return path


def _run_in_worker(project: Path, workflow: Path, env: dict[str, str], said: list[str]) -> tuple[int, str]:
    run = worker_client.start_run(project, workflow, workflow.parent, env, [], said.append)
    assert run.stdout is not None
    output = run.stdout.read().decode(errors="replace")
    run.stdout.close()
    return run.wait(), output


@pytest.mark.integration
def test_each_run_gets_its_own_process_folder_environment_and_modules(tmp_path, workers):
    pytest.importorskip("olive")
    record = tmp_path / "record.jsonl"
    env = {**os.environ, **QUIET, "ISO_RECORD": str(record), "ISO_VALUE": "one"}
    first, second = _iso_workflow(tmp_path / "a"), _iso_workflow(tmp_path / "b")
    # a socket left by a worker that died: the new worker takes the path over
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(worker_client.socket_path(tmp_path)))
    stale.close()
    said: list[str] = []

    _run_in_worker(tmp_path, first, env, said)
    worker_pid = _status(tmp_path)["pid"]
    workers.add(worker_pid)
    _run_in_worker(tmp_path, second, env, said)
    rows = [json.loads(line) for line in record.read_text().splitlines()]

    assert [r["cwd"] for r in rows] == [str(tmp_path / "a"), str(tmp_path / "b")]
    assert [r["path0"] for r in rows] == [str(tmp_path / "a"), str(tmp_path / "b")]  # as `python -m` in that folder puts it
    assert rows[0]["pid"] != rows[1]["pid"] != worker_pid
    assert rows[1]["leak"] is None and rows[1]["marker_seen"] is False  # nothing of run 1 reached run 2
    assert [r["value"] for r in rows] == ["one", "one"]
    assert _status(tmp_path) == {**_status(tmp_path), "pid": worker_pid, "runs": 2}
    assert any("starting one" in s for s in said) and any("goes to the worker" in s for s in said)

    # another environment: modules read some variables when imported, so a fresh worker serves it
    _run_in_worker(tmp_path, first, {**env, "ISO_VALUE": "two"}, said)
    assert json.loads(record.read_text().splitlines()[-1])["value"] == "two"
    new_pid = _status(tmp_path)["pid"]
    workers.add(new_pid)
    assert new_pid != worker_pid and not _alive(worker_pid)
    assert any("the environment differs from the worker's (ISO_VALUE)" in s for s in said)
    assert not any("two" in s for s in said)  # names, never values


def test_the_worker_folder_must_be_private_else_the_run_starts_cold(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.setenv("ORC_WORKER_DIR", str(shared))
    with pytest.raises(worker_client.WorkerUnavailable, match="not a folder only this user can use"):
        worker_client.worker_dir()
    said: list[str] = []
    start = worker_client.warm_starter(tmp_path, [], said.append)
    process = start([sys.executable, "-c", "print('cold')"], tmp_path, dict(os.environ))
    assert process.stdout is not None and process.stdout.read() == b"cold\n"
    assert process.wait() == 0
    assert said == [f"warm worker: not used ({shared} is not a folder only this user can use (mode drwxrwxrwx)); the run starts cold"]
    assert not list(shared.iterdir())


def test_a_socket_path_too_long_for_unix_sockets_means_a_cold_run(tmp_path, monkeypatch):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    monkeypatch.setenv("ORC_WORKER_DIR", str(deep))
    with pytest.raises(worker_client.WorkerUnavailable, match="longer than a Unix socket's 107 bytes: set ORC_WORKER_DIR to a shorter folder"):
        worker_client.socket_path(tmp_path)


def test_status_and_stop_without_a_worker_say_so(tmp_path, workers):
    result = _orc("worker", "status", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == f"no warm worker for {tmp_path.resolve()} (`orc compile-and-run --warm RECIPE` starts one)\n"


# -- compile-and-run --warm on the tiny pipeline --------------------------------------------------


@pytest.mark.integration
def test_warm_runs_reuse_the_worker_and_give_the_cold_runs_model(tmp_path, workers):
    pytest.importorskip("olive")
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    first = _orc("compile-and-run", str(recipe), "--warm", "--no-progress")
    assert first.returncode == 0, first.stderr
    assert "warm worker: starting one for" in first.stderr
    worker_pid = _status(tmp_path)["pid"]
    workers.add(worker_pid)

    recipe.write_text(recipe.read_text().replace("precision: int4", "precision: fp32"))
    second = _orc("compile-and-run", str(recipe), "--warm", "--no-progress")
    assert second.returncode == 0, second.stderr
    assert "warm worker: the run goes to the worker of" in second.stderr
    table = {line.split()[0]: " ".join(line.split()[2:4]) for line in second.stderr.splitlines() if line.startswith(("lora ", "merge_adapters ", "model_builder "))}
    assert table["lora"] == table["merge_adapters"] == "succeeded (cache)"  # Olive's cache, as in a cold run
    assert table["model_builder"].startswith("succeeded ")
    manifest = json.loads((tmp_path / "out" / "model.manifest.json").read_text())
    assert manifest["status"] == "succeeded" and manifest["steps"][-1]["status"] == "succeeded"
    genai = json.loads((tmp_path / "out" / "model" / "genai_config.json").read_text())
    assert genai["model"]["decoder"]["filename"] == "model.onnx"
    assert _status(tmp_path)["pid"] == worker_pid and _status(tmp_path)["runs"] == 2

    status = _orc("worker", "status", cwd=tmp_path)
    assert status.stdout.startswith(f"warm worker of {tmp_path.resolve()}: pid {worker_pid}, up ")
    stopped = _orc("worker", "stop", cwd=tmp_path)
    assert stopped.stdout == f"stopped the warm worker of {tmp_path.resolve()} (pid {worker_pid})\n"
    deadline = time.monotonic() + 10
    while _alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker_pid) and not worker_client.socket_path(tmp_path).exists()


@pytest.mark.integration
def test_a_signal_stops_the_warm_run_but_not_the_worker(tmp_path, workers):
    pytest.importorskip("olive")
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    assert _orc("compile-and-run", str(recipe), "--warm", "--no-progress").returncode == 0
    worker_pid = _status(tmp_path)["pid"]
    workers.add(worker_pid)
    before = (tmp_path / "out" / "model.manifest.json").read_bytes()
    text = recipe.read_text().replace("max_steps: 4", "max_steps: 400")
    recipe.write_text(text)
    run = subprocess.Popen([sys.executable, "-m", "orc_olive", "compile-and-run", str(recipe), "--warm", "--no-progress"],
                           cwd=ROOT, stderr=subprocess.PIPE, text=True, env={**os.environ, **QUIET})
    assert run.stderr is not None
    lines = []
    for line in run.stderr:
        lines.append(line)
        if "loss at log" in line:  # training has begun in the worker's run
            break
    run.send_signal(signal.SIGTERM)
    err = "".join(lines) + run.stderr.read()
    run.wait(timeout=120)

    assert run.returncode == 143, err
    assert "warm worker: the run goes to the worker of" in err
    assert "stopped by SIGTERM: Olive was stopped and its staging folder removed" in err
    assert (tmp_path / "out" / "model.manifest.json").read_bytes() == before
    assert not list((tmp_path / "out").glob(".orc-staging-*"))
    assert _alive(worker_pid) and _status(tmp_path)["pid"] == worker_pid
    recipe.write_text(text.replace("max_steps: 400", "max_steps: 2"))
    again = _orc("compile-and-run", str(recipe), "--warm", "--no-progress")
    assert again.returncode == 0, again.stderr
    assert _status(tmp_path)["runs"] == 3
