"""Pydantic models of Olive pass parameters, built from the generated catalog.

Olive keeps pass parameters in a free dict and ignores unknown ones; orc turns each pass's catalog
entry into a strict model so a misspelt or mistyped parameter is an error before anything runs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Iterator, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StrictBool, StrictFloat, StrictInt, StrictStr, Tag, create_model
from pydantic.config import JsonDict

from orc_olive import catalog
from orc_olive.recipe.param_examples import DESCRIPTIONS, EXAMPLES

# Parameters that take an Olive data config: in a recipe they name one of the recipe's datasets.
DATASET_SUFFIX = "data_config"


def is_dataset_param(key: str) -> bool:
    """A step parameter that names a dataset: ours (dataset, eval_dataset) or Olive's (*data_config)."""
    return key in ("dataset", "eval_dataset") or key.endswith(DATASET_SUFFIX)


class PassParams(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=(), populate_by_name=True)


def annotation_for(schema: dict[str, Any]) -> Any:
    """A Python annotation for a JSON-schema fragment from the catalog (best effort, never looser than Any)."""
    if not schema:
        return Any
    if "enum" in schema:
        values = tuple(v for v in schema["enum"] if v is not None)
        ann: Any = Literal[values] if values else Any
        return Optional[ann] if None in schema["enum"] else ann
    if "const" in schema:
        return Literal[schema["const"]]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [annotation_for(s) for s in schema[key]]
            if Any in options:
                return Any
            unique = list(dict.fromkeys(options))
            return unique[0] if len(unique) == 1 else Union[tuple(unique)]
    kind = schema.get("type")
    if isinstance(kind, list):
        return annotation_for({"anyOf": [{**schema, "type": k} for k in kind]})
    if kind == "null":
        return type(None)
    if kind == "boolean":
        return StrictBool
    if kind == "integer":
        return StrictInt
    if kind == "number":
        return Union[StrictFloat, StrictInt]
    if kind == "string":
        return StrictStr
    if kind == "array":
        return list[annotation_for(schema.get("items", {}))]  # type: ignore[misc]
    if kind == "object":
        if schema.get("properties"):
            return dict[str, Any]  # nested Olive configs: validated by Olive's own types downstream
        extra = schema.get("additionalProperties")
        return dict[str, annotation_for(extra if isinstance(extra, dict) else {})]  # type: ignore[misc]
    return Any


# Olive takes a non-empty list of values for a parameter that has search defaults as its search space
# (Pass._identify_search_values: each value of the parameter's type), as OrtSessionParamsTuning's `*_list`
# parameters are meant to be used. Only a search does: checks/search_values.py refuses a list in a workflow
# without a search strategy, where Olive 0.13 fails validating the pass (so does the config that
# `olive tune-session-params --execution_mode_list 0 1` writes and runs, measured with olive-ai 0.13.0).
SEARCH_NOTE = "A list of values is a search space (with `olive: {search_strategy: ...}`)."


def searchable(ann: Any) -> Any:
    """A parameter with search defaults: one value, or a non-empty list of values to search."""
    if ann is Any:
        return Any  # a list is already a value of it
    # the value's shape picks the branch, so a wrong value gets that branch's error alone
    return Annotated[Union[Annotated[ann, Tag("one")], Annotated[list[ann], Field(min_length=1), Tag("list")]],
                     Discriminator(_one_or_list)]


def _one_or_list(value: Any) -> str:
    return "list" if isinstance(value, list) else "one"


def is_searchable(pass_type: str, olive_name: str) -> bool:
    """Olive has search defaults for this parameter, so it takes a list of values as a search space."""
    return bool(catalog.pass_params(pass_type).get(olive_name, {}).get("search_defaults"))


def examples_for(name: str, param: dict[str, Any]) -> list[Any] | None:
    """Values an editor can offer for a catalogued parameter: its choices, else its default (or, for a
    flag, the value that changes it), else a hand-written example (param_examples.py)."""
    if name in EXAMPLES:
        return EXAMPLES[name]
    schema = param.get("schema", {})
    choices = [v for v in schema.get("enum", []) if v is not None]
    choices += [v for s in schema.get("anyOf", []) for v in s.get("enum", [s.get("const")]) if v is not None]
    if choices:
        return choices[:8]
    default = param.get("default")
    if isinstance(default, bool):
        return [not default]
    if default is not None and default != [] and default != {}:
        return [default]
    kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
    if kinds == {"null"}:
        return [None]  # Olive declares no type here, so its config accepts only null
    return [True, False] if "boolean" in kinds else None


