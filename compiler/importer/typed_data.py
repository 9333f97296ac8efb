"""An Olive HuggingfaceContainer data config -> a recipe dataset, where one renders back to what Olive reads.

A config already in Olive 0.13's layout is typed only when the dataset renders back to exactly it (so
`orc import --check` finds the same workflow through RunConfig). A config that the importer rewrote
from an older layout (`params:` blocks, `source_max_len`, ...) has no exact form to keep: it is typed
when the dataset renders to a config that Olive's text-generation pre-processing reads the same way,
Olive's defaults filled in on both sides (TextGenParams' defaults from the pass catalog, load_dataset's
`split: validation`, the data loader's batch of 1). The typed form then states every value where orc's
default differs from Olive's (Olive adds special tokens by default; orc does not).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from orc_olive import catalog
from orc_olive.recipe.models import Dataset

# Olive's key -> the dataset field, per component (data_name is `hf`, or `format` beside `files`).
LOAD = {"data_files": "files", "split": "split", "subset": "subset"}
PRE = {"text_template": "template", "text_cols": "columns", "chat_template": "chat_template", "message_col": "messages_column",
       "max_seq_len": "max_length", "pad_to_max_len": "pad_to_max_len", "use_attention_mask": "use_attention_mask",
       "max_samples": "max_samples", "add_special_tokens": "add_special_tokens", "strategy": "strategy"}  # fmt: skip
LOADER = {"batch_size": "batch_size"}
COMPONENTS = {"load_dataset_config": LOAD, "pre_process_data_config": PRE, "dataloader_config": LOADER}
# Defaults Olive applies that the catalog does not hold: huggingface_dataset's split, default_dataloader's batch.
OLIVE_LOAD_DEFAULTS = {"split": "validation"}
OLIVE_LOADER_DEFAULTS = {"batch_size": 1}


def same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def without_empty(data_config: dict[str, Any]) -> dict[str, Any]:
    """An empty component config means Olive's default component, as does leaving it out."""
    return {k: v for k, v in data_config.items() if v != {}}


def _text_defaults() -> dict[str, Any]:
    return catalog.catalog()["text_generation_params"]["params"]


def olive_reading(data: Any) -> Any:
    """What Olive's HuggingfaceContainer reads from a text-generation data config: defaults filled in, a
    single data file as a list, a falsy chat template as none, and text_cols dropped where a template wins."""
    if not isinstance(data, dict):
        return data
    out = without_empty(data)
    load = {**OLIVE_LOAD_DEFAULTS, **(out.get("load_dataset_config") or {})}
    if isinstance(load.get("data_files"), str):
        load["data_files"] = [load["data_files"]]
    pre = {**_text_defaults(), **(out.get("pre_process_data_config") or {})}
    pre["chat_template"] = pre.get("chat_template") or None
    if pre.get("text_template") or pre.get("text_formatting_func") or pre["chat_template"]:
        pre.pop("text_cols", None)  # Olive's priority: formatting function, template, then columns
    loader = {**OLIVE_LOADER_DEFAULTS, **(out.get("dataloader_config") or {})}
    return {**out, "load_dataset_config": load, "pre_process_data_config": pre, "dataloader_config": loader}


def same_data(compiled: Any, original: dict[str, Any], loose: bool = False) -> bool:
    """The same data config: exactly (empty components aside), or, `loose`, as Olive reads it."""
    if loose:
        return same(olive_reading(compiled), olive_reading(original))
    return same(compiled, without_empty(original))


def typed_dataset(data: Any, loose: bool = False) -> dict[str, Any] | None:
    """A recipe dataset that renders back to this data config (exactly, or `loose` as Olive reads it), or None."""
    from orc_olive.render.context import dataset_config  # the renderer of the recipe's datasets

    if not isinstance(data, dict) or data.get("type") != "HuggingfaceContainer" or not isinstance(data.get("name"), str):
        return None
    data = without_empty(data)
    if set(data) - {"name", "type", *COMPONENTS}:
        return None
    parts = {key: data.get(key) or {} for key in COMPONENTS}
    fields = Dataset.model_fields
    for key, table in COMPONENTS.items():
        part = parts[key]
        usable = {olive for olive, ours in table.items() if ours in fields} | ({"data_name"} if key == "load_dataset_config" else set())
        if not isinstance(part, dict) or set(part) - usable:
            return None
    load, pre = parts["load_dataset_config"], dict(parts["pre_process_data_config"])
    if loose and "text_cols" in pre and (pre.get("text_template") or pre.get("chat_template")):
        del pre["text_cols"]  # unused by Olive (the template wins); a dataset gives one of them
    typed: dict[str, Any] = {}
    files = load.get("data_files")
    if files is not None:
        typed["files"] = files if isinstance(files, str) else list(files)
        typed["format"] = load.get("data_name")
    else:
        typed["hf"] = load.get("data_name")
    for key, table in COMPONENTS.items():
        values = pre if key == "pre_process_data_config" else parts[key]
        typed.update({table[olive]: value for olive, value in values.items() if olive in table})
    if loose:
        typed.update(_olive_defaults(typed, load, pre))
    try:
        dataset = Dataset.model_validate(typed)
        rendered = dataset_config(data["name"], dataset)
    except (ValidationError, KeyError, IndexError, ValueError):
        return None
    if not same_data(rendered, data, loose):
        return None
    # what the recipe would say anyway is left out (the default split, length, batch size; a format the files'
    # suffix gives; `chat_template: false`): each field whose absence renders the same config
    short = dict(typed)
    for key in [k for k in typed if k not in ("files", "hf")]:
        trial = {k: v for k, v in short.items() if k != key}
        try:
            if same(dataset_config(data["name"], Dataset.model_validate(trial)), rendered):
                short = trial
        except (ValidationError, KeyError, IndexError, ValueError):
            continue
    return short


def _olive_defaults(typed: dict[str, Any], load: dict[str, Any], pre: dict[str, Any]) -> dict[str, Any]:
    """Olive's defaults for what the config leaves out, where the recipe's default differs."""
    fields = Dataset.model_fields
    olive = {**{(LOAD[k]): v for k, v in OLIVE_LOAD_DEFAULTS.items() if k not in load},
             **{PRE[k]: v for k, v in _text_defaults().items() if k in PRE and k not in pre}}  # fmt: skip
    return {ours: value for ours, value in olive.items()
            if ours in fields and ours not in typed and fields[ours].default is not None and fields[ours].default != value}  # fmt: skip
