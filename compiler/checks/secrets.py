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
from orc_olive.secrecy import EXAMPLE_WITHOUT_SECRET, KNOWN_TOKENS, mask_with, redact, secret_problem
from orc_olive.source.loader import Document


@dataclass(frozen=True)
class LiteralSecret:
    path: Path_
    value: str
    what: str  # what the value looks like
    variable: str  # the environment variable to keep it in


def _walk(data: Any, path: Path_) -> Iterator[tuple[Path_, str, str]]:
    """(path, key it sits under, string value) for every string in the document, and every key that
    is a known token (a token used as a name is as public as one used as a value)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str) and any(pattern.search(key) for _, pattern, _ in KNOWN_TOKENS):
                yield path + (key,), "", key
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
        # `target.azureml.secrets` maps variables to key vault secret *names* (checks/azureml.py): only a known token format there
        problem = secret_problem("" if path[:3] == ("target", "azureml", "secrets") else key, value)
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
    """The diagnostics with every literal secret, and every form derived from it (another case, other
    separators, a prefix), replaced by its redacted form: in messages, hints and field paths (a type error,
    for one, would otherwise quote the value it rejects). A hint's example built from a secret is dropped."""
    shown = {s.value: redact(s.value.strip()) for s in secrets}
    if not shown:
        return diagnostics

    def example(match: re.Match[str]) -> str:
        return EXAMPLE_WITHOUT_SECRET if mask_with(match.group(0), shown) != match.group(0) else match.group(0)

    out = []
    for d in diagnostics:
        hint = mask_with(_EXAMPLE.sub(example, d.hint), shown)
        path = tuple(mask_with(part, shown) if isinstance(part, str) else part for part in d.path)
        out.append(replace(d, message=mask_with(d.message, shown), hint=hint, path=path))
    return out


_EXAMPLE = re.compile(r"e\.g\. '[^']*'")
