"""The AzureML command job that runs a compiled workflow on a compute cluster.

Olive 0.13 has no AzureML system (removed in 0.9.3), so an `azureml` target compiles to a workflow
that runs on the job's own machine plus this job spec: `az ml job create --file <spec>` uploads the
recipe folder (data and local models, by their relative paths) as the job's code, with the
compiled workflow as an input, and runs `olive run` in that folder.
"""

from __future__ import annotations

import shlex

import yaml

from .recipe import Recipe

SUFFIX = ".azureml-job.yaml"
SCHEMA_URL = "https://azuremlschemas.azureedge.net/latest/commandJob.schema.json"
# What the job installs before running: the same pins as orc's `cuda` extra.
INSTALL = "pip install 'olive-ai[gpu,finetune]==0.13.0' 'onnxruntime-genai-cuda>=0.13.2,<0.15' requests datasets"


def job_spec(recipe: Recipe, workflow_file: str, code_dir: str, workdir: str) -> dict:
    """`code_dir` (relative to the spec) is uploaded; `workdir` (inside it) is the recipe's folder."""
    assert recipe.target.azureml is not None
    aml = recipe.target.azureml
    run = f"cd {shlex.quote(workdir)} && olive run --config ${{{{inputs.workflow}}}}"
    copy_out = f"cp -r {shlex.quote(recipe.output.dir)}/. ${{{{outputs.model}}}}"
    return {
        "$schema": SCHEMA_URL,
        "type": "command",
        "display_name": recipe.name,
        "experiment_name": aml.experiment,
        "description": recipe.description or f"orc recipe {recipe.name}",
        "code": code_dir,
        "command": f"{INSTALL} && {run} && {copy_out}",
        "environment": aml.environment,
        "compute": f"azureml:{aml.compute}",
        "environment_variables": {"OLIVE_DISABLE_TELEMETRY": "1"},
        "inputs": {"workflow": {"type": "uri_file", "path": f"./{workflow_file}"}},
        "outputs": {"model": {"type": "uri_folder", "mode": "upload"}},
    }


def job_spec_text(recipe: Recipe, workflow_file: str, code_dir: str, workdir: str) -> str:
    return yaml.safe_dump(job_spec(recipe, workflow_file, code_dir, workdir), sort_keys=False, allow_unicode=True, width=1000)


def submit_command(recipe: Recipe, spec_file: str) -> str:
    """The exact command that submits the job (workspace coordinates come from the recipe)."""
    assert recipe.target.azureml is not None
    aml = recipe.target.azureml
    return shlex.join(
        [
            "az", "ml", "job", "create", "--file", spec_file,
            "--subscription", aml.subscription_id, "--resource-group", aml.resource_group, "--workspace-name", aml.workspace,
        ]
    )
