"""The model form flowing through a recipe's steps: what each pass takes and what it yields.

One walk, used by the pipeline checks (which flag a step that cannot take the form it receives) and
`orc explain` (which shows each step's form in and out), so the two never disagree.
Typed steps know what they take (steps.py); any other pass is looked up in the generated catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from orc_olive import catalog
from orc_olive.recipe.steps import HF, HF_ADAPTER, ONNX, ONNX_ADAPTERS, STEP_KINDS

if TYPE_CHECKING:
    from orc_olive.recipe.models import Recipe

FORM_LABELS = {HF: "HF", HF_ADAPTER: "HF+adapter", ONNX: "ONNX", ONNX_ADAPTERS: "ONNX+adapters", None: "other"}

# What each Olive pass turns its input into, where the catalog's model types do not say enough
# (adapters are not a model type there); other passes are looked up in the catalog.
PRODUCES: dict[str, str] = {
    "AutoAWQQuantizer": HF,
    "LoRA": HF_ADAPTER,
    "QLoRA": HF_ADAPTER,
    "LoftQ": HF_ADAPTER,
    "DoRA": HF_ADAPTER,
    "LoHa": HF_ADAPTER,
    "LoKr": HF_ADAPTER,
    "MergeAdapterWeights": HF,
    "ModelBuilder": ONNX,
    "OnnxConversion": ONNX,
    "ExtractAdapters": ONNX_ADAPTERS,
}
ADAPTER_TRAINERS = frozenset(t for t, form in PRODUCES.items() if form == HF_ADAPTER)

TORCH_MODELS = frozenset({"HfModel", "PyTorchModel"})
ONNX_MODELS = frozenset({"ONNXModel", "CompositeModel"})
# Olive input model types whose form orc follows through the steps (others: not followed, nothing flagged).
INPUT_MODEL_FORMS = {"hfmodel": HF, "pytorchmodel": HF, "onnxmodel": ONNX}
_TO_ONNX_FIRST = "put model_builder or onnx_conversion before it"
_BEFORE_ONNX = "move it before model_builder/onnx_conversion"

# A flag that changes the form a pass takes: ModelBuilder builds an ONNX model from a PyTorch one, or, with
# metadata_only, writes onnxruntime-genai's configuration for the ONNX model it is given (Olive 0.13 raises
# for the other pairings, once the earlier steps have run). Typed and `pass:` steps alike.
MODE_FLAGS = {"ModelBuilder": "metadata_only"}


def mode_on(olive_type: str, params: Any) -> bool:
    """Whether the step sets its pass's mode flag (MODE_FLAGS), as a checked field or under its `olive:`."""
    flag = MODE_FLAGS.get(olive_type)
    if flag is None or params is None:
        return False
    carried = getattr(params, "olive", None)
    return getattr(params, flag, None) is True or (isinstance(carried, dict) and carried.get(flag) is True)


def catalog_models(olive_type: str, key: str) -> set[str]:
    """The Olive model types a pass takes (`input_model`) or yields (`output_model`), from the catalog."""
    value = catalog.catalog()["passes"].get(olive_type, {}).get(key) or []
    return set(value) if isinstance(value, list) else {value}


def next_form(olive_type: str, form: str | None, mode: bool = False) -> str | None:
    """The model form after a pass; None once it is a form orc does not follow (OpenVINO, QNN...).
    `mode`: the pass's MODE_FLAGS flag is set (ModelBuilder's metadata_only keeps the ONNX model it gets)."""
    if form is None:
        return None
    if mode:
        return form
    produced = PRODUCES.get(olive_type)
    if produced == ONNX and form == HF_ADAPTER:
        return ONNX  # the adapter is baked into the graph until ExtractAdapters pulls it out
    if produced is not None:
        return produced
    models = catalog_models(olive_type, "output_model")
    # only a pass whose every output is ONNX (or PyTorch) has a known form: OpenVINOOptimumConversion
    # gives an OpenVINO model or a composite of OpenVINO models, which orc does not follow
    if models and models <= ONNX_MODELS:
        return ONNX
    if models and models <= TORCH_MODELS:
        return HF if form.startswith(ONNX) else form
    return None


@dataclass(frozen=True)
class FormProblem:
    message: str
    hint: str
    at_type: bool  # placed on the step's `type:` (a `pass:` step) rather than on the step


