"""Every shipped recipe validates, compiles deterministically, matches its golden file, and the
compiled workflow is accepted by Olive's own RunConfig (when olive-ai is installed)."""

import json
import os
import subprocess
import sys

import pytest

from orc_olive.build.compile import compile_file
from orc_olive.olive.run_config import olive_available, run_config_errors

from .conftest import RECIPES, ROOT

GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("ORC_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_recipe_compiles_to_its_golden_file(recipe):
    result = compile_file(recipe)
    assert result.ok, [str(d) for d in result.diagnostics]
    golden = GOLDEN / f"{recipe.stem}.json"
    if UPDATE:
        golden.write_text(result.text, encoding="utf-8")
    assert result.text == golden.read_text(encoding="utf-8"), f"{golden.name} differs: rerun with ORC_UPDATE_GOLDEN=1 and review the diff"


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_compiling_twice_in_new_processes_is_byte_identical(recipe, tmp_path):
    outputs = []
    for run in range(2):
        out = tmp_path / f"run{run}.json"
        env = {**os.environ, "PYTHONHASHSEED": str(run)}  # different hash seeds: no set/dict-order leaks
        subprocess.run([sys.executable, "-m", "orc_olive", "compile", str(recipe), "-o", str(out)], check=True, env=env, cwd=tmp_path)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_pass_order_follows_steps_not_the_alphabet():
    result = compile_file(ROOT / "recipes" / "tiny-cpu-lora-int4.yaml")
    names = list(result.workflow["passes"])
    assert names == ["lora", "merge_adapters", "model_builder"]
    assert names != sorted(names, reverse=True) and [p["type"] for p in result.workflow["passes"].values()] == ["LoRA", "MergeAdapterWeights", "ModelBuilder"]


@pytest.mark.skipif(not olive_available(), reason="olive-ai is not installed")
@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_olive_run_config_accepts_the_compiled_workflow(recipe):
    result = compile_file(recipe)
    assert run_config_errors(result.workflow, result.base_dir) == []


@pytest.mark.skipif(not olive_available(), reason="olive-ai is not installed")
def test_olive_run_config_check_does_reject_a_broken_workflow():
    result = compile_file(ROOT / "recipes" / "tiny-cpu-lora-int4.yaml")
    broken = json.loads(result.text)
    broken["passes"]["lora"]["train_data_config"] = "no-such-dataset"
    assert run_config_errors(broken, result.base_dir)


@pytest.mark.skipif(not olive_available(), reason="olive-ai is not installed")
def test_a_docker_target_compiles_to_olives_docker_system_as_the_host(tmp_path):
    """Olive runs the whole workflow inside the container when its host is a Docker system."""
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_text("FROM python:3.11-slim\n")
    text = (ROOT / "recipes" / "tiny-cpu-lora-int4.yaml").read_text().replace("../examples/", f"{ROOT}/examples/")
    recipe = tmp_path / "docker.yaml"
    recipe.write_text(text.replace("  system: local\n", "  system: docker\n  docker: {dockerfile: Dockerfile, build_context: docker}\n"))
    result = compile_file(recipe, olive=True)
    assert result.ok, [str(d) for d in result.diagnostics.errors]
    assert result.workflow["host"] == result.workflow["target"] == "docker_system"
    assert result.workflow["systems"]["docker_system"] == {
        "type": "Docker",
        "accelerators": [{"device": "cpu", "execution_providers": ["CPUExecutionProvider"]}],
        "dockerfile": "Dockerfile",
        "build_context_path": "docker",
        "image_name": "olive-docker:latest",
        "work_dir": "/olive-ws",
    }
