"""The AzureML command job that runs a compiled workflow on a compute cluster.

Olive 0.13 has no AzureML system (removed in 0.9.3), so an `azureml` target compiles to a workflow
that runs on the job's own machine plus this job spec: `az ml job create --file <spec>` uploads the
recipe folder (data and local models, by their relative paths) as the job's code, with the
compiled workflow as an input, and runs `olive run` in that folder.
"""

from __future__ import annotations

import io
import json
import shlex
from pathlib import Path
from typing import Any

import yaml

from orc_olive.recipe.models import Recipe

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


def spec_problems(text: str, spec_file: Path) -> list[str] | None:
    """azure-ai-ml's own offline check of a job spec to be written at `spec_file` (its CommandJob schema,
    and that the uploaded code folder exists): one line per problem; None when azure-ai-ml is not installed."""
    import logging
    import warnings

    with warnings.catch_warnings():  # azure-ai-ml's own deprecation warnings about marshmallow
        warnings.simplefilter("ignore")
        try:
            from azure.ai.ml import load_job
        except ImportError:
            return None
        logging.getLogger("azure.ai.ml").setLevel(logging.ERROR)  # its notes about experimental classes
        try:
            load_job(source=io.StringIO(text), relative_origin=str(spec_file))
        except Exception as exc:  # noqa: BLE001 - marshmallow's ValidationError or azure's ValidationException
            return _problem_lines(str(exc))
    return []


def _problem_lines(text: str) -> list[str]:
    """azure-ai-ml nests its schema errors as JSON inside messages: 'field: first message' for each."""
    start = text.find("{")
    try:
        data, _ = json.JSONDecoder().raw_decode(text[start:]) if start >= 0 else (None, 0)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return [text.strip().splitlines()[0] if text.strip() else "rejected"]
    if isinstance(data.get("errors"), list):  # a wrapper whose errors' messages hold the schema's own
        return [line for error in data["errors"] for line in _problem_lines(str(error.get("message", "")))]
    return [f"{name}: {_first_text(messages)}" for name, messages in data.items()]


def _first_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return next((text for text in map(_first_text, items) if text), "")
