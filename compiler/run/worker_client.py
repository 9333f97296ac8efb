"""orc's side of the warm worker (worker.py): where its socket is, starting and stopping it, and a run
through it that olive_process.run_olive reads exactly like the child process of a cold run.

One worker per user and project: its socket is `<folder>/<key>.sock`, the key a hash of the project
root (the folder holding .git/pyproject.toml/..., else the recipe's folder) and the Python that runs orc.
The folder is `$ORC_WORKER_DIR`, else `$XDG_RUNTIME_DIR/orc-workers-<uid>`, else the temp folder's
`orc-workers-<uid>`; it must be a folder of this user that no one else can read or write, or the worker
is not used (anyone who can reach the socket can run code as its user).
"""

from __future__ import annotations

import array
import hashlib
import io
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from orc_olive.checks.outputs import project_root
from orc_olive.run.olive_process import RunningOlive, Starter, start_child

START_TIMEOUT_S = 30.0  # for the worker's socket to appear (it listens before it loads anything)
STOP_TIMEOUT_S = 10.0
SOCKET_PATH_MAX = 107  # sun_path holds 108 bytes with its terminating NUL (Linux)


class WorkerUnavailable(Exception):
    """The warm worker cannot take this run; the message says why (the run then goes cold)."""


def worker_dir() -> Path:
    configured = os.environ.get("ORC_WORKER_DIR")
    if configured:
        folder = Path(configured)
    else:
        folder = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()) / f"orc-workers-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, parents=bool(configured), exist_ok=True)
        info = folder.lstat()
    except OSError as exc:
        raise WorkerUnavailable(f"cannot make the worker folder {folder}: {exc.strerror}") from exc
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise WorkerUnavailable(f"{folder} is not a folder only this user can use (mode {stat.filemode(info.st_mode)})")
    return folder


def project_of(folder: Path) -> Path:
    folder = folder.resolve()
    return project_root(folder) or folder


def socket_path(project: Path) -> Path:
    key = hashlib.sha256(f"{project}\0{sys.executable}".encode()).hexdigest()[:20]
    path = worker_dir() / f"{key}.sock"
    if len(os.fsencode(path)) > SOCKET_PATH_MAX:
        raise WorkerUnavailable(f"its socket path would be longer than a Unix socket's {SOCKET_PATH_MAX} bytes: set ORC_WORKER_DIR to a shorter folder")
    return path


def _connect(path: Path) -> socket.socket | None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        return None
    return conn


class _Lines:
    """Newline-delimited JSON messages from the worker."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.buffer = b""

    def next(self) -> dict[str, Any] | None:
        while b"\n" not in self.buffer:
            try:
                chunk = self.conn.recv(65536)
            except OSError:
                return None
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            message = json.loads(line)
        except ValueError:
            return None
        return message if isinstance(message, dict) else None


def ask(path: Path, request: dict[str, Any]) -> dict[str, Any] | None:
    """One request without descriptors (status, stop); None when no worker answers there."""
    conn = _connect(path)
    if conn is None:
        return None
    with conn:
        conn.settimeout(STOP_TIMEOUT_S)
        try:
            conn.sendall(json.dumps(request).encode() + b"\n")
        except OSError:
            return None
        return _Lines(conn).next()


def stop(path: Path) -> int | None:
    """Stop the worker at `path` and wait for its socket to go; its pid, or None when none answered."""
    answer = ask(path, {"op": "stop"})
    if answer is None:
        return None
    _wait_gone(path)
    pid = answer.get("stopping")
    return pid if isinstance(pid, int) else None


def _wait_gone(path: Path) -> None:
    """A stopping worker removes its socket last: a new one may take the path after that."""
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def spawn(path: Path, project: Path, env: dict[str, str]) -> None:
    """Start a worker for `project` with the environment its runs will have."""
    log = path.with_suffix(".log")
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    command = [sys.executable, "-m", "orc_olive.run.worker", "--socket", str(path), "--project", str(project)]
    try:
        subprocess.Popen(command, cwd=project, env=env, stdin=subprocess.DEVNULL, stdout=fd, stderr=fd, start_new_session=True)
    except OSError as exc:
        raise WorkerUnavailable(f"cannot start it: {exc.strerror}") from exc
    finally:
        os.close(fd)

def _connect_new(path: Path) -> socket.socket:
    """A connection to the worker just started (a stale socket file may still be there until it binds)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while (conn := _connect(path)) is None:
        if time.monotonic() > deadline:
            raise WorkerUnavailable(f"it did not start in {START_TIMEOUT_S:.0f} s (its log: {path.with_suffix('.log')})")
        time.sleep(0.01)
    return conn


