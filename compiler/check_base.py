"""What every recipe check shares: its signature, located diagnostics, and a walk over the steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

from . import catalog
from .diagnostics import Diagnostic, Path_
from .loader import Document
from .recipe import Recipe
from .steps import STEP_KINDS

Check = Callable[[Recipe, Document, Path], Iterator[Diagnostic]]


def at(doc: Document, path: Path_, message: str, hint: str = "", code: str = "invalid", severity: str = "error", *, key: bool = False) -> Diagnostic:
    """A diagnostic placed on `path` (its key with `key=True`; or its nearest parent present in the file)."""
    file, pos = doc.locate(path, key=key)
    return Diagnostic(message, file, pos.line, pos.column, path, hint, severity, code)  # type: ignore[arg-type]


def olive_type(kind: str, values: dict[str, Any]) -> str:
    """The Olive pass a step becomes ('' for a `pass:` step whose type is unknown)."""
    if kind in STEP_KINDS:
        return STEP_KINDS[kind].olive_type
    pass_type = values.get("type")
    return (catalog.canonical_pass_name(pass_type) or "") if isinstance(pass_type, str) else ""


def steps(recipe: Recipe) -> Iterator[tuple[int, str, str, Path_, dict[str, Any]]]:
    """(index, step kind, Olive pass type, path in the document, the values the user set) of each step."""
    for index, (kind, params) in enumerate(recipe.steps_with_kinds):
        values = params.model_dump(exclude_unset=True, by_alias=True)
        yield index, kind, olive_type(kind, values), ("steps", index, kind), values
