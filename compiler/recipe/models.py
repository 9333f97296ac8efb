"""The recipe format: pydantic v2 models, strict, with `extra="forbid"` wherever a user types keys.

Validators here are pure: they look only at the values in front of them (files on disk and
cross-references are checked in checks/).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Callable, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, StrictBool, StrictStr, create_model, model_validator

from orc_olive.recipe.adapters import ADAPTER_NAME_PATTERN, ADAPTERS_DESCRIPTION, adapter_model  # issue 15: named adapters
from orc_olive.recipe.azureml import AzureML as AzureML  # re-exported: the models live in their own modules
from orc_olive.recipe.azureml import Register
from orc_olive.recipe.datasets import Dataset as Dataset
from orc_olive.recipe.evaluation import Evaluate as Evaluate
from orc_olive.recipe.evaluation import LmEval as LmEval
from orc_olive.recipe.evaluation import Metric as Metric
from orc_olive.recipe.evaluation import MetricGoal as MetricGoal
from orc_olive.recipe.evaluation import MetricMeasure as MetricMeasure
from orc_olive.recipe.model_source import ModelSpec
from orc_olive.recipe.param_examples import EXAMPLES
from orc_olive.recipe.pass_models import field_specs, param_annotations, training_args_model
from orc_olive.recipe.steps import STEP_KINDS

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
DATASET_NAME_PATTERN = r"^[A-Za-z0-9_]+$"  # Olive's rule for data config names
STEP_ID_PATTERN = r"^[A-Za-z0-9_-]+$"
SYSTEM_NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
# Each pattern in words, the characters a suggested fix replaces with '-', and whether the fix lower-cases
# the value first (for error messages).
PATTERN_RULES = {
    NAME_PATTERN: ("lower-case letters, digits and '-', starting with a letter or digit", r"[^a-z0-9-]+", True),
    STEP_ID_PATTERN: ("letters, digits, '_' and '-'", r"[^A-Za-z0-9_-]+", False),
    SYSTEM_NAME_PATTERN: ("letters, digits, '_', '.' and '-'", r"[^A-Za-z0-9_.-]+", False),
}
DEFAULT_PROVIDERS = {"cpu": "CPUExecutionProvider", "gpu": "CUDAExecutionProvider", "npu": "QNNExecutionProvider"}

if TYPE_CHECKING:
    from pydantic_core import CoreSchema


class Later:
    """In an annotation, `Annotated[Any, Later(make)]`: the model `make()` gives, made when the model that holds
    the annotation is built (`orc schema`, a named adapter's steps), not when this module is imported. Validation
    uses lazy.py's models, whose annotations name the models themselves (as --set typing and error hints read them)."""

    def __init__(self, make: Callable[[], type[BaseModel]]):
        self.make = make

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return handler.generate_schema(self.make())


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, protected_namespaces=(), populate_by_name=True)


class Docker(Strict):
    dockerfile: StrictStr = Field(..., examples=["Dockerfile"], description="The Dockerfile, relative to build_context.")
    build_context: StrictStr = Field(".", examples=["docker"], description="The docker build context folder, relative to the recipe.")
    image: StrictStr = Field("olive-docker:latest", examples=["olive-docker:latest"], description="The image name to build and run.")
    work_dir: StrictStr = Field("/olive-ws", examples=["/olive-ws"], description="The working folder inside the container (absolute).")


class PythonEnv(Strict):
    python_environment_path: StrictStr = Field(
        ...,
        examples=["/opt/conda/envs/olive/bin"],
        description="The folder that holds the environment's python executable.",
    )
    environment_variables: dict[str, StrictStr] = Field(
        default_factory=dict,
        json_schema_extra={"default": {}},
        examples=[{"HF_TOKEN": "${env:HF_TOKEN}"}],
        description="Variables set for the run.",
    )


