"""Older Olive workflow layouts -> the Olive 0.13 layout, with a note for every field renamed or dropped.

Olive renamed and removed many config fields between releases (the Phi-3 cookbook's `PyTorchModel` +
`hf_config`, nested `config:` blocks, an `engine:` block with `execution_providers`, LoRA's `lora_r`,
`params_config` data configs with `dataset_type: corpus`, ...). Olive 0.13 rejects some of them and
silently ignores others. `modernise` rewrites what has a modern equivalent and drops what has none;
each rewrite leaves a Note so that nothing is lost without a word. A config already in the 0.13 layout
comes back unchanged (only an `engine:` block is flattened, which Olive reads the same way).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from orc_olive import catalog
from orc_olive.diagnostics import Path_, dotted

RENAMED, DROPPED, MOVED = "renamed", "dropped", "moved"
NO_AZUREML = "Olive 0.13 has no AzureML support (removed in 0.9.3); use an orc `target: {system: azureml}` to run there"

# Fields of Olive 0.13's RunConfig and its engine, which a workflow may give at its top level.
TOP_LEVEL = {"workflow_id", "input_model", "systems", "data_configs", "evaluators", "engine", "passes"}
ENGINE_FIELDS = {
    "search_strategy", "host", "target", "evaluator", "plot_pareto_frontier", "no_artifacts", "evaluate_input_model",
    "output_dir", "packaging_config", "cache_config", "cache_dir", "clean_cache", "clean_evaluation_cache",
    "enable_shared_cache", "log_severity_level", "ort_log_severity_level", "ort_py_log_severity_level", "log_to_file",
}  # fmt: skip
REMOVED_TOP_LEVEL = {
    "$schema": "an editor hint, not a workflow field; Olive 0.13 rejects unknown fields",
    "azureml_client": NO_AZUREML,
    "auto_optimizer_config": "Olive 0.13 has no auto-optimizer section; the passes are listed explicitly",
    "execution_providers": "moved into the target system's accelerators",
    "pass_flows": "Olive 0.13 runs the passes in the order they are listed",
    "output_name": "Olive 0.13 names outputs after the output folder",
    "packaging_config_list": "use packaging_config",
}
REMOVED_SYSTEMS = {"AzureML": NO_AZUREML, "AzureNDV2System": NO_AZUREML, "IsolatedORT": "Olive 0.13 has no IsolatedORT system"}
SEARCH_RENAMES = {"search_algorithm": "sampler", "search_algorithm_config": "sampler_config"}
SAMPLER_RENAMES = {"exhaustive": "sequential"}
PASS_RENAMES = {"OrtPerfTuning": "OrtSessionParamsTuning"}
ADAPTER_PASSES = {"lora", "qlora", "loftq", "dora", "loha", "lokr"}
ADAPTER_RENAMES = {"lora_r": "r", "lora_alpha": "alpha"}
ADAPTER_DROPPED = {
    "eval_dataset_size": "Olive 0.13 no longer splits the training data: declare `holdout: <fraction>` on the step's dataset, or give an eval dataset",
    "double_quant": "only QLoRA quantizes its base model (there it is still `double_quant`)",
}
TRAINING_RENAMES = {"evaluation_strategy": "eval_strategy", "no_cuda": "use_cpu"}
# params_config keys of old data configs -> the component config they belong to now.
LOAD_KEYS = {"data_name", "data_dir", "data_files", "split", "subset", "col_filters", "trust_remote_code", "streaming"}
DATALOADER_KEYS = {"batch_size"}
COMPONENTS = {
    "load_dataset": "load_dataset_config",
    "pre_process_data": "pre_process_data_config",
    "post_process_data": "post_process_data_config",
    "dataloader": "dataloader_config",
}
# The HuggingfaceContainer's components when a data config names none (for a text-generation model).
DEFAULT_COMPONENTS = {"load_dataset_config": "huggingface_dataset", "pre_process_data_config": "text_generation_huggingface_pre_process",
                      "post_process_data_config": "text_generation_post_process", "dataloader_config": "default_dataloader"}  # fmt: skip
PRE_PROCESS_RENAMES = {"corpus_strategy": "strategy", "source_max_len": "max_seq_len"}
PRE_PROCESS_DROPPED = {"dataset_type": "Olive 0.13's text-generation pre-processing always reads a corpus"}


@dataclass(frozen=True)
class Note:
    """One change made to the config: where, what became of it, and why."""

    path: Path_  # where the field was, in the original config
    kind: str  # renamed | moved | dropped
    message: str
    new_path: Path_ = ()
    value: Any = None  # a dropped value, so the report can show what was not carried

    def report(self) -> str:
        """One line for the terminal; a dropped value is shown (secrets masked) so that nothing goes unseen."""
        if self.kind != DROPPED:
            return str(self)
        return f"{self} (value was: {shown_value(self.path, self.value)})"

    def __str__(self) -> str:
        where = dotted(self.path) or "(top)"
        if self.kind == DROPPED:
            return f"{where}: dropped ({self.message})"
        return f"{where} -> {dotted(self.new_path) or 'top level'}: {self.kind} ({self.message})"


SECRET_WORDS = ("key", "token", "secret", "password", "credential", "sas")


def shown_value(path: Path_, value: Any) -> str:
    """A dropped value as short text; anything under a key that sounds secret is masked."""
    if any(word in str(part).lower() for part in path for word in SECRET_WORDS):
        return "<hidden>"
    if isinstance(value, dict):
        value = {k: ("<hidden>" if any(w in str(k).lower() for w in SECRET_WORDS) else v) for k, v in value.items()}
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


class _Notes(list):
    def renamed(self, path: Path_, new_path: Path_, why: str, kind: str = RENAMED) -> None:
        self.append(Note(tuple(path), kind, why, tuple(new_path)))

    def dropped(self, path: Path_, value: Any, why: str) -> None:
        self.append(Note(tuple(path), DROPPED, why, value=value))


def modernise(config: dict[str, Any]) -> tuple[dict[str, Any], list[Note]]:
    """The Olive 0.13 form of `config` (a new object) and the notes on what changed."""
    config = copy.deepcopy(config)
    notes = _Notes()
    config = _flatten_engine(config, notes)
    providers = config.pop("execution_providers", None)
    for key in [k for k in config if k in REMOVED_TOP_LEVEL]:
        notes.dropped((key,), config.pop(key), REMOVED_TOP_LEVEL[key])
    _search_strategy(config, notes)
    dropped_systems = _systems(config, notes)
    if providers is not None:
        _move_providers(config, providers, notes)
    _references(config, dropped_systems, notes)
    if isinstance(config.get("input_model"), dict):
        config["input_model"] = _input_model(config["input_model"], notes)
    for index, data_config in enumerate(config.get("data_configs") or []):
        if isinstance(data_config, dict):
            config["data_configs"][index] = _data_config(data_config, ("data_configs", index), notes)
    for name, pass_config in list((config.get("passes") or {}).items()):
        if isinstance(pass_config, list):  # a pass group: each of its configs is rewritten alike
            config["passes"][name] = [_pass(c, ("passes", name, i), notes) if isinstance(c, dict) else c for i, c in enumerate(pass_config)]
        elif isinstance(pass_config, dict):
            config["passes"][name] = _pass(pass_config, ("passes", name), notes)
            pass_type = str(config["passes"][name].get("type", ""))
            if catalog.canonical_pass_name(pass_type) is None:
                notes.dropped(("passes", name), config["passes"].pop(name), f"Olive 0.13 has no pass '{pass_type}' (removed or renamed)")
    for key in [k for k in config if k not in TOP_LEVEL | ENGINE_FIELDS]:
        notes.dropped((key,), config.pop(key), "not a field of Olive 0.13's workflow config")
    return config, list(notes)


def _lift(block: dict[str, Any], key: str, path: Path_, notes: _Notes) -> dict[str, Any]:
    """Merge a nested `config:` block into its parent, in its place (Olive 0.13 reads both forms the same)."""
    inner = block.get(key)
    if not isinstance(inner, dict):
        return block
    out: dict[str, Any] = {}
    for name, value in block.items():
        if name == key:
            out.update({k: v for k, v in inner.items() if k not in block})
        else:
            out[name] = value
    for name in [k for k in inner if k in block]:
        notes.dropped(path + (key, name), inner[name], f"`{name}` is also given outside the `{key}:` block, and wins")
    notes.renamed(path + (key,), path, f"fields of the `{key}:` block moved up: Olive 0.13 takes them directly", MOVED)
    return out


def _rename(block: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """`block` with key `old` renamed to `new`, in the same place."""
    return {(new if k == old else k): v for k, v in block.items()}


def _flatten_engine(config: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    engine = config.get("engine")
    if not isinstance(engine, dict):
        return config
    out = {k: v for k, v in config.items() if k != "engine"}
    for name, value in engine.items():
        if name in out:
            notes.dropped(("engine", name), value, f"also given at the top level, where Olive 0.13 reads `{name}`")
        else:
            out[name] = value
    notes.renamed(("engine",), (), "the engine's fields moved to the top level, where Olive 0.13 reads them", MOVED)
    return out


def _move_providers(config: dict[str, Any], providers: Any, notes: _Notes) -> None:
    system = (config.get("systems") or {}).get(config.get("target")) if isinstance(config.get("target"), str) else None
    if isinstance(system, dict) and isinstance(providers, list) and providers:
        accelerators = system.get("accelerators") or [{"device": "cpu"}]
        if not any(a.get("execution_providers") for a in accelerators if isinstance(a, dict)):
            for accelerator in accelerators:
                accelerator["execution_providers"] = list(providers)
            system["accelerators"] = accelerators
            where = ("systems", config["target"], "accelerators")
            notes.renamed(("engine", "execution_providers"), where, "Olive 0.13 takes the providers from the target system", MOVED)
            return
    notes.dropped(("engine", "execution_providers"), providers, "Olive 0.13 takes the providers from the target system's accelerators")


def _search_strategy(config: dict[str, Any], notes: _Notes) -> None:
    strategy = config.get("search_strategy")
    if not isinstance(strategy, dict):
        return
    for old, new in SEARCH_RENAMES.items():
        if old in strategy and new not in strategy:
            strategy = config["search_strategy"] = _rename(strategy, old, new)
            notes.renamed(("search_strategy", old), ("search_strategy", new), "renamed in Olive 0.8")
    if str(strategy.get("sampler")) in SAMPLER_RENAMES:
        strategy["sampler"] = SAMPLER_RENAMES[strategy["sampler"]]
        notes.renamed(("search_strategy", "sampler"), ("search_strategy", "sampler"), "the exhaustive search is now the sequential sampler")


def _systems(config: dict[str, Any], notes: _Notes) -> set[str]:
    systems = config.get("systems")
    dropped: set[str] = set()
    if not isinstance(systems, dict):
        return dropped
    for name, system in list(systems.items()):
        path: Path_ = ("systems", name)
        if not isinstance(system, dict):
            continue
        system = _lift(system, "config", path, notes)
        if str(system.get("type")) in REMOVED_SYSTEMS:
            notes.dropped(path, system, REMOVED_SYSTEMS[str(system["type"])])
            del systems[name]
            dropped.add(name)
            continue
        accelerators = system.get("accelerators")
        if isinstance(accelerators, list):
            system["accelerators"] = _one_provider_each(accelerators, path + ("accelerators",), notes)
        systems[name] = system
    if not systems:
        del config["systems"]
    return dropped


def _one_provider_each(accelerators: list[Any], path: Path_, notes: _Notes) -> list[Any]:
    """Olive 0.13 runs one accelerator with one execution provider: keep the first, report the rest."""
    first = accelerators[0] if accelerators else None
    for index, dropped in enumerate(accelerators[1:], start=1):
        notes.dropped(path + (index,), dropped, "Olive 0.13 supports one accelerator per system: run the workflow again for it")
    providers = first.get("execution_providers") if isinstance(first, dict) else None
    if isinstance(first, dict) and isinstance(providers, list) and len(providers) > 1:
        notes.dropped(path + (0, "execution_providers"), providers[1:], "Olive 0.13 allows one execution provider per accelerator: run the workflow again for the others")
        first = {**first, "execution_providers": providers[:1]}
    return [first] if first is not None else []


def _references(config: dict[str, Any], dropped: set[str], notes: _Notes) -> None:
    """host/target names of systems that were dropped: Olive then runs on the local machine."""
    holders: list[tuple[Path_, dict[str, Any]]] = [((), config)]
    holders += [(("passes", n), p) for n, p in (config.get("passes") or {}).items() if isinstance(p, dict)]
    for path, holder in holders:
        for key in ("host", "target"):
            name = holder.get(key)
            if isinstance(name, str) and name in dropped:
                notes.dropped(path + (key,), holder.pop(key), f"system '{name}' was dropped; Olive runs on the local machine")


def _input_model(model: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    path: Path_ = ("input_model",)
    model = _lift(model, "config", path, notes)
    hf_config = model.get("hf_config")
    if str(model.get("type", "")).lower() in ("pytorchmodel", "hfmodel") and isinstance(hf_config, dict):
        model.pop("hf_config")
        old_type = model.get("type")
        model["type"] = "HfModel"
        if old_type != "HfModel":
            notes.renamed(path + ("type",), path + ("type",), f"{old_type} with hf_config is an HfModel in Olive 0.13")
        if "model_path" not in model and "model_name" in hf_config:
            model["model_path"] = hf_config.pop("model_name")
            notes.renamed(path + ("hf_config", "model_name"), path + ("model_path",), "HfModel names its model in model_path")
        for old, new in (("task", "task"), ("from_pretrained_args", "load_kwargs"), ("model_loading_args", "load_kwargs")):
            if old in hf_config:
                value = hf_config.pop(old)
                merged = {**value, **model.get(new, {})} if isinstance(value, dict) else value
                model[new] = merged
                notes.renamed(path + ("hf_config", old), path + (new,), "hf_config's fields are the model's own in Olive 0.13")
        for old, value in hf_config.items():
            notes.dropped(path + ("hf_config", old), value, "hf_config was removed in Olive 0.13 and this field has no equivalent")
    if "model_loading_args" in model:
        model["load_kwargs"] = {**model.pop("model_loading_args"), **model.get("load_kwargs", {})}
        notes.renamed(path + ("model_loading_args",), path + ("load_kwargs",), "renamed in Olive 0.13")
    return model


def _data_config(data: dict[str, Any], path: Path_, notes: _Notes) -> dict[str, Any]:
    before = len(notes)
    params = data.pop("params_config", None)
    components = data.pop("components", None)
    if isinstance(components, dict):
        for old, config in components.items():
            new = COMPONENTS.get(old, f"{old}_config")
            data.setdefault(new, config)
            notes.renamed(path + ("components", old), path + (new,), "data components have their own fields in Olive 0.13", MOVED)
    if isinstance(params, dict):
        kwargs = params.pop("component_kwargs", {}) or {}
        for old, values in kwargs.items():
            new = COMPONENTS.get(old, f"{old}_config")
            block = data.setdefault(new, {})
            block.update(values)
            notes.renamed(path + ("params_config", "component_kwargs", old), path + (new,), "component_kwargs became one config per component", MOVED)
        moved: dict[str, list[str]] = {}
        for key, value in params.items():
            new = "load_dataset_config" if key in LOAD_KEYS else "dataloader_config" if key in DATALOADER_KEYS else "pre_process_data_config"
            data.setdefault(new, {})[key] = value
            moved.setdefault(new, []).append(key)
        for new, keys in moved.items():  # one note per component, naming the fields it took
            notes.renamed(path + ("params_config",), path + (new,), f"{', '.join(keys)}: params_config was split into one config per data component", MOVED)
    nested = _unwrap_params(data, path, notes)
    pre = data.get("pre_process_data_config")
    if isinstance(pre, dict):
        where = path + ("pre_process_data_config",)
        origin: Path_ = ("params_config", "component_kwargs", "pre_process_data") if isinstance(params, dict) else ("pre_process_data_config",)
        origin += ("params",) if "pre_process_data_config" in nested else ()
        for old, new in PRE_PROCESS_RENAMES.items():
            if old in pre:
                if new not in pre:
                    pre = data["pre_process_data_config"] = _rename(pre, old, new)
                    notes.renamed(path + origin + (old,), where + (new,), "renamed in Olive 0.13's text-generation pre-processing")
                else:
                    notes.dropped(path + origin + (old,), pre.pop(old), f"`{new}` is given too, and wins")
        for old, why in PRE_PROCESS_DROPPED.items():
            if old in pre:
                notes.dropped(path + origin + (old,), pre.pop(old), why)
        if len(notes) > before and pre.get("text_template") and "text_cols" in pre:
            # an older config, rewritten anyway: what Olive does not read goes too, so that the dataset types
            notes.dropped(path + origin + ("text_cols",), pre.pop("text_cols"),
                          "text_template is given too, and Olive uses the template (text_formatting_func > text_template > text_cols): keep the template")
    return data


def _unwrap_params(data: dict[str, Any], path: Path_, notes: _Notes) -> set[str]:
    """`X_config: {params: {...}}` -> `X_config: {...}` for the HuggingfaceContainer's own components (Olive
    reads both forms the same), so that their keys are renamed and typed like any other; the names of the
    components rewritten."""
    if str(data.get("type", "HuggingfaceContainer")).lower() != "huggingfacecontainer":
        return set()
    done = set()
    for key in COMPONENTS.values():
        block = data.get(key)
        if not isinstance(block, dict) or set(block) - {"type", "params"} or not isinstance(block.get("params"), dict):
            continue
        if str(block.get("type") or DEFAULT_COMPONENTS[key]) != DEFAULT_COMPONENTS[key] or "type" in block["params"]:
            continue  # another component's parameters: kept in Olive's own layout
        data[key] = {**({"type": block["type"]} if "type" in block else {}), **block["params"]}
        notes.renamed(path + (key, "params"), path + (key,), "fields of the `params:` block moved up: Olive 0.13 reads both forms the same", MOVED)
        done.add(key)
    return done


def _pass(config: dict[str, Any], path: Path_, notes: _Notes) -> dict[str, Any]:
    config = _lift(config, "config", path, notes)
    pass_type = str(config.get("type", ""))
    if pass_type in PASS_RENAMES:
        config["type"] = PASS_RENAMES[pass_type]
        notes.renamed(path + ("type",), path + ("type",), f"{pass_type} is {config['type']} in Olive 0.13")
    if "disable_search" in config:
        notes.dropped(path + ("disable_search",), config.pop("disable_search"), "Olive 0.13 searches only with a search_strategy")
    if pass_type.lower() in ADAPTER_PASSES:
        canonical = catalog.canonical_pass_name(pass_type)
        params = catalog.pass_params(canonical) if canonical else {}
        for old, new in ADAPTER_RENAMES.items():
            if old in config and new not in config:
                config = _rename(config, old, new)
                notes.renamed(path + (old,), path + (new,), "renamed in Olive 0.13")
        for old, why in ADAPTER_DROPPED.items():
            if old in config and old not in params:
                notes.dropped(path + (old,), config.pop(old), why)
    if pass_type.lower() in ADAPTER_PASSES and isinstance(config.get("training_args"), dict):
        config["training_args"] = _training_args(config["training_args"], path + ("training_args",), notes)
    return config


def _training_args(args: dict[str, Any], path: Path_, notes: _Notes) -> dict[str, Any]:
    known = catalog.catalog().get("training_arguments", {})
    out: dict[str, Any] = {}
    for key, value in args.items():
        if key == "group_by_length" and key not in known and "train_sampling_strategy" in known and "train_sampling_strategy" not in args:
            if value is True:
                out["train_sampling_strategy"] = "group_by_length"
                notes.renamed(path + (key,), path + ("train_sampling_strategy",), "transformers 5 replaced it with train_sampling_strategy: group_by_length")
            else:
                notes.dropped(path + (key,), value, "transformers 5 replaced it with train_sampling_strategy, whose default already samples at random")
            continue
        new = TRAINING_RENAMES.get(key, key)
        if new != key and new not in args:
            notes.renamed(path + (key,), path + (new,), "renamed in transformers' TrainingArguments")
        if new not in known:
            notes.dropped(path + (key,), value, "not a training argument of Olive 0.13 (or of the transformers it pins)")
            continue
        out[new] = value
    return out

