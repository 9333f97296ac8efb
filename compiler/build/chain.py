"""Recipes that build on recipes: `model: {from: stage1.yaml}` takes another recipe's output model.

The producing recipe is compiled (its own `from:` first, a cycle is a located error) and checked; the model
form it yields decides what this recipe gets: a PyTorch/Hugging Face folder (`<out>/`), or one with its LoRA
adapter kept (`<out>/model` + `<out>/adapter`). The recipe's `model.path` then names the producer's output
folder, which need not exist yet: `orc validate` checks the producer, not the folder, and compile-and-run
(run/graph.py) runs the stale producers first, in dependency order. A `model.path` naming the output folder of
an Olive run or the Olive CLI (its model_config.json) is read the same way (olive_output).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from orc_olive.checks.base import at
from orc_olive.diagnostics import Diagnostic
from orc_olive.recipe.forms import FORM_LABELS, input_form, recipe_forms
from orc_olive.recipe.models import Recipe
from orc_olive.recipe.steps import HF, HF_ADAPTER
from orc_olive.source.loader import Document

if TYPE_CHECKING:
    from orc_olive.build.compile import Result

WHERE = ("model", "from")
_RESOLVING: list[Path] = []  # the recipes being resolved, outermost first: a recipe met again is a cycle
INHERITED = ("task", "trust_remote_code", "load_kwargs")


def producer_file(recipe: Recipe, base: Path) -> Path | None:
    model = recipe.model
    return Path(os.path.abspath(base / model.from_)) if model is not None and model.from_ else None


def resolve_from(recipe: Recipe, doc: Document, base: Path) -> tuple[Recipe, list[Diagnostic]]:
    """The recipe with `model.path` set to its producer's output (and the problems found); as it is without `from:`."""
    from orc_olive.build.compile import compile_file  # the build stage compiles the producer as it compiles any recipe

    file = producer_file(recipe, base)
    if file is None or recipe.model is None:
        return olive_output(recipe, base), []
    written = recipe.model.from_
    if file in _RESOLVING or file == Path(os.path.abspath(doc.file)):
        loop = " -> ".join(str(p.name) for p in [*_RESOLVING, Path(doc.file), file])
        return recipe, [at(doc, WHERE, f"recipes build on each other in a cycle: {loop}", "a recipe may take the output of a recipe that does not build on it", "chain")]
    if not file.is_file():
        return recipe, [at(doc, WHERE, f"the recipe '{written}' does not exist ({file})", "give the producing recipe's file, relative to this recipe", "chain")]
    _RESOLVING.append(Path(os.path.abspath(doc.file)))
    try:
        produced = compile_file(file)
    finally:
        _RESOLVING.pop()
    problems = [d for d in produced.diagnostics.items if d.severity == "error"]
    if produced.recipe is None or problems:
        return recipe, problems + [at(doc, WHERE, f"the recipe '{written}' this one builds on has {len(problems)} error(s) (above)", "", "chain")]
    return _taking(recipe, doc, base, produced)


def olive_output(recipe: Recipe, base: Path) -> Recipe:
    """A `model.path` that is the output folder of an Olive run or the Olive CLI (its model_config.json names a
    Hugging Face model, saved under `model/`, with its LoRA adapter under `adapter/` when kept): the model it
    holds. The paths inside model_config.json are not used: Olive writes them where the run was staged."""
    model = recipe.model
    if model is None or model.path_ is None or model.from_ is not None:
        return recipe
    folder = base / model.path_
    try:
        if (folder / "config.json").exists() or not (folder / "model" / "config.json").is_file():
            return recipe
        config = json.loads((folder / "model_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return recipe
    if not isinstance(config, dict) or str(config.get("type", "")).lower() != "hfmodel":
        return recipe
    update = {"path_": os.path.join(model.path_, "model")}
    if model.adapter_path is None and (folder / "adapter" / "adapter_config.json").is_file():
        update["adapter_path"] = os.path.join(model.path_, "adapter")
    return recipe.model_copy(update={"model": model.model_copy(update=update)})


def _taking(recipe: Recipe, doc: Document, base: Path, produced: "Result") -> tuple[Recipe, list[Diagnostic]]:
    """The recipe with the producer's output as its model, when it yields a form this recipe can take."""
    assert produced.recipe is not None and recipe.model is not None
    source = produced.recipe
    forms = recipe_forms(source)
    form = forms[-1].after if forms else input_form(source)
    output = Path(os.path.abspath(produced.base_dir / source.output.dir))
    if source.output.layout == "model":  # the producer's model is copied into <out>/model
        output = output / "model"
    if source.adapters or form not in (HF, HF_ADAPTER):
        what = "named adapters" if source.adapters else f"a {FORM_LABELS.get(form, 'other')} model"
        return recipe, [at(doc, WHERE, f"the recipe '{recipe.model.from_}' yields {what}; `from:` takes a PyTorch / Hugging Face model (with or without its LoRA adapter)",
                           "end the producing recipe before model_builder/onnx_conversion (e.g. lora -> merge_adapters), and build the ONNX model here", "chain")]
    update: dict = {"path_": os.path.relpath(output / "model", base)}  # Olive saves an HF model's files under <out>/model
    if form == HF_ADAPTER:
        update = {"path_": os.path.relpath(output / "model", base), "adapter_path": os.path.relpath(output / "adapter", base)}
    if source.model is not None:
        update.update({k: getattr(source.model, k) for k in INHERITED if k not in recipe.model.model_fields_set})
    return recipe.model_copy(update={"model": recipe.model.model_copy(update=update)}), []


def producers(result: "Result") -> list["Result"]:
    """The recipes a compiled, error-free result builds on, in the order they run (a producer before its users)."""
    out: list["Result"] = []
    _visit(result, out, set())
    return out


def _visit(current: "Result", out: list["Result"], seen: set[Path]) -> None:
    # not a closure that calls itself: that would be a reference cycle holding every Result it compiled
    from orc_olive.build.compile import compile_file

    file = producer_file(current.recipe, current.base_dir) if current.recipe is not None else None
    if file is None or file in seen:
        return
    seen.add(file)
    produced = compile_file(file)
    _visit(produced, out, seen)
    out.append(produced)
