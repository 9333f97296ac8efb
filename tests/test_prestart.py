"""The prestarted lean runner (run/prestart.py): it loads torch while orc compiles, then runs exactly the run
orc hands it (folder, environment, sys.path as `python -m` in that folder), and leaves nothing behind when
the run does not happen. Every compile-and-run test goes through it too."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from orc_olive.run.lean_runner import OLIVE_ENV
from orc_olive.run.prestart import Prestart

from .test_worker import _iso_workflow


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_prestart_not_needed_is_killed_and_reaped():
    prestart = Prestart()
    assert prestart.process is not None
    pid = prestart.process.pid
    prestart.discard()
    assert not _alive(pid)
    prestart.discard()  # twice is harmless


@pytest.mark.integration
@pytest.mark.parametrize("extra", [{"HF_HUB_OFFLINE": "1"}, {"ISO_VALUE": "changed"}], ids=["hf-variable-added", "other-variable-changed"])
def test_the_prestarted_runner_runs_in_the_runs_folder_and_environment(tmp_path, monkeypatch, extra):
    pytest.importorskip("olive")
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("ISO_RECORD", str(record))
    monkeypatch.setenv("ISO_VALUE", "at start")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    prestart = Prestart()  # started in this folder with this environment
    workflow = _iso_workflow(tmp_path / "run")
    env = {**os.environ, **OLIVE_ENV, **extra}
    process = prestart.starter([sys.executable, "-m", "orc_olive.run.lean_runner", str(workflow)], workflow.parent, env)
    assert process is prestart.process
    assert process.stdout is not None
    output = process.stdout.read().decode(errors="replace")
    process.wait()
    prestart.discard()
    row = json.loads(record.read_text().splitlines()[0])
    assert row["cwd"] == row["path0"] == str(workflow.parent), output
    assert row["value"] == env["ISO_VALUE"]


def test_a_run_too_large_for_the_pipe_starts_its_own_runner_and_the_prestarted_one_goes():
    prestart = Prestart()
    assert prestart.process is not None
    waiting = prestart.process.pid
    env = {**os.environ, "BIG": "x" * 40000}  # more than PIPE_SAFE: handing it over could wait on the runner
    process = prestart.starter([sys.executable, "-c", "import os; print(len(os.environ['BIG']))"], Path.cwd(), env)
    assert process is not prestart.process and not _alive(waiting)
    assert process.stdout is not None and process.stdout.read() == b"40000\n"
    assert process.wait() == 0
