"""Render diagnostics for people (text), machines (json) and pull requests (GitHub annotations).

Every format shows control characters escaped (diagnostics.printable): what a recipe quotes never
reaches the terminal raw."""

from __future__ import annotations

import json
from typing import Iterable, Literal

from orc_olive.diagnostics import Diagnostic, format_github, format_text, printable_diagnostic

Format = Literal["text", "json", "github"]


def render(diagnostics: Iterable[Diagnostic], fmt: Format = "text") -> str:
    items = sorted(diagnostics, key=lambda d: (d.file, d.line, d.column))
    if fmt == "json":  # shown escaped as in the other formats (JSON itself would let DEL and C1 through)
        return json.dumps([printable_diagnostic(d).as_dict() for d in items], indent=2, ensure_ascii=False)
    line = format_github if fmt == "github" else format_text
    return "\n".join(line(d) for d in items)


def summary(files: int, errors: int, warnings: int) -> str:
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return f"{plural(files, 'recipe')} checked: {plural(errors, 'error')}, {plural(warnings, 'warning')}"
