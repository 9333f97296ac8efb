"""Check a compiled workflow: always against the committed JSON Schema of Olive's RunConfig, and
against Olive's own RunConfig when asked (importing Olive costs seconds, so it is opt-in)."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from orc_olive.catalog import run_config_schema
from orc_olive.olive import schema_lite


@lru_cache(maxsize=1)
def _lite_validator() -> schema_lite.Validator | None:
    try:
        return schema_lite.Validator(run_config_schema())
    except ValueError:  # the schema uses a keyword schema_lite does not implement
        return None


def jsonschema_errors(workflow: dict[str, Any], schema: dict[str, Any] | None = None) -> list[tuple[tuple, str]]:
    """The same check with the full jsonschema library (slow to import)."""
    import jsonschema  # deferred: keeps `orc --help` and `orc validate` light

    schema = schema or run_config_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [(tuple(e.absolute_path), e.message) for e in validator.iter_errors(workflow)]


def schema_errors(workflow: dict[str, Any]) -> list[str]:
    """Problems the generated RunConfig schema finds, as 'path: message' lines."""
    lite = _lite_validator()
    found = list(lite.errors(workflow)) if lite is not None else jsonschema_errors(workflow)
    out = []
    for path, message in sorted(found, key=lambda e: list(map(str, e[0]))):
        where = "/".join(str(p) for p in path) or "(top)"
        out.append(f"{where}: {message[:300]}")
    return out


def olive_available() -> bool:
    from importlib.util import find_spec

    return find_spec("olive") is not None


# Olive waits ~10 s on unreachable telemetry and hub calls without these.
QUIET_OLIVE_ENV = {"CI": "1", "OLIVE_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1"}


def quiet_olive() -> None:
    """Before importing Olive in this process (not at import of this module, which must have no effect)."""
    for key, value in QUIET_OLIVE_ENV.items():
        os.environ.setdefault(key, value)


def run_config_errors(workflow: dict[str, Any], base: Path) -> list[str]:
    """Parse with Olive's own RunConfig, from the recipe folder (Olive resolves paths from the cwd)."""
    quiet_olive()
    from olive.workflows.run.config import RunConfig

    cwd = os.getcwd()
    try:
        os.chdir(base)
        RunConfig.parse_file_or_obj(json.loads(json.dumps(workflow)))
    except Exception as exc:  # noqa: BLE001 - any Olive rejection is reported, whatever its type
        return [f"Olive RunConfig: {str(exc).strip()[:2000]}"]
    finally:
        os.chdir(cwd)
    return []
