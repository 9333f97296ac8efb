"""Named adapters at validate and compile time (issue 15): adapters that cannot share one base model, a second
adapter-training step without merge_adapters, and the plan of one workflow per adapter."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orc_olive.build.compile import compile_file
from orc_olive.build.graph import graph_plan

from .conftest import ROOT, recipe_copy


def _recipe(tmp: Path, *edits: tuple[str, str]) -> Path:
    shutil.copy(ROOT / "examples" / "data" / "multi-lora" / "tone.jsonl", tmp / "tone.jsonl")
    recipe = recipe_copy(tmp, "tiny-cpu-multi-lora")
    text = recipe.read_text().replace("../examples/data/multi-lora/tone.jsonl", "tone.jsonl")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    recipe.write_text(text)
    return recipe


def _errors(recipe: Path) -> list:
    return [d for d in compile_file(recipe).diagnostics.items if d.severity == "error"]


def _line(recipe: Path, needle: str) -> int:
    return next(i for i, line in enumerate(recipe.read_text().splitlines(), 1) if needle in line)


def test_the_ready_recipe_splits_into_one_workflow_per_adapter(tmp_path):
    result = compile_file(_recipe(tmp_path))
    assert result.ok, result.diagnostics.items
    plan = graph_plan(result)
    assert plan is not None
    assert [n.name for n in plan.nodes] == ["travel", "tone"]
    travel, tone = (n.result.workflow for n in plan.nodes)
    assert travel is not None and tone is not None
    assert travel["passes"]["lora"]["train_data_config"] == "travel" and tone["passes"]["lora"]["train_data_config"] == "tone"
    # the adapter's training arguments merge over the step's; the rest is shared
    assert tone["passes"]["lora"]["training_args"]["max_steps"] == 3 and travel["passes"]["lora"]["training_args"]["max_steps"] == 4
    assert tone["passes"]["lora"]["training_args"]["learning_rate"] == travel["passes"]["lora"]["training_args"]["learning_rate"]
    # each workflow carries only its own data (so another adapter's data change does not make it stale)
    assert [d["name"] for d in travel["data_configs"]] == ["travel"] and [d["name"] for d in tone["data_configs"]] == ["tone"]
    assert travel["workflow_id"] != tone["workflow_id"] and travel["output_dir"] != tone["output_dir"]
    assert list(travel["passes"]) == ["lora", "model_builder", "extract_adapters"]
    # `orc compile` shows the first adapter's workflow
    assert result.workflow == travel


def test_extract_adapters_is_added_when_the_recipe_has_none(tmp_path):
    result = compile_file(_recipe(tmp_path, ("  - extract_adapters: {}\n", "")))
    assert result.ok, result.diagnostics.items
    plan = graph_plan(result)
    assert plan is not None and all(list(n.result.workflow["passes"])[-1] == "extract_adapters" for n in plan.nodes if n.result.workflow)


def test_adapters_with_another_rank_are_refused_where_they_say_it(tmp_path):
    recipe = _recipe(tmp_path, ("tone: {dataset: tone, training: {max_steps: 3}}", "tone: {dataset: tone, r: 16, target_modules: [qkv_proj]}"))
    errors = _errors(recipe)
    assert [(e.code, e.path) for e in errors] == [("adapters", ("adapters", "tone", "r")), ("adapters", ("adapters", "tone", "target_modules"))]
    assert errors[0].line == _line(recipe, "tone: {dataset: tone, r: 16")
    assert "share r, target_modules, modules_to_save" in errors[0].message and "8" in errors[0].message


def test_a_second_lora_without_merge_is_refused(tmp_path):
    block = "  travel: {dataset: travel}\n  tone: {dataset: tone, training: {max_steps: 3}}\n"
    recipe = _recipe(tmp_path, (block, ""), ("  - model_builder:", "  - lora: {dataset: tone}\n  - model_builder:"))
    recipe.write_text(recipe.read_text().replace("\nadapters:", "\n#adapters:"))
    errors = _errors(recipe)
    assert [(e.code, e.path) for e in errors] == [("order", ("steps", 1, "lora"))]
    assert "already has one" in errors[0].message and "merge_adapters" in errors[0].hint
    assert errors[0].line == _line(recipe, "- lora: {dataset: tone}")
    # with merge_adapters between them it is fine (and with `adapters:` it is refused as two trainers)
    recipe.write_text(recipe.read_text().replace("  - lora: {dataset: tone}\n", "  - merge_adapters: {}\n  - lora: {dataset: tone}\n  - merge_adapters: {}\n"))
    assert _errors(recipe) == []


def test_steps_that_cannot_give_adapters_a_base_are_refused(tmp_path):
    merged = _recipe(tmp_path, ("  - model_builder:", "  - merge_adapters: {}\n  - model_builder:"))
    assert [(e.code, e.path) for e in _errors(merged)] == [("adapters", ("steps", 1, "merge_adapters"))]
    (tmp_path / "b").mkdir()
    no_onnx = _recipe(tmp_path / "b", ("  - model_builder:\n      precision: int4\n  - extract_adapters: {}\n", ""))
    assert [(e.code, e.path) for e in _errors(no_onnx)] == [("adapters", ("adapters",))]


def test_bad_adapter_entries_are_located(tmp_path):
    recipe = _recipe(tmp_path, ("tone: {dataset: tone, training: {max_steps: 3}}", "tone: {dataset: tones, compute_dtype: bfloat16}\n  bad.name: {}"))
    found = sorted((e.code, e.path) for e in _errors(recipe))
    assert found == [
        ("bad_name", ("adapters", "bad.name")),
        ("unknown_dataset", ("adapters", "tone", "dataset")),
        ("unknown_field", ("adapters", "tone", "compute_dtype")),
    ]


def test_adapters_are_in_the_schema_and_explain(tmp_path):
    schema = json.loads((ROOT / "schemas" / "recipe.schema.json").read_text())
    recipe_def = next(d for d in schema["$defs"].values() if "steps" in d.get("properties", {}))
    assert recipe_def["properties"]["adapters"]["additionalProperties"] == {"$ref": "#/$defs/Adapter"}
    assert "dataset" in schema["$defs"]["Adapter"]["properties"]
    recipe = _recipe(tmp_path)
    for fmt, needles in (("text", ["adapters", "travel", "tone.onnx_adapter"]), ("mermaid", ["travel.onnx_adapter", "tone"]), ("json", ['"adapters"'])):
        shown = subprocess.run([sys.executable, "-m", "orc_olive", "explain", str(recipe), "--format", fmt], capture_output=True, text=True, cwd=ROOT)
        assert shown.returncode == 0, shown.stderr
        for needle in needles:
            assert needle in shown.stdout, (fmt, needle, shown.stdout)


def test_compile_writes_one_workflow_per_adapter_and_the_plan(tmp_path):
    recipe = _recipe(tmp_path)
    out = tmp_path / "build" / "multi.json"
    out.parent.mkdir()
    done = subprocess.run([sys.executable, "-m", "orc_olive", "compile", str(recipe), "-o", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["multi.json", "multi.plan.json", "multi.tone.json", "multi.travel.json"]
    plan = json.loads((out.parent / "multi.plan.json").read_text())
    assert [(w["name"], w["file"], w["feeds"]) for w in plan["workflows"]] == [
        ("travel", "multi.travel.json", ["base model", "travel.onnx_adapter"]), ("tone", "multi.tone.json", ["tone.onnx_adapter"])]
    assert plan["builds_on"] == [] and [(a["output"], list(a["from"])) for a in plan["assemblies"]] == [("out/model", ["travel", "tone"])]
    tone = json.loads((out.parent / "multi.tone.json").read_text())
    assert tone["passes"]["lora"]["train_data_config"] == "tone"
    pytest.importorskip("olive")
    from orc_olive.olive.run_config import run_config_errors

    for name in ("multi.travel.json", "multi.tone.json"):  # each accepted by Olive's own RunConfig (from the recipe's folder)
        assert run_config_errors(json.loads((out.parent / name).read_text()), tmp_path) == []
