"""The real pipeline: `olive run` (olive-ai 0.13.0) and onnxruntime-genai on the tiny model, on CPU.

No mocks. Each recipe is copied into a temporary folder (paths to the shipped model and data made
absolute, output and cache inside the folder), so runs never share state with the repository or
with each other. Failures are provoked the way users meet them: after compiling, the data changes.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orc_olive.build.compile import compile_file
from orc_olive.run.execute import RunPaths, run_workflow
from orc_olive.run.progress import Progress

from .conftest import ROOT, recipe_copy

pytestmark = pytest.mark.integration
og = pytest.importorskip("onnxruntime_genai")
pytest.importorskip("olive")


def _orc(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orc_olive", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def _run_library(recipe: Path, before_run=lambda result: None):
    """compile, let the test change the world, then run: what a user sees in between edits."""
    result = compile_file(recipe)
    assert result.ok, result.diagnostics.items
    before_run(result)
    out = io.StringIO()
    outcome = run_workflow(result, [recipe], progress=Progress("normal", out, time.monotonic))
    return outcome, out.getvalue()


def test_tiny_recipe_end_to_end_then_noop_then_try(tmp_path):
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    done = _orc("compile-and-run", str(recipe), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    paths = RunPaths(tmp_path / "out" / "model")
    assert (paths.output / "genai_config.json").is_file() and (paths.output / "model.onnx").is_file()
    assert not paths.staging.exists()

    # progress by our step names, the LoRA loss, and the closing table with sizes
    err = done.stderr
    assert "[1/3] lora (LoRA) running..." in err and "[3/3] model_builder (ModelBuilder) succeeded" in err
    assert "train loss:" in err
    table = [line.split() for line in err.splitlines() if line.startswith(("lora ", "merge_adapters ", "model_builder "))]
    assert [row[0] for row in table] == ["lora", "merge_adapters", "model_builder"]
    assert all(row[2] == "succeeded" and row[-1] in ("KB", "MB") for row in table)
    assert f"final model: {paths.output}" in err

    manifest = json.loads(paths.manifest.read_text())
    assert manifest["status"] == "succeeded"
    assert [s["id"] for s in manifest["steps"]] == ["lora", "merge_adapters", "model_builder"]
    assert all(s["status"] == "succeeded" and s["model_bytes"] > 0 for s in manifest["steps"])
    assert 0 < manifest["steps"][0]["train_loss"] < 20
    assert manifest["versions"]["olive-ai"] == "0.13.0" and manifest["versions"]["onnxruntime-genai"]
    assert manifest["fingerprint"]["inputs"], "data and model hashes are part of the fingerprint"
    assert "Pass lora:lora finished in" in paths.log.read_text()

    # unchanged: nothing to do, said so, fast
    again = _orc("compile-and-run", str(recipe), cwd=ROOT)
    assert again.returncode == 0 and "up to date" in again.stderr
    assert json.loads(paths.manifest.read_text()) == manifest

    tried = _orc("try", str(paths.output), "--prompt", "Where should I go in Paris?", "--max-tokens", "6", cwd=ROOT)
    assert tried.returncode == 0, tried.stderr
    assert "orc try: 6 tokens generated" in tried.stderr


def test_adapter_kept_separate_loads_with_og_adapters(tmp_path):
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-adapters")
    outcome, said = _run_library(recipe)
    assert outcome.exit_code == 0, said
    folder = outcome.paths.output
    adapter = folder / "adapter_weights.onnx_adapter"
    assert outcome.model.adapters == [adapter]
    assert f"adapters: {adapter}" in said

    # what the lab's app.py does by hand
    model = og.Model(str(folder))
    tokenizer = og.Tokenizer(model)
    adapters = og.Adapters(model)
    adapters.load(str(adapter), "travel")
    params = og.GeneratorParams(model)
    tokens = tokenizer.encode("<|user|>\nWhere to eat in Rome?<|end|>\n<|assistant|>\n")
    params.set_search_options(max_length=len(tokens) + 5)
    generator = og.Generator(model, params)
    generator.set_active_adapter(adapters, "travel")
    generator.append_tokens(tokens)
    produced = 0
    while not generator.is_done():
        generator.generate_next_token()
        produced += 1
    assert produced == 5

    tried = _orc("try", str(folder), "--prompt", "hi", "--adapter", "adapter_weights", "--max-tokens", "3", cwd=ROOT)
    assert tried.returncode == 0 and "3 tokens generated" in tried.stderr, tried.stderr


def _assert_failed_cleanly(outcome, said: str, cause: str) -> None:
    assert outcome.exit_code == 1
    assert cause in outcome.message, outcome.message
    assert "\n" not in outcome.message
    assert f"orc: run failed: {outcome.message}" in said and f"full Olive log: {outcome.paths.log}" in said
    assert not outcome.paths.output.exists() and not outcome.paths.staging.exists()
    assert json.loads(outcome.paths.manifest.read_text())["status"] == "failed"
    assert "final model:" not in said


def test_data_file_gone_at_run_time(tmp_path):
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    outcome, said = _run_library(recipe, lambda result: (tmp_path / "travel.jsonl").unlink())
    _assert_failed_cleanly(outcome, said, "step 'lora' failed: FileNotFoundError")
    assert "travel.jsonl" in outcome.message


def test_template_column_missing_from_data(tmp_path):
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")

    def rename_column(result):
        rows = [json.loads(line) for line in (tmp_path / "travel.jsonl").read_text().splitlines()]
        lines = [json.dumps({"question" if k == "prompt" else k: v for k, v in row.items()}) for row in rows]
        (tmp_path / "travel.jsonl").write_text("\n".join(lines) + "\n")

    outcome, said = _run_library(recipe, rename_column)
    _assert_failed_cleanly(outcome, said, "step 'lora' failed: KeyError: 'prompt'")


def test_pass_that_fails_at_run_time(tmp_path):
    """ModelBuilder int8 raises inside onnxruntime-genai's builder; Olive logs it and still exits 0."""
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    outcome, said = _run_library(recipe, lambda result: result.workflow["passes"]["model_builder"].update(precision="int8"))
    _assert_failed_cleanly(outcome, said, "step 'model_builder' failed: KeyError")
    rows = {s["id"]: s["status"] for s in outcome.steps}
    assert rows == {"lora": "succeeded", "merge_adapters": "succeeded", "model_builder": "failed"}


def test_missing_data_file_is_caught_before_running(tmp_path):
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4", data=tmp_path / "nowhere.jsonl")
    done = _orc("compile-and-run", str(recipe), cwd=ROOT)
    assert done.returncode == 1
    assert "nowhere.jsonl" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_dry_run_runs_nothing(tmp_path):
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    done = _orc("compile-and-run", str(recipe), "--dry-run", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "-m olive run --config" in done.stderr and "compiled config:" in done.stderr
    assert not (tmp_path / "out").exists()


def test_python_env_target_runs_through_olives_own_system(tmp_path):
    """Olive's PythonEnvironment system runs each pass in another interpreter: here, this venv's."""
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    env_bin = Path(sys.executable).parent
    recipe.write_text(recipe.read_text().replace("  system: local\n", f"  system: python_env\n  python_env:\n    python_environment_path: {env_bin}\n"))
    outcome, said = _run_library(recipe)
    assert outcome.exit_code == 0, said
    workflow = json.loads(outcome.paths.workflow.read_text())
    assert workflow["systems"][workflow["target"]]["type"] == "PythonEnvironment"
    assert outcome.model.ok and (outcome.paths.output / "model.onnx").is_file()
