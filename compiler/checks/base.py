"""What every recipe check shares: its signature, located diagnostics, and a walk over the steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

from orc_olive.diagnostics import Diagnostic, Path_
from orc_olive.recipe.forms import olive_type
from orc_olive.recipe.models import Recipe
from orc_olive.source.loader import Document

Check = Callable[[Recipe, Document, Path], Iterator[Diagnostic]]


def at(doc: Document, path: Path_, message: str, hint: str = "", code: str = "invalid", severity: str = "error", *, key: bool = False) -> Diagnostic:
    """A diagnostic placed on `path` (its key with `key=True`; or its nearest parent present in the file)."""
    file, pos = doc.locate(path, key=key)
    return Diagnostic(message, file, pos.line, pos.column, path, hint, severity, code)  # type: ignore[arg-type]


def steps(recipe: Recipe) -> Iterator[tuple[int, str, str, Path_, dict[str, Any]]]:
    """(index, step kind, Olive pass type, path in the document, the values the user set) of each step."""
    for index, (kind, params) in enumerate(recipe.steps_with_kinds):
        values = params.model_dump(exclude_unset=True, by_alias=True)
        yield index, kind, olive_type(kind, params), ("steps", index, kind), values
