"""Parts of an Olive workflow config -> typed recipe parts, each only where it maps exactly.

Each function returns the recipe form of one part (model, dataset, target, step, evaluator) or None
when that part needs Olive's own form; importer.py then checks the guess by compiling it.
Datasets are typed in typed_data.py.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from orc_olive import catalog
from orc_olive.importer.typed_data import same, same_data, typed_dataset, without_empty
from orc_olive.recipe.models import TYPED_STEP_MODELS, Evaluate, ModelSpec
from orc_olive.recipe.pass_models import generic_model
from orc_olive.recipe.steps import STEP_KINDS


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


def same_evaluators(compiled: Any, original: Any) -> bool:
    """The same `evaluators` mapping, where an evaluator the config gave without a `type` may have the one
    orc writes (Olive 0.13 fails at start-up on a typeless evaluator: the added type is what makes it run)."""
    if not isinstance(compiled, dict) or not isinstance(original, dict) or set(compiled) != set(original):
        return same(compiled, original)
    return all(same(_typed_like(compiled[name], original[name]), original[name]) for name in original)


def added_evaluator_types(compiled: Any, original: Any) -> dict[str, str]:
    """{evaluator name: the type orc wrote} for the evaluators the config gave without one."""
    if not isinstance(compiled, dict) or not isinstance(original, dict):
        return {}
    return {name: str(compiled[name]["type"]) for name, evaluator in original.items()
            if isinstance(evaluator, dict) and evaluator.get("type") is None and isinstance(compiled.get(name), dict) and compiled[name].get("type")}  # fmt: skip


def _typed_like(compiled: Any, original: Any) -> Any:
    if isinstance(compiled, dict) and isinstance(original, dict) and original.get("type") is None and "type" in compiled:
        return {**{k: v for k, v in compiled.items() if k != "type"}, **({"type": None} if "type" in original else {})}
    return compiled


__all__ = ["added_evaluator_types", "same", "same_config", "same_data", "same_evaluators", "same_pass", "step_for", "typed_dataset", "typed_evaluate", "typed_model", "typed_target", "without_empty"]


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
    if config.get("evaluator") != name or not isinstance(evaluator, dict) or "metrics" not in evaluator or set(evaluator) - {"metrics", "type"}:
        return None
    metrics = []
    for metric in evaluator["metrics"] or []:
        if not isinstance(metric, dict) or not isinstance(metric.get("data_config", ""), str):
            return None
        typed = {("dataset" if k == "data_config" else "measures" if k == "sub_types" else k): v for k, v in metric.items()}
        metrics.append(typed)
    typed_evaluate = {"name": name, **({"type": evaluator["type"]} if evaluator.get("type") is not None else {}), "metrics": metrics}
    try:
        Evaluate.model_validate(typed_evaluate)
    except ValidationError:
        return None
    return typed_evaluate
