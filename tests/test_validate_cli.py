"""`orc validate` for pull requests: many files in one process, three output formats, no secret printed,
and no partial output file from `orc compile`."""

import json
import subprocess

import pytest

from orc_olive.files import write_atomic

from .conftest import ROOT

CASES = ROOT / "tests" / "cases"
SECRETS = ["hf_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", "0f3e9c2b7a1d4e5f8a9b0c1d2e3f4a5b6c7d8e9f", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"]


def validate(orc_cmd, *args):
    return subprocess.run([*orc_cmd, "validate", *args], capture_output=True, text=True, cwd=ROOT)


def test_files_folders_and_globs_are_checked_in_one_call(orc_cmd):
    run = validate(orc_cmd, "recipes", "tests/cases/invalid/unknown-*.yaml", "tests/cases/warnings/short-training.yaml")
    unknown = sorted((CASES / "invalid").glob("unknown-*.yaml"))
    assert run.returncode == 1
    recipes = sorted((ROOT / "recipes").glob("*.yaml"))
    assert f"{len(recipes) + len(unknown) + 1} recipes checked" in run.stderr
    assert all(str(p.relative_to(ROOT)) in run.stderr for p in unknown)


def test_github_format_annotates_file_line_and_column(orc_cmd):
    run = validate(orc_cmd, "--format", "github", "tests/cases/invalid/unknown-dataset.yaml")
    assert run.returncode == 1
    assert run.stdout.strip().splitlines() == [
        "::warning file=tests/cases/invalid/unknown-dataset.yaml,line=10,endLine=10,col=7,endColumn=7,title=cpu_dtype::"
        "steps[0].lora: LoRA trains in bfloat16 (the default) on a CPU: half precision is very slow or unsupported there "
        "(set torch_dtype: float32 for CPU training)",
        # the annotation spans the value `travle` (columns 16 to 21), titled with the code
        "::error file=tests/cases/invalid/unknown-dataset.yaml,line=11,endLine=11,col=16,endColumn=21,title=unknown_dataset::"
        "steps[0].lora.dataset: unknown dataset 'travle' (did you mean 'travel'?)",
    ]


def test_json_format_is_a_list_of_records(orc_cmd):
    run = validate(orc_cmd, "--format", "json", "tests/cases/warnings/short-training.yaml")
    records = json.loads(run.stdout)
    assert run.returncode == 0
    assert [(r["severity"], r["code"], r["line"], r["path"]) for r in records] == [
        ("warning", "short_training", 21, "steps[0].lora.training.max_steps")
    ]


@pytest.mark.parametrize("fmt", ["text", "json", "github", "markdown"])
def test_literal_secrets_are_reported_but_never_printed(orc_cmd, fmt):
    run = validate(orc_cmd, "--format", fmt, "tests/cases/invalid/literal-secrets.yaml")
    output = run.stdout + run.stderr
    assert run.returncode == 1 and "${env:HF_TOKEN}" in output
    for secret in SECRETS:
        assert secret not in output and secret[:12] not in output


def test_compile_of_an_invalid_recipe_writes_nothing(orc_cmd, tmp_path):
    out = tmp_path / "workflow.json"
    run = subprocess.run([*orc_cmd, "compile", str(CASES / "invalid" / "pipeline-order.yaml"), "-o", str(out)], capture_output=True, text=True)
    assert run.returncode == 1 and not out.exists() and list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    out = tmp_path / "workflow.json"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(out, "{\"half\": \"\ud800\"}")  # a lone surrogate cannot be encoded: the write fails midway
    assert out.read_text(encoding="utf-8") == "old" and [p.name for p in tmp_path.iterdir()] == ["workflow.json"]


def test_a_folder_skips_yaml_that_is_not_a_recipe_but_a_named_file_is_checked(orc_cmd, tmp_path):
    workflow = ROOT / "examples" / "ci" / "validate-recipes.yml"
    run = validate(orc_cmd, "examples")
    assert run.returncode == 0, run.stderr
    conda = ROOT / "examples" / "azureml" / "conda.yaml"  # the cloud recipe's job environment (issue 18)
    assert ("skipped 2 YAML file(s) in the folders that are not recipes (no top-level steps/extends/model): "
            f"{conda.relative_to(ROOT)}, {workflow.relative_to(ROOT)}") in run.stderr
    named = validate(orc_cmd, str(workflow))
    assert named.returncode == 1 and "required field 'steps' is missing" in named.stderr
