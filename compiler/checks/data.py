"""Checks against the files a recipe names: data files, model folders and the files of docker and
python_env targets exist, template columns exist in the data, and training runs long enough to see the data.

Only the first rows of a data file are read (see data_columns.py), so these stay fast on any data set.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from orc_olive import catalog
from orc_olive.checks.base import at, steps
from orc_olive.checks.data_columns import columns, count_rows, data_files, is_pattern, placeholders
from orc_olive.diagnostics import Diagnostic, Path_, closest, suggest
from orc_olive.recipe.datasets import is_cloud
from orc_olive.recipe.derived import data_format
from orc_olive.recipe.forms import ADAPTER_TRAINERS
from orc_olive.recipe.models import Recipe
from orc_olive.source.loader import Document


def _nearest(base: Path, value: str, folder: bool) -> str:
    """'did you mean ...?' for a path whose last part is misspelt, from what its parent folder holds."""
    parent = (base / value).parent
    if not parent.is_dir():
        return ""
    names = [p.name for p in parent.iterdir() if p.is_dir() == folder]
    match = closest(PurePosixPath(value).name, names)
    return f"did you mean '{PurePosixPath(value).parent / match}'?" if match else ""


def _missing_hint(base: Path, value: str, folder: bool) -> str:
    """The did-you-mean for a path not found under `base`, and where orc looked."""
    return "; ".join(filter(None, [_nearest(base, value, folder), f"looked in {os.path.normpath(base / value)}"]))


def local_files(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    for name, dataset in recipe.datasets.items():
        for i, file in enumerate(dataset.file_list):
            if not is_cloud(file) and not data_files(base, file):  # cloud data: cloud_data() and checks/azureml.py
                path: Path_ = ("datasets", name, "files") + ((i,) if not isinstance(dataset.files, str) else ())
                what = "no data file matches" if is_pattern(file) else "data file not found:"
                hint = _missing_hint(base, file, folder=False)
                yield at(doc, path, f"{what} {file}", hint, "missing_file")
    # model.path (a hub id, a folder or an AzureML model) is checked by checks/model_source.py
    value = recipe.model.adapter_path if recipe.model else None  # an Olive model config under `olive:`: Olive resolves it
    if value and not (base / value).is_dir():
        yield at(doc, ("model", "adapter_path"), f"model folder not found: {value}", _missing_hint(base, value, folder=True), "missing_file")


def system_files(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """A docker target's build context and Dockerfile, and a python_env target's python, exist: Olive
    finds out only when it starts the system."""
    docker, python_env = recipe.target.docker, recipe.target.python_env
    if docker is not None:
        context, where = base / docker.build_context, ("target", "docker")
        if not context.is_dir():
            hint = _missing_hint(base, docker.build_context, folder=True)
            yield at(doc, where + ("build_context",), f"docker build context not found: {docker.build_context}", hint, "missing_file")
        elif not (context / docker.dockerfile).is_file():
            hint = _missing_hint(context, docker.dockerfile, folder=False)
            yield at(doc, where + ("dockerfile",), f"Dockerfile not found in the build context: {docker.dockerfile}", hint, "missing_file")
    if python_env is not None:
        folder = base / python_env.python_environment_path
        if not any((folder / name).is_file() for name in ("python", "python3", "python.exe")):
            yield at(doc, ("target", "python_env", "python_environment_path"), f"no python executable in {python_env.python_environment_path}",
                     f"the folder that holds the environment's python, e.g. its bin/; looked in {os.path.normpath(folder)}", "missing_file")


def dataset_columns(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """Every template placeholder and text column exists in the first rows of each local data file."""
    for name, dataset in recipe.datasets.items():
        path: Path_ = ("datasets", name)
        wanted: list[tuple[str, Path_]] = []
        if dataset.template is not None:
            try:
                wanted = [(column, path + ("template",)) for column in placeholders(dataset.template)]
            except ValueError as exc:
                yield at(doc, path + ("template",), f"the template is not a valid format string: {exc}",
                         "placeholders are {column}; write a literal brace as '{{' or '}}'", "template")
                continue
        elif dataset.columns:
            wanted = [(column, path + ("columns", i)) for i, column in enumerate(dataset.columns)]
        for file in dataset.file_list if wanted else []:
            matches = data_files(base, file)
            found = columns(matches[0], data_format(dataset)) if matches else None
            if found is None:
                continue
            shown = file if not is_pattern(file) or not matches else os.path.relpath(matches[0], base)
            for column, where in wanted:
                if column not in found:
                    present = ", ".join(f"'{c}'" for c in found[:20]) or "no columns"
                    hint = "; ".join(filter(None, [suggest(column, found), f"{shown} has {present}"]))
                    yield at(doc, where, f"column '{column}' is not in {shown}", hint, "unknown_column")


SHORT_TRAINING = 0.1  # warn when max_steps covers less than this share of one epoch
CHARS_PER_TOKEN = 4  # rough, for estimating how many max_length sequences joined text makes


def _epoch_samples(recipe: Recipe, name: str, base: Path) -> int | None:
    """Roughly how many training sequences one pass over a local dataset gives; None when unknown."""
    dataset = recipe.datasets.get(name)
    if dataset is None:
        return None
    files = [match for f in dataset.file_list for match in data_files(base, f)]
    if not files:
        return None
    if dataset.strategy in (None, "join", "join-random", "join-sliding-window"):  # Olive's default joins texts
        size = sum(f.stat().st_size for f in files)
        samples = max(size // (CHARS_PER_TOKEN * dataset.max_length), 1)
    else:
        counts = [count_rows(f, data_format(dataset)) for f in files]
        if any(c is None for c in counts):
            return None
        samples = sum(c for c in counts if c is not None)
    return min(samples, dataset.max_samples) if dataset.max_samples else samples


def short_training(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    batch_default = catalog.catalog()["training_arguments"].get("per_device_train_batch_size", {}).get("default", 8)
    for _, _, olive_type, path, values in steps(recipe):
        if olive_type not in ADAPTER_TRAINERS:
            continue
        name, training = values.get("dataset", values.get("train_data_config")), values.get("training", values.get("training_args"))
        max_steps = training.get("max_steps") if isinstance(training, dict) else None
        samples = _epoch_samples(recipe, name, base) if isinstance(name, str) else None
        if not isinstance(training, dict) or not isinstance(max_steps, int) or max_steps <= 0 or samples is None:
            continue
        batch = (training.get("per_device_train_batch_size") or batch_default) * (training.get("gradient_accumulation_steps") or 1)
        epoch = -(-samples // batch)
        if max_steps < epoch * SHORT_TRAINING:
            key = "training" if "training" in values else "training_args"
            yield at(
                doc, path + (key, "max_steps"),
                f"max_steps {max_steps} is far below one epoch of '{name}' (about {samples} sequences / batch {batch} = {epoch} steps): "
                f"training sees at most {100 * max_steps // epoch}% of the data",
                "raise max_steps, or set max_samples on the dataset to train on part of it on purpose", "short_training", "warning",
            )


# Olive's AzureML resources that 0.13 removed (olive/resource_path.py keeps only azureml_registry_model).
CLOUD_DATA = {"azureml_datastore": "datastore", "azureml_job_output": "job output", "azureml_model": "workspace model"}


def cloud_data(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """Data in an AzureML datastore (`{type: azureml_datastore, ...}` in a dataset or an `olive:` data config)
    runs only inside an AzureML job: Olive 0.13 has no such resource and takes the mapping for a file name."""
    if recipe.target.system == "azureml":
        return
    for name, dataset in recipe.datasets.items():  # `files: azureml://datastores/...` or `azureml:<asset>:<version>`
        for i, file in enumerate(dataset.file_list):
            if is_cloud(file):
                path: Path_ = ("datasets", name, "files") + ((i,) if not isinstance(dataset.files, str) else ())
                yield at(doc, path, f"'{file}' is AzureML data, which only an AzureML job can mount: Olive 0.13 cannot read it on a"
                         f" {recipe.target.system} target", "run it as an AzureML job (`target: {system: azureml, azureml: {...}}`),"
                         " or download the data and give its local files", "unsupported")
    data = doc.data if isinstance(doc.data, dict) else {}
    datasets, olive = data.get("datasets"), data.get("olive")
    configs = olive.get("data_configs") if isinstance(olive, dict) else None
    roots: list[tuple[Path_, Any]] = [(("datasets",), datasets), (("olive", "data_configs"), configs)]
    for path, value in (found for root in roots for found in _cloud_resources(*root)):
        kind = CLOUD_DATA.get(str(value.get("type")).lower()) if isinstance(value, dict) else None
        what = f"an AzureML {kind} ('{value['type']}')" if isinstance(value, dict) else f"an AzureML address ('{value}')"
        yield at(doc, path, f"the data is {what}: Olive 0.13 has no resource for it, so `olive run` on a {recipe.target.system} target"
                 " fails to find the data", "run it as an AzureML job (`target: {system: azureml, azureml: {...}}`), or download the data"
                 " and give its local files", "unsupported")


def _cloud_resources(path: Path_, value: Any) -> Iterator[tuple[Path_, Any]]:
    if isinstance(value, dict):
        if str(value.get("type", "")).lower() in CLOUD_DATA:
            yield path, value
            return
        for key, item in value.items():
            yield from _cloud_resources(path + (key,), item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _cloud_resources(path + (i,), item)
    elif isinstance(value, str) and value.startswith("azureml://") and path[:2] == ("olive", "data_configs"):
        yield path, value


DATA_CHECKS = [local_files, system_files, dataset_columns, short_training, cloud_data]
