"""Parts of an Olive workflow config -> typed recipe parts, each only where it maps exactly.

Each function returns the recipe form of one part (model, dataset, target, step, evaluator) or None
when that part needs Olive's own form; importer.py then checks the guess by compiling it.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from orc_olive import catalog
from orc_olive.recipe.derived import data_format
from orc_olive.recipe.models import TYPED_STEP_MODELS, Dataset, Evaluate, ModelSpec
from orc_olive.recipe.pass_models import generic_model
from orc_olive.recipe.steps import STEP_KINDS
from orc_olive.render.context import dataset_config


def same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def same_config(compiled: Any, original: Any) -> bool:
    """The same model or pass config; Olive reads `type` case-insensitively (HFModel is HfModel, lora is LoRA)."""
    if not isinstance(compiled, dict) or not isinstance(original, dict):
        return False
    return str(compiled.get("type", "")).lower() == str(original.get("type", "")).lower() and same({**compiled, "type": ""}, {**original, "type": ""})


def same_pass(compiled: Any, original: Any) -> bool:
    """The same entry of `passes`, a config alone meaning the same as a group of one (as Olive reads them)."""
    compiled_list = compiled if isinstance(compiled, list) else [compiled]
    original_list = original if isinstance(original, list) else [original]
    return len(compiled_list) == len(original_list) and all(same_config(a, b) for a, b in zip(compiled_list, original_list))


def without_empty(data_config: dict[str, Any]) -> dict[str, Any]:
    """An empty component config means Olive's default component, as does leaving it out."""
    return {k: v for k, v in data_config.items() if v != {}}


def typed_model(model: Any) -> dict[str, Any] | None:
    if not isinstance(model, dict) or str(model.get("type", "")).lower() != "hfmodel":
        return None
    if set(model) - {"type", "model_path", "task", "load_kwargs", "adapter_path"} or not isinstance(model.get("model_path"), str):
        return None
    load_kwargs = dict(model.get("load_kwargs") or {})
    typed: dict[str, Any] = {"path": model["model_path"]}
    if "task" in model:
        typed["task"] = model["task"]
    if load_kwargs.get("trust_remote_code") is True:
        typed["trust_remote_code"] = load_kwargs.pop("trust_remote_code")
    if load_kwargs:
        typed["load_kwargs"] = load_kwargs
    if "adapter_path" in model:
        typed["adapter_path"] = model["adapter_path"]
    try:
        ModelSpec.model_validate(typed)
    except ValidationError:
        return None
    return typed


DATASET_LOAD = {"data_name", "split", "data_files"}
DATASET_PRE = {"text_template", "text_cols", "chat_template", "max_seq_len", "add_special_tokens", "max_samples", "strategy"}


def typed_dataset(data: Any) -> dict[str, Any] | None:
    """A recipe dataset that renders back to exactly this data config, or None."""
    if not isinstance(data, dict) or data.get("type") != "HuggingfaceContainer" or not isinstance(data.get("name"), str):
        return None
    load, pre = data.get("load_dataset_config") or {}, data.get("pre_process_data_config") or {}
    loader = data.get("dataloader_config") or {}
    if set(load) - DATASET_LOAD or set(pre) - DATASET_PRE or set(loader) - {"batch_size"}:
        return None
    typed: dict[str, Any] = {}
    files = load.get("data_files")
    if files is not None:
        typed["files"] = files if isinstance(files, str) else list(files)
        typed["format"] = load.get("data_name")
    else:
        typed["hf"] = load.get("data_name")
    both = {**load, **pre}  # a pre-processing value wins over a loading one
    for ours, theirs in (("split", "split"), ("template", "text_template"), ("columns", "text_cols"), ("max_length", "max_seq_len"),
                         ("max_samples", "max_samples"), ("add_special_tokens", "add_special_tokens"), ("strategy", "strategy")):  # fmt: skip
        if theirs in both:
            typed[ours] = both[theirs]
    if "batch_size" in loader:
        typed["batch_size"] = loader["batch_size"]
    try:
        dataset = Dataset.model_validate(typed)
        rendered = dataset_config(data["name"], dataset)
    except (ValidationError, KeyError, IndexError):
        return None
    if not same(rendered, without_empty(data)):
        return None
    # what the recipe would say anyway is left out: the default split, length, batch size; a format the files' suffix gives
    defaults = {name: field.default for name, field in Dataset.model_fields.items()}
    short = {k: v for k, v in typed.items() if k in ("files", "hf") or v != defaults.get(k)}
    if short.get("format") == data_format(dataset.model_copy(update={"format": None})):
        del short["format"]
    return short


def typed_target(config: dict[str, Any]) -> dict[str, Any] | None:
    """A recipe target: one local system used as host and target, or a target system plus a local
    `host_system` for the steps (a recipe's `host_device`). The caller checks the guess by compiling it."""
    systems, host, target = config.get("systems"), config.get("host"), config.get("target")
    if not isinstance(systems, dict) or not isinstance(target, str) or target not in systems:
        return None
    device = _local_device(systems[target])
    if device is None or set(systems) - {target, host}:
        return None
    typed = {"device": device[0], "provider": device[1]}
    if target != "local_system":
        typed["name"] = target
    if host == target:
        return typed
    host_device = _local_device(systems.get(host)) if host == "host_system" else None
    return {**typed, "host_device": host_device[0]} if host_device and host_device[0] in ("cpu", "gpu") else None


