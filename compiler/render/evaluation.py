"""The recipe's `evaluate:` -> Olive 0.13's evaluators mapping, the engine's evaluator, and the data
configs of synthetic prompts that latency metrics of an onnxruntime-genai model time.

Olive 0.13 fails at start-up on an evaluator without a `type` (its resource scan reads the missing
type as a resource type), so every evaluator gets one: OnnxEvaluator or PyTorchEvaluator by the form
of the final model (the one Olive evaluates), or LMEvaluator for `lm_eval:`.

Perplexity is Olive's accuracy metric with the perplexity measure. OnnxEvaluator cannot run it on an
onnxruntime-genai model (model_builder's: it feeds no past key/values), so such a model's evaluator is
OrcGenaiEvaluator, which orc's olive/orc_perplexity.py registers in Olive: the evaluator's user_script,
named relative to the recipe's folder (where Olive runs).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from orc_olive.recipe.evaluation import Metric
from orc_olive.recipe.evaluation_facts import GENAI_EVALUATOR, evaluator_type, final_model
from orc_olive.recipe.models import Recipe
from orc_olive.render.datasets import evaluation_data
from orc_olive.resources import PACKAGE

DEFAULT_MEASURE = {"accuracy": "accuracy_score", "perplexity": "perplexity", "latency": "avg", "throughput": "avg", "size_on_disk": "bytes"}
PROMPT_TOKENS, PROMPT_SAMPLES = 16, 8
TIMED = ("latency", "throughput")
PERPLEXITY_SCRIPT = PACKAGE / "olive" / "orc_perplexity.py"


def evaluate_context(recipe: Recipe, base: Path | None = None) -> dict[str, Any] | None:
    """{name, evaluators, data_configs} for the workflow, or None without `evaluate:`. `base`: the recipe's
    folder, which the workflow's paths are relative to (without it, orc's own script is named absolutely)."""
    evaluate = recipe.evaluate
    if evaluate is None:
        return None
    evaluator: dict[str, Any] = {}
    kind = evaluator_type(recipe)
    if kind is not None:
        evaluator["type"] = kind
    if kind == GENAI_EVALUATOR:
        evaluator["user_script"] = script_path(base)  # which registers that evaluator in Olive
    data_configs: list[dict[str, Any]] = []
    if evaluate.lm_eval is not None:
        lm = evaluate.lm_eval
        evaluator["tasks"] = list(lm.tasks)
        for key in ("limit", "batch_size", "max_length"):
            if getattr(lm, key) is not None:
                evaluator[key] = getattr(lm, key)
        if lm.backend != "auto":
            evaluator["model_class"] = lm.backend
    else:
        genai = final_model(recipe).genai
        metrics = [_metric(recipe, metric, genai, data_configs) for metric in evaluate.metrics]
        _rank(metrics)
        evaluator["metrics"] = metrics
    return {"name": evaluate.name, "evaluators": {evaluate.name: evaluator}, "data_configs": data_configs}


def _metric(recipe: Recipe, metric: Metric, genai: bool, data_configs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": metric.name, "type": "accuracy" if metric.type == "perplexity" else metric.type}
    if metric.backend is not None:
        out["backend"] = metric.backend
    measures = [m.model_dump(mode="json", exclude_unset=True) for m in metric.measures]
    if not measures and metric.type in DEFAULT_MEASURE:
        measures = [{"name": DEFAULT_MEASURE[metric.type]}]
    for measure in measures:
        if measure["name"] == "perplexity" and "higher_is_better" not in measure:
            measure["higher_is_better"] = False  # Olive takes every accuracy measure as higher-is-better
    out["sub_types"] = measures
    if metric.user_config is not None:
        out["user_config"] = metric.user_config
    if metric.dataset is not None:
        out["data_config"] = evaluation_data(recipe, metric.dataset)
    elif genai and metric.type in TIMED:
        prompts = prompts_config(f"{recipe.evaluate.name if recipe.evaluate else 'evaluator'}_{metric.name}_prompts", metric)
        data_configs.append(prompts)
        out["data_config"] = prompts["name"]
    return out


def script_path(base: Path | None) -> str:
    """orc_perplexity.py as the workflow names it: relative to the recipe's folder where one can be."""
    if base is not None:
        try:
            # from the folder's real path: the OS (and Olive's Path.resolve) reads `..` after following links
            return Path(os.path.relpath(PERPLEXITY_SCRIPT, base.resolve())).as_posix()
        except ValueError:  # another drive
            pass
    return PERPLEXITY_SCRIPT.as_posix()


def prompts_config(name: str, metric: Metric) -> dict[str, Any]:
    """Synthetic prompts shaped for an onnxruntime-genai model (its empty past-key-value inputs included);
    Olive fills in the model from the input model."""
    return {
        "name": re.sub(r"\W", "_", name, flags=re.ASCII),
        "type": "TransformersPromptDummyDataContainer",
        "load_dataset_config": {"seq_len": metric.prompt_tokens or PROMPT_TOKENS, "max_samples": metric.samples or PROMPT_SAMPLES},
        "dataloader_config": {"type": "default_dataloader", "batch_size": 1},
    }


def _rank(metrics: list[dict[str, Any]]) -> None:
    """Olive needs a rank on every measure once there are several; with none given, rank them as written."""
    measures = [m for metric in metrics for m in metric["sub_types"]]
    if len(measures) > 1 and all("priority" not in m for m in measures):
        for rank, measure in enumerate(measures, start=1):
            measure["priority"] = rank
