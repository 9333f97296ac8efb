"""The lean runner started before orc compiles the recipe, so that loading torch and onnxruntime (seconds)
overlaps orc's own work (compiling, checking, the lock, the record: most of a second).

    prestart = Prestart.maybe(wanted)
    try:
        ... compile ... run_workflow(..., prestarted=prestart.starter if prestart else None)
    finally:
        if prestart:
            prestart.discard()

The process (`python -m orc_olive.run.lean_runner -`, lean_runner.wait_for_job) runs in a session of its
own with orc's environment plus OLIVE_ENV, loads lean_runner.EARLY and waits for one line on stdin: the
workflow, the folder and the environment of the run. run_olive then reads it exactly like a runner started
at that moment (its pid leads its group; signals, the log and the decision are the same). When the run does
not happen (errors, up to date, a refusal) discard() kills it; if orc dies, it reads the end
of stdin and leaves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from orc_olive.run.lean_runner import OLIVE_ENV
from orc_olive.run.olive_process import RunningOlive, start_child

PIPE_SAFE = 32768  # bytes: half of Linux's default pipe buffer


class Prestart:
    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-m", "orc_olive.run.lean_runner", "-"], env={**os.environ, **OLIVE_ENV},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.used = False

    @classmethod
    def maybe(cls, wanted: bool) -> "Prestart | None":
        """A prestarted runner, when wanted and Python can start one (else the run starts its runner itself)."""
        if not wanted:
            return None
        try:
            return cls()
        except OSError:
            return None

    def starter(self, command: list[str], cwd: Path, env: dict[str, str]) -> RunningOlive:
        """run_olive's start: hand the run (command: the lean runner on a workflow file) to the waiting process."""
        process = self.process
        job = json.dumps({"workflow": command[-1], "cwd": str(cwd), "env": env}).encode() + b"\n"
        # a line that fits the pipe's buffer never waits on the runner (which may be writing to orc meanwhile)
        if process is not None and process.poll() is None and process.stdin is not None and len(job) <= PIPE_SAFE:
            try:
                process.stdin.write(job)
                process.stdin.close()
                self.used = True
                return process
            except OSError:  # it died while orc compiled: start one now
                pass
        self.discard()
        return start_child(command, cwd, env)

    def discard(self) -> None:
        process, self.process = self.process, None
        if process is None or self.used:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        process.wait()