class Target(Strict):
    device: Literal["cpu", "gpu", "npu"] = Field("cpu", examples=["gpu"], description="The accelerator the model is optimized for.")
    provider: Optional[StrictStr] = Field(
        None, description="The ONNX Runtime execution provider (default: CPU, CUDA or QNN by device).", examples=["CUDAExecutionProvider"]
    )
    host_device: Optional[Literal["cpu", "gpu"]] = Field(
        None,
        examples=["gpu"],
        description="The device the steps run on, when it differs from the one the model is built for (e.g. AWQ on a GPU for a CPU model).",
    )
    system: Literal["local", "docker", "python_env", "azureml"] = Field("local", examples=["azureml"], description="Where the workflow runs.")
    azureml: Optional[AzureML] = Field(
        None,
        examples=[
            {"subscription_id": "${env:AZURE_SUBSCRIPTION_ID}", "resource_group": "my-resource-group", "workspace": "my-workspace", "compute": "gpu-cluster"}
        ],
        description="Required with system: azureml.",
    )
    docker: Optional[Docker] = Field(None, examples=[{"dockerfile": "Dockerfile", "build_context": "docker"}], description="Required with system: docker.")
    python_env: Optional[PythonEnv] = Field(
        None,
        examples=[{"python_environment_path": "/opt/conda/envs/olive/bin"}],
        description="Required with system: python_env.",
    )
    name: Optional[StrictStr] = Field(
        None, pattern=SYSTEM_NAME_PATTERN, description="The system's name in the compiled workflow (default: local_system, docker_system, ...).", examples=["qnn_system"]
    )

    @model_validator(mode="after")
    def _system_block(self) -> "Target":
        for system in ("azureml", "docker", "python_env"):
            block = getattr(self, system)
            if self.system == system and block is None:
                raise ValueError(f"@system: system '{system}' needs a '{system}:' block")  # located at `system:`
            if self.system != system and block is not None:
                raise ValueError(f"a '{system}:' block is given but system is '{self.system}'")
        return self

    @property
    def execution_provider(self) -> str:
        return self.provider or DEFAULT_PROVIDERS[self.device]

    @property
    def runs_on_cuda(self) -> bool:
        if self.host_device is not None:
            return self.host_device == "gpu"
        return self.device == "gpu" and self.execution_provider in ("CUDAExecutionProvider", "TensorrtExecutionProvider")


class Output(Strict):
    dir: StrictStr = Field("outputs", examples=["models/phi35-travel"], description="Where the final model goes, relative to the recipe.")
    cache: StrictStr = Field(".olive-cache", examples=[".olive-cache"], description="Olive's cache folder, relative to the recipe.")
    layout: Literal["flat", "model"] = Field(  # issue 15: the Olive CLI's layout (run/graph.py)
        "flat",
        examples=["model"],
        description="`flat`: the model's files in `dir`; `model`: in `dir/model/` as the Olive CLI writes them (with a recipe's named adapters in it too).",
    )
    # `register_`: pydantic models inherit ABCMeta's `register`
    register_: Optional[Register] = Field(
        None,
        alias="register",
        examples=[{"name": "ft-for-travel", "version": "1", "description": "int4 ONNX for onnxruntime-genai"}],
        description="Register the built model as an AzureML custom_model (an azureml job's output, or after a local run).",
    )


class Engine(Strict):
    log_level: int = Field(1, ge=0, le=4, examples=[0, 3], description="Olive's log severity: 0 verbose ... 4 fatal.")
    evaluate_input_model: StrictBool = Field(False, examples=[True], description="Evaluate the input model before the passes.")
    clean_cache: StrictBool = Field(False, examples=[True], description="Clear Olive's cache before running.")
    no_artifacts: StrictBool = Field(False, examples=[True], description="Skip Olive's extra output artifacts.")


PASS_PASSTHROUGH = (
    "Fields of the Olive pass carried as they are, unchecked: search spaces, a pass-level host or evaluator,"
    " parameters orc does not know. They win over the step's own parameters."
)
PASS_GROUP = (
    "More configurations of this pass, each a mapping of Olive pass fields (`type` included), that Olive"
    " runs as one pass group after the step's own configuration."
)


class StepBase(Strict):
    model_config = ConfigDict(defer_build=True)  # each step kind's validator is built when a recipe uses it (lazy.py)

    id: Optional[StrictStr] = Field(
        None,
        pattern=STEP_ID_PATTERN,
        examples=["finetune"],
        description="Name of this step (and its Olive pass); must be unique.",
    )
    olive: Optional[dict[StrictStr, Any]] = Field(None, examples=[{"weight_type": "SEARCHABLE_VALUES"}], description=PASS_PASSTHROUGH)
    group: Optional[list[dict[StrictStr, Any]]] = Field(None, min_length=1, examples=[[{"type": "OnnxConversion", "target_opset": 19}]], description=PASS_GROUP)


