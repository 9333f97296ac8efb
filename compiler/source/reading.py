"""Reading an input file with bounds: only a regular file, and never more than a limit.

A recipe, a base it extends or a config to import may name a FIFO (which blocks the reader until some
writer comes), a device (/dev/zero never ends), a socket or a folder. Such a file is refused from its
type alone, before any byte is read; a regular file is read up to one byte past the limit, so a huge
file costs no more memory than the limit before it is refused.
"""

from __future__ import annotations

import errno
import os
import stat

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))  # fmt: skip


class NotRegularFile(OSError):
    """The path names something other than a regular file; nothing was read from it."""

    def __init__(self, path: str, kind: str):
        super().__init__(errno.EINVAL, f"not a regular file: it is {kind}", path)
        self.kind = kind


class TooLarge(OSError):
    """The file holds more than the limit; only limit + 1 bytes were read."""

    def __init__(self, path: str, limit: int):
        super().__init__(errno.EFBIG, f"the file is over the {limit} byte limit", path)
        self.limit = limit


def kind_of(mode: int) -> str | None:
    """What a file of this mode is, in words, when it is not a regular file."""
    return None if stat.S_ISREG(mode) else next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file at `path`; FileNotFoundError when it is absent, NotRegularFile for
    anything else (checked before reading, and again on the opened file), TooLarge past `limit` bytes."""
    name = os.fspath(path)
    kind = kind_of(os.stat(name).st_mode)
    if kind is not None:
        raise NotRegularFile(name, kind)
    # O_NONBLOCK: should the path have become a FIFO since the check, opening it does not wait for a writer
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        kind = kind_of(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotRegularFile(name, kind)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise TooLarge(name, limit)
    return b"".join(chunks)
