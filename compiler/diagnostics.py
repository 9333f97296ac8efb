"""Diagnostics as data: every problem orc finds is one record, collected and rendered once."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
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


def format_text(d: Diagnostic) -> str:
    where = f"{d.file}:{d.line}:{d.column}" if d.line else d.file
    field_ = f" {d.dotted_path}:" if d.path else ""
    hint = f" ({d.hint})" if d.hint else ""
    return f"{where}: {d.severity}:{field_} {d.message}{hint}"


def format_github(d: Diagnostic) -> str:
    # GitHub workflow commands: properties are escaped per the runner's rules.
    def prop(value: str) -> str:
        return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(":", "%3A").replace(",", "%2C")

    def data(value: str) -> str:
        return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    kind = "error" if d.severity == "error" else "warning"
    title = f"{d.dotted_path}: " if d.path else ""
    hint = f" ({d.hint})" if d.hint else ""
    location = f"file={prop(d.file)}"
    if d.line:
        location += f",line={d.line},col={d.column}"
    return f"::{kind} {location}::{data(title + d.message + hint)}"
