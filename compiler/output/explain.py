"""`orc explain`: the pipeline after all merging, as a table, a Mermaid diagram or JSON (every variant
in one document: a flowchart with a subgraph per variant, a JSON array of one object per variant).

Each step: the Olive pass it becomes, the model form going in and out (HF, HF+adapter, ONNX,
ONNX+adapters), where it runs (device / execution provider) and the datasets it reads.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from orc_olive.output import adapters_explain
from orc_olive.recipe.derived import step_id
from orc_olive.recipe.forms import FORM_LABELS, input_form, recipe_forms
from orc_olive.recipe.models import Recipe
from orc_olive.recipe.pass_models import is_dataset_param
from orc_olive.recipe.steps import ONNX
from orc_olive.render.context import host_system, olive_params

COLUMNS = ("step", "kind", "olive pass", "model in", "model out", "device / provider", "data")


@dataclass(frozen=True)
class StepRow:
    step: str
    kind: str
    olive_pass: str
    model_in: str
    model_out: str
    device: str
    data: str


def _data_used(params: dict[str, Any]) -> list[str]:
    return [v for k, v in params.items() if is_dataset_param(k) and isinstance(v, str)]


def _input(recipe: Recipe) -> tuple[str, str | None]:
    """The input model's name and form; an Olive model config under `olive:` is named by its type and path."""
    form = input_form(recipe)
    if recipe.model is not None:
        return recipe.model.path, form
    model = recipe.olive["input_model"]
    kind = str(model.get("type", "")) if isinstance(model, dict) else ""
    path = model.get("model_path") if isinstance(model, dict) else None
    return f"{kind} {path}" if isinstance(path, str) else kind, form


def rows(recipe: Recipe) -> list[StepRow]:
    """One row per step; the forms in and out are the ones the pipeline checks use (recipe/forms.py)."""
    target = recipe.target
    built_for = f"{target.device} / {target.execution_provider}"
    host = host_system(recipe)
    out: list[StepRow] = []
    for index, ((kind, params), form) in enumerate(zip(recipe.steps_with_kinds, recipe_forms(recipe))):
        olive_type = olive_params(kind, params)["type"]
        # With a host device, PyTorch-to-PyTorch steps (training, AWQ) run there; the rest build for the target.
        if host is not None and not (form.after or "").startswith(ONNX):
            device = f"{host['device']} / {host['provider']}"
        else:
            device = built_for
        data = _data_used(params.model_dump(exclude_unset=True, by_alias=True))
        out.append(StepRow(step_id(recipe, index), kind, olive_type, FORM_LABELS[form.before], FORM_LABELS[form.after], device, ", ".join(data) or "-"))
    return out


def header(recipe: Recipe, sources: list[str], variant: str | None, plan: dict[str, Any] | None = None) -> list[str]:
    lines = [f"recipe:  {recipe.name}" + (f" (variant {variant})" if variant else "")]
    lines.append(f"sources: {', '.join(sources)}")
    name, form = _input(recipe)
    lines.append(f"model:   {name} ({FORM_LABELS[form]})")
    lines.append(f"target:  {recipe.target.device} / {recipe.target.execution_provider} on {recipe.target.system}")
    for name, ds in recipe.datasets.items():
        lines.append(f"data:    {name} = {ds.hf or ', '.join(ds.file_list)} (split {ds.split}, max_length {ds.max_length})")
    lines += adapters_explain.table_lines(recipe, plan)  # issue 15: named adapters, chains, the plan
    lines.append(f"output:  {recipe.output.dir}")
    return lines


def table(recipe: Recipe, sources: list[str], variant: str | None = None, plan: dict[str, Any] | None = None) -> str:
    body = [COLUMNS] + [tuple(asdict(r).values()) for r in rows(recipe)]
    widths = [max(len(str(row[i])) for row in body) for i in range(len(COLUMNS))]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip() for row in body]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(header(recipe, sources, variant, plan) + [""] + lines) + "\n"


def _label(*parts: str) -> str:
    return "<br/>".join(p.replace('"', "#quot;") for p in parts)


def mermaid(recipe: Recipe, plan: dict[str, Any] | None = None) -> str:
    """One recipe as a Mermaid flowchart."""
    return "\n".join(["flowchart LR", *_mermaid_body(recipe, "", "  ", plan)]) + "\n"


def mermaid_variants(shown: list[tuple[str | None, Recipe]], plans: list[dict[str, Any] | None] | None = None) -> str:
    """One flowchart for every variant: each its own subgraph, its nodes named after it (ids stay unique)."""
    plans = plans or [None] * len(shown)
    if len(shown) == 1:
        return mermaid(shown[0][1], plans[0])
    lines = ["flowchart LR"]
    for (variant, recipe), plan in zip(shown, plans):
        prefix = f"v_{_node_id(variant or 'recipe')}_"
        lines.append(f'  subgraph {prefix}variant["{_label(f"variant {variant}")}"]')
        lines += _mermaid_body(recipe, prefix, "    ", plan)
        lines.append("  end")
    return "\n".join(lines) + "\n"


def _mermaid_body(recipe: Recipe, prefix: str, indent: str, plan: dict[str, Any] | None = None) -> list[str]:
    steps = rows(recipe)
    name, form = _input(recipe)
    model = f"{prefix}model"
    lines = [f'{indent}{model}["{_label(name, FORM_LABELS[form])}"]']
    for name in recipe.datasets:
        lines.append(f'{indent}{prefix}data_{_node_id(name)}[("{_label(name)}")]')
    previous = model
    for index, row in enumerate(steps):
        node = f"{prefix}step{index}"
        lines.append(f'{indent}{node}["{_label(row.step, row.olive_pass, row.device)}"]')
        lines.append(f'{indent}{previous} -->|"{_label(row.model_in)}"| {node}')
        for name in row.data.split(", ") if row.data != "-" else []:
            lines.append(f"{indent}{prefix}data_{_node_id(name)} -.-> {node}")
        previous = node
    final = steps[-1].model_out if steps else FORM_LABELS[form]
    lines.append(f'{indent}{prefix}output[["{_label(recipe.output.dir)}"]]')
    lines.append(f'{indent}{previous} -->|"{_label(final)}"| {prefix}output')
    return lines + adapters_explain.mermaid_lines(recipe, prefix, indent, plan)  # issue 15: named adapters, chains


def _node_id(name: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() else "_" for c in name)


def as_data(recipe: Recipe, sources: list[str], variant: str | None = None, plan: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"recipe": recipe.name, "variant": variant, "sources": sources, "steps": [asdict(r) for r in rows(recipe)], **adapters_explain.data(recipe, plan)}  # issue 15


def as_json(recipe: Recipe, sources: list[str], variant: str | None = None) -> str:
    return json.dumps(as_data(recipe, sources, variant), indent=2) + "\n"


def variants_json(shown: list[dict[str, Any]]) -> str:
    """One JSON document: the object of the one recipe (or variant) shown, or an array of one per variant."""
    return json.dumps(shown[0] if len(shown) == 1 else shown, indent=2) + "\n"
