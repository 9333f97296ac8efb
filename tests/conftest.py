import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = Path(os.environ.get("ORC_CORPUS", SHARED / "corpus"))  # the conformance configs, beside the checkout
RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))

# Olive waits on unreachable telemetry and hub calls without these.
for key, value in {"CI": "1", "OLIVE_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1"}.items():
    os.environ.setdefault(key, value)


@pytest.fixture
def orc_cmd():
    return [sys.executable, "-m", "compiler"]


def locations(data, prefix=()):
    """Every path in nested data (mappings and lists), the root first: where a mutation can strike."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from locations(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from locations(value, prefix + (i,))


def parent_of(data, path):
    """The container that holds the value at `path`."""
    for part in path[:-1]:
        data = data[part]
    return data
