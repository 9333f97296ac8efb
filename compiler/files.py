"""Writing orc's outputs: whole or not at all, and never in place of something orc did not make.

A regular file is written through a temporary file in the same folder and a rename. A special file
(a device such as /dev/null or /dev/stdout, a FIFO, a socket) is never replaced: it is opened and written
through. A folder is never replaced. A symbolic link is followed (the file it names is written; the link
stays). What can be checked before any work is (`write_problem`); the OS errors that remain are said in one
line (`os_error_line`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Iterator

NAME_MAX = 255  # bytes in one file name, on every file system orc runs on
MANIFEST_SUFFIX = ".manifest.json"  # the run manifest orc keeps beside an output folder it made


def beside(folder: Path, suffix: str) -> Path:
    """A file orc keeps next to an output folder: models/x -> models/x<suffix> (its manifest, log, lock...)."""
    return folder.with_name(folder.name + suffix)


def manifest_path(output: Path) -> Path:
    """The run manifest of the output folder `output`: <dir>.manifest.json."""
    return beside(output, MANIFEST_SUFFIX)


def _special(path: Path) -> bool:
    """An existing file that is not a regular file or a folder: a device, a FIFO, a socket."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


# The process's own streams by name: written through even when the shell sent them to a regular file.
_STREAM = re.compile(r"^/(?:dev/(?:stdout|stderr|fd/\d+)|proc/(?:self|\d+)/fd/\d+)$")


def writes_through(path: Path) -> bool:
    """True when `path` is written by opening it (a device, a FIFO, a socket, a stream), never replaced."""
    return _special(path) or bool(_STREAM.match(os.path.abspath(path)))


def write_atomic(path: Path, text: str, *, private: bool = False) -> None:
    """Write via a temporary file in the same folder and rename: never a half-written output. A special
    file is written through (opened, never replaced); a folder is refused with IsADirectoryError."""
    data = text.encode("utf-8")  # an unencodable text fails here, before anything is touched
    if writes_through(path):
        with _named(path), open(path, "ab") as handle:  # appending: a device, a FIFO, or the stream the shell opened
            handle.write(data)
        return
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    path = Path(os.path.realpath(path)) if os.path.islink(path) else path  # the link stays, its file is written
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:200]}.", dir=path.parent)
    try:
        with _named(path), os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600 if private else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _named(path: Path) -> Iterator[None]:
    """An OS error while writing (a full disk says ENOSPC with no file name) names the file it was for."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None and exc.errno is not None:
            raise type(exc)(exc.errno, exc.strerror, str(path)) from exc
        raise


def _too_long(path: Path) -> str | None:
    for part in path.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            return f"the name '{part[:40]}...' is too long ({len(os.fsencode(part))} bytes; at most {NAME_MAX})"
    return None


def write_problem(path: Path, *, folder: bool = False) -> str | None:
    """What stops orc from writing `path` (a file, or with `folder` a folder it creates or writes in), said
    in one line; None when nothing does. Checked before any work: a part of the path that is a file, a name
    too long, a read-only place, a folder where a file is wanted (or the other way round)."""
    path = Path(os.path.abspath(path))
    problem = _too_long(path)
    if problem:
        return problem
    if not folder and writes_through(path):
        return None if os.access(path, os.W_OK) else f"{path} is not writable"
    if os.path.islink(path):
        path = Path(os.path.realpath(path))
    if path.exists():
        if folder and not path.is_dir():
            return f"{path} is a file, not a folder"
        if not folder and path.is_dir():
            return f"{path} is a folder, not a file"
        if folder:
            return None if os.access(path, os.W_OK | os.X_OK) else f"{path} is not writable (read-only or not yours)"
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is a file, not a folder: cannot write {path}"
            if not os.access(parent, os.W_OK | os.X_OK):
                return f"{parent} is not writable (read-only or not yours): cannot write {path}"
            return None
    return None


_WHY = {
    errno.ENOSPC: "no space left on the disk",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENAMETOOLONG: "a name in the path is too long",
    errno.ENOENT: "no such file or folder",
    errno.EEXIST: "it exists already",
    errno.EPIPE: "the reader went away",
    errno.EIO: "an input/output error",
}


def os_error_line(exc: OSError) -> str:
    """An OS error as one line for people: what failed, on which file, and why."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        failed = exc.args[0]  # copytree's (source, destination, why) for each file it could not copy
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        why = str(failed[0][2]).split("]", 1)[-1].split(":", 1)[0].strip() if isinstance(failed[0], tuple) and len(failed[0]) == 3 else str(failed[0])
        return f"{failed[0][1] if isinstance(failed[0], tuple) else 'copy'}: {why.lower()}{more}"
    why = _WHY.get(exc.errno or 0) or exc.strerror or str(exc)
    names = [str(name) for name in (exc.filename, exc.filename2) if name is not None]
    return f"{' -> '.join(names)}: {why}" if names else why
