"""What evaluation needs to know about a recipe's pipeline: the form of the model Olive evaluates (the
final one) and whether it is an onnxruntime-genai model (built by model_builder), whose past-key-value
inputs Olive 0.13's text data does not feed (orc's own evaluator does, for perplexity). Used by the
checks and the rendering alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from orc_olive.recipe.forms import olive_type, recipe_forms
from orc_olive.recipe.steps import HF, HF_ADAPTER, ONNX, ONNX_ADAPTERS

if TYPE_CHECKING:
    from orc_olive.recipe.models import Recipe

EVALUATOR_BY_FORM = {ONNX: "OnnxEvaluator", ONNX_ADAPTERS: "OnnxEvaluator", HF: "PyTorchEvaluator", HF_ADAPTER: "PyTorchEvaluator"}
# Olive's OnnxEvaluator, but measuring perplexity with the past key/values of an onnxruntime-genai model:
# registered in Olive by orc's own olive/orc_perplexity.py, the evaluator's user_script
GENAI_EVALUATOR = "OrcGenaiEvaluator"


@dataclass(frozen=True)
class FinalModel:
    form: str | None  # None: a form orc does not follow
    genai: bool  # an onnxruntime-genai model: the last step that made the model ONNX is ModelBuilder
    input_form: str | None

    @property
    def evaluator(self) -> str | None:
        return EVALUATOR_BY_FORM.get(self.form) if self.form else None


def final_model(recipe: Recipe) -> FinalModel:
    forms = recipe_forms(recipe)
    genai = False
    for (kind, params), form in zip(recipe.steps_with_kinds, forms):
        if form.after is not None and form.after != form.before and (form.after.startswith(ONNX) or form.before and form.before.startswith(ONNX)):
            genai = olive_type(kind, params) == "ModelBuilder"
    start = forms[0].before if forms else None
    final = forms[-1].after if forms else start
    return FinalModel(final, genai and final is not None and final.startswith(ONNX), start)


def evaluator_type(recipe: Recipe) -> str | None:
    """The Olive evaluator type the recipe's `evaluate:` compiles to; Olive 0.13 fails on one without a type."""
    evaluate = recipe.evaluate
    if evaluate is None:
        return None
    if evaluate.type:
        return evaluate.type
    if evaluate.lm_eval is not None:
        return "LMEvaluator"
    final = final_model(recipe)
    if final.genai and any(metric.type == "perplexity" for metric in evaluate.metrics):
        return GENAI_EVALUATOR
    return final.evaluator
