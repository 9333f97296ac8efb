"""One run at a time per output folder: `<output>.lock` beside it, holding the holder's pid.

The lock is the kernel's `flock` on that file, so it is released when the holding process ends, however
it ends; the pid written in the file is for the message a second run prints. A second run refuses at
once (it does not wait): `orc: <output> is being written by another orc run (pid N, ...)`. A lock file
left by a process that is gone is taken over, and the run says so.
"""

from __future__ import annotations

import errno
import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from orc_olive.files import beside

LOCK_SUFFIX = ".lock"


def lock_path(output: Path) -> Path:
    return beside(output, LOCK_SUFFIX)


class LockHeld(Exception):
    """Another live process holds the output's lock."""

    def __init__(self, path: Path, pid: int | None):
        self.path, self.pid = path, pid
        holder = f"pid {pid}" if pid else "a process whose pid the lock does not name"
        output = path.with_name(path.name.removesuffix(LOCK_SUFFIX))
        super().__init__(f"{output} is being written by another orc run "
                         f"({holder}; lock {path}): wait for it to finish, or stop it, and run again")


@dataclass
class OutputLock:
    path: Path
    fd: int
    stale_pid: int | None = None  # the pid of a process that had left the lock behind, now taken over

    def release(self) -> None:
        try:
            if os.stat(self.path).st_ino == os.fstat(self.fd).st_ino:
                os.unlink(self.path)
        except OSError:
            pass
        finally:
            os.close(self.fd)

    def __enter__(self) -> "OutputLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _pid_in(fd: int) -> int | None:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def acquire(output: Path) -> OutputLock:
    """Take the output's lock, or raise LockHeld naming the live holder."""
    path = lock_path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(10):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _pid_in(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES) or holder is None or alive(holder):
                os.close(fd)
                raise LockHeld(path, holder) from None
            # a file system without flock: the pid decides, and this one is gone
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino  # not the file of a holder that just finished
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            continue
        previous = _pid_in(fd)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass  # a full disk: the lock holds all the same, only its message lacks the pid
        return OutputLock(path, fd, previous if previous not in (None, os.getpid()) else None)
    raise LockHeld(path, None)