def param_annotations(pass_type: str, skip: frozenset[str] = frozenset()) -> Iterator[tuple[str, dict[str, Any], Any, str]]:
    """(Olive name, catalog entry, annotation, description) of each parameter of a pass, by name; the annotation
    is Optional unless the parameter is required."""
    for olive_name, param in sorted(catalog.pass_params(pass_type).items()):
        if olive_name in skip:
            continue
        if olive_name.endswith(DATASET_SUFFIX):
            ann: Any = StrictStr
            description = f"Name of a dataset under `datasets:` ({param.get('description', '')})".strip()
        else:
            ann = annotation_for(param.get("schema", {}))
            description = DESCRIPTIONS.get(f"{pass_type}.{olive_name}") or DESCRIPTIONS.get(olive_name) or param.get("description") or ""
            if param.get("search_defaults"):
                ann, description = searchable(ann), f"{description} {SEARCH_NOTE}".strip()
        yield olive_name, param, (ann if param.get("required") else Optional[ann]), description


def field_specs(pass_type: str, renames: dict[str, str] | None = None, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """create_model field definitions for a pass: recipe name -> (annotation, FieldInfo)."""
    to_recipe = {olive: ours for ours, olive in (renames or {}).items()}
    fields: dict[str, Any] = {}
    for olive_name, param, ann, description in param_annotations(pass_type, skip):
        name = to_recipe.get(olive_name, olive_name)
        extra: JsonDict = {"x-olive-name": olive_name} if name != olive_name else {}
        examples = ["travel"] if olive_name.endswith(DATASET_SUFFIX) else examples_for(olive_name, param)
        default = ... if param.get("required") else param.get("default")
        fields[name] = (ann, Field(default, description=description, examples=examples, json_schema_extra=extra or None))
    return fields


# typing caches `Union[...]` by its members as a set: an equal union made later gets the first one's order, and
# so does a JSON schema's anyOf and the alternatives an error lists. The models are made on first use (issue 19),
# in an order that depends on the recipe; recipe/adapters.py and recipe/models.py make their field definitions
# (param_annotations, training_annotations) at import, in the order the models used to be made, so that every
# order stays.


def training_annotations() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(name, catalog entry, annotation) of each training argument, by name."""
    for name, param in sorted(catalog.catalog().get("training_arguments", {}).items()):
        yield name, param, Optional[annotation_for(param.get("schema", {}))]


def training_fields() -> dict[str, Any]:
    """create_model field definitions of the training arguments (training_args_model)."""
    return {name: (ann, Field(param.get("default"), description=param.get("description", ""), examples=examples_for(name, param)))
            for name, param, ann in training_annotations()}


@lru_cache(maxsize=None)  # one model per base, shared by every step that trains: building it is slow
def training_args_model(base: type[BaseModel]) -> type[BaseModel]:
    """LoRA/QLoRA training arguments: Olive's HFTrainingArguments fields plus every transformers TrainingArguments field."""
    return create_model("TrainingArgs", __base__=base, **training_fields())


@lru_cache(maxsize=None)
def generic_model(pass_type: str) -> type[PassParams]:
    """The parameter model of any catalogued pass, for `pass:` steps (`type` is checked separately)."""
    fields = field_specs(pass_type)
    if "training_args" in fields:  # checked key by key, like a typed step's `training:`
        fields["training_args"] = (Optional[training_args_model(PassParams)], Field(None))
    fields["type"] = (StrictStr, Field(..., description="The Olive pass type."))
    fields["id"] = (Optional[StrictStr], Field(None, description="Name of this pass in the compiled workflow."))
    fields["olive"] = (Optional[dict[str, Any]], Field(None, description="Fields carried to Olive as they are, unchecked."))
    fields["group"] = (Optional[list[dict[str, Any]]], Field(None, description="More configurations of the pass (an Olive pass group)."))
    return create_model(f"{pass_type}Params", __base__=PassParams, **fields)
