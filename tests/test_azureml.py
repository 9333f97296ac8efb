"""AzureML targets: the job spec orc writes beside the workflow is checked, offline, with azure-ai-ml's
own CommandJob schema (the real package, from the dev extra), and a rejected spec writes nothing."""

import re

import yaml

from orc_olive.build.compile import compile_file
from orc_olive.build.outputs import write_result
from orc_olive.cli.main import main
from orc_olive.render import azureml_job as azureml

from .conftest import ROOT

QLORA = ROOT / "recipes" / "phi3-qlora-phrase-classification.yaml"


def test_the_shipped_azureml_recipe_gives_a_spec_azure_ai_ml_accepts(tmp_path):
    result = compile_file(QLORA)
    assert result.ok, [str(d) for d in result.diagnostics.errors]
    workflow, spec = write_result(result, tmp_path / "jobs" / "qlora.json")
    assert spec.name == "qlora.azureml-job.yaml" and workflow.is_file()
    text = spec.read_text()
    assert azureml.spec_problems(text, spec) == []
    job = yaml.safe_load(text)
    assert job["compute"] == "azureml:gpu-cluster" and job["inputs"]["workflow"]["path"] == "./qlora.json"
    assert "olive run --config ${{inputs.workflow}}" in job["command"]


def test_azure_ai_ml_names_each_field_it_rejects(tmp_path):
    result = compile_file(QLORA)
    spec = write_result(result, tmp_path / "qlora.json")[1]
    text = spec.read_text()
    broken = re.sub(r"(?m)^environment: .*$", "environment: olive-env", text).replace("experiment_name: orc", "experiment_name: 5")
    assert azureml.spec_problems(broken, spec) == [
        "experiment_name: Not a valid string.",
        "environment: Environment schema data cannot be a string",
    ]
    assert azureml.spec_problems(text.replace("type: command", "type: comand"), spec) == ["Unsupported job type: comand."]
    moved = re.sub(r"(?m)^code: .*$", "code: no-such-folder", text)
    assert azureml.spec_problems(moved, spec) == [f"code: Can't find directory or file in resolved absolute path: {tmp_path / 'no-such-folder'}."]


def test_a_spec_azure_ai_ml_rejects_is_a_located_error_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    # A spec orc itself gets wrong (here: a job type AzureML does not have) must never reach `az ml job create`.
    real = azureml.job_spec

    def wrong_type(*args, **kwargs):
        return {**real(*args, **kwargs), "type": "comand"}

    monkeypatch.setattr(azureml, "job_spec", wrong_type)
    out = tmp_path / "build" / "qlora.json"
    assert main(["compile", str(QLORA), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    line = next(n for n, text in enumerate(QLORA.read_text().splitlines(), 1) if text.strip() == "azureml:")
    assert f"{QLORA}:{line + 1}:5: error: target.azureml: azure-ai-ml rejects the job spec orc made for qlora.azureml-job.yaml: " \
           "Unsupported job type: comand." in err
    assert not (tmp_path / "build").exists()


def test_a_workspace_environment_without_its_reference_form_is_caught_before_compiling(tmp_path):
    text = QLORA.read_text().replace("    compute: gpu-cluster\n", "    compute: gpu-cluster\n    environment: olive-env\n")
    recipe = tmp_path / "qlora.yaml"
    recipe.write_text(text.replace("../examples/", f"{ROOT}/examples/"))
    result = compile_file(recipe)
    assert [(d.dotted_path, d.message) for d in result.diagnostics.errors] == [
        ("target.azureml.environment", "'olive-env' is not a reference to an AzureML environment")
    ]
