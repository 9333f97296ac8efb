"""Diagnostics as data: every problem orc finds is one record, collected and rendered once."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator, Literal, Sequence

Severity = Literal["error", "warning"]
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Diagnostic:
    message: str
    file: str = "<recipe>"
    line: int = 0  # 1-based; 0 when no position is known
    column: int = 0  # 1-based
    path: Path_ = ()
    hint: str = ""
    severity: Severity = "error"
    code: str = "invalid"

    @property
    def dotted_path(self) -> str:
        return dotted(self.path)

    def as_dict(self) -> dict:
        return {
            "severity": self.severity,
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.dotted_path,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class Diagnostics:
    """An ordered, de-duplicated collection of diagnostics."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic not in self.items:
            self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.file, d.line, d.column, d.severity != "error"))

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class OrcError(Exception):
    """Raised by library entry points when a recipe cannot be processed; carries every diagnostic."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(format_text(d) for d in self.diagnostics))


def dotted(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice `word` most likely misspells (case first, then similarity), or None."""
    lowered = {c.lower(): c for c in sorted(set(choices))}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return lowered[word.lower()]
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def suggest(word: str, choices: Iterable[str]) -> str:
    """A did-you-mean hint, or '' when nothing is close."""
    match = closest(word, choices)
    return f"did you mean '{match}'?" if match else ""


def one_of(choices: Iterable[str], limit: int = 12) -> str:
    choices = sorted(set(choices))
    shown = ", ".join(f"'{c}'" for c in choices[:limit])
    more = f" (and {len(choices) - limit} more)" if len(choices) > limit else ""
    return f"valid: {shown}{more}"


# Control characters (C0 but tab, DEL, C1) and the bidirectional overrides: a value quoted in a message
# (a dataset reference holding "\x1b[2J") must never drive the terminal or reorder what is shown.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEEPING_NEWLINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return {0x0A: "\\n", 0x0D: "\\r"}.get(code) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: str, *, newlines: bool = False) -> str:
    """`text` with every control character shown escaped (`\\x1b`); with `newlines`, line breaks kept."""
    return (_CONTROL_KEEPING_NEWLINES if newlines else _CONTROL).sub(_escaped, text)


def printable_diagnostic(d: Diagnostic, *, indent: bool = False) -> Diagnostic:
    """The diagnostic as it may be shown: control characters escaped in every field. A message keeps its
    line breaks (Olive's errors span lines); with `indent` each later line is indented, so that it cannot
    pass for a diagnostic of its own."""
    message = printable(d.message, newlines=True)
    message = message.replace("\n", "\n    ") if indent else message
    path = tuple(printable(p) if isinstance(p, str) else p for p in d.path)
    return replace(d, message=message, file=printable(d.file), path=path, hint=printable(d.hint), code=printable(d.code))


def format_text(d: Diagnostic) -> str:
    d = printable_diagnostic(d, indent=True)
    where = f"{d.file}:{d.line}:{d.column}" if d.line else d.file
    field_ = f" {d.dotted_path}:" if d.path else ""
    hint = f" ({d.hint})" if d.hint else ""
    return f"{where}: {d.severity}:{field_} {d.message}{hint}"


def format_github(d: Diagnostic, end: tuple[int, int] | None = None) -> str:
    """A GitHub workflow command: `title=` the code, the position with `endLine`/`endColumn` (the end of
    the value or key the diagnostic is at: `end`, else the same line and column)."""
    # properties are escaped per the runner's rules
    def prop(value: str) -> str:
        return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C")

    def data(value: str) -> str:
        return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    d = printable_diagnostic(d)
    kind = "error" if d.severity == "error" else "warning"
    title = f"{d.dotted_path}: " if d.path else ""
    hint = f" ({d.hint})" if d.hint else ""
    location = f"file={prop(d.file)}"
    if d.line:
        end_line, end_column = end or (d.line, d.column)
        location += f",line={d.line},endLine={end_line},col={d.column},endColumn={end_column}"
    location += f",title={prop(d.code)}"
    return f"::{kind} {location}::{data(title + d.message + hint)}"


# `# orc: ignore[short_training, cpu_dtype]` anywhere in a recipe or base: its warnings of those codes are silenced.
_IGNORE_COMMENT = re.compile(r"#\s*orc:\s*ignore\[([^\]]*)\]")


def ignore_comments(text: str) -> set[str]:
    """The codes a file's `# orc: ignore[CODE, ...]` comments name."""
    return {code.strip() for match in _IGNORE_COMMENT.finditer(text) for code in match.group(1).split(",") if code.strip()}


def drop_ignored(diagnostics: Sequence[Diagnostic], ignore: set[str], by_file: dict[str, set[str]]) -> list[Diagnostic]:
    """Without the warnings whose code is in `ignore` or in their own file's comments; errors always stay."""
    return [d for d in diagnostics if d.severity != "warning" or (d.code not in ignore and d.code not in by_file.get(d.file, set()))]
