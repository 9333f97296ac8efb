"""Recipe -> template context: every decision about the Olive workflow is made here, once.

Templates only place these values; they decide nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orc_olive import catalog
from orc_olive.recipe.adapter_nodes import first_node
from orc_olive.recipe.derived import step_id
from orc_olive.recipe.model_source import azureml_resource
from orc_olive.recipe.models import Recipe, StepBase, Target
from orc_olive.recipe.steps import STEP_KINDS
from orc_olive.render.datasets import dataset_config as dataset_config
from orc_olive.render.datasets import dataset_configs, with_holdout_eval
from orc_olive.render.evaluation import evaluate_context

SYSTEM_TYPES = {"local": "LocalSystem", "docker": "Docker", "python_env": "PythonEnvironment", "azureml": "LocalSystem"}
# An AzureML target runs the Olive workflow on the job's own machine: Olive 0.13 has no AzureML system.
SYSTEM_NAMES = {"local": "local_system", "docker": "docker_system", "python_env": "python_system", "azureml": "local_system"}


def build_context(recipe: Recipe, base: Path | None = None) -> dict[str, Any]:
    """`base`: the recipe's folder, which the workflow's paths are relative to (orc's own scripts are named from it)."""
    recipe = first_node(recipe)  # issue 15: a recipe with named adapters renders its first adapter's workflow
    target, host = recipe.target, host_system(recipe)
    evaluate = evaluate_context(recipe, base)
    return {
        "name": recipe.name,
        "input_model": _input_model(recipe),
        "host": host,
        "host_name": (host or {"name": system_name(target)})["name"],
        "system": {
            "name": system_name(target),
            "type": SYSTEM_TYPES[target.system],
            "device": target.device,
            "provider": target.execution_provider,
            "docker": target.docker.model_dump() if target.docker else None,
            "python_env": target.python_env.model_dump() if target.python_env else None,
        },
        "data_configs": (evaluate["data_configs"] if evaluate else []) + dataset_configs(recipe),
        "passes": pass_configs(recipe),
        "engine": {
            "output_dir": recipe.output.dir,
            "cache_dir": recipe.output.cache,
            "log_severity_level": recipe.engine.log_level,
            "evaluate_input_model": recipe.engine.evaluate_input_model,
            "clean_cache": recipe.engine.clean_cache,
            "no_artifacts": recipe.engine.no_artifacts,
        },
        "evaluate": evaluate,
    }


def system_name(target: Target) -> str:
    return target.name or SYSTEM_NAMES[target.system]


def host_system(recipe: Recipe) -> dict[str, Any] | None:
    """A separate local host system when the steps run on another device than the model is built for."""
    target = recipe.target
    if target.host_device is None or target.host_device == target.device:
        return None
    provider = "CUDAExecutionProvider" if target.host_device == "gpu" else "CPUExecutionProvider"
    return {"name": "host_system", "type": "LocalSystem", "device": target.host_device, "provider": provider}


def _input_model(recipe: Recipe) -> dict[str, Any] | None:
    model = recipe.model
    if model is None:
        return None  # given as an Olive model config under `olive:`, placed by render/olive_block.py
    load_kwargs = dict(model.load_kwargs)
    if model.trust_remote_code:
        load_kwargs["trust_remote_code"] = True
    # a registry model is Olive's resource config (a plain azureml:// string would be taken for a hub id)
    model_path = azureml_resource(model) or model.path
    return {"type": "HfModel", "model_path": model_path, "task": model.task, "load_kwargs": load_kwargs, "adapter_path": model.adapter_path}


def pass_configs(recipe: Recipe) -> list[dict[str, Any]]:
    """One entry per step, in step order: its Olive pass name, type and parameters by Olive's names."""
    out: list[dict[str, Any]] = []
    for kind, params in recipe.steps_with_kinds:
        compiled = olive_params(kind, params)
        compiled["params"] = with_holdout_eval(recipe, kind, compiled["params"])  # a dataset's holdout: the step's eval data
        out.append({"id": step_id(recipe, len(out)), "kind": kind, **compiled})
    return out


def olive_params(kind: str, params: StepBase) -> dict[str, Any]:
    """The Olive pass type and the parameters the user set, renamed to Olive's names."""
    values = params.model_dump(mode="json", exclude_unset=True, exclude={"id"}, by_alias=True)
    carried = values.pop("olive", None) or {}
    group = values.pop("group", None) or []
    if kind == "pass":
        pass_type = values.pop("type")
        return {"type": catalog.canonical_pass_name(pass_type) or pass_type, "params": {**values, **carried}, "group": group}
    step = STEP_KINDS[kind]
    return {"type": step.olive_type, "params": {**{step.renames.get(k, k): v for k, v in values.items()}, **carried}, "group": group}