def _typed_step_model(key: str) -> type[StepBase]:
    kind = STEP_KINDS[key]
    fields = field_specs(kind.olive_type, kind.renames)
    if "training" in fields:
        training = training_args_model(Strict)
        info = Field(None, description="Training arguments (transformers.TrainingArguments names).", examples=EXAMPLES["training_args"])
        fields["training"] = (Optional[training], info)
    model = create_model(f"{kind.olive_type}Step", __base__=StepBase, __doc__=kind.summary, **fields)
    return model


class PassStep(StepBase):
    """Any other registered Olive pass, by its Olive type; its parameters are checked against the pass."""

    model_config = ConfigDict(extra="allow")
    type: StrictStr = Field(..., description="The Olive pass type.", examples=["OrtTransformersOptimization"])


class _TypedStepModels(dict[str, type[StepBase]]):
    """Step kind -> its model, each made on first use (reading the catalog for one pass, not all of them)."""

    def __missing__(self, key: str) -> type[StepBase]:
        if key not in STEP_KINDS:
            raise KeyError(key)
        model = self[key] = _typed_step_model(key)
        return model

    def items(self) -> list[tuple[str, type[StepBase]]]:  # type: ignore[override]  # every kind, made now
        return [(key, self[key]) for key in STEP_KINDS]


TYPED_STEP_MODELS: dict[str, type[StepBase]] = _TypedStepModels()

for _kind in STEP_KINDS.values():  # the annotations in their old order, no model (see pass_models.training_fields)
    for _ in param_annotations(_kind.olive_type):
        pass
_STEP_FIELDS: dict[str, Any] = {  # issue 19: no step kind's model is made at import
    key: (Optional[Annotated[Any, Later(partial(TYPED_STEP_MODELS.__getitem__, key))]],
          Field(None, description=STEP_KINDS[key].summary, examples=[STEP_KINDS[key].example]))
    for key in STEP_KINDS
}


class _Deferred(Strict):
    model_config = ConfigDict(defer_build=True)


_StepItem = create_model(
    "StepItem",
    __base__=_Deferred,
    __doc__="One pipeline step: exactly one key, naming the step kind.",
    **_STEP_FIELDS,
    pass_=(Optional[PassStep], Field(None, alias="pass", description=PassStep.__doc__, examples=[{"type": "OrtTransformersOptimization", "opt_level": 1}])),
)


def _exactly_one_kind(self: BaseModel) -> BaseModel:
    given = len(self.model_fields_set)
    if given != 1:
        raise ValueError(f"a step has exactly one key naming its kind, got {given}")
    return self


_StepItem.model_config["json_schema_extra"] = {"minProperties": 1, "maxProperties": 1}
# pydantic types __validators__ as plain callables, though its own decorators return descriptor proxies.
StepItem = create_model("Step", __base__=_StepItem, __validators__={"_one": model_validator(mode="after")(_exactly_one_kind)})  # type: ignore[dict-item]


def step_kind_and_params(item: BaseModel) -> tuple[str, StepBase]:
    (field,) = item.model_fields_set
    return ("pass" if field == "pass_" else field), getattr(item, field)


