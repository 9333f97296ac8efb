"""Checks of `model.path`: an AzureML URI is well-formed, a URL is not taken for a hub id, a local path
(`./`, `../`, `/`, more than one '/', or a parent folder that exists) exists, and a folder is one Olive's
HfModel can load: not the ONNX output of another orc/Olive run, and holding a config.json with a model type.

Olive takes any string that is not an existing folder for a hub id and fails only when it starts.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from orc_olive.checks.base import at
from orc_olive.checks.data import _missing_hint
from orc_olive.diagnostics import Diagnostic, Path_, dotted
from orc_olive.recipe.model_source import AZUREML_FORM, LOCAL_PREFIXES, model_source
from orc_olive.recipe.models import Recipe
from orc_olive.source.loader import Document

WHERE = ("model", "path")
LOOSE_AZUREML = re.compile(r"^azureml://registries/(?P<registry>[^/]+)/models/(?P<name>.+)/versions/(?P<version>[^/]+)$")
HF_FILES = ("config.json", "MLmodel")  # what HfModel loads: a transformers config, or an MLflow transformers model


def model_path(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    model = recipe.model
    if model is None or model.path_ is None or model.from_ is not None:  # from_: issue 15, a producer's output (build/chain.py)  # an Olive model config under `olive:` (checks/olive_files.py), or `azureml:`
        return
    yield from hf_model_source(model.path_, doc, base, WHERE)


def hf_model_source(value: str, doc: Document, base: Path, where: Path_ = WHERE) -> Iterator[Diagnostic]:
    """The rules of `model.path` for a value Olive's HfModel loads, placed at `where` (`model.path`, or the
    model_path of an HfModel carried under `olive: input_model`)."""
    source = model_source(value)
    if source.kind == "bad_azureml":
        yield at(doc, where, f"'{value}' is not an AzureML registry model URI", _azureml_hint(value), "invalid")
    elif source.kind == "hf_url":
        yield at(doc, where, f"'{value}' is a web address, not a Hugging Face model id",
                 f"write the model's id, '{source.repo}'", "invalid")
    elif source.kind == "url":
        yield at(doc, where, f"Olive 0.13 cannot load a model from the URL '{value}'",
                 f"give a Hugging Face model id ('org/name'), a local folder, or {AZUREML_FORM}", "invalid")
    elif source.kind in ("local", "hub", "bad_id"):
        yield from _local(value, source.kind, doc, base, where)


def _azureml_hint(value: str) -> str:
    loose = LOOSE_AZUREML.match(value)
    if loose and "/" in loose["name"]:
        return (f"the URI's model name cannot hold '/': write `azureml: {{registry: {loose['registry']}, name: {loose['name']},"
                f" version: {loose['version']}}}` in place of `path`")
    return f"write {AZUREML_FORM}, or `azureml: {{registry, name, version}}` in place of `path`"


def _local(value: str, kind: str, doc: Document, base: Path, where: Path_) -> Iterator[Diagnostic]:
    folder = base / value
    parent = PurePosixPath(value).parent
    read_as_path = kind == "local" or (kind == "hub" and str(parent) != "." and (base / parent).is_dir())
    if folder.is_dir():
        yield from _folder(value, folder, doc, where)
    elif folder.exists():
        yield at(doc, where, f"model path is a file, not a model folder: {value}", _file_hint(value, where != WHERE), "missing_file")
    elif read_as_path:
        if value.startswith("~"):
            why = "'~' is not expanded: write the full path"
        elif kind == "hub":
            why = f"'{parent}' is a folder beside the recipe, so this is a local path, not a hub id"
        elif value.count("/") > 1 and not value.startswith(LOCAL_PREFIXES):
            why = "more than one '/' makes it a local path, not a hub id ('org/name')"
        else:
            why = "a local path, relative to the recipe"
        hint = "; ".join([why, _missing_hint(base, value, folder=True)])
        yield at(doc, where, f"model folder not found: {value}", hint, "missing_file")
    elif kind == "bad_id":
        yield at(doc, where, f"'{value}' is neither a Hugging Face model id nor a folder", "a hub id is 'name' or 'org/name' (letters, digits,"
                 " '-', '_', '.'); a local folder is relative to the recipe, e.g. './models/phi'", "invalid")


def _file_hint(value: str, carried: bool) -> str:
    if value.endswith(".onnx") and carried:
        return "an ONNX model file is loaded with `type: ONNXModel`, not HfModel"
    if value.endswith(".onnx"):
        return f"an ONNX model goes under `olive: {{input_model: {{type: ONNXModel, model_path: {value}}}}}` in place of `model:`"
    return "give the folder that holds the model's config.json"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _folder(value: str, folder: Path, doc: Document, where: Path_) -> Iterator[Diagnostic]:
    """A local folder given to Olive's HfModel: refuse what it cannot load, saying what to point at."""
    field, carried = dotted(where), where != WHERE
    found = _read_json(folder / "model_config.json")
    olive_model: dict[str, Any] | None = found if isinstance(found, dict) else None
    config: dict[str, Any] = olive_model["config"] if olive_model and isinstance(olive_model.get("config"), dict) else {}
    onnx_files = sorted(p.name for p in folder.glob("*.onnx"))
    onnx_name = config.get("onnx_file_name") if isinstance(config.get("onnx_file_name"), str) else (onnx_files[0] if onnx_files else None)
    olive_type = str(olive_model.get("type", "")).lower() if olive_model else ""
    run = " written by an Olive run (it holds model_config.json)" if olive_model else ""
    weights = any(next(folder.glob(pattern), None) for pattern in ("*.safetensors", "*.bin", "*.pt", "*.pth"))
    if olive_type == "onnxmodel" or (not olive_type and not weights and (onnx_files or (folder / "genai_config.json").is_file())):
        onnx = f", onnx_file_name: {onnx_name}" if onnx_name else ""
        taking = f"`{field}` loads it with HfModel" if carried else "`model:` loads it with HfModel"
        as_is = (f"`type: ONNXModel{onnx}` for the input model" if carried
                 else f"`olive: {{input_model: {{type: ONNXModel, model_path: {value}{onnx}}}}}` in place of `model:`")
        yield at(doc, where, f"{value} is an ONNX model{run}, not a Hugging Face model: {taking}, which fails",
                 f"point {field} at the Hugging Face model it was built from, or take the ONNX model as it is with {as_is}"
                 " (then only ONNX steps follow)", "invalid")
        return
    if any((folder / name).is_file() for name in HF_FILES):
        hf_config = _read_json(folder / "config.json")
        if isinstance(hf_config, dict) and "model_type" not in hf_config and "AutoConfig" not in (hf_config.get("auto_map") or {}):
            yield at(doc, where, f"{value}/config.json has no model_type: transformers cannot tell which model it is",
                     f"point {field} at the folder of a Hugging Face model (its config.json names its model_type)", "invalid")
        return
    if olive_model:
        given = [f"{key}: {config[key]}" for key in ("model_path", "adapter_path") if isinstance(config.get(key), str)]
        names = f" (its model_config.json names {', '.join(given)})" if given else ""
        yield at(doc, where, f"{value} is the output of an Olive run{names}, not a Hugging Face model folder: it has no config.json",
                 f"point {field} (and {'the input model' if carried else 'model'}.adapter_path) at the folders that model_config.json names", "invalid")
        return
    inner = sorted(p.name for p in folder.iterdir() if p.is_dir() and any((p / name).is_file() for name in (*HF_FILES, "model_config.json")))
    hint = f"did you mean '{os.path.join(value, inner[0])}'?" if inner else "a Hugging Face model folder holds config.json beside its weights"
    yield at(doc, where, f"{value} is not a Hugging Face model folder: it has no config.json", hint, "missing_file")
