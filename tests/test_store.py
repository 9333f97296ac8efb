"""Outputs kept by workflow (run/store.py): switching back to an earlier configuration puts its model back
with no step run, only an intact entry is put back, the store keeps its newest N, and nothing is kept
unless asked (--keep-outputs N, or --warm)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, recipe_copy

QUIET = {"CI": "1", "OLIVE_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1"}


def _orc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orc_olive", *args], cwd=ROOT, capture_output=True, text=True, env={**os.environ, **QUIET})


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _precision(recipe: Path, precision: str) -> None:
    text = recipe.read_text()
    for old in ("int4", "fp32"):
        text = text.replace(f"precision: {old}", f"precision: {precision}")
    recipe.write_text(text)


@pytest.mark.integration
def test_switching_back_puts_the_kept_model_back_without_running(tmp_path, workers):
    pytest.importorskip("olive")
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    out = tmp_path / "out"
    first = _orc("compile-and-run", str(recipe), "--warm", "--no-progress")
    assert first.returncode == 0, first.stderr
    int4_tree, int4_record = _tree(out / "model"), json.loads((out / "model.manifest.json").read_text())
    _precision(recipe, "fp32")
    assert _orc("compile-and-run", str(recipe), "--warm", "--no-progress").returncode == 0
    fp32_tree, fp32_record = _tree(out / "model"), json.loads((out / "model.manifest.json").read_text())
    assert fp32_tree != int4_tree

    _precision(recipe, "int4")  # back: the int4 model comes back from the store
    back = _orc("compile-and-run", str(recipe), "--warm", "--no-progress")
    assert back.returncode == 0, back.stderr
    assert back.stderr.startswith(f"restored: {out.resolve() / 'model'} (the model run {int4_record['run_id']} made")  # the cheap path
    assert "running" not in back.stderr and "warm worker" not in back.stderr  # Olive was not asked
    assert json.loads((out / "model.manifest.json").read_text())["run_id"] in (out / "model.report.html").read_text()  # the page of this record
    assert _tree(out / "model") == int4_tree
    record = json.loads((out / "model.manifest.json").read_text())
    assert record["restored_from"]["run_id"] == int4_record["run_id"] and record["run_id"] != int4_record["run_id"]
    assert record["status"] == "succeeded" and record["steps"] == int4_record["steps"] and record["output_files"] == int4_record["output_files"]
    assert (out / "model.olive.log").read_text() == (out / "model.runs" / f"{int4_record['run_id']}.olive.log").read_text()
    assert (out / "model.runs" / f"{record['run_id']}.manifest.json").is_file()
    assert _orc("compile-and-run", str(recipe), "--warm").stderr.startswith("up to date: ")  # the restored record is a true no-op

    # and again the other way: the fp32 model went to the store when int4 came back; with a new comment in the
    # recipe the cheap check cannot tell, and the full path finds it by workflow and inputs
    _precision(recipe, "fp32")
    recipe.write_text(recipe.read_text() + "# a comment changes no workflow\n")
    again = _orc("compile-and-run", str(recipe), "--warm", "--no-progress")
    assert f"restored: {out.resolve() / 'model'} (the model run {fp32_record['run_id']} made" in again.stderr
    assert _tree(out / "model") == fp32_tree

    # an entry changed on disk is not put back: the run happens
    entry = json.loads((out / "model.manifest.json").read_text())  # fp32 in place; int4 in the store
    stored = out / "model.store"
    int4_entry = next(p for p in stored.iterdir() if p.name != entry["restored_from"]["entry"])
    (int4_entry / "model" / "genai_config.json").write_text("{}")
    _precision(recipe, "int4")
    rerun = _orc("compile-and-run", str(recipe), "--warm", "--no-progress")
    assert rerun.returncode == 0, rerun.stderr
    assert "restored:" not in rerun.stderr and "model_builder" in rerun.stderr
    olive_records = ("footprint.json", "output_footprint.json", "run_history.txt")  # Olive's, with times in them
    assert {k: v for k, v in _tree(out / "model").items() if k not in olive_records} == {k: v for k, v in int4_tree.items() if k not in olive_records}

    # the newest N entries are kept
    recipe.write_text(recipe.read_text().replace("max_steps: 4", "max_steps: 3"))  # a third configuration
    assert _orc("compile-and-run", str(recipe), "--warm", "--keep-outputs", "1", "--no-progress").returncode == 0
    assert len([p for p in stored.iterdir() if not p.name.startswith(".")]) == 1


@pytest.mark.integration
def test_without_keep_outputs_nothing_is_kept(tmp_path):
    pytest.importorskip("olive")
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    assert _orc("compile-and-run", str(recipe), "-q").returncode == 0
    _precision(recipe, "fp32")
    assert _orc("compile-and-run", str(recipe), "-q").returncode == 0
    assert not (tmp_path / "out" / "model.store").exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "model", "model.manifest.json", "model.olive.log", "model.report.html", "model.runs", "model.workflow.json"]


def test_keep_outputs_takes_a_count():
    bad = _orc("compile-and-run", "recipes/tiny-cpu-lora-int4.yaml", "--keep-outputs", "-1")
    assert bad.returncode == 2
    assert "argument --keep-outputs: expected a whole number, 0 or more (got '-1')" in bad.stderr
