import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))

# Olive waits on unreachable telemetry and hub calls without these.
for key, value in {"CI": "1", "OLIVE_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1"}.items():
    os.environ.setdefault(key, value)


@pytest.fixture
def orc_cmd():
    return [sys.executable, "-m", "compiler"]
