"""ruff (pyflakes, pycodestyle errors, bugbear; configured in pyproject.toml) finds nothing in the code."""

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

RUFF = Path(sys.executable).parent / "ruff"  # installed with the dev extra, beside this Python


@pytest.mark.skipif(not RUFF.exists(), reason="ruff is not installed (the dev extra has it)")
def test_ruff_finds_nothing():
    done = subprocess.run([str(RUFF), "check", "--no-cache", "--output-format", "concise", "compiler", "tests", "bench", "examples"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