class Recipe(Strict):
    """An orc recipe: a model, datasets, a target, and ordered steps that compile to an Olive workflow."""

    model_config = ConfigDict(
        defer_build=True,  # validation uses a Recipe of the step kinds a document uses (lazy.py); the schema, this one
        title="orc recipe",
        json_schema_extra={
            "$id": "https://github.com/orc-olive/orc/schemas/recipe.schema.json",
            # the input model: `model:`, or an Olive model config under `olive:` (see _has_input_model)
            "anyOf": [{"required": ["model"]}, {"required": ["olive"], "properties": {"olive": {"required": ["input_model"]}}}],
        },
    )

    name: StrictStr = Field(..., pattern=NAME_PATTERN, description="The recipe's name: lower-case letters, digits and dashes.", examples=["phi35-travel"])
    description: StrictStr = Field(
        "",
        examples=["LoRA on travel Q&A, then int4 ONNX for onnxruntime-genai"],
        description="What the recipe does, in a sentence.",
    )
    model: Optional[ModelSpec] = Field(
        None,
        examples=[{"path": "microsoft/Phi-3.5-mini-instruct", "task": "text-generation"}],
        description="The input model (required unless `olive.input_model` gives an Olive model config).",
    )
    datasets: dict[StrictStr, Dataset] = Field(
        default_factory=dict,
        json_schema_extra={"default": {}, "propertyNames": {"pattern": DATASET_NAME_PATTERN}},
        examples=[{"travel": {"files": "data/travel.jsonl", "template": "{prompt} {response}"}}],
        description="Named datasets; steps refer to them by name.",
    )
    target: Target = Field(
        default_factory=Target,
        json_schema_extra={"default": {}},
        examples=[{"device": "gpu", "provider": "CUDAExecutionProvider"}],
        description="The device, execution provider and system to build for.",
    )
    steps: list[StepItem] = Field(
        ...,
        min_length=1,
        examples=[[{"lora": {"dataset": "travel", "r": 16}}, {"merge_adapters": {}}, {"model_builder": {"precision": "int4"}}]],
        description="The ordered pipeline; each item has exactly one key naming the step.",
    )
    adapters: dict[StrictStr, Annotated[Any, Later(adapter_model)]] = Field(  # issue 15: named adapters (made on first use)
        default_factory=dict,
        json_schema_extra={"default": {}, "propertyNames": {"pattern": ADAPTER_NAME_PATTERN}},
        examples=[{"travel": {"dataset": "travel"}, "tone": {"dataset": "phrases", "training": {"max_steps": 8}}}],
        description=ADAPTERS_DESCRIPTION,
    )
    output: Output = Field(
        default_factory=Output,
        json_schema_extra={"default": {}},
        examples=[{"dir": "models/phi35-travel"}],
        description="Where outputs and Olive's cache go.",
    )
    engine: Engine = Field(default_factory=Engine, json_schema_extra={"default": {}}, examples=[{"log_level": 3}], description="Olive engine options.")
    # Composition (compiler/source/compose.py resolves these before validation; declared here for editors).
    extends: Optional[Union[StrictStr, list[StrictStr]]] = Field(
        None, description="Base recipe(s) to build on, relative to this file: mappings merge, lists are replaced, steps merge by `id:`.", examples=["base.yaml"]
    )
    vars: dict[StrictStr, Any] = Field(default_factory=dict, json_schema_extra={"default": {}}, description="Values that strings refer to as ${var:name}.", examples=[{"data_dir": "../data"}])
    variants: dict[StrictStr, dict[StrictStr, Any]] = Field(
        default_factory=dict,
        json_schema_extra={"default": {}},
        description="Named sets of recipe settings merged on top (`orc compile --variant NAME` or `--all-variants`).",
        examples=[{"cpu": {"target": {"device": "cpu"}}, "cuda": {"target": {"device": "gpu"}}}],
    )
    evaluate: Optional[Evaluate] = Field(
        None,
        examples=[{"name": "common_evaluator", "metrics": [{"name": "accuracy", "type": "accuracy", "dataset": "glue", "measures": [{"name": "accuracy_score", "priority": 1}]}]}],
        description="The metrics Olive measures on the models it builds.",
    )
    olive: dict[StrictStr, Any] = Field(
        default_factory=dict,
        json_schema_extra={"default": {}},
        description=(
            "Olive RunConfig fields carried into the workflow as they are, checked against Olive's schema: each replaces the"
            " compiled field of that name (null removes it); `data_configs` entries are added to the datasets' configs."
        ),
        examples=[{"search_strategy": {"execution_order": "joint", "sampler": "tpe"}, "evaluate_input_model": False}],
    )

    @model_validator(mode="after")
    def _has_input_model(self) -> "Recipe":
        if (self.model is None) == ("input_model" not in self.olive):
            raise ValueError("give exactly one input model: `model:` or an Olive model config under `olive: {input_model: ...}`")
        return self

    @classmethod
    def typing_model(cls) -> type[Recipe]:
        """The model whose annotations type `--set` and ${env:} values (source/compose.py): every step kind's
        model and the named adapters' one, by name (the ones this class leaves to `Later`)."""
        from orc_olive.recipe.lazy import recipe_model

        return recipe_model(frozenset(STEP_KINDS), True)

    @property
    def steps_with_kinds(self) -> list[tuple[str, StepBase]]:
        return [step_kind_and_params(item) for item in self.steps]
