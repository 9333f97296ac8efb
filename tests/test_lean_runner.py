"""The lean runner (compiler/run/lean_runner.py): compile-and-run's child process, Olive's Python API.

It must stream what `olive run` streams (orc reads the same events from it), report every failure the
same way, flush everything before it leaves with os._exit, and leave the workflow file one that
`olive run --config` runs by hand. The Olive runs here are real (integration) on the tiny model.
"""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orc_olive.olive.log import OliveLog
from orc_olive.run import lean_runner
from orc_olive.run.execute import olive_command, runner_command

from .conftest import ROOT, recipe_copy

RUNNER = Path(lean_runner.__file__)


def test_compile_and_run_starts_the_lean_runner_on_the_workflow_file_olive_run_takes(tmp_path):
    workflow = tmp_path / "w.workflow.json"
    assert runner_command(workflow) == [sys.executable, "-m", "orc_olive.run.lean_runner", str(workflow)]
    assert olive_command(workflow)[-4:] == ["olive", "run", "--config", str(workflow)]


def test_the_runner_imports_nothing_of_orc_and_olive_only_when_it_runs():
    tree = ast.parse(RUNNER.read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not [m for m in imported if m.startswith("orc_olive")], imported
    top = {a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names}
    top |= {n.module or "" for n in tree.body if isinstance(n, ast.ImportFrom)}
    assert not [m for m in top if m.split(".")[0] in ("olive", "torch", "transformers")], top
    code = "import sys, orc_olive.run.lean_runner; print(sorted(m for m in sys.modules if m.split('.')[0] in ('olive', 'torch', 'pydantic')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_a_bad_command_line_is_a_usage_line_and_exit_2():
    done = subprocess.run([sys.executable, "-m", "orc_olive.run.lean_runner"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("usage: python -m orc_olive.run.lean_runner WORKFLOW.json")
    assert "Traceback" not in done.stderr


def test_finish_flushes_buffered_output_and_log_files_before_leaving(tmp_path):
    """os._exit skips the interpreter's teardown: finish() must flush what that teardown would have."""
    target = tmp_path / "handler.log"
    code = (
        "import logging, sys\n"
        "from orc_olive.run import lean_runner\n"
        "log = logging.getLogger('olive-like'); log.propagate = False\n"
        "handler = logging.StreamHandler(sys.stdout); log.addHandler(handler); log.warning('a log line')\n"
        f"log.addHandler(logging.FileHandler({str(target)!r})); log.warning('to a file')\n"
        "print('no newline at the end', end='')\n"
        "print('on stderr', end='', file=sys.stderr)\n"
        "lean_runner.finish(7)\n"
        "print('never printed')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 7
    assert done.stdout == "a log line\nto a file\nno newline at the end" and done.stderr == "on stderr"
    assert target.read_text() == "to a file\n"


# -- the real Olive -------------------------------------------------------------------------------


def _events(output: str, step_ids: list[str]) -> tuple[list[tuple[str, str]], OliveLog]:
    log = OliveLog(step_ids)
    events = []
    for line in output.replace("\r", "\n").splitlines():
        event = log.feed(line)
        if event and event != "activity":  # the live view's text (tqdm bars, info lines), not a step's event
            events.append((event, log.current or ""))
    return events, log


@pytest.mark.integration
def test_the_runner_streams_the_events_olive_run_streams_and_the_workflow_runs_by_hand(tmp_path):
    pytest.importorskip("olive")
    from orc_olive.build.compile import compile_file
    from orc_olive.run.execute import run_workflow
    from orc_olive.run.progress import Progress

    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    result = compile_file(recipe)
    assert result.ok, result.diagnostics.items
    said = io.StringIO()
    outcome = run_workflow(result, [recipe], progress=Progress("normal", said, time.monotonic))
    assert outcome.exit_code == 0, said.getvalue()
    assert "orc_olive.run.lean_runner" in outcome.paths.log.read_text().splitlines()[0]
    workflow = outcome.paths.workflow
    step_ids = list(json.loads(workflow.read_text())["passes"])

    # the same workflow file, by hand with Olive's CLI and with the runner (every step from Olive's cache now)
    by_hand = subprocess.run(olive_command(workflow), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    lean = subprocess.run(runner_command(workflow), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert by_hand.returncode == 0 == lean.returncode, lean.stdout + lean.stderr
    hand_events, hand_log = _events(by_hand.stdout + by_hand.stderr, step_ids)
    lean_events, lean_log = _events(lean.stdout + lean.stderr, step_ids)
    assert lean_events == hand_events and [e for e, _ in lean_events] == ["start", "end"] * 3
    assert {s.id: (s.status, s.cached) for s in lean_log.steps.values()} == {i: ("succeeded", True) for i in step_ids}
    assert lean_log.saved_to and lean_log.saved_to == hand_log.saved_to  # the last line Olive logs: flushed before os._exit
    assert "Traceback" not in lean.stderr


@pytest.mark.integration
def test_a_workflow_olive_refuses_is_a_traceback_whose_last_line_orc_reads_and_exit_1(tmp_path):
    pytest.importorskip("olive")
    workflow = tmp_path / "bad.workflow.json"
    workflow.write_text(json.dumps({"input_model": {"type": "HfModel", "model_path": str(ROOT / "examples" / "tiny-phi3")},
                                    "passes": {"x": {"type": "NoSuchPass"}}, "output_dir": "out"}))
    by_hand = subprocess.run(olive_command(workflow), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    lean = subprocess.run(runner_command(workflow), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert lean.returncode == 1 and by_hand.returncode != 0
    hand_log, lean_log = OliveLog(["x"]), OliveLog(["x"])
    for line in by_hand.stderr.splitlines():
        hand_log.feed(line)
    for line in lean.stderr.splitlines():
        lean_log.feed(line)
    assert "Traceback (most recent call last)" in lean.stderr
    assert lean_log.last_exception and lean_log.last_exception == hand_log.last_exception
    assert "nosuchpass" in lean_log.last_exception.lower()


def test_finish_stops_daemonic_worker_processes_as_the_interpreter_would(tmp_path):
    """A data loader's daemonic worker must not outlive the runner and hold orc's pipe open."""
    code = (
        "import multiprocessing, time\n"
        "from orc_olive.run import lean_runner\n"
        "def work():\n"
        "    time.sleep(60)\n"
        "if __name__ == '__main__':\n"
        "    worker = multiprocessing.Process(target=work, daemon=True); worker.start()\n"
        "    print(worker.pid, flush=True)\n"
        "    lean_runner.finish(0)\n"
    )
    script = tmp_path / "w.py"
    script.write_text(code)
    # reads to the pipe's end: a worker left running (it sleeps 60 s) would hold it past the timeout
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=50)
    assert done.returncode == 0
    pid = int(done.stdout.split()[0])
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