def form_problem(kind: str, olive_type: str, form: str, mode: bool = False) -> FormProblem | None:
    """Why the step cannot take the model form it receives, or None. `mode`: see next_form."""
    onnx = form.startswith(ONNX)
    if kind == "merge_adapters" and form != HF_ADAPTER:
        return FormProblem("merge_adapters needs an adapter: put a lora or qlora step before it", "", False)
    if olive_type in ADAPTER_TRAINERS and form == HF_ADAPTER:  # issue 15: Olive raises "Model already has an adapter"
        return FormProblem(f"{kind if kind in STEP_KINDS else olive_type} trains an adapter, but the model already has one here (Olive stops with"
                           " 'Model already has an adapter')",
                           "put merge_adapters before it to train on the merged model, or declare several adapters of one base model under `adapters:`",
                           kind not in STEP_KINDS)
    if kind == "extract_adapters" and form != ONNX:
        return FormProblem("extract_adapters needs an ONNX model with an adapter: put lora, then model_builder or onnx_conversion, before it", "", False)
    if olive_type in MODE_FLAGS:
        return _mode_problem(kind, olive_type, onnx, mode)
    if kind in STEP_KINDS:
        if HF in STEP_KINDS[kind].consumes and onnx:
            return FormProblem(f"{kind} works on a PyTorch model, but an earlier step already produced ONNX", _BEFORE_ONNX, False)
        return None
    accepted = catalog_models(olive_type, "input_model")
    if accepted and onnx and not accepted & ONNX_MODELS:
        return FormProblem(f"{olive_type} works on a PyTorch model, but an earlier step already produced ONNX", _BEFORE_ONNX, True)
    if accepted and not onnx and not accepted & TORCH_MODELS:
        return FormProblem(f"{olive_type} works on an ONNX model, but the model is still PyTorch here", _TO_ONNX_FIRST, True)
    return None


def _mode_problem(kind: str, olive_type: str, onnx: bool, mode: bool) -> FormProblem | None:
    """A pass whose flag decides the form it takes (MODE_FLAGS): each mode takes one form."""
    flag, typed = MODE_FLAGS[olive_type], kind in STEP_KINDS
    name = kind if typed else olive_type
    if mode and not onnx:
        return FormProblem(f"{name} with {flag}: true works on an ONNX model, but the model is still PyTorch here",
                           f"{_TO_ONNX_FIRST}, or drop {flag}", not typed)
    if not mode and onnx:
        return FormProblem(f"{name} works on a PyTorch model, but an earlier step already produced ONNX",
                           f"{_BEFORE_ONNX}, or set {flag}: true to write only onnxruntime-genai's configuration for this ONNX model", not typed)
    return None


@dataclass(frozen=True)
class StepForm:
    before: str | None  # None: a form orc does not follow
    after: str | None
    problem: FormProblem | None


def walk(steps: Sequence[tuple[str, str, bool]], start: str | None) -> list[StepForm]:
    """The form before and after each (step kind, Olive pass type, mode flag set); a step that cannot take
    its input has a problem and leaves the model as it was, so one misplaced step causes no knock-on errors."""
    out: list[StepForm] = []
    form = start
    for kind, olive_type, mode in steps:
        problem = form_problem(kind, olive_type, form, mode) if form is not None else None
        after = form if problem else next_form(olive_type, form, mode)
        out.append(StepForm(form, after, problem))
        form = after
    return out


def input_form(recipe: Recipe) -> str | None:
    """The form of the recipe's input model: from `model:`, or from the type of `olive.input_model`."""
    if recipe.model is not None:
        return HF_ADAPTER if recipe.model.adapter_path else HF
    model: Any = recipe.olive.get("input_model")
    return INPUT_MODEL_FORMS.get(str(model.get("type", "")).lower()) if isinstance(model, dict) else None


def recipe_forms(recipe: Recipe) -> list[StepForm]:
    """The form walk over a recipe's steps, from its input model."""
    steps = [(kind, olive_type(kind, params), params) for kind, params in recipe.steps_with_kinds]
    return walk([(kind, pass_type, mode_on(pass_type, params)) for kind, pass_type, params in steps], input_form(recipe))


def olive_type(kind: str, params: Any) -> str:
    """The Olive pass a step becomes ('' for a `pass:` step whose type is unknown)."""
    if kind in STEP_KINDS:
        return STEP_KINDS[kind].olive_type
    pass_type = getattr(params, "type", None)
    return (catalog.canonical_pass_name(pass_type) or "") if isinstance(pass_type, str) else ""