def _local_device(system: Any) -> tuple[str, str] | None:
    """(device, provider) of a local system with one accelerator and one execution provider."""
    if not isinstance(system, dict) or system.get("type") != "LocalSystem" or set(system) != {"type", "accelerators"}:
        return None
    accelerators = system["accelerators"]
    if not isinstance(accelerators, list) or len(accelerators) != 1 or not isinstance(accelerators[0], dict):
        return None
    accelerator = accelerators[0]
    providers = accelerator.get("execution_providers")
    if set(accelerator) != {"device", "execution_providers"} or accelerator["device"] not in ("cpu", "gpu", "npu"):
        return None
    if not isinstance(providers, list) or len(providers) != 1 or not isinstance(providers[0], str):
        return None
    return accelerator["device"], providers[0]


def step_for(name: str, value: Any, unsupported: list[str], carry_all: bool | None = None) -> dict[str, Any]:
    """The step for one entry of `passes`: a pass config, or a list of them (a pass group).

    carry_all None: the first guess (typed if possible); False: a checked `pass:` step; True: a `pass:`
    step with every field under its `olive:`.
    """
    configs = value if isinstance(value, list) else [value]
    if not configs or not all(isinstance(c, dict) for c in configs):
        unsupported.append(f"passes.{name}: not a pass config or a list of them")
        return {"pass": {"type": str(configs[0].get("type")) if configs and isinstance(configs[0], dict) else "", "id": name}}
    first, group = configs[0], configs[1:]
    step = typed_step(name, first, unsupported) if carry_all is None else pass_step(name, first, unsupported, carry_all=carry_all)
    if group:
        (params,) = step.values()
        params["group"] = group
    return step


def typed_step(name: str, pass_config: dict[str, Any], unsupported: list[str]) -> dict[str, Any]:
    """A typed step when the pass has one and every field maps onto it; otherwise a `pass:` step."""
    olive_type = catalog.canonical_pass_name(str(pass_config.get("type", "")))
    for key, kind in STEP_KINDS.items():
        if kind.olive_type != olive_type:
            continue
        to_recipe = {olive: ours for ours, olive in kind.renames.items()}
        params = {to_recipe.get(k, k): v for k, v in pass_config.items() if k != "type"}
        if name != key:
            params = {"id": name, **params}
        try:
            TYPED_STEP_MODELS[key].model_validate(params)
        except ValidationError:
            break
        return {key: params}
    return pass_step(name, pass_config, unsupported)


def pass_step(name: str, pass_config: dict[str, Any], unsupported: list[str], carry_all: bool = False) -> dict[str, Any]:
    """A `pass:` step; parameters orc cannot check (or, with carry_all, all of them) go under its `olive:`."""
    pass_type = str(pass_config.get("type", ""))
    canonical = catalog.canonical_pass_name(pass_type)
    if canonical is None:
        unsupported.append(f"passes.{name}: pass type '{pass_type}' is not an Olive 0.13 pass")
        canonical = pass_type
    params = {k: v for k, v in pass_config.items() if k != "type"}
    carried: dict[str, Any] = {}
    if carry_all or canonical not in catalog.catalog()["passes"]:
        carried, params = params, {}
    else:
        model = generic_model(canonical)
        for _ in range(len(params) + 1):
            try:
                model.model_validate({"type": canonical, **params})
                break
            except ValidationError as exc:
                bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"] and str(e["loc"][0]) in params}
                if not bad:
                    carried, params = {**carried, **params}, {}
                    break
                carried.update({k: params.pop(k) for k in sorted(bad)})
    step: dict[str, Any] = {"type": canonical, "id": name, **params}
    if carried:
        step["olive"] = carried
    return {"pass": step}


def typed_evaluate(config: dict[str, Any]) -> dict[str, Any] | None:
    """The `evaluate:` section for one evaluator that the engine uses, its metrics naming data by name."""
    evaluators = config.get("evaluators")
    if not isinstance(evaluators, dict) or len(evaluators) != 1:
        return None
    (name, evaluator), = evaluators.items()
    if config.get("evaluator") != name or not isinstance(evaluator, dict) or set(evaluator) != {"metrics"}:
        return None
    metrics = []
    for metric in evaluator["metrics"] or []:
        if not isinstance(metric, dict) or not isinstance(metric.get("data_config", ""), str):
            return None
        typed = {("dataset" if k == "data_config" else "measures" if k == "sub_types" else k): v for k, v in metric.items()}
        metrics.append(typed)
    typed_evaluate = {"name": name, "metrics": metrics}
    try:
        Evaluate.model_validate(typed_evaluate)
    except ValidationError:
        return None
    return typed_evaluate
