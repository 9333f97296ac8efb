"""The cheap no-op (run/quick_noop.py): "up to date" from the composed recipe and the output's record,
before any model is built; any change the full check would see makes it step aside."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orc_olive.build.compile import compile_file
from orc_olive.run import manifest
from orc_olive.run.lock import lock_path
from orc_olive.run.quick_noop import UP_TO_DATE, quick_key, up_to_date

from .conftest import ROOT, recipe_copy


def _as_if_run(recipe: Path) -> Path:
    """The record a successful run leaves (execute._manifest's fields the check reads), for a model folder
    with one file: what the decision is made from, without running Olive."""
    result = compile_file(recipe)
    assert result.ok, result.diagnostics.items
    output = (result.base_dir / result.recipe.output.dir).resolve()
    output.mkdir(parents=True)
    (output / "model.onnx").write_bytes(b"model bytes")
    record = {
        "status": "succeeded",
        "fingerprint": manifest.fingerprint([recipe], result.text, result.recipe, result.base_dir),
        "quick": quick_key(result.document.data, result.file),
        "output_files": manifest.output_listing(output),
    }
    output.with_name(output.name + ".manifest.json").write_text(json.dumps(record))
    return output


def test_an_unchanged_recipe_is_up_to_date_and_every_change_steps_aside(tmp_path, monkeypatch):
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    output = _as_if_run(recipe)
    assert up_to_date(str(recipe), [], None) == UP_TO_DATE.format(output)
    assert up_to_date(str(recipe), ["steps.0.lora.r=4"], None) is None  # --set changes the composed recipe
    data = tmp_path / "travel.jsonl"
    original = data.read_bytes()
    data.write_bytes(original + b"\n")
    assert up_to_date(str(recipe), [], None) is None  # a data file changed
    data.write_bytes(original)
    assert up_to_date(str(recipe), [], None) == UP_TO_DATE.format(output)
    (output / "model.onnx").write_bytes(b"model bytez")  # same size, other bytes
    assert up_to_date(str(recipe), [], None) is None
    (output / "model.onnx").write_bytes(b"model bytes")
    lock_path(output).write_text("1\n")  # a run holds the output
    assert up_to_date(str(recipe), [], None) is None
    lock_path(output).unlink()
    text = recipe.read_text()
    recipe.write_text(text.replace("max_steps: 4", "max_steps: 5"))
    assert up_to_date(str(recipe), [], None) is None
    recipe.write_text(text)
    assert up_to_date(str(recipe), [], None) == UP_TO_DATE.format(output)
    monkeypatch.setattr("orc_olive.run.quick_noop.__version__", "0.0.0-other")
    assert up_to_date(str(recipe), [], None) is None  # another orc may compile it differently


def test_an_env_value_the_recipe_reads_is_part_of_the_key(tmp_path, monkeypatch):
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    recipe.write_text(recipe.read_text().replace("max_steps: 4", "max_steps: ${env:ORC_TEST_STEPS}"))
    monkeypatch.setenv("ORC_TEST_STEPS", "4")
    output = _as_if_run(recipe)
    assert up_to_date(str(recipe), [], None) == UP_TO_DATE.format(output)
    monkeypatch.setenv("ORC_TEST_STEPS", "5")
    assert up_to_date(str(recipe), [], None) is None


def test_recipes_the_cheap_check_cannot_judge_are_left_to_the_full_one():
    assert quick_key({"target": {"system": "azureml"}}, "r.yaml") is None
    assert quick_key({"adapters": {"a": {}}}, "r.yaml") is None
    assert quick_key({"datasets": {"d": {"files": "data/*.jsonl"}}}, "r.yaml") is None
    assert quick_key({"model": {"from": "other.yaml"}}, "r.yaml") is None
    assert quick_key({"datasets": {"d": {"files": ["a.jsonl"]}}}, "r.yaml") is not None


@pytest.mark.integration
def test_after_a_real_run_the_no_op_builds_no_model(tmp_path):
    pytest.importorskip("olive")
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    env = {**os.environ, "CI": "1", "OLIVE_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1"}
    first = subprocess.run([sys.executable, "-m", "orc_olive", "compile-and-run", str(recipe)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    probe = ("import sys\nfrom orc_olive.cli.main import main\ncode = main(['compile-and-run', sys.argv[1]])\n"
             "print('BUILT' if 'orc_olive.build.compile' in sys.modules else 'CHEAP', code)")
    again = subprocess.run([sys.executable, "-c", probe, str(recipe)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert again.stdout.strip().splitlines()[-1] == "CHEAP 0", again.stdout + again.stderr
    assert f"up to date: {tmp_path / 'out' / 'model'}" in again.stderr
    forced = subprocess.run([sys.executable, "-c", probe.replace("sys.argv[1]]", "sys.argv[1], '--dry-run']"), str(recipe)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert forced.stdout.strip().splitlines()[-1] == "BUILT 0"  # --dry-run (like --force) takes the full path
