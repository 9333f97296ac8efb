"""What counts as a secret, and how secrets are hidden whenever orc prints or writes text.

Two sources of secrets: literal values in a recipe (well-known token formats, token-like values under
credential keys, which the recipe checks refuse), and values of environment variables (a name that says
TOKEN, SECRET, KEY, PASSWORD... or a value that looks like a credential), which are masked.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Mapping

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


SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL|CONNECTION_STRING|CONN_STR|SAS|SIGNATURE|AUTH)", re.I)
TOKEN_PREFIX = re.compile(r"^(ghp_|gho_|ghs_|github_pat_|hf_|sk-|xox[abpr]-|AKIA|ASIA|eyJ)")
RANDOM_LOOKING = re.compile(r"^[A-Za-z0-9_\-+/=.~]{24,}$")


def looks_like_token(value: str) -> bool:
    if TOKEN_PREFIX.match(value) and len(value) >= 12:
        return True
    # Long runs of mixed letters and digits without path separators or spaces: keys, SAS tokens.
    if RANDOM_LOOKING.match(value) and "/" not in value.strip("/=") and not value.startswith("."):
        return any(c.isdigit() for c in value) and any(c.isupper() for c in value) and any(c.islower() for c in value)
    return "AccountKey=" in value or "SharedAccessSignature=" in value


def is_secret(name: str, value: str) -> bool:
    # A known token format the literal-secret check refuses in a recipe is masked when it comes from the environment.
    return bool(value) and (bool(SECRET_NAME.search(name)) or looks_like_token(value) or secret_problem("", value) is not None)


def placeholder(name: str) -> str:
    return f"<masked ${{env:{name}}}>"


# A secret is also hidden in the forms messages derive from it: another case (a name hint lower-cases
# it), other separators ('_' -> '-'), and a prefix long enough to identify it (a truncated quote).
PREFIX_CHARACTERS = 8  # letters and digits: a prefix this long identifies a secret (redact() shows 3)
_TAIL = r"[A-Za-z0-9_\-.+/=~%]*"  # the rest of a token, after a prefix
_SEPARATOR = r"[^A-Za-z0-9\s]?"
# A hint's example built from a value ("e.g. 'fixed-name'"): shown without the secret it was built from.
EXAMPLE_WITHOUT_SECRET = "pick a value of your own: this one holds a secret"
_EXAMPLE_HOLDING = re.compile(r"e\.g\. '[^']*<masked \$\{env:[^}]*\}>[^']*'")


def _flexible(text: str) -> str:
    """A pattern for `text` in any case, each separator replaced by any one (or none)."""
    return "".join(re.escape(c) if c.isalnum() else _SEPARATOR for c in text)


@functools.lru_cache(maxsize=256)  # a run masks every line of Olive's log with the same few secrets
def derived_pattern(value: str) -> re.Pattern[str]:
    """The value, and the forms derived from it, as one case-insensitive pattern."""
    forms = [re.escape(form) for form in dict.fromkeys((value, json.dumps(value, ensure_ascii=False)[1:-1]))]
    alnum = [i for i, c in enumerate(value) if c.isalnum()]
    if alnum:
        forms.append(_flexible(value[alnum[0]:alnum[-1] + 1]))
    if len(alnum) >= PREFIX_CHARACTERS + 4:  # long enough that its prefix is no common word
        forms.append(_flexible(value[alnum[0]:alnum[PREFIX_CHARACTERS - 1] + 1]) + _TAIL)
    return re.compile("|".join(f"(?:{form})" for form in forms), re.IGNORECASE)


def mask_with(text: str, replacements: Mapping[str, str]) -> str:
    """Replace every value (value -> what to show instead) and its derived forms in `text`, longest first."""
    for value in sorted(replacements, key=len, reverse=True):
        if value:
            shown = replacements[value].replace("\\", "\\\\")  # a replacement template: backslashes literal
            text = derived_pattern(value).sub(shown, text)
    return text


def mask(text: str, secrets: Mapping[str, str]) -> str:
    """Replace every secret value (value -> variable name) in `text`, and the forms derived from it."""
    if not secrets or not text:
        return text
    masked = mask_with(text, {value: placeholder(name) for value, name in secrets.items()})
    return _EXAMPLE_HOLDING.sub(EXAMPLE_WITHOUT_SECRET, masked) if masked != text else masked


def holds_secret(text: str, secrets: Mapping[str, str]) -> bool:
    return mask(text, secrets) != text
