"""The AzureML command job that runs a compiled workflow on a compute cluster.

Olive 0.13 has no AzureML system (removed in 0.9.3), so an `azureml` target compiles to a workflow
that runs on the job's own machine plus this job spec: `az ml job create --file <spec>` uploads the
recipe folder (data and local models, by their relative paths) as the job's code, with the
compiled workflow as an input, and runs `olive run` in that folder. The job's environment is an
existing one or inline (image + conda file); secrets are read from the workspace key vault when the
job starts; cloud data are job inputs; `output.register` makes the output a registered custom_model.
Also here: the model asset spec of a registration, and a pipeline job of several command jobs.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from orc_olive.recipe.datasets import cloud_is_file
from orc_olive.recipe.models import Recipe

SUFFIX = ".azureml-job.yaml"
SCHEMA_URL = "https://azuremlschemas.azureedge.net/latest/commandJob.schema.json"
PIPELINE_SCHEMA_URL = "https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json"
MODEL_SCHEMA_URL = "https://azuremlschemas.azureedge.net/latest/model.schema.json"
# What the job installs before running (the same pins as orc's `cuda` extra), by package name: a package
# the conda file already lists is left out.
PINS = {
    "olive-ai": "olive-ai[gpu,finetune]==0.13.0",
    "onnxruntime-genai-cuda": "onnxruntime-genai-cuda>=0.13.2,<0.15",
    "requests": "requests",
    "datasets": "datasets",
}
SECRETS_PACKAGE = "azureml-core"  # Run.get_context().get_secret: the workspace key vault, from inside a job
RESOLVED_WORKFLOW = ".orc-job-workflow.json"
# Fills the job inputs' mounted paths into the workflow (`${{inputs.NAME}}` in a data config): argv is the
# workflow, the file to write, and NAME=PATH pairs. The marker is built from parts so that AzureML's own
# substitution of the command line leaves it alone.
_RESOLVE = (
    'import functools, json, sys; a = sys.argv; open(a[2], "w").write(functools.reduce('
    'lambda t, kv: t.replace("$" + "{{inputs." + kv[0] + "}}", json.dumps(kv[1])[1:-1]), '
    '(x.split("=", 1) for x in a[3:]), open(a[1]).read()))'
)


def _package_name(requirement: str) -> str:
    return re.split(r"[<>=!~\[;@ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def conda_packages(conda_file: Path) -> set[str]:
    """The package names a conda environment file lists (conda and pip); empty when it cannot be read
    (checks/azureml.py reports that)."""
    try:
        data = yaml.safe_load(conda_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return set()
    found: set[str] = set()
    for item in data.get("dependencies") or [] if isinstance(data, dict) else []:
        if isinstance(item, str):
            found.add(_package_name(item))
        elif isinstance(item, dict) and isinstance(item.get("pip"), list):
            found.update(_package_name(str(req)) for req in item["pip"])
    return found


def install_line(recipe: Recipe, base: Path | None) -> str:
    """The pip command the job runs first: orc's pins the environment lacks ('' when none, or `install: false`)."""
    aml = recipe.target.azureml
    assert aml is not None
    if aml.install is False:
        return ""
    present = conda_packages(base / aml.conda_file) if base is not None and aml.conda_file and aml.install is None else set()
    wanted = dict(PINS, **({SECRETS_PACKAGE: SECRETS_PACKAGE} if aml.secrets else {}))
    missing = [pin for name, pin in wanted.items() if name not in present]
    return shlex.join(["pip", "install", *missing]) if missing else ""


def cloud_inputs(recipe: Recipe) -> dict[str, dict[str, str]]:
    """The job input of each cloud data file: mounted read-only."""
    return {
        name: {"type": "uri_file" if cloud_is_file(address) else "uri_folder", "path": address, "mode": "ro_mount"}
        for dataset_name, dataset in recipe.datasets.items()
        for name, address in dataset.cloud_inputs(dataset_name).items()
    }


def _secret_exports(recipe: Recipe) -> list[str]:
    """`export NAME=...` of each secret, read from the workspace key vault when the job starts (names only here)."""
    assert recipe.target.azureml is not None
    read = 'from azureml.core import Run; print(Run.get_context().get_secret("{}"))'
    return [f'export {variable}="$(python -c {shlex.quote(read.format(secret))})"' for variable, secret in sorted(recipe.target.azureml.secrets.items())]


