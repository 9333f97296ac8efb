"""Secrets never sit in a recipe: credential fields and token-like values must come from `${env:NAME}`.

A recipe is committed and shared, and its values reach the compiled workflow and the logs. This check
walks the raw document once (so it also covers free-form mappings such as `load_kwargs` and pass
parameters, and recipes that fail other checks); each literal secret is reported without being
printed, and redacted from every other diagnostic's message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Iterator

from orc_olive.diagnostics import Diagnostic, Path_
from orc_olive.secrecy import redact, secret_problem
from orc_olive.source.loader import Document


@dataclass(frozen=True)
class LiteralSecret:
    path: Path_
    value: str
    what: str  # what the value looks like
    variable: str  # the environment variable to keep it in


def _walk(data: Any, path: Path_) -> Iterator[tuple[Path_, str, str]]:
    """(path, key it sits under, string value) for every string in the document."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str):
                yield path + (key,), str(key), value
            else:
                yield from _walk(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            if isinstance(value, str):
                yield path + (i,), str(path[-1]) if path else "", value
            else:
                yield from _walk(value, path + (i,))


def literal_secrets(doc: Document) -> list[LiteralSecret]:
    """Every literal secret in the document (values that came from the environment are where secrets belong)."""
    found = []
    for path, key, value in _walk(doc.data, ()):
        if path in doc.from_env or any(secret in value for secret in doc.secrets):
            continue
        problem = secret_problem(key, value)
        if problem is not None:
            found.append(LiteralSecret(path, value, *problem))
    return found


def secret_diagnostics(doc: Document, secrets: list[LiteralSecret]) -> Iterator[Diagnostic]:
    for secret in secrets:
        file, pos = doc.locate(secret.path)
        yield Diagnostic(
            f"{secret.what} is written literally in the recipe ({redact(secret.value.strip())})",
            file, pos.line, pos.column, secret.path,
            f"keep secrets out of recipes: set the environment variable {secret.variable} and write '${{env:{secret.variable}}}'",
            code="literal_secret",
        )


def scrub(diagnostics: list[Diagnostic], secrets: list[LiteralSecret]) -> list[Diagnostic]:
    """The diagnostics with every literal secret replaced by its redacted form (a type error, for one,
    would otherwise quote the value it rejects)."""
    values = sorted({s.value for s in secrets}, key=len, reverse=True)
    if not values:
        return diagnostics
    # From its first characters to the end of the word: a truncated quote is caught too.
    patterns = [(re.compile(re.escape(value[:8]) + r"[^\s'\"]*"), redact(value)) for value in values]
    out = []
    for d in diagnostics:
        message, hint = d.message, d.hint
        for pattern, redacted in patterns:
            message, hint = pattern.sub(redacted, message), pattern.sub(redacted, hint)
        out.append(replace(d, message=message, hint=hint))
    return out
