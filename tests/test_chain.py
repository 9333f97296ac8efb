"""Recipes that build on recipes (issue 15): `model: {from: stage1.yaml}` validates before stage 1 has run, a
cycle or an unusable producer is a located error, and compile-and-run runs stale producers first (for real)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orc_olive.build.chain import producers
from orc_olive.build.compile import compile_file

from .conftest import ROOT

MODEL = ROOT / "examples" / "tiny-phi3"
DATA = ROOT / "examples" / "data" / "data_sample_travel.jsonl"
STAGE1 = f"""name: stage1
model: {{path: {MODEL}, task: text-generation}}
datasets:
  travel: {{files: {DATA}, format: json, template: "{{prompt}} {{response}}", max_length: 64, strategy: line-by-line}}
steps:
  - lora: {{dataset: travel, r: 4, alpha: 8, torch_dtype: float32, training: {{max_steps: 2, per_device_train_batch_size: 2, gradient_checkpointing: false, seed: 0}}}}
  - merge_adapters: {{}}
output: {{dir: out/stage1, cache: cache}}
"""
STAGE2 = """name: stage2
model: {from: stage1.yaml}
steps:
  - model_builder: {precision: int4}
output: {dir: out/stage2, cache: cache}
"""


def _chain(tmp: Path, stage1: str = STAGE1, stage2: str = STAGE2) -> Path:
    (tmp / "stage1.yaml").write_text(stage1)
    (tmp / "stage2.yaml").write_text(stage2)
    return tmp / "stage2.yaml"


def _errors(recipe: Path) -> list:
    return [d for d in compile_file(recipe).diagnostics.items if d.severity == "error"]


def test_stage_two_validates_before_stage_one_has_run(tmp_path):
    result = compile_file(_chain(tmp_path))
    assert result.ok, result.diagnostics.items
    assert not (tmp_path / "out").exists()
    assert result.workflow is not None and result.workflow["input_model"]["model_path"] == "out/stage1/model"
    assert result.workflow["input_model"]["task"] == "text-generation", "the producer's task is inherited"
    assert [Path(p.file).name for p in producers(result)] == ["stage1.yaml"]


def test_a_cycle_is_located(tmp_path):
    stage1 = STAGE1.replace(f"model: {{path: {MODEL}, task: text-generation}}", "model: {from: stage2.yaml}")
    errors = _errors(_chain(tmp_path, stage1))
    assert [(Path(e.file).name, e.line, e.code) for e in errors] == [("stage1.yaml", 2, "chain"), ("stage2.yaml", 2, "chain")]
    assert "cycle: stage2.yaml -> stage1.yaml -> stage2.yaml" in errors[0].message


def test_unusable_producers_are_refused_at_model_from(tmp_path):
    missing = _chain(tmp_path, stage2=STAGE2.replace("stage1.yaml", "stage0.yaml"))
    assert [(e.code, e.path) for e in _errors(missing)] == [("chain", ("model", "from"))]
    onnx = _chain(tmp_path, STAGE1.replace("  - merge_adapters: {}\n", "  - merge_adapters: {}\n  - model_builder: {precision: int4}\n"))
    errors = _errors(onnx)
    assert [(e.code, e.path) for e in errors] == [("chain", ("model", "from"))] and "yields a ONNX model" in errors[0].message
    broken = _chain(tmp_path, STAGE1.replace("dataset: travel, r: 4", "dataset: trvel, r: 4"))
    errors = _errors(broken)
    assert [(Path(e.file).name, e.code) for e in errors] == [("stage1.yaml", "unknown_dataset"), ("stage2.yaml", "chain")]
    both = _chain(tmp_path, stage2=STAGE2.replace("{from: stage1.yaml}", "{from: stage1.yaml, path: x}"))
    assert [e.path[:1] for e in _errors(both)] == [("model",)]


@pytest.mark.integration
def test_two_stage_chain_runs_in_order_then_is_a_noop(tmp_path):
    pytest.importorskip("olive")
    pytest.importorskip("onnxruntime_genai")
    recipe = _chain(tmp_path, stage2=STAGE2.replace("cache: cache}", "cache: cache, layout: model}"))  # the Olive CLI's layout

    def orc(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "orc_olive", *args], cwd=tmp_path, capture_output=True, text=True, timeout=900)

    done = orc("compile-and-run", recipe.name)
    assert done.returncode == 0, done.stderr
    assert done.stderr.index("running stage1") < done.stderr.index("running stage2")
    assert (tmp_path / "out" / "stage1" / "model" / "config.json").is_file()
    assert (tmp_path / "out" / "stage2" / "model" / "model.onnx").is_file() and not (tmp_path / "out" / "stage2" / "model.onnx").exists()
    record = json.loads((tmp_path / "out" / "stage2.olive-output.manifest.json").read_text())
    assert any(key.startswith("model:") for key in record["fingerprint"]["inputs"]), "stage 1's output is an input of stage 2"
    again = orc("compile-and-run", recipe.name)
    assert again.returncode == 0 and again.stderr.count("up to date") == 3, again.stderr  # stage 1, stage 2's workflow, its layout
    tried = orc("try", "out/stage2", "--prompt", "Hello", "--max-tokens", "3")
    assert tried.returncode == 0, tried.stderr


def test_an_olive_cli_output_folder_is_a_model_path(tmp_path):
    # the Olive CLI's (and an Olive run's) layout for a Hugging Face model: model_config.json, model/, adapter/
    out = tmp_path / "finetuned"
    shutil.copytree(MODEL, out / "model")
    (out / "adapter").mkdir()
    (out / "adapter" / "adapter_config.json").write_text("{}")
    (out / "model_config.json").write_text(json.dumps({"type": "hfmodel", "config": {"model_path": "/elsewhere/staging/model", "adapter_path": None}}))
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: r\nmodel: {path: ./finetuned, task: text-generation}\nsteps:\n  - merge_adapters: {}\n  - model_builder: {precision: int4}\noutput: {dir: out}\n")
    result = compile_file(recipe)
    assert result.ok, result.diagnostics.items
    assert result.workflow is not None
    assert (result.workflow["input_model"]["model_path"], result.workflow["input_model"]["adapter_path"]) == ("./finetuned/model", "./finetuned/adapter")


def test_explain_and_dry_run_show_the_chain(tmp_path):
    recipe = _chain(tmp_path)

    def orc(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "orc_olive", *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)

    text = orc("explain", recipe.name)
    assert text.returncode == 0 and "from:    stage1.yaml" in text.stdout and "out/stage1/model (HF)" in text.stdout, text.stdout
    mermaid = orc("explain", recipe.name, "--format", "mermaid")
    assert 'producer[["recipe stage1.yaml"]]' in mermaid.stdout and "producer ==>" in mermaid.stdout
    assert json.loads(orc("explain", recipe.name, "--format", "json").stdout)["from"] == "stage1.yaml"
    dry = orc("compile-and-run", recipe.name, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stderr.index("stage1.yaml") < dry.stderr.index("out/stage2.runs"), dry.stderr
    assert not (tmp_path / "out").exists(), "a dry run writes nothing"
