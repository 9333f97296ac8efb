"""Old Olive and cookbook names -> their place in a recipe, for the hint of an unknown-field error.

Olive configs written for older releases (the Phi-3 cookbook, Olive's own 0.x examples) use names that
a recipe spells differently or keeps elsewhere: LoRA's `lora_r`, a pass's `train_data_config`, the
engine's `output_dir`, transformers' `evaluation_strategy`. An unknown field that is one of them gets a
hint naming its new place; any other unknown field gets a did-you-mean only when it is a likely
misspelling (`strict_closest`), never a longer name that merely contains it (`batch_size` is not
`auto_find_batch_size`).

Where a key sits decides its hint: `section_of` names the section from the key's path in the recipe.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Iterable

from orc_olive import catalog
from orc_olive.diagnostics import Path_
from orc_olive.recipe.models import Dataset
from orc_olive.recipe.steps import STEP_KINDS

ADAPTER_KINDS = ("lora", "qlora")
DATA_CONFIG_LAYOUT = "a recipe dataset gives its fields directly (files or hf, split, template or columns, max_length, ...); an Olive data config as it is goes under `olive: data_configs`"  # noqa: E501

# Olive's older engine / top-level fields that a recipe holds in its own sections.
_PLACES = {
    "output_dir": "the output folder is `output.dir` in a recipe",
    "cache_dir": "Olive's cache folder is `output.cache` in a recipe",
    "execution_providers": "the execution provider is `target.provider`, one per recipe",
    "host": "the machine the steps run on is `target.host_device`, or `target.system` for docker, python_env and azureml",
    "target": "the device and provider are the recipe's `target:` section: device, provider, system",
    "search_strategy": "a search is `olive.search_strategy`; false means none, as does leaving it out",
    "log_severity_level": "Olive's log level is `engine.log_level`",
    "evaluator": "the evaluation is the recipe's `evaluate:` section",
    "evaluators": "the evaluation is the recipe's `evaluate:` section",
    "systems": "the system is the recipe's `target:` section: device, provider, system; Olive systems as they are go under `olive.systems`",
    "input_model": "the model is the recipe's `model:` section: path, task, trust_remote_code; any other Olive model config goes under `olive.input_model`",  # noqa: E501
    "data_configs": "datasets are the recipe's `datasets:` section, by name; Olive data configs as they are go under `olive.data_configs`",
    "passes": "the passes are the recipe's `steps:` list: `- lora: {...}`, or `- pass: {type: ...}` for any Olive pass",
    "workflow_id": "the workflow id is the recipe's `name`, or `olive.workflow_id` to keep another",
    "engine": "the engine's fields are spread over `output:` for dir and cache, `target:`, `engine:` for log_level and the like, and `olive:`",
    "azureml_client": "an AzureML workspace is `target: {system: azureml, azureml: {subscription_id: ..., resource_group: ..., workspace: <name>, compute: <cluster>}}` (an `azureml_client:` mapping is accepted inside `azureml:`)",  # noqa: E501
    "auto_optimizer_config": "Olive 0.13 has no auto-optimizer: list the steps",
    "$schema": "a recipe's editor schema goes in a `# yaml-language-server: $schema=...` comment",
}
_TOP = {
    **_PLACES,
    "target": "",  # a recipe field: never unknown at the top level
    "name": "",
}
_ENGINE = {k: v for k, v in _PLACES.items() if k not in ("systems", "input_model", "data_configs", "passes", "engine")}
_OUTPUT = {"output_dir": "write `dir`", "cache_dir": "write `cache`", "path": "write `dir`", "output": "write `dir`"}
_TARGET = {
    "execution_providers": "write `provider`, one execution provider",
    "execution_provider": "write `provider`",
    "accelerators": "write `device` and `provider`, one accelerator",
    "accelerator": "write `device`",
    "host": "write `host_device`",
    "type": "write `system`: local, docker, python_env or azureml",
    "config": "Olive's older nested `config:` block: give `device` and `provider` directly",
}
_MODEL = {
    "model_name": "write `path`: a Hugging Face id or a local folder",
    "model_path": "write `path`",
    "name": "write `path`",
    "hf_config": "Olive's older `hf_config` block: its model_name is `path`, its task `task`, its loading arguments `load_kwargs`",
    "model_loading_args": "write `load_kwargs`, and `trust_remote_code: true` on its own",
    "from_pretrained_args": "write `load_kwargs`, and `trust_remote_code: true` on its own",
    "type": "`model:` is a Hugging Face model; any other Olive model config goes under `olive.input_model`",
    "config": "Olive's older nested `config:` block: give path, task and load_kwargs directly",
}
_DATASET = {
    "data_files": "write `files`",
    "data_name": "write `hf` for a hub dataset id, or `format` (json, csv, parquet, text) beside `files`",
    "text_template": "write `template`",
    "text_cols": "write `columns`",
    "max_seq_len": "write `max_length`",
    "source_max_len": "write `max_length`: Olive 0.13 ignores `source_max_len` and uses 1024",
    "corpus_strategy": "write `strategy`",
    "dataset_type": "Olive 0.13's text-generation pre-processing always reads a corpus: leave it out",
    "params_config": DATA_CONFIG_LAYOUT,
    "load_dataset_config": DATA_CONFIG_LAYOUT,
    "pre_process_data_config": DATA_CONFIG_LAYOUT,
    "post_process_data_config": DATA_CONFIG_LAYOUT,
    "dataloader_config": DATA_CONFIG_LAYOUT,
    "components": DATA_CONFIG_LAYOUT,
    "type": "a recipe dataset is Olive's HuggingfaceContainer; another container goes under `olive: data_configs`",
    "name": "a dataset's name is its key under `datasets:`",
}
_TRAINING = {
    "evaluation_strategy": "renamed in transformers: write `eval_strategy`",
    "group_by_length": "transformers 5 replaced it: write `train_sampling_strategy: group_by_length`",
    "no_cuda": "renamed in transformers: write `use_cpu`",
    "batch_size": "the training batch is `per_device_train_batch_size`",
    "per_gpu_train_batch_size": "renamed in transformers: write `per_device_train_batch_size`",
    "per_gpu_eval_batch_size": "renamed in transformers: write `per_device_eval_batch_size`",
    "include_inputs_for_metrics": "renamed in transformers: write `include_for_metrics`",
    "push_to_hub_token": "renamed in transformers: write `hub_token`",
    "fp16_backend": "removed in transformers: use `bf16` or `fp16`",
    "half_precision_backend": "removed in transformers 5: use `bf16` or `fp16`",
    "epochs": "write `num_train_epochs`",
    "lr": "write `learning_rate`",
}
# Keys of an adapter step (lora, qlora), by the recipe's names.
_ADAPTER = {
    "lora_r": "Olive's older name: write `r`",
    "lora_alpha": "Olive's older name: write `alpha`",
    "lora_dropout": "write `dropout`",
    "batch_size": "the data loader's batch is `datasets.<name>.batch_size`; the training batch is `training.per_device_train_batch_size`",
    "eval_dataset_size": "Olive 0.13 no longer splits the training data: declare `holdout: 0.3` on the dataset, or give `eval_dataset`",
    "training_arguments": "write `training`",
}
_STEP = {
    "config": "Olive's older nested `config:` block: give its fields directly in the step",
    "type": "a typed step names its pass itself; for another Olive pass write `- pass: {type: ...}`",
}
# Keys of a `pass:` step, which uses Olive's own names.
_PASS = {"lora_r": _ADAPTER["lora_r"], "lora_alpha": _ADAPTER["lora_alpha"], "config": _STEP["config"], "eval_dataset_size": _ADAPTER["eval_dataset_size"]}


def section_of(path: Path_) -> str:
    """The section an unknown key at `path` sits in: top, engine, output, target, model, dataset, training,
    step:<kind>, pass:<Olive type>, or '' (no table applies)."""
    parent = path[:-1]
    if not parent:
        return "top"
    if len(parent) == 1 and parent[0] in ("engine", "output", "target", "model"):
        return str(parent[0])
    if len(parent) == 2 and parent[0] == "datasets":
        return "dataset"
    if len(parent) >= 3 and parent[0] == "steps" and isinstance(parent[1], int):
        kind = str(parent[2])
        if len(parent) == 3:
            return f"step:{kind}"
        if len(parent) == 4 and parent[3] in ("training", "training_args"):
            return "training"
    return ""


def old_name_hint(key: str, path: Path_, pass_type: str | None = None) -> str:
    """Where an old Olive / cookbook key belongs in a recipe, or '' when the table does not know it."""
    section = section_of(path)
    if section == "step:pass":
        return _pass_hint(key, pass_type)
    if section.startswith("step:"):
        return _step_hint(key, section.split(":", 1)[1])
    table = {"top": _TOP, "engine": _ENGINE, "output": _OUTPUT, "target": _TARGET, "model": _MODEL, "dataset": _DATASET, "training": _TRAINING}.get(section, {})
    hint = table.get(key, "")
    if not hint and section in ("top", "engine") and key in _olive_fields():
        hint = f"an Olive workflow field: give it under `olive:` (olive.{key})"
    return hint


def _step_hint(key: str, kind: str) -> str:
    step = STEP_KINDS.get(kind)
    if step is None:
        return ""
    if kind in ADAPTER_KINDS and key == "eval_dataset_size" and "holdout" not in Dataset.model_fields:
        return "Olive 0.13 no longer splits the training data: give `eval_dataset`"
    if kind in ADAPTER_KINDS and key in _ADAPTER:
        return _ADAPTER[key]
    if kind == "lora" and key in _qlora_only():
        return f"`{key}` belongs to qlora, which quantizes the base model to 4 bits: use a `qlora` step, or leave it out"
    ours = {olive: recipe for recipe, olive in step.renames.items()}
    if key in ours:
        return f"Olive's name: a `{kind}` step writes `{ours[key]}`"
    return _STEP.get(key, "")


def _pass_hint(key: str, pass_type: str | None) -> str:
    name = catalog.canonical_pass_name(pass_type or "") or ""
    if name == "LoRA" and key in _qlora_only():
        return f"`{key}` belongs to QLoRA, which quantizes the base model to 4 bits: use type QLoRA, or leave it out"
    return _PASS.get(key, "")


@lru_cache(maxsize=1)
def _qlora_only() -> frozenset[str]:
    return frozenset(set(catalog.pass_params("QLoRA")) - set(catalog.pass_params("LoRA")))


@lru_cache(maxsize=1)
def _olive_fields() -> frozenset[str]:
    schema = catalog.run_config_schema()
    return frozenset(schema["properties"]) | frozenset(schema["$defs"]["RunEngineConfig"]["properties"])


def strict_closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice `word` likely misspells: the same but for case, or close in spelling and in length.

    A much longer name that contains `word` is another field, not a misspelling (`batch_size` is not
    `auto_find_batch_size`, though difflib rates them close): the longer may be half as long again at most.
    """
    lowered = {c.lower(): c for c in sorted(set(choices))}
    low = word.lower()
    if low in lowered:
        return lowered[low]
    best, score = None, 0.0
    for candidate in lowered:
        ratio = difflib.SequenceMatcher(None, low, candidate).ratio()
        longer, shorter = max(len(low), len(candidate)), min(len(low), len(candidate))
        if ratio < 0.6 or longer - shorter > max(2, shorter // 2):
            continue
        if ratio > score:
            best, score = candidate, ratio
    return lowered[best] if best else None


def unknown_field_hint(key: str, path: Path_, allowed: list[str], pass_type: str | None = None) -> str:
    """The hint of an unknown field: its new place (the table), else a likely misspelling, else ''."""
    hint = old_name_hint(key, path, pass_type)
    if hint:
        return hint
    match = strict_closest(key, allowed)
    return f"did you mean '{match}'?" if match else ""
