"""Render diagnostics for people (text), machines (json) and pull requests (GitHub annotations).

Every format shows control characters escaped (diagnostics.printable): what a recipe quotes never
reaches the terminal raw. A GitHub annotation spans the key or value the diagnostic is at (its end
read from the recipe's line), so the pull request underlines that token rather than a whole line."""

from __future__ import annotations

import json
import re
from typing import Callable, Iterable, Literal

from orc_olive.diagnostics import Diagnostic, format_github, format_text, printable_diagnostic

Format = Literal["text", "json", "github", "markdown"]
LineReader = Callable[[str], bytes]

# where a plain YAML token ends: a flow separator, a comment, a key's colon
_TOKEN_END = re.compile(r"[,\]}]|\s#|:(\s|$)")


def render(diagnostics: Iterable[Diagnostic], fmt: Format = "text", reader: LineReader | None = None) -> str:
    items = sorted(diagnostics, key=lambda d: (d.file, d.line, d.column))
    if fmt == "json":  # shown escaped as in the other formats (JSON itself would let DEL and C1 through)
        return json.dumps([printable_diagnostic(d).as_dict() for d in items], indent=2, ensure_ascii=False)
    if fmt == "markdown":
        return markdown_table(items)
    if fmt == "github":
        lines = _Lines(reader)
        return "\n".join(format_github(d, token_end(lines.line(d.file, d.line), d.line, d.column)) for d in items)
    return "\n".join(format_text(d) for d in items)


def markdown_table(items: list[Diagnostic]) -> str:
    """A Markdown table (a CI job summary): where, severity, code, field, message. Empty when there is nothing."""
    def cell(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("`", "'")

    rows = ["| where | severity | code | field | message |", "|---|---|---|---|---|"]
    for d in (printable_diagnostic(d) for d in items):
        where = f"{d.file}:{d.line}:{d.column}" if d.line else d.file
        message = d.message + (f" ({d.hint})" if d.hint else "")
        rows.append(f"| `{cell(where)}` | {d.severity} | `{cell(d.code)}` | `{cell(d.dotted_path)}` | {cell(message)} |")
    return "\n".join(rows) if items else ""


def token_end(text: str | None, line: int, column: int) -> tuple[int, int] | None:
    """The (line, column) of the last character of the token starting at `column` (1-based) of `text`."""
    if text is None or not line or column < 1 or column > len(text):
        return None
    rest = text[column - 1:]
    if rest[:1] in ("'", '"'):
        close = rest.find(rest[0], 1)
        length = close + 1 if close > 0 else len(rest.rstrip())
    else:
        stop = _TOKEN_END.search(rest, 1)
        length = len((rest[:stop.start()] if stop else rest).rstrip()) or 1
    return line, column + length - 1


class _Lines:
    """The lines of the files annotated, each file read once (through the recipe reader's guards)."""

    def __init__(self, reader: LineReader | None):
        self._reader = reader
        self._files: dict[str, list[str] | None] = {}

    def line(self, file: str, number: int) -> str | None:
        if file not in self._files:
            self._files[file] = self._read(file)
        lines = self._files[file]
        return lines[number - 1] if lines is not None and 0 < number <= len(lines) else None

    def _read(self, file: str) -> list[str] | None:
        if self._reader is None:
            from orc_olive.source.compose import read_disk

            self._reader = read_disk
        try:
            return self._reader(file).decode("utf-8").splitlines()
        except (OSError, UnicodeDecodeError, ValueError):
            return None


def summary(files: int, errors: int, warnings: int) -> str:
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return f"{plural(files, 'recipe')} checked: {plural(errors, 'error')}, {plural(warnings, 'warning')}"
