"""Which values from the environment are secrets, and how they are hidden whenever orc prints.

A value counts as secret when its variable's name says so (TOKEN, SECRET, KEY, PASSWORD, ...) or when
the value itself looks like a credential (a known token prefix, or a long random-looking string).
"""

from __future__ import annotations

import json
import re
from typing import Mapping

from .credentials import secret_problem

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


def mask(text: str, secrets: Mapping[str, str]) -> str:
    """Replace every secret value (value -> variable name) in `text`, longest first."""
    for value in sorted(secrets, key=len, reverse=True):
        escaped = json.dumps(value, ensure_ascii=False)[1:-1]  # as it appears inside JSON strings
        for form in dict.fromkeys((value, escaped)):
            text = text.replace(form, placeholder(secrets[value]))
    return text
