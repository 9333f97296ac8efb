"""Secrets never sit in a recipe: credential fields and token-like values must come from `${env:NAME}`.

A recipe is committed and shared, and its values reach the compiled workflow and the logs. This check
walks the raw document (so it also covers free-form mappings such as `load_kwargs` and pass
parameters, and recipes that fail other checks) and reports each literal secret without printing it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Iterator

from .diagnostics import Diagnostic, Path_
from .loader import Document

ENV_PREFIX = "${env:"

# Well-known token formats, found anywhere in a string value: (what it is, pattern, variable to use).
KNOWN_TOKENS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}"), "HF_TOKEN"),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})"), "GITHUB_TOKEN"),
    ("an OpenAI API key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}"), "OPENAI_API_KEY"),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "AWS_ACCESS_KEY_ID"),
    ("an Azure storage account key", re.compile(r"AccountKey=[A-Za-z0-9+/]{20,}={0,2}"), "AZURE_STORAGE_CONNECTION_STRING"),
    ("a shared access signature", re.compile(r"[?&]sig=[A-Za-z0-9%+/]{20,}"), "AZURE_STORAGE_SAS_TOKEN"),
    ("a JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+"), "AZURE_ACCESS_TOKEN"),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "PRIVATE_KEY"),
)

# Key words that make a field a credential: token, secret, password, api key, client secret...
_SECRET_WORDS = {"token", "secret", "password", "passwd", "pwd", "apikey", "credential", "credentials", "sas"}
_SECRET_PAIRS = {("api", "key"), ("access", "key"), ("account", "key"), ("private", "key"), ("connection", "string"), ("sas", "token")}
# A literal credential is one word of token characters; '<|endoftext|>' (a pad_token) or a sentence is not.
_TOKEN_LIKE = re.compile(r"^[A-Za-z0-9_\-.+/=:~]{8,}$")


def _words(key: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)
    return [w for w in re.split(r"[_\-.\s]+", spaced.lower()) if w]


# ...unless the field names where a secret is kept, not the secret: token_file, secret_name, key_vault_id.
_REFERENCE_WORDS = {"file", "path", "dir", "name", "id", "env", "var", "variable", "type", "length", "size", "url", "uri"}


def is_credential_key(key: str) -> bool:
    words = _words(key)
    if not words or words[-1] in _REFERENCE_WORDS:
        return False
    return bool(_SECRET_WORDS & set(words)) or any(pair in _SECRET_PAIRS for pair in zip(words, words[1:]))


def env_name(key: str) -> str:
    return "_".join(_words(key)).upper() or "SECRET"


def redact(value: str) -> str:
    """Enough to recognise which value is meant, never enough to use it."""
    return f"{value[:3]}...({len(value)} characters)" if len(value) > 6 else "***"


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


def secret_problem(key: str, value: str) -> tuple[str, str] | None:
    """(what the value looks like, the variable to put it in), or None when it is not a literal secret."""
    if value.strip().startswith(ENV_PREFIX):
        return None
    for what, pattern, variable in KNOWN_TOKENS:
        if pattern.search(value):
            return what, variable
    if is_credential_key(key) and _TOKEN_LIKE.match(value.strip()):
        return f"a literal credential in '{key}'", env_name(key)
    return None


def literal_secrets(doc: Document) -> Iterator[Diagnostic]:
    for path, key, value in _walk(doc.data, ()):
        if _from_environment(doc, path, value):
            continue
        problem = secret_problem(key, value)
        if problem is None:
            continue
        what, variable = problem
        file, pos = doc.locate(path)
        yield Diagnostic(
            f"{what} is written literally in the recipe ({redact(value.strip())})",
            file, pos.line, pos.column, path,
            f"keep secrets out of recipes: set the environment variable {variable} and write '${{env:{variable}}}'",
            code="literal_secret",
        )


def _from_environment(doc: Document, path: Path_, value: str) -> bool:
    """Interpolation has already put `${env:NAME}` values in place: those are where secrets belong."""
    return path in doc.from_env or any(secret in value for secret in doc.secrets)


def scrub(diagnostics: list[Diagnostic], doc: Document) -> list[Diagnostic]:
    """The diagnostics with every literal secret of the document replaced by its redacted form
    (a type error, for one, would otherwise quote the value it rejects)."""
    secrets = sorted({value for path, key, value in _walk(doc.data, ()) if not _from_environment(doc, path, value) and secret_problem(key, value)}, key=len, reverse=True)
    if not secrets:
        return diagnostics
    # From its first characters to the end of the word: a truncated quote is caught too.
    patterns = [(re.compile(re.escape(secret[:8]) + r"[^\s'\"]*"), redact(secret)) for secret in secrets]
    out = []
    for d in diagnostics:
        message, hint = d.message, d.hint
        for pattern, redacted in patterns:
            message, hint = pattern.sub(redacted, message), pattern.sub(redacted, hint)
        out.append(replace(d, message=message, hint=hint))
    return out
