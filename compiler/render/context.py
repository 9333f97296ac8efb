"""Recipe -> template context: every decision about the Olive workflow is made here, once.

Templates only place these values; they decide nothing.
"""

from __future__ import annotations

from typing import Any

from orc_olive import catalog
from orc_olive.recipe.derived import data_format, step_id
from orc_olive.recipe.models import Dataset, Recipe, StepBase, Target
from orc_olive.recipe.steps import STEP_KINDS

SYSTEM_TYPES = {"local": "LocalSystem", "docker": "Docker", "python_env": "PythonEnvironment", "azureml": "LocalSystem"}
# An AzureML target runs the Olive workflow on the job's own machine: Olive 0.13 has no AzureML system.
SYSTEM_NAMES = {"local": "local_system", "docker": "docker_system", "python_env": "python_system", "azureml": "local_system"}
STRATEGIES = {  # recipe spelling -> Olive's TextGenStrategy value
    "line-by-line": "line-by-line",
    "line-by-line-random": "line-by-line-random",
    "join": "join",
    "join-random": "join-random",
    "join-sliding-window": "join-sliding-window",
}


def build_context(recipe: Recipe) -> dict[str, Any]:
    target, host = recipe.target, host_system(recipe)
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
        "data_configs": [dataset_config(name, ds) for name, ds in recipe.datasets.items()],
        "passes": pass_configs(recipe),
        "engine": {
            "output_dir": recipe.output.dir,
            "cache_dir": recipe.output.cache,
            "log_severity_level": recipe.engine.log_level,
            "evaluate_input_model": recipe.engine.evaluate_input_model,
            "clean_cache": recipe.engine.clean_cache,
            "no_artifacts": recipe.engine.no_artifacts,
        },
        "evaluate": _evaluate(recipe),
    }


def _evaluate(recipe: Recipe) -> dict[str, Any] | None:
    """The typed `evaluate:` section as Olive's evaluators mapping, with the engine using it."""
    if recipe.evaluate is None:
        return None
    metrics = []
    for metric in recipe.evaluate.metrics:
        values = metric.model_dump(mode="json", exclude_unset=True)
        if "dataset" in values:
            values["data_config"] = values.pop("dataset")
        if "measures" in values:
            values["sub_types"] = [m.model_dump(mode="json", exclude_unset=True) for m in metric.measures]
            del values["measures"]
        metrics.append(values)
    return {"name": recipe.evaluate.name, "evaluators": {recipe.evaluate.name: {"metrics": metrics}}}


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
    return {"type": "HfModel", "model_path": model.path, "task": model.task, "load_kwargs": load_kwargs, "adapter_path": model.adapter_path}


def dataset_config(name: str, dataset: Dataset) -> dict[str, Any]:
    """The Olive data config of one recipe dataset (`orc import` checks its typed guesses with it too)."""
    load: dict[str, Any] = {"data_name": dataset.hf or data_format(dataset), "split": dataset.split}
    if dataset.files is not None:
        load["data_files"] = dataset.file_list
    pre: dict[str, Any] = {}
    if dataset.template is not None:
        pre["text_template"] = dataset.template
    if dataset.columns is not None:
        pre["text_cols"] = dataset.columns
    pre.update({"chat_template": False, "max_seq_len": dataset.max_length, "add_special_tokens": dataset.add_special_tokens})
    if dataset.max_samples is not None:
        pre["max_samples"] = dataset.max_samples
    if dataset.strategy is not None:
        pre["strategy"] = STRATEGIES[dataset.strategy]
    return {
        "name": name,
        "type": "HuggingfaceContainer",
        "load_dataset_config": load,
        "pre_process_data_config": pre,
        "dataloader_config": {"batch_size": dataset.batch_size},
    }


def pass_configs(recipe: Recipe) -> list[dict[str, Any]]:
    """One entry per step, in step order: its Olive pass name, type and parameters by Olive's names."""
    out: list[dict[str, Any]] = []
    for kind, params in recipe.steps_with_kinds:
        out.append({"id": step_id(recipe, len(out)), "kind": kind, **olive_params(kind, params)})
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


