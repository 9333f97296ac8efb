"""Semantic checks of a validated recipe: references, pipeline order, targets, files on disk.

Each check yields diagnostics located through the loaded document; none raises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

from .context import step_id
from .diagnostics import Diagnostic, Path_, one_of, suggest
from .loader import Document
from .passthrough import olive_data_config_names
from .recipe import Recipe
from .steps import HF, HF_ADAPTER, ONNX, STEP_KINDS, output_form

Check = Callable[[Recipe, Document, Path], Iterator[Diagnostic]]


def _at(doc: Document, path: Path_, message: str, hint: str = "", code: str = "invalid", severity: str = "error") -> Diagnostic:
    file, pos = doc.locate(path)
    return Diagnostic(message, file, pos.line, pos.column, path, hint, severity, code)  # type: ignore[arg-type]


def _step_paths(recipe: Recipe) -> Iterator[tuple[int, str, Path_, dict]]:
    for index, (kind, params) in enumerate(recipe.steps_with_kinds):
        values = params.model_dump(exclude_unset=True, by_alias=True)
        yield index, kind, ("steps", index, kind), values


def dataset_references(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    names = list(recipe.datasets) + olive_data_config_names(recipe)
    for _, kind, path, values in _step_paths(recipe):
        for key, value in values.items():
            if (key in ("dataset", "eval_dataset") or key.endswith("data_config")) and isinstance(value, str) and value not in names:
                hint = suggest(value, names) or (one_of(names) if names else "no datasets are declared under 'datasets:'")
                yield _at(doc, path + (key,), f"unknown dataset '{value}'", hint, "unknown_dataset")


def unique_ids(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    seen: dict[str, int] = {}
    for index, kind, path, _ in _step_paths(recipe):
        name = step_id(recipe, index)
        if name in seen:
            yield _at(doc, path + ("id",), f"step id '{name}' is used twice", f"first used by steps[{seen[name]}]", "duplicate_id")
        seen.setdefault(name, index)


def pipeline_order(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """Walk the model form (HF, HF+adapter, ONNX) through the steps and flag steps that cannot take it."""
    form = HF_ADAPTER if recipe.model and recipe.model.adapter_path else HF
    if recipe.model is None and str(recipe.olive["input_model"].get("type", "")).lower() == "onnxmodel":
        form = ONNX
    for index, (kind, params) in enumerate(recipe.steps_with_kinds):
        path: Path_ = ("steps", index, kind)
        olive_type = STEP_KINDS[kind].olive_type if kind in STEP_KINDS else getattr(params, "type", "")
        if kind in ("merge_adapters",) and form != HF_ADAPTER:
            yield _at(doc, path, f"{kind} needs an adapter: put a lora or qlora step before it", code="order")
        elif kind == "extract_adapters" and form not in (ONNX,):
            yield _at(doc, path, "extract_adapters needs an ONNX model with an adapter: put lora, then model_builder or onnx_conversion, before it", code="order")
        elif kind in STEP_KINDS and HF in STEP_KINDS[kind].consumes and form.startswith(ONNX):
            yield _at(doc, path, f"{kind} works on a PyTorch model, but an earlier step already produced ONNX", "move it before model_builder/onnx_conversion", code="order")
        form = output_form(olive_type, form)


def cuda_needs(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    if recipe.target.runs_on_cuda:
        return
    for index, kind, path, _ in _step_paths(recipe):
        if kind in STEP_KINDS and STEP_KINDS[kind].needs_cuda:
            yield _at(doc, path, f"{kind} needs a CUDA GPU, but the target is {recipe.target.device}/{recipe.target.execution_provider}", "set target.device: gpu (or target.host_device: gpu to build for the CPU)", "needs_cuda")


def local_files(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    for name, dataset in recipe.datasets.items():
        files = dataset.file_list
        for i, file in enumerate(files):
            if not (base / file).exists():
                path: Path_ = ("datasets", name, "files") + ((i,) if not isinstance(dataset.files, str) else ())
                yield _at(doc, path, f"data file not found: {file}", f"looked in {base / file}", "missing_file")
    if recipe.model is None:
        return  # an Olive model config under `olive:`: Olive resolves its paths
    model_path = recipe.model.path
    looks_local = model_path.startswith((".", "/")) or (base / model_path).exists()
    if looks_local and not (base / model_path).is_dir():
        yield _at(doc, ("model", "path"), f"model folder not found: {model_path}", f"looked in {base / model_path}", "missing_file")


CHECKS: list[Check] = [dataset_references, unique_ids, pipeline_order, cuda_needs, local_files]


def run_checks(recipe: Recipe, doc: Document, base: Path) -> list[Diagnostic]:
    return [d for check in CHECKS for d in check(recipe, doc, base)]
