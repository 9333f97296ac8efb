"""Named adapters: several LoRA/QLoRA adapters trained from one base model, each with its own dataset.

A recipe's `adapters:` maps a name to the settings of its one `lora`/`qlora` step that the adapter changes
(its dataset, training arguments, ...); the step's own settings are the defaults. orc compiles one Olive
workflow per adapter (see adapter_nodes.py) and assembles one base ONNX model with a `<name>.onnx_adapter`
file per adapter. The model here is the recipe-level shape only; checks/adapters.py checks the rest.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

from orc_olive.recipe.pass_models import field_specs, param_annotations, training_annotations, training_args_model
from orc_olive.recipe.steps import STEP_KINDS

ADAPTER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
TRAINER_KINDS = ("lora", "qlora")
# Settings that shape the adapter's inputs in the ONNX model: every adapter of one base model must agree on them.
SHAPE_FIELDS = ("r", "target_modules", "modules_to_save")


class _Strict(BaseModel):  # built when a recipe has `adapters:` (recipe/lazy.py)
    model_config = ConfigDict(extra="forbid", strict=True, protected_namespaces=(), populate_by_name=True, defer_build=True)


def _step_fields() -> dict[str, Any]:
    kind = STEP_KINDS["qlora"]
    fields: dict[str, Any] = {}
    for name, (annotation, info) in field_specs(kind.olive_type, kind.renames).items():
        fields[name] = (Optional[annotation], Field(None, description=info.description, examples=info.examples))
    return fields


@lru_cache(maxsize=None)
def adapter_model() -> type[BaseModel]:
    """The named adapters' model, made on first use (issue 19: not at import). The settings of a lora/qlora step,
    all optional (QLoRA's superset: checks/adapters.py refuses a QLoRA-only setting on a lora step)."""
    fields = _step_fields()
    fields["training"] = (
        Optional[training_args_model(_Strict)],
        Field(None, description="Training arguments merged over the step's `training:` (transformers.TrainingArguments names).",
              examples=[{"max_steps": 8}]),
    )
    return create_model(
        "Adapter",
        __base__=_Strict,
        __doc__="One named adapter: the settings of the recipe's lora/qlora step it changes (the step's own settings are the defaults).",
        **fields,
    )


# the annotations _step_fields and the training model make, in their old order, no model (see pass_models.training_fields)
for _ann in [ann for _, _, ann, _ in param_annotations(STEP_KINDS["qlora"].olive_type)]:
    Optional[_ann]
for _ in training_annotations():
    pass


def __getattr__(name: str) -> Any:
    if name == "Adapter":  # the model, by its old name
        return adapter_model()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

ADAPTERS_DESCRIPTION = (
    "Named adapters trained from the same base model, each changing settings of the recipe's one lora/qlora step"
    " (its dataset, training arguments, ...). orc builds one base ONNX model whose adapter inputs fit all of them and"
    " one `<name>.onnx_adapter` file per adapter beside it (one Olive workflow per adapter, run in order)."
)


def adapter_overrides(adapter: BaseModel) -> dict[str, Any]:
    """The step settings an adapter changes, by the recipe's names."""
    return adapter.model_dump(exclude_unset=True, by_alias=True)


def trainer_steps(recipe: Any) -> list[int]:
    """The indexes of the recipe's lora/qlora steps."""
    return [index for index, (kind, _) in enumerate(recipe.steps_with_kinds) if kind in TRAINER_KINDS]
