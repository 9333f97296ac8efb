"""Recipes that build on recipes (issue 15): `model: {from: stage1.yaml}` validates before stage 1 has run, a
cycle or an unusable producer is a located error, the chain is one plan (compile -o writes each workflow and the
plan; explain, the dry run and the manifest show it), and compile-and-run runs stale producers first (for real)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orc_olive.build.chain import producers
from orc_olive.build.compile import compile_file
from orc_olive.build.graph import graph_plan, plan_data, several
from orc_olive.run.execute import default_progress
from orc_olive.run.graph import keep_plan

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
    assembled = json.loads((tmp_path / "out" / "stage2.manifest.json").read_text())
    assert [(w["name"], list(w["inputs"])) for w in assembled["plan"]["workflows"]] == [("stage1", []), ("stage2", ["input_model.model_path"])]
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


def _orc_in(tmp: Path):
    def orc(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "orc_olive", *args], cwd=tmp, capture_output=True, text=True, timeout=300)

    return orc


def test_explain_and_dry_run_show_the_chain(tmp_path):
    recipe = _chain(tmp_path)
    orc = _orc_in(tmp_path)
    text = orc("explain", recipe.name)
    assert text.returncode == 0 and "from:    stage1.yaml" in text.stdout and "out/stage1/model (HF)" in text.stdout, text.stdout
    plan_lines = ["plan:    1. stage1: stage1.yaml, workflow stage1 -> out/stage1",
                  "         2. stage2: stage2.yaml, workflow stage2 -> out/stage2; input_model.model_path = out/stage1/model (from stage1)"]
    assert "\n".join(plan_lines) in text.stdout, text.stdout
    mermaid = orc("explain", recipe.name, "--format", "mermaid")
    assert 'producer_stage1[["workflow stage1<br/>recipe stage1.yaml"]]' in mermaid.stdout
    assert 'producer_stage1 ==>|"input_model.model_path"| model' in mermaid.stdout, mermaid.stdout
    shown = json.loads(orc("explain", recipe.name, "--format", "json").stdout)
    assert shown["from"] == "stage1.yaml" and [w["name"] for w in shown["plan"]["workflows"]] == ["stage1", "stage2"]
    dry = orc("compile-and-run", recipe.name, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "\n".join(plan_lines) in dry.stderr, dry.stderr  # the dry run shows the same plan
    assert dry.stderr.index("stage1.yaml") < dry.stderr.index("out/stage1.runs") < dry.stderr.index("out/stage2.runs"), dry.stderr
    assert not (tmp_path / "out").exists(), "a dry run writes nothing"


# --- the chain is one plan (build/graph.py): compile -o, explain, the dry run and the manifest all show it ------

STAGE0 = STAGE1.replace("name: stage1", "name: stage0").replace("out/stage1", "out/stage0")


def _three(tmp: Path) -> Path:
    """stage0 (LoRA + merge) -> stage1 (LoRA + merge on stage0's output, in another folder, Olive CLI layout) -> stage2."""
    (tmp / "first").mkdir()
    (tmp / "first" / "stage0.yaml").write_text(STAGE0)
    stage1 = STAGE1.replace(f"model: {{path: {MODEL}, task: text-generation}}", "model: {from: first/stage0.yaml}")
    return _chain(tmp, stage1.replace("cache: cache}", "cache: cache, layout: model}"))


def test_a_chain_is_one_plan_in_run_order(tmp_path):
    result = compile_file(_three(tmp_path))
    assert result.ok, result.diagnostics.items
    plan = graph_plan(result)
    assert plan is not None and several(plan)
    assert [Path(stage.result.file).name for stage in plan.stages] == ["stage0.yaml", "stage1.yaml", "stage2.yaml"]
    assert [stage.assembled for stage in plan.stages] == [False, True, False]
    assert [node.name for node in plan.workflows] == ["stage0", "stage1", "stage2"] and [n.name for n in plan.nodes] == ["stage2"]
    data = plan.as_json()
    assert data["recipe"] == "stage2.yaml" and data["builds_on"] == ["first/stage0.yaml", "stage1.yaml"]
    stage0, stage1, stage2 = data["workflows"]
    assert (stage0["recipe"], stage0["output"], stage0["inputs"]) == ("first/stage0.yaml", "first/out/stage0", {})  # paths from stage2's folder
    assert stage0["feeds"] == ["stage1: input_model.model_path"]
    assert stage1["output"] == "out/stage1.olive-output" and stage1["inputs"] == {
        "input_model.model_path": {"recipe": "first/stage0.yaml", "workflow": "stage0", "path": "first/out/stage0/model"}}
    assert stage2["inputs"] == {"input_model.model_path": {"recipe": "stage1.yaml", "workflow": "stage1", "path": "out/stage1/model/model"}}
    assert data["assemblies"] == [{"recipe": "stage1.yaml", "output": "out/stage1", "layout": "model", "from": {"stage1": ["model"]}}]
    assert stage1["feeds"] == ["model", "stage2: input_model.model_path"]
    # each workflow is its recipe's own compiled workflow (what `orc compile` of that recipe gives)
    assert plan.workflows[0].result.text == compile_file(tmp_path / "first" / "stage0.yaml").text
    assert plan.workflows[2].result.text == result.text


def test_a_recipe_of_one_workflow_has_no_plan_to_write(tmp_path):
    (tmp_path / "stage1.yaml").write_text(STAGE1)
    result = compile_file(tmp_path / "stage1.yaml")
    plan = graph_plan(result)
    assert plan is not None and not several(plan) and [n.name for n in plan.workflows] == ["stage1"]
    assert plan_data(result) is None


def test_compile_writes_every_workflow_of_the_chain_and_the_plan(tmp_path):
    recipe = _three(tmp_path)
    done = _orc_in(tmp_path)("compile", recipe.name, "-o", "build/x.json")
    assert done.returncode == 0, done.stderr
    build = tmp_path / "build"
    assert sorted(p.name for p in build.iterdir()) == ["x.json", "x.plan.json", "x.stage0.json", "x.stage1.json", "x.stage2.json"]
    assert (build / "x.json").read_text() == (build / "x.stage2.json").read_text(), "x.json stays what `orc compile` prints"
    plan = json.loads((build / "x.plan.json").read_text())
    assert [(w["name"], w["file"]) for w in plan["workflows"]] == [("stage0", "x.stage0.json"), ("stage1", "x.stage1.json"), ("stage2", "x.stage2.json")]
    # the same structure `orc explain` shows (and the manifest keeps)
    shown = json.loads(_orc_in(tmp_path)("explain", recipe.name, "--format", "json").stdout)["plan"]
    assert shown == {**plan, "workflows": [{k: v for k, v in w.items() if k != "file"} for w in plan["workflows"]]}
    stage1 = json.loads((build / "x.stage1.json").read_text())
    assert stage1["output_dir"] == "out/stage1.olive-output" and stage1["input_model"]["model_path"] == "first/out/stage0/model"
    pytest.importorskip("olive")
    from orc_olive.olive.run_config import run_config_errors

    folders = {"x.stage0.json": tmp_path / "first", "x.stage1.json": tmp_path, "x.stage2.json": tmp_path}
    for name, folder in folders.items():  # each accepted by Olive's own RunConfig (from its recipe's folder)
        assert run_config_errors(json.loads((build / name).read_text()), folder) == [], name


def test_the_manifest_keeps_the_plan(tmp_path):
    result = compile_file(_chain(tmp_path))
    plan = graph_plan(result)
    assert plan is not None
    record = tmp_path / "out" / "stage2.manifest.json"
    record.parent.mkdir()
    record.write_text(json.dumps({"status": "succeeded", "run_id": "r1"}))  # as run_workflow leaves it
    say = default_progress("quiet")
    assert keep_plan(plan, say) == 0
    kept = json.loads(record.read_text())
    assert kept["run_id"] == "r1" and kept["plan"] == plan.as_json() and kept["plan"]["workflows"][0]["name"] == "stage1"
    stamp = record.stat().st_mtime_ns
    assert keep_plan(plan, say) == 0 and record.stat().st_mtime_ns == stamp, "an unchanged plan is not written again"
