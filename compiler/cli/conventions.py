"""Command-line conventions shared by the commands: `-` for standard input and output, a standard
output that survives a closed pipe (the exit code stays the command's own), and silencing warnings
(`--ignore CODE`, or a `# orc: ignore[CODE]` comment in the recipe or base that holds the warning).
"""

from __future__ import annotations

import os
import sys
from typing import Any, Iterable, TextIO

from orc_olive.diagnostics import Diagnostic, drop_ignored, ignore_comments, suggest

STDIO = "-"  # as a recipe: read it from standard input; as -o: write to standard output


def is_stdio(name: str | None) -> bool:
    return name == STDIO


def stdin_reader(limit: int) -> Any:
    """A recipe reader where `-` is standard input (read once, at most `limit` bytes; relative paths in
    it are relative to the current folder) and every other path the disk's, with its guards."""
    from orc_olive.source.compose import read_disk
    from orc_olive.source.reading import TooLarge

    cache: dict[str, bytes] = {}

    def read(path: str) -> bytes:
        if path != STDIO:
            return read_disk(path)
        if STDIO not in cache:
            data = sys.stdin.buffer.read(limit + 1)
            if len(data) > limit:
                raise TooLarge(STDIO, limit)
            cache[STDIO] = data
        return cache[STDIO]

    return read


def recipe_reader() -> Any:
    from orc_olive.source.loader import MAX_BYTES

    return stdin_reader(MAX_BYTES)


class PipeSafeStdout:
    """sys.stdout, except that a closed pipe (`orc validate ... | head`) is noticed once and what follows
    is dropped: the command goes on and returns its real exit code, with no traceback at exit."""

    def __init__(self, stream: TextIO):
        self._stream = stream
        self.closed_pipe = False

    def _guard(self, call: Any, *args: Any) -> Any:
        if self.closed_pipe:
            return None
        try:
            return call(*args)
        except BrokenPipeError:
            self.closed_pipe = True
            _silence(self._stream)
            return None

    def write(self, text: str) -> int:
        self._guard(self._stream.write, text)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._guard(self._stream.flush)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _silence(stream: TextIO) -> None:
    """Point the stream's descriptor at the null device (opened and written through, never replaced), so
    that Python's own flush at exit finds somewhere to write."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def ignore_problems(codes: Iterable[str]) -> list[str]:
    """What is wrong with `--ignore` codes: unknown ones (with a did-you-mean), or a code that is never a warning."""
    from orc_olive.codes import CODES

    out = []
    for code in codes:
        if code not in CODES:
            hint = suggest(code, CODES)
            out.append(f"--ignore {code}: not a diagnostic code{f' ({hint})' if hint else ''}: `orc codes` lists them")
    return out


def silence(diagnostics: list[Diagnostic], ignore: Iterable[str], reader: Any) -> list[Diagnostic]:
    """The diagnostics without the warnings that `--ignore` or a comment in their file silences. Errors
    are never silenced: a recipe with one does not run."""
    comments: dict[str, set[str]] = {}
    for file in {d.file for d in diagnostics if d.severity == "warning"}:
        try:
            comments[file] = ignore_comments(reader(file).decode("utf-8", errors="replace"))
        except OSError:
            comments[file] = set()
    return drop_ignored(diagnostics, set(ignore), comments)
