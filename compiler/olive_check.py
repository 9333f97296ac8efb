"""Check a compiled workflow: always against the committed JSON Schema of Olive's RunConfig, and
against Olive's own RunConfig when asked (importing Olive costs seconds, so it is opt-in)."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from .catalog import RUN_CONFIG_SCHEMA_FILE


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema  # deferred: keeps `orc --help` light

    schema = json.loads(RUN_CONFIG_SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def schema_errors(workflow: dict[str, Any]) -> list[str]:
    """Problems the generated RunConfig schema finds, as 'path: message' lines."""
    out = []
    for error in sorted(_validator().iter_errors(workflow), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        out.append(f"{where}: {error.message[:300]}")
    return out


def olive_available() -> bool:
    from importlib.util import find_spec

    return find_spec("olive") is not None


def run_config_errors(workflow: dict[str, Any], base: Path) -> list[str]:
    """Parse with Olive's own RunConfig, from the recipe folder (Olive resolves paths from the cwd)."""
    os.environ.setdefault("OLIVE_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from olive.workflows.run.config import RunConfig  # type: ignore[import-not-found]

    cwd = os.getcwd()
    try:
        os.chdir(base)
        RunConfig.parse_file_or_obj(json.loads(json.dumps(workflow)))
    except Exception as exc:  # noqa: BLE001 - any Olive rejection is reported, whatever its type
        return [f"Olive RunConfig: {str(exc).strip()[:2000]}"]
    finally:
        os.chdir(cwd)
    return []
