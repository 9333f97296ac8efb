"""Olive data configs under `olive: data_configs` whose keys Olive 0.13 will not use: warnings, or an error
for a pre-processing key in the load config (datasets.load_dataset refuses it at run time).

Olive's text-generation pre-processing validates its keys against `TextGenParams` and only logs
"Keys ... are not part of TextGenParams. Ignoring them" for any other: an older config's
`source_max_len: 2048` then trains on Olive's default of 1024 tokens, silently. The keys it reads come
from the pass catalog (generated from Olive's own code, olive/data_catalog.py). A `text_template` also
wins over `text_cols` (Olive's priority: text_formatting_func, then text_template, then text_cols), so
a config giving both uses only the template.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from orc_olive import catalog
from orc_olive.checks.base import at
from orc_olive.diagnostics import Diagnostic, Path_, one_of
from orc_olive.recipe.hints import strict_closest
from orc_olive.recipe.models import Recipe
from orc_olive.source.loader import Document

DEFAULT_TASK = "text-generation"  # Olive's DEFAULT_HF_TASK is text-generation-with-past, read without the suffix
# Older names of TextGenParams fields, and what they became.
OLD_KEYS = {
    "source_max_len": "max_seq_len",
    "corpus_strategy": "strategy",
    "max_length": "max_seq_len",
    "template": "text_template",
    "columns": "text_cols",
}
DROP = {"dataset_type": "Olive 0.13's text-generation pre-processing always reads a corpus: leave it out"}


def text_generation_keys() -> tuple[str, set[str], dict[str, Any]]:
    """(the pre-process component, every key it reads, TextGenParams' defaults), from the catalog."""
    entry = catalog.catalog()["text_generation_params"]
    return entry["component"], set(entry["arguments"]) | set(entry["params"]), entry["params"]


def component_params(config: Any, path: Path_) -> tuple[dict[str, Any], Path_] | None:
    """A component config's parameters and where they sit: the `params:` block (Olive's own layout) or
    the keys beside `type` (which Olive gathers into `params`)."""
    if not isinstance(config, dict):
        return None
    if isinstance(config.get("params"), dict) and set(config) <= {"type", "params"}:
        return config["params"], path + ("params",)
    return {k: v for k, v in config.items() if k not in ("type", "params")}, path


def _task(recipe: Recipe, params: dict[str, Any]) -> str | None:
    """The task Olive pre-processes for (params' own, else the input model's), None when Olive fills none in."""
    task = params.get("task")
    if task is None:
        if recipe.model is not None:
            task = recipe.model.task or DEFAULT_TASK
        else:
            model = recipe.olive.get("input_model")
            if not isinstance(model, dict) or str(model.get("type", "")).lower() != "hfmodel":
                return None  # Olive fills the task in from HfModel inputs only
            inner = model.get("config")
            task = (inner if isinstance(inner, dict) else model).get("task") or DEFAULT_TASK
    return task.removesuffix("-with-past") if isinstance(task, str) else None


def olive_data_keys(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """Keys of the carried data configs that Olive's text-generation pre-processing ignores or overrides."""
    configs = recipe.olive.get("data_configs")
    component, known, defaults = text_generation_keys()
    for index, config in enumerate(configs if isinstance(configs, list) else []):
        if not isinstance(config, dict) or str(config.get("type", "HuggingfaceContainer")).lower() != "huggingfacecontainer":
            continue
        where: Path_ = ("olive", "data_configs", index)
        yield from _load_keys(doc, config.get("load_dataset_config"), where + ("load_dataset_config",), defaults)
        pre = config.get("pre_process_data_config")
        found = component_params(pre, where + ("pre_process_data_config",))
        if found is None or (isinstance(pre, dict) and pre.get("type") not in (None, component)):
            continue
        params, path = found
        if _task(recipe, params) != DEFAULT_TASK:
            continue
        for key in params:
            if key not in known:
                yield at(doc, path + (key,), f"Olive 0.13 ignores '{key}': it is not a field of the text-generation pre-processing (TextGenParams), "
                         "and Olive only logs 'not part of TextGenParams. Ignoring them'", _hint(key, params, known, defaults), "olive_data", "warning", key=True)
        yield from _template_and_columns(doc, params, path)


def _load_keys(doc: Document, load: Any, path: Path_, defaults: dict[str, Any]) -> Iterator[Diagnostic]:
    """Pre-processing keys in the huggingface_dataset load config: Olive hands every key it does not name to
    datasets.load_dataset, which refuses them (TypeError: ... got an unexpected keyword argument), whatever
    the pre-processing and the task."""
    loaded = component_params(load, path)
    if loaded is None or (isinstance(load, dict) and load.get("type") not in (None, "huggingface_dataset")):
        return
    params, where = loaded
    for key in params:
        if key in defaults and key not in ("max_samples", "trust_remote_code"):
            yield at(doc, where + (key,), f"'{key}' is a pre-processing key: Olive passes it to datasets.load_dataset, which refuses it",
                     "move it to pre_process_data_config", "olive_data", key=True)


def _hint(key: str, params: dict[str, Any], known: set[str], defaults: dict[str, Any]) -> str:
    if key in DROP:
        return DROP[key]
    new = OLD_KEYS.get(key) or strict_closest(key, known)
    if new is None:
        return one_of(known)
    value = params[key]
    default = f" (Olive uses {defaults[new]!r} otherwise)" if new in defaults and defaults[new] != value else ""
    if new in params:
        return f"'{new}' is given too, and is the one Olive reads: remove '{key}'"
    return f"write {new}: {_short(value)}{default}"


def _template_and_columns(doc: Document, params: dict[str, Any], path: Path_) -> Iterator[Diagnostic]:
    if "text_cols" not in params or not params.get("text_template"):
        return
    winner = "text_formatting_func" if params.get("text_formatting_func") else "text_template"
    yield at(doc, path + ("text_cols",), f"both text_template and text_cols are given: Olive uses {winner} and ignores text_cols",
             f"keep {winner}, which names the columns it uses, and remove text_cols", "olive_data", "warning", key=True)


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."


OLIVE_DATA_CHECKS = [olive_data_keys]
