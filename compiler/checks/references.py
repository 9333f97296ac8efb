"""Checks of what a recipe refers to: dataset names and references, step ids, the target's execution
provider and AzureML workspace settings. Each yields diagnostics located through the loaded document."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, Sequence

from orc_olive import catalog
from orc_olive.checks.base import at, steps
from orc_olive.diagnostics import Diagnostic, Path_, one_of, suggest
from orc_olive.recipe.derived import step_id
from orc_olive.recipe.models import DATASET_NAME_PATTERN, Recipe
from orc_olive.recipe.olive_block import olive_data_config_names
from orc_olive.recipe.pass_models import is_dataset_param
from orc_olive.secrecy import ENV_PREFIX
from orc_olive.source.loader import Document


def dataset_references(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    names = list(recipe.datasets) + olive_data_config_names(recipe.olive)
    yield from _unknown_datasets(doc, names, [(path, values) for _, _, _, path, values in steps(recipe)])


def raw_dataset_references(doc: Document) -> Iterator[Diagnostic]:
    """The same check on the document as written, for a recipe whose models did not validate: a wrong
    dataset name is then reported in the same run as, say, a type error elsewhere."""
    data = doc.data if isinstance(doc.data, dict) else {}
    datasets, items = data.get("datasets", {}), data.get("steps")
    if not isinstance(datasets, dict) or not isinstance(items, list):
        return
    step_values = [
        (("steps", index, kind), values)
        for index, item in enumerate(items) if isinstance(item, dict) and len(item) == 1
        for kind, values in item.items() if isinstance(values, dict)
    ]
    yield from _unknown_datasets(doc, list(datasets) + olive_data_config_names(data.get("olive")), step_values)


def _unknown_datasets(doc: Document, names: list[str], step_values: Sequence[tuple[Path_, dict]]) -> Iterator[Diagnostic]:
    for path, values in step_values:
        for key, value in values.items():
            if is_dataset_param(key) and isinstance(value, str) and value not in names:
                hint = suggest(value, names) or (one_of(names) if names else "no datasets are declared under 'datasets:'")
                yield at(doc, path + (key,), f"unknown dataset '{value}'", hint, "unknown_dataset")


def dataset_names(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """Olive accepts only letters, digits and '_' in a data config name, and says so only at run time."""
    for name in recipe.datasets:
        if not re.match(DATASET_NAME_PATTERN, name):
            fixed = re.sub(r"\W", "_", name, flags=re.ASCII) or "data"
            yield at(doc, ("datasets", name), f"dataset name '{name}' may hold only letters, digits and '_' (Olive's rule)",
                     f"e.g. '{fixed}'", "invalid_name", key=True)


def unique_ids(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    seen: dict[str, int] = {}
    for index, _, _, path, _ in steps(recipe):
        name = step_id(recipe, index)
        if name in seen:
            yield at(doc, path + ("id",), f"step id '{name}' is used twice", f"first used by steps[{seen[name]}]", "duplicate_id")
        seen.setdefault(name, index)


def target_provider(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """Olive only warns about an unknown or mismatched execution provider, then builds for something else."""
    provider, device = recipe.target.provider, recipe.target.device
    by_device: dict[str, list[str]] = catalog.catalog().get("execution_providers", {})
    if provider is None or not by_device:
        return
    known = {ep for eps in by_device.values() for ep in eps}
    where = ("target", "provider")
    if provider not in known:
        yield at(doc, where, f"unknown execution provider '{provider}'", suggest(provider, known) or one_of(known), "unknown_provider")
    elif provider not in by_device.get(device, []):
        yield at(doc, where, f"{provider} is not an execution provider for device '{device}'",
                 f"for {device}: {', '.join(by_device.get(device, []))}", "provider_device")


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Azure's naming rules for the workspace settings a job is submitted with.
_AZURE_NAMES = {
    "resource_group": (re.compile(r"^[-\w._()]{1,90}$"), "1-90 letters, digits, '-', '_', '.', '(' or ')'"),
    "workspace": (re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$"), "3-33 letters, digits, '-' or '_', starting with a letter or digit"),
    "compute": (re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,15}$"), "2-16 letters, digits or '-', starting with a letter"),
}


def azureml_target(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """The workspace settings an AzureML job needs are present and well-formed (the model requires them)."""
    aml = recipe.target.azureml
    if aml is None:
        return
    path = ("target", "azureml")
    if not aml.subscription_id.startswith(ENV_PREFIX) and not _GUID.match(aml.subscription_id):
        yield at(doc, path + ("subscription_id",), f"'{aml.subscription_id}' is not an Azure subscription id",
                 "a GUID such as 01234567-89ab-cdef-0123-456789abcdef, or '${env:AZURE_SUBSCRIPTION_ID}'", "azureml")
    if aml.environment is not None and not aml.environment.startswith(("azureml:", ENV_PREFIX)):  # az ml job create: "cannot be a string"
        yield at(doc, path + ("environment",), f"'{aml.environment}' is not a reference to an AzureML environment",
                 f"a workspace environment with its version or label, e.g. 'azureml:{aml.environment}:1' or 'azureml:{aml.environment}@latest',"
                 " or a registry's, 'azureml://registries/<registry>/environments/<name>/labels/latest'", "azureml")
    for field, (pattern, rule) in _AZURE_NAMES.items():
        value = getattr(aml, field)
        if not value.startswith(ENV_PREFIX) and not pattern.match(value):
            yield at(doc, path + (field,), f"'{value}' is not a valid AzureML {field.replace('_', ' ')} name", rule, "azureml")
