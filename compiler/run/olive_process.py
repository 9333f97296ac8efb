"""The `olive run` process: started in its own session (process group), its output copied to the run's
log with secrets masked, and SIGINT/SIGTERM sent to orc forwarded to the whole group.

Olive starts worker processes of its own (data loaders, a python_env system's interpreter); signalling
the group stops them all. After a signal orc waits for the group to end (GRACE_S, then SIGKILL), and
a second signal kills it at once.
"""

from __future__ import annotations

import io
import os
import shlex
import signal
import subprocess
import threading
from pathlib import Path
from types import FrameType
from typing import IO, Any, Callable, Mapping, Protocol

from orc_olive.secrecy import mask


class RunningOlive(Protocol):
    """What run_olive needs of a running Olive: a process group to signal, its output, its exit code."""

    @property
    def pid(self) -> int: ...  # the leader of the run's process group

    @property
    def stdout(self) -> IO[bytes] | None: ...

    def wait(self) -> int: ...


Starter = Callable[[list[str], Path, dict[str, str]], RunningOlive]

GRACE_S = 10.0  # after a forwarded signal, how long Olive has to stop before it is killed
LINE_CAP = 65536  # a line without an end (tqdm's \r updates) is written to the log at this size


class Interrupts:
    """While entered: SIGINT and SIGTERM are recorded (the first one) and forwarded to the running group."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._group: int | None = None
        self._old: dict[int, Any] = {}
        self._timer: threading.Timer | None = None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or 0)

    def __enter__(self) -> "Interrupts":
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._old[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._old.items():
            signal.signal(signum, handler)
        self._old.clear()
        self._cancel_timer()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        first = self.signum is None
        if first:
            self.signum = signum
        if self._group is not None:
            self._kill(signum if first else signal.SIGKILL)
            if first:
                self._timer = threading.Timer(GRACE_S, self._kill, (signal.SIGKILL,))
                self._timer.daemon = True
                self._timer.start()

    def _kill(self, signum: int) -> None:
        group = self._group
        if group is None:
            return
        try:
            os.killpg(group, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def started(self, pid: int) -> None:
        self._group = pid  # start_new_session: the process leads a group of its own
        if self.signum is not None:  # the signal came while it was starting
            self._kill(self.signum)

    def finished(self) -> None:
        self._group = None
        self._cancel_timer()


def open_log(path: Path, *, private: bool) -> io.BufferedWriter:
    """A new log file, owner-only when the run may print a secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = 0o600 if private else 0o644
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(fd, mode)  # whatever the umask
    return open(fd, "wb")


def run_olive(
    command: list[str],
    cwd: Path,
    env: dict[str, str],
    log_file: io.BufferedWriter,
    log_path: Path,
    on_line: Callable[[str], None],
    secrets: Mapping[str, str],
    interrupts: Interrupts,
    start: Starter | None = None,
) -> int:
    """Run Olive, copying its output to the log (secrets masked) and every line (tqdm's \\r too) to on_line.
    `start` starts it elsewhere than in a child process of orc's (the warm worker: worker_client.py)."""
    log_file.write(mask(f"$ cd {shlex.quote(str(cwd))} && {shlex.join(command)}\n", secrets).encode())
    log_file.flush()
    if interrupts.signum is not None:
        return interrupts.exit_code
    process = (start or start_child)(command, cwd, env)
    interrupts.started(process.pid)
    stdout = process.stdout
    assert isinstance(stdout, io.BufferedReader)  # a pipe with Python's default buffering
    pending, unlogged = b"", b""
    try:
        for chunk in iter(lambda: stdout.read1(65536), b""):
            unlogged += chunk
            # whole lines go to the log, masked (a secret never straddles two writes)
            cut = unlogged.rfind(b"\n") + 1 or (len(unlogged) if len(unlogged) >= LINE_CAP else 0)
            if cut:
                log_file.write(_masked(unlogged[:cut], secrets))
                unlogged = unlogged[cut:]
            pending += chunk
            *lines, pending = pending.replace(b"\r", b"\n").split(b"\n")
            for line in lines:
                on_line(line.decode("utf-8", "replace"))
        if pending:
            on_line(pending.decode("utf-8", "replace"))
        if unlogged:
            log_file.write(_masked(unlogged, secrets))
    except OSError as exc:
        _kill_group(process.pid)
        if exc.filename is None:  # a write to the log (a full disk says ENOSPC without a name)
            raise OSError(exc.errno, exc.strerror, str(log_path)) from exc
        raise
    except BaseException:
        _kill_group(process.pid)
        raise
    finally:
        returncode = process.wait()
        interrupts.finished()
        stdout.close()
    return returncode


def start_child(command: list[str], cwd: Path, env: dict[str, str]) -> RunningOlive:
    """Olive in a child process of orc's, leading a process group of its own."""
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
    )


def _masked(data: bytes, secrets: Mapping[str, str]) -> bytes:
    if not secrets:
        return data
    return mask(data.decode("utf-8", "surrogateescape"), secrets).encode("utf-8", "surrogateescape")


def _kill_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
