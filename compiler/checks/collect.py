"""Every check of a recipe, in one list; the ones that also run on the valid parts of an invalid recipe.

Each check yields diagnostics located through the loaded document; none raises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from pydantic import ValidationError

from orc_olive.checks.adapters import ADAPTER_CHECKS
from orc_olive.checks.azureml import AZUREML_CHECKS
from orc_olive.checks.base import Check, rows_once
from orc_olive.checks.data import DATA_CHECKS, dataset_columns, local_files
from orc_olive.checks.evaluation import EVALUATION_CHECKS
from orc_olive.checks.join_length import JOIN_CHECKS
from orc_olive.checks.model_source import model_path
from orc_olive.checks.olive_data import OLIVE_DATA_CHECKS
from orc_olive.checks.olive_files import OLIVE_FILE_CHECKS
from orc_olive.checks.outputs import output_guard
from orc_olive.checks.passes import PIPELINE_CHECKS
from orc_olive.checks.references import azureml_target, dataset_names, dataset_references, raw_dataset_references, target_provider, unique_ids
from orc_olive.checks.search_values import SEARCH_CHECKS
from orc_olive.checks.values import VALUE_CHECKS, non_finite_numbers
from orc_olive.diagnostics import Diagnostic
from orc_olive.recipe.models import Dataset, ModelSpec, Recipe
from orc_olive.source.loader import Document

CHECKS: list[Check] = [dataset_names, dataset_references, unique_ids, target_provider, azureml_target, *AZUREML_CHECKS, model_path, *PIPELINE_CHECKS, *SEARCH_CHECKS, *DATA_CHECKS, *OLIVE_DATA_CHECKS, *OLIVE_FILE_CHECKS, *JOIN_CHECKS, *EVALUATION_CHECKS, output_guard, *VALUE_CHECKS, *ADAPTER_CHECKS]  # ADAPTER_CHECKS: issue 15


def run_checks(recipe: Recipe, doc: Document, base: Path) -> list[Diagnostic]:
    with rows_once(recipe):  # the steps' rows, which many checks walk, made once
        return [d for check in CHECKS for d in check(recipe, doc, base)]


def raw_file_checks(doc: Document, base: Path) -> Iterator[Diagnostic]:
    """The file and column checks on the parts of an invalid recipe that are valid on their own (the model
    and each dataset), so that a misspelt column is reported in the same run as, say, a bad step."""
    data = doc.data if isinstance(doc.data, dict) else {}
    raw_datasets = data.get("datasets")
    datasets = raw_datasets if isinstance(raw_datasets, dict) else {}
    valid = {name: part for name, part in ((n, _valid(Dataset, v)) for n, v in datasets.items()) if part is not None}
    # Only the fields the file checks read: model_construct skips validation, and the other required fields.
    partial = Recipe.model_construct(datasets=valid, model=_valid(ModelSpec, data.get("model")))  # type: ignore[call-arg]
    for check in (local_files, model_path, dataset_columns):
        yield from check(partial, doc, base)


def _valid(model: type[Dataset] | type[ModelSpec], value: object) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def invalid_recipe_checks(doc: Document, base: Path) -> Iterator[Diagnostic]:
    """What can still be checked in a recipe whose models did not validate."""
    yield from raw_dataset_references(doc)
    yield from non_finite_numbers(doc)
    yield from raw_file_checks(doc, base)
