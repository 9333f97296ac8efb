"""Facts derived from a validated recipe that several stages need (checks, rendering, explain, import)."""

from __future__ import annotations

from pathlib import PurePosixPath

from orc_olive.recipe.models import Dataset, Recipe

FORMAT_BY_SUFFIX = {".json": "json", ".jsonl": "json", ".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".txt": "text"}


def data_format(dataset: Dataset) -> str:
    if dataset.format:
        return dataset.format
    return FORMAT_BY_SUFFIX.get(PurePosixPath(dataset.file_list[0]).suffix.lower(), "json")


def step_id(recipe: Recipe, index: int) -> str:
    """The step's `id`, or its kind, numbered when a kind repeats (lora, lora_2, ...)."""
    kinds = recipe.steps_with_kinds
    kind, params = kinds[index]
    if params.id:
        return params.id
    taken = {p.id for _, p in kinds if p.id}
    seen = sum(1 for k, p in kinds[:index] if k == kind and not p.id)
    name = kind if seen == 0 else f"{kind}_{seen + 1}"
    while name in taken:
        name += "_"
    return name
