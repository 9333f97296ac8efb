"""The Recipe model a document needs: validators built for the step kinds it uses, on first use.

Building pydantic's validator of every step kind (each an Olive pass with dozens of parameters, two with
every transformers training argument) costs more than the rest of `orc validate`. models.py makes no step
kind's model and not the named adapters' one at import: the full Recipe names them through models.Later, made
when it is built (its JSON schema still describes every kind: `orc schema`); validation uses a
subclass of it whose steps accept the kinds the document names, with the same models, field names,
titles and locations, so every error reads as before. A kind the document does not name is a field that
takes anything: it is never given, so never validated. One model per set of kinds, kept for the process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Optional

from pydantic import Field, StrictStr, create_model, model_validator

from orc_olive.recipe.adapters import adapter_model
from orc_olive.recipe.models import TYPED_STEP_MODELS, PassStep, Recipe, _Deferred, _exactly_one_kind
from orc_olive.recipe.steps import STEP_KINDS


def used_kinds(data: Any) -> frozenset[str]:
    """The typed step kinds a recipe document names (keys of its step items)."""
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, list):
        return frozenset()
    return frozenset(key for item in steps if isinstance(item, dict) for key in item if isinstance(key, str) and key in STEP_KINDS)


def recipe_model_for(data: Any) -> type[Recipe]:
    """The Recipe model that validates this document exactly as the full one would."""
    return recipe_model(used_kinds(data), isinstance(data, dict) and "adapters" in data)


@lru_cache(maxsize=None)
def recipe_model(kinds: frozenset[str], adapters: bool) -> type[Recipe]:
    fields: dict[str, Any] = {}
    for key, kind in STEP_KINDS.items():
        annotation: Any = TYPED_STEP_MODELS[key] if key in kinds else Any
        fields[key] = (Optional[annotation], Field(None, description=kind.summary))
    fields["pass_"] = (Optional[PassStep], Field(None, alias="pass", description=PassStep.__doc__))
    # built once, inside the recipe model (a step item built on its own first would be built twice)
    item = create_model("StepItem", __base__=_Deferred, __doc__="One pipeline step: exactly one key, naming the step kind.", **fields)
    step = create_model("Step", __base__=item, __validators__={"_one": model_validator(mode="after")(_exactly_one_kind)})  # type: ignore[dict-item]
    steps_info = Recipe.model_fields["steps"]
    overrides: dict[str, Any] = {"steps": (list[step], Field(..., min_length=1, description=steps_info.description))}
    # absent, so never validated: the named-adapter model is not made; given, the model itself (not models.Later)
    adapter: Any = adapter_model() if adapters else Any
    overrides["adapters"] = (dict[StrictStr, adapter], Field(default_factory=dict))
    return create_model("Recipe", __base__=Recipe, **overrides)
