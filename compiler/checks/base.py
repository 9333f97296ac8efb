"""What every recipe check shares: its signature, located diagnostics, and a walk over the steps."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
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


StepRow = tuple[int, str, str, Path_, dict[str, Any]]
# The rows of the recipe that run_checks is checking: a dozen checks walk the steps, and each walk would dump
# every step's model again (issue 19: one dump per step, and one pass over a long recipe's memory, not twelve).
# The checks only read the rows.
_checking: ContextVar[tuple[Recipe, list[StepRow]] | None] = ContextVar("_checking", default=None)


def steps(recipe: Recipe) -> Iterator[StepRow]:
    """(index, step kind, Olive pass type, path in the document, the values the user set) of each step."""
    held = _checking.get()
    if held is not None and held[0] is recipe:
        return iter(held[1])
    return _rows(recipe)


def _rows(recipe: Recipe) -> Iterator[StepRow]:
    for index, (kind, params) in enumerate(recipe.steps_with_kinds):
        values = params.model_dump(exclude_unset=True, by_alias=True)
        yield index, kind, olive_type(kind, params), ("steps", index, kind), values


@contextmanager
def rows_once(recipe: Recipe) -> Iterator[None]:
    """Within it, steps(recipe) gives rows computed once."""
    token = _checking.set((recipe, list(_rows(recipe))))
    try:
        yield
    finally:
        _checking.reset(token)
