"""Local files the `olive:` block names: the carried input model's paths and the carried data configs'
data files must be there, as the typed `model.path` and `datasets:` files must.

Olive takes a model_path that is not on disk for a Hugging Face hub id (`models/phi/awq` fails at start
with "Repo id must be in the form 'repo_name' or 'namespace/repo_name'"), and datasets.load_dataset fails
on a data file that is not there, after the model has been loaded. An HfModel's model_path follows the
rules of `model.path` (checks/model_source.py); the model paths of other model types are always local.

`orc import` compiles the recipe it writes before the files a config names need to be there (the lab's
second config reads the model its first command makes): inside `files_may_be_absent()` these findings
are collected for the importer to report as warnings, and do not stop the compile.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any, Iterator, TypeGuard

from orc_olive.checks.base import at
from orc_olive.checks.data import _missing_hint
from orc_olive.checks.data_columns import data_files, is_pattern
from orc_olive.checks.model_source import hf_model_source
from orc_olive.checks.olive_data import component_params
from orc_olive.diagnostics import Diagnostic, Path_
from orc_olive.recipe.model_source import LOCAL_PREFIXES, model_source
from orc_olive.recipe.models import Recipe
from orc_olive.source.loader import Document

# Model types whose model_path may be a Hugging Face id (the rules of model.path); any other: a local path.
HUB_MODELS = {"hfmodel", "diffusersmodel", "pytorchmodel"}
MODEL_FIELDS = ("model_path", "adapter_path")
SCRIPT_FIELDS = ("model_script", "script_dir")
# datasets' packaged builders: their data_files and data_dir are local (a hub dataset's are inside its repo)
LOCAL_BUILDERS = {"json", "csv", "parquet", "text", "arrow", "pandas", "imagefolder", "audiofolder", "videofolder", "webdataset", "xml"}

_ABSENT: ContextVar[list[Diagnostic] | None] = ContextVar("orc_olive_absent_files", default=None)


@contextmanager
def files_may_be_absent() -> Iterator[list[Diagnostic]]:
    """Within: what these checks find is collected (as warnings) into the list given, not reported."""
    found: list[Diagnostic] = []
    token = _ABSENT.set(found)
    try:
        yield found
    finally:
        _ABSENT.reset(token)


def _report(found: Iterator[Diagnostic]) -> Iterator[Diagnostic]:
    held = _ABSENT.get()
    if held is None:
        yield from found
    else:
        held.extend(replace(d, severity="warning") for d in found)


def carried_model_paths(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    yield from _report(_model_paths(recipe, doc, base))


def carried_data_files(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    yield from _report(_data_files(recipe, doc, base))


def _local_string(value: Any) -> TypeGuard[str]:
    """A string naming a local path: not a URI, not empty, not an AzureML job input (`${{inputs.x}}`, which
    the job fills in before `olive run`); a resource mapping is not one."""
    return (isinstance(value, str) and bool(value.strip()) and "://" not in value and not value.lower().startswith("azureml:")
            and "${{" not in value)  # fmt: skip


def _model_paths(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    model = (recipe.olive or {}).get("input_model")
    if not isinstance(model, dict):
        return
    kind = str(model.get("type", "")).lower()
    inner = model.get("config")
    holders: list[tuple[dict[str, Any], Path_]] = [(model, ("olive", "input_model"))]
    if isinstance(inner, dict):  # an older layout: the fields under `config:`
        holders.append((inner, ("olive", "input_model", "config")))
    for holder, where in holders:
        for field in MODEL_FIELDS:
            value = holder.get(field)
            if not isinstance(value, str) or not value.strip() or "${{" in value:
                continue  # a resource mapping ({type: azureml_registry_model, ...}), an AzureML job input, or nothing
            path = where + (field,)
            if kind == "hfmodel" and field == "model_path":
                yield from hf_model_source(value, doc, base, path)
            elif kind in HUB_MODELS:
                yield from _hub_or_local(value, doc, base, path)
            elif _local_string(value) and not (base / value).exists():
                yield at(doc, path, f"model file or folder not found: {value}", _missing_hint(base, value, folder=False), "missing_file")
        for field in SCRIPT_FIELDS:
            value = holder.get(field)
            if _local_string(value) and not (base / value).exists():
                yield at(doc, where + (field,), f"{field.replace('_', ' ')} not found: {value}", _missing_hint(base, value, folder=field == "script_dir"), "missing_file")


def _hub_or_local(value: str, doc: Document, base: Path, path: Path_) -> Iterator[Diagnostic]:
    """A value that may be a hub id: missing on disk is an error only where it cannot be one (model.path's rule)."""
    if (base / value).exists() or not _local_string(value):
        return
    kind, parent = model_source(value).kind, PurePosixPath(value).parent
    if kind == "local":
        why = "a local path, relative to the recipe" if value.startswith(LOCAL_PREFIXES) else "more than one '/' makes it a local path, not a hub id ('org/name')"
    elif kind == "hub" and str(parent) != "." and (base / parent).is_dir():
        why = f"'{parent}' is a folder beside the recipe, so this is a local path, not a hub id"
    else:
        return
    yield at(doc, path, f"model folder not found: {value}", f"{why}; {_missing_hint(base, value, folder=True)}", "missing_file")


def _data_files(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    configs = (recipe.olive or {}).get("data_configs")
    for index, config in enumerate(configs if isinstance(configs, list) else []):
        if not isinstance(config, dict):
            continue
        found = component_params(config.get("load_dataset_config"), ("olive", "data_configs", index, "load_dataset_config"))
        if found is None:
            continue
        params, where = found
        if str(params.get("data_name", "")).lower() not in LOCAL_BUILDERS:
            continue  # a hub dataset: its data_files and data_dir name files inside its repo
        data_dir = params.get("data_dir")
        root = base
        if _local_string(data_dir):
            if not (base / data_dir).is_dir():
                yield at(doc, where + ("data_dir",), f"data folder not found: {data_dir}", _missing_hint(base, data_dir, folder=True), "missing_file")
                continue
            root = base / data_dir  # datasets finds data_files inside data_dir
        for file, path in _file_entries(params.get("data_files"), where + ("data_files",)):
            if _local_string(file) and not data_files(root, file):
                what = "no data file matches" if is_pattern(file) else "data file not found:"
                yield at(doc, path, f"{what} {file}", _missing_hint(root, file, folder=False), "missing_file")


def _file_entries(value: Any, path: Path_) -> Iterator[tuple[Any, Path_]]:
    """Each file of a data_files value: a string, a list, or a mapping of split -> string or list."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield item, path + (i,)
    elif isinstance(value, dict):
        if "type" in value:
            return  # a resource (such as azureml_datastore): checked where it is refused
        for split, files in value.items():
            yield from _file_entries(files, path + (split,))
    else:
        yield value, path


OLIVE_FILE_CHECKS = [carried_model_paths, carried_data_files]
