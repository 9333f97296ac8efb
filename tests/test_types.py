"""mypy (with the pydantic plugin; configured in pyproject.toml) finds no type errors in the package.

compiler/ installs as `orc_olive` (editable), which mypy cannot follow: a link named orc_olive, in a
folder put on MYPYPATH, lets it check the package under its import name.
"""

import importlib.util
import os
import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed (the dev extra has it)")
def test_mypy_finds_nothing(tmp_path):
    search = tmp_path / "path"
    search.mkdir()
    try:
        (search / "orc_olive").symlink_to(ROOT / "compiler", target_is_directory=True)
    except OSError as exc:  # e.g. Windows without the right to make links
        pytest.skip(f"cannot link orc_olive to compiler/: {exc}")
    env = {**os.environ, "MYPYPATH": str(search)}
    command = [sys.executable, "-m", "mypy", "-p", "orc_olive", "--cache-dir", str(tmp_path / "cache")]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