@dataclass
class WorkerRun:
    """A run in the warm worker, as run_olive reads a child process: `pid` leads the run's process group,
    `stdout` is the run's output, wait() its exit code (-SIGKILL when the group was killed before it said)."""

    pid: int
    stdout: io.BufferedReader
    lines: _Lines
    returncode: int | None = None

    def wait(self) -> int:
        if self.returncode is None:
            message = self.lines.next()
            code = message.get("exit") if message else None
            self.returncode = code if isinstance(code, int) else -9
            self.lines.conn.close()
        return self.returncode


def _request(conn: socket.socket, path: Path, workflow: Path, cwd: Path, env: dict[str, str], pass_types: list[str]) -> WorkerRun | str:
    """Send the run; the run, or the worker's reason to be restarted."""
    read_fd, write_fd = os.pipe()
    try:
        request = {"op": "run", "workflow": str(workflow), "cwd": str(cwd), "env": env, "pass_types": pass_types}
        conn.sendmsg([json.dumps(request).encode() + b"\n"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [write_fd]))])
    except OSError as exc:
        conn.close()
        os.close(read_fd)
        raise WorkerUnavailable(f"cannot send it the run: {exc.strerror}") from exc
    finally:
        os.close(write_fd)
    lines = _Lines(conn)
    answer = lines.next()  # the first run waits here while the worker loads Olive and torch
    if answer and isinstance(answer.get("pid"), int):
        return WorkerRun(answer["pid"], open(read_fd, "rb"), lines)
    conn.close()
    os.close(read_fd)
    if answer and isinstance(answer.get("restart"), str):
        return answer["restart"]
    raise WorkerUnavailable(f"it stopped before the run began (its log: {path.with_suffix('.log')})")


def start_run(project: Path, workflow: Path, cwd: Path, env: dict[str, str], pass_types: list[str], say: Callable[[str], None]) -> WorkerRun:
    """The run in this project's worker, started (or restarted) as needed."""
    path = socket_path(project)
    for _ in range(2):
        conn = _connect(path)
        if conn is not None:
            say(f"warm worker: the run goes to the worker of {project}")
        else:
            say(f"warm worker: starting one for {project} (this run waits for it to load Olive and torch; the next ones will not)")
            spawn(path, project, env)
            conn = _connect_new(path)
        outcome = _request(conn, path, workflow, cwd, env, pass_types)
        if isinstance(outcome, WorkerRun):
            return outcome
        say(f"warm worker: starting a new one: {outcome}")
        _wait_gone(path)
    raise WorkerUnavailable("a fresh worker would not take the run")


def workers() -> list[tuple[Path, dict[str, Any] | None]]:
    """Every worker socket of this user, with its status (None where none answers: a stale socket)."""
    folder = worker_dir()
    return [(path, ask(path, {"op": "status"})) for path in sorted(folder.glob("*.sock"))]


def warm_starter(project: Path, pass_types: list[str], say: Callable[[str], None]) -> Starter:
    """run_olive's way to start the run (command: the lean runner on a workflow file) in the project's worker;
    a cold child process when the worker cannot take it."""

    def start(command: list[str], cwd: Path, env: dict[str, str]) -> RunningOlive:
        try:
            return start_run(project, Path(command[-1]), cwd, env, pass_types, say)
        except WorkerUnavailable as exc:
            say(f"warm worker: not used ({exc}); the run starts cold")
            return start_child(command, cwd, env)

    return start
