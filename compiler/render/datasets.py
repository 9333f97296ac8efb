"""Recipe datasets -> Olive 0.13 HuggingfaceContainer data configs.

A dataset with `holdout` becomes two configs: `<name>` (the first part of the split, for training)
and `<name>_holdout` (the rest, in load_dataset's slice syntax), which training steps evaluate on
and metrics naming the dataset measure on.
"""

from __future__ import annotations

from typing import Any

from orc_olive.recipe.datasets import HOLDOUT_SUFFIX, Dataset
from orc_olive.recipe.derived import data_format
from orc_olive.recipe.models import Recipe

STRATEGIES = {  # recipe spelling -> Olive's TextGenStrategy value
    "line-by-line": "line-by-line",
    "line-by-line-random": "line-by-line-random",
    "join": "join",
    "join-random": "join-random",
    "join-sliding-window": "join-sliding-window",
}
TRAINING_KINDS = ("lora", "qlora")


def dataset_config(name: str, dataset: Dataset, split: str | None = None, input_name: str | None = None) -> dict[str, Any]:
    """The Olive data config of one recipe dataset (`orc import` checks its typed guesses with it too); cloud files
    read the AzureML job input of the dataset `input_name` (default: `name`)."""
    load: dict[str, Any] = {"data_name": dataset.hf or data_format(dataset)}
    if dataset.subset is not None:
        load["subset"] = dataset.subset
    load["split"] = split or dataset.split
    if dataset.files is not None:
        load["data_files"] = dataset.olive_files(input_name or name)
    pre: dict[str, Any] = {}
    if dataset.template is not None:
        pre["text_template"] = dataset.template
    if dataset.columns is not None:
        pre["text_cols"] = dataset.columns
    pre["chat_template"] = dataset.chat_template if dataset.chat_template is not None else False
    if dataset.messages_column is not None:
        pre["message_col"] = dataset.messages_column
    pre.update({"max_seq_len": dataset.max_length, "add_special_tokens": dataset.add_special_tokens})
    for key in ("pad_to_max_len", "use_attention_mask", "max_samples"):
        if getattr(dataset, key) is not None:
            pre[key] = getattr(dataset, key)
    if dataset.strategy is not None:
        pre["strategy"] = STRATEGIES[dataset.strategy]
        if "random" in dataset.strategy:  # Olive's TextGenParams requires a seed for these; 0 keeps the output deterministic
            pre["random_seed"] = dataset.seed if dataset.seed is not None else 0
    return {
        "name": name,
        "type": "HuggingfaceContainer",
        "load_dataset_config": load,
        "pre_process_data_config": pre,
        "dataloader_config": {"batch_size": dataset.batch_size},
    }


def dataset_configs(recipe: Recipe) -> list[dict[str, Any]]:
    """Every dataset's data config, each followed by its held-out part's when it has one."""
    out = []
    for name, dataset in recipe.datasets.items():
        train, held_out = dataset.split_parts()
        out.append(dataset_config(name, dataset, train))
        if held_out is not None:
            out.append(dataset_config(holdout_name(name), dataset, held_out, input_name=name))
    return out


def holdout_name(name: str) -> str:
    return name + HOLDOUT_SUFFIX


def evaluation_data(recipe: Recipe, name: str) -> str:
    """The data config a metric naming `name` measures on: the held-out part of a dataset that has one."""
    dataset = recipe.datasets.get(name)
    return holdout_name(name) if dataset is not None and dataset.holdout is not None else name


def with_holdout_eval(recipe: Recipe, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """A training step on a dataset with a holdout evaluates on it, unless the step names its own eval_dataset."""
    train = params.get("train_data_config")
    if kind not in TRAINING_KINDS or not isinstance(train, str) or "eval_data_config" in params:
        return params
    dataset = recipe.datasets.get(train)
    if dataset is None or dataset.holdout is None:
        return params
    return {**params, "eval_data_config": holdout_name(train)}