def environment(recipe: Recipe, spec_dir_to_recipe: str) -> str | dict[str, str]:
    """The job's environment: an existing one's reference, or inline from the image and conda file
    (whose path is relative to the spec)."""
    aml = recipe.target.azureml
    assert aml is not None
    reference = aml.environment_reference
    if reference is not None:
        return reference
    assert aml.image is not None
    inline = {"image": aml.image}
    if aml.conda_file:
        inline["conda_file"] = posixpath.normpath(posixpath.join(spec_dir_to_recipe, aml.conda_file))
    return inline


def job_spec(recipe: Recipe, workflow_file: str, code_dir: str, workdir: str, base: Path | None = None) -> dict:
    """`code_dir` (relative to the spec) is uploaded; `workdir` (inside it) is the recipe's folder, `base`
    that folder here (its conda file is read to leave out what it installs)."""
    assert recipe.target.azureml is not None
    aml = recipe.target.azureml
    spec_dir_to_recipe = posixpath.normpath(posixpath.join(code_dir, workdir))
    inputs: dict[str, dict[str, str]] = {"workflow": {"type": "uri_file", "path": f"./{workflow_file}"}}
    data = cloud_inputs(recipe)
    inputs.update(data)
    parts = [line] if (line := install_line(recipe, base)) else []
    parts += _secret_exports(recipe)
    parts.append(f"cd {shlex.quote(workdir)}")
    if data:
        pairs = " ".join(f"{name}=${{{{inputs.{name}}}}}" for name in data)
        parts.append(f"python -c {shlex.quote(_RESOLVE)} ${{{{inputs.workflow}}}} {RESOLVED_WORKFLOW} {pairs}")
        parts.append(f"olive run --config {RESOLVED_WORKFLOW}")
    else:
        parts.append("olive run --config ${{inputs.workflow}}")
    parts.append(f"cp -r {shlex.quote(recipe.output.dir)}/. ${{{{outputs.model}}}}")
    output: dict[str, str] = {"type": "uri_folder", "mode": "upload"}
    register = recipe.output.register_
    if register is not None:  # AzureML registers the job's output under this name when the job completes
        output = {"type": "custom_model", "mode": "upload", "name": register.name}
        if register.version_text is not None:
            output["version"] = register.version_text
    spec: dict[str, Any] = {
        "$schema": SCHEMA_URL,
        "type": "command",
        "display_name": recipe.name,
        "experiment_name": aml.experiment,
        "description": recipe.description or f"orc recipe {recipe.name}",
        "code": code_dir,
        "command": " && ".join(parts),
        "environment": environment(recipe, spec_dir_to_recipe),
        "compute": f"azureml:{aml.compute}",
        "environment_variables": {"OLIVE_DISABLE_TELEMETRY": "1"},
        "inputs": inputs,
        "outputs": {"model": output},
    }
    if register is not None and register.tags:
        spec["tags"] = dict(register.tags)
    return spec


def job_spec_text(recipe: Recipe, workflow_file: str, code_dir: str, workdir: str, base: Path | None = None) -> str:
    return dump(job_spec(recipe, workflow_file, code_dir, workdir, base))


def job_spec_from_file(path: Path) -> dict:
    """A job spec orc wrote (the pipeline job's nodes are made from them)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def dump(spec: dict) -> str:
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=1000)


def model_spec(recipe: Recipe, path: str) -> dict:
    """The model asset `output.register` makes of the folder at `path` (what `az ml model create` sends)."""
    register = recipe.output.register_
    assert register is not None
    spec: dict[str, Any] = {"$schema": MODEL_SCHEMA_URL, "name": register.name}
    if register.version_text is not None:
        spec["version"] = register.version_text
    spec.update({"type": "custom_model", "path": path})
    if register.description is not None:
        spec["description"] = register.description
    if register.tags:
        spec["tags"] = dict(register.tags)
    return spec


def pipeline_spec(nodes: dict[str, dict], experiment: str, description: str) -> dict:
    """One pipeline job with a node per command job (`nodes`: node name -> a job_spec() whose paths are
    relative to the pipeline spec); each node keeps its own compute, environment and outputs."""
    jobs = {}
    for name, spec in nodes.items():
        node = {k: v for k, v in spec.items() if k not in ("$schema", "experiment_name", "description", "tags")}
        key = re.sub(r"[^a-z0-9_]", "_", name.lower())
        jobs[key if key[:1].isalpha() else f"job_{key}"] = node  # node names: a letter first, then [a-z0-9_]
    return {"$schema": PIPELINE_SCHEMA_URL, "type": "pipeline", "display_name": experiment, "experiment_name": experiment,
            "description": description, "jobs": jobs}


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
