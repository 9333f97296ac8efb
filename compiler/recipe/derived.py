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
    return step_ids(recipe)[index]


_IDS: list[tuple[object, list[str]]] = []  # (the steps list, its ids) of the last recipe asked: callers ask step by step


def step_ids(recipe: Recipe) -> list[str]:
    """Every step's id, in one pass (asking step_id for each step stays linear in the number of steps)."""
    if _IDS and _IDS[0][0] is recipe.steps and len(_IDS[0][1]) == len(recipe.steps):
        return _IDS[0][1]
    kinds = recipe.steps_with_kinds
    taken = {p.id for _, p in kinds if p.id}
    counts: dict[str, int] = {}
    ids = []
    for kind, params in kinds:
        if params.id:
            ids.append(params.id)
            continue
        counts[kind] = counts.get(kind, 0) + 1
        name = kind if counts[kind] == 1 else f"{kind}_{counts[kind]}"
        while name in taken:
            name += "_"
        ids.append(name)
    _IDS[:] = [(recipe.steps, ids)]
    return ids
