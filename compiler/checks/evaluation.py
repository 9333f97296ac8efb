"""Checks of evaluation: the `evaluate:` section against what Olive 0.13's evaluators (and orc's own
perplexity script for onnxruntime-genai models) accept and can run on the model the recipe builds, holdout names, and training arguments that ask for evaluation
without evaluation data (Olive then silently turns evaluation off)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from orc_olive.checks.base import at, steps
from orc_olive.diagnostics import Diagnostic, one_of, suggest
from orc_olive.recipe.datasets import HOLDOUT_SUFFIX
from orc_olive.recipe.evaluation import Metric
from orc_olive.recipe.evaluation_facts import EVALUATOR_BY_FORM, GENAI_EVALUATOR, FinalModel, evaluator_type, final_model
from orc_olive.recipe.forms import FORM_LABELS
from orc_olive.recipe.models import Recipe
from orc_olive.recipe.steps import HF, ONNX
from orc_olive.source.loader import Document

# Olive 0.13's evaluator registry (olive/evaluator/olive_evaluator.py) and torch_metrics sub types
# (olive/evaluator/metric.py); tests/test_evaluation.py compares these with Olive's own.
EVALUATORS = ("OnnxEvaluator", "PyTorchEvaluator", "OpenVINOEvaluator", "QNNEvaluator", "LMEvaluator", "MTEBEvaluator", "ONNX", "PyTorch", "OpenVINO", "QNN")
_TIMES = ("avg", "max", "min", "p50", "p75", "p90", "p95", "p99", "p999")
MEASURES = {
    "accuracy": ("accuracy_score", "f1_score", "precision", "recall", "auroc", "perplexity", "wer", "rtfx", "exact_match", "relaxed_accuracy", "word_sort_ratio"),
    "perplexity": ("perplexity",),
    "latency": _TIMES,
    "throughput": _TIMES,
    "size_on_disk": ("bytes",),
}
TEXT_METRICS = ("accuracy", "perplexity")
TIMED = ("latency", "throughput")
EVAL_ARGS = ("eval_strategy", "eval_steps", "evaluation_strategy")
LM_EVAL_FORMS = {"ort": ONNX, "ortgenai": ONNX, "hf": HF}


def evaluation(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    evaluate = recipe.evaluate
    if evaluate is None or "evaluators" in recipe.olive or "evaluator" in recipe.olive:
        return
    final = final_model(recipe)
    kind = evaluator_type(recipe)
    if evaluate.type is not None and evaluate.type not in EVALUATORS + (GENAI_EVALUATOR,):
        yield _at(doc, ("evaluate", "type"), f"'{evaluate.type}' is not an Olive 0.13 evaluator", suggest(evaluate.type, EVALUATORS) or one_of(EVALUATORS))
    elif kind is None:
        yield _at(doc, ("evaluate",), "orc cannot tell which Olive evaluator runs the final model (its form is not one orc follows)",
                  "say it: `type: OnnxEvaluator`, `PyTorchEvaluator`, `OpenVINOEvaluator`, ...", key=True)
    yield from _input_model(recipe, doc, kind, final)
    if evaluate.lm_eval is not None:
        backend = evaluate.lm_eval.backend
        needs = LM_EVAL_FORMS.get(backend)
        if needs is not None and final.form is not None and not final.form.startswith(needs):
            yield _at(doc, ("evaluate", "lm_eval", "backend"), f"lm-eval backend '{backend}' runs {FORM_LABELS[needs]} models, but the final model is {FORM_LABELS[final.form]}",
                      "leave `backend: auto` to choose by the model")
        elif backend == "ortgenai" and final.form is not None and not final.genai:
            yield _at(doc, ("evaluate", "lm_eval", "backend"), "lm-eval backend 'ortgenai' runs onnxruntime-genai models (made by model_builder)", "use 'ort' or 'auto'")
        return
    seen: set[str] = set()
    for index, metric in enumerate(evaluate.metrics):
        path = ("evaluate", "metrics", index)
        if metric.name in seen:
            yield _at(doc, path + ("name",), f"metric name '{metric.name}' is used twice", "Olive needs unique metric names")
        seen.add(metric.name)
        yield from _measures(doc, path, metric)
        yield from _metric_data(recipe, doc, path, metric, final)
    yield from _ranks(doc, evaluate.metrics)


def _input_model(recipe: Recipe, doc: Document, kind: str | None, final: FinalModel) -> Iterator[Diagnostic]:
    """Olive 0.13 evaluates the input model with the same evaluator as the final one."""
    if not recipe.engine.evaluate_input_model or kind is None or final.input_form is None:
        return
    wanted = EVALUATOR_BY_FORM.get(final.input_form)
    kind = "OnnxEvaluator" if kind == GENAI_EVALUATOR else kind  # orc's own is an OnnxEvaluator
    if kind in ("OnnxEvaluator", "PyTorchEvaluator") and wanted and wanted != kind:
        yield at(doc, ("engine", "evaluate_input_model"),
                 f"Olive evaluates the input model with the final model's {kind}, which cannot run a {FORM_LABELS[final.input_form]} model:"
                 " the run stops before any step", "set evaluate_input_model: false (or evaluate each model in its own recipe)", "eval_input_model", "warning")


def _measures(doc: Document, path: tuple, metric: Metric) -> Iterator[Diagnostic]:
    allowed = MEASURES.get(metric.type)
    if metric.type == "custom":
        yield _at(doc, path + ("type",), "Olive 0.13 cannot start a workflow with a custom metric: writing out its config fails on the metric's backend (None)",
                  "measure accuracy, perplexity, latency, throughput or size_on_disk, or run lm-eval tasks with `lm_eval:`")
    if metric.type == "custom" and not metric.measures:
        yield _at(doc, path, "a custom metric names its measures (the keys its evaluate function returns)", "e.g. measures: [{name: my_score, priority: 1, higher_is_better: true}]", key=True)
    for index, measure in enumerate(metric.measures):
        where = path + ("measures", index)
        if allowed is not None and metric.backend in (None, "torch_metrics") and measure.name not in allowed:
            yield _at(doc, where + ("name",), f"'{measure.name}' is not a measure of a {metric.type} metric", suggest(measure.name, allowed) or one_of(allowed))
        if metric.type == "custom" and measure.priority not in (None, -1) and measure.higher_is_better is None:
            yield _at(doc, where, "a ranked custom measure says whether higher is better", "add higher_is_better: true or false", key=True)


def _metric_data(recipe: Recipe, doc: Document, path: tuple, metric: Metric, final: FinalModel) -> Iterator[Diagnostic]:
    needs_data = metric.type in TEXT_METRICS + TIMED or (metric.type == "custom" and not (metric.user_config or {}).get("evaluate_func"))
    if metric.dataset is not None and (metric.prompt_tokens is not None or metric.samples is not None):
        yield _at(doc, path + ("prompt_tokens" if metric.prompt_tokens is not None else "samples",),
                  "prompt_tokens and samples shape the synthetic prompts timed without a dataset", "leave them out, or leave out `dataset:`")
    if final.genai and metric.dataset is not None and metric.type in TEXT_METRICS + TIMED:
        if metric.type in TIMED:
            yield _at(doc, path + ("dataset",), "Olive 0.13 times an onnxruntime-genai model only with inputs that hold its past key values, which text data lacks",
                      "leave out `dataset:`: orc then times synthetic prompts of `prompt_tokens` tokens")
        elif metric.type == "perplexity":  # orc's OrcGenaiEvaluator measures it (olive/orc_perplexity.py)
            if recipe.evaluate and recipe.evaluate.type not in (None, GENAI_EVALUATOR):
                yield _at(doc, ("evaluate", "type"), f"Olive's {recipe.evaluate.type} cannot measure perplexity on the onnxruntime-genai model model_builder makes:"
                          " it feeds none of the model's past-key-value inputs", f"leave `type` out: orc then uses its {GENAI_EVALUATOR}, which does")
            for key in ("user_config", "backend"):
                if getattr(metric, key) is not None:
                    yield _at(doc, path + (key,), f"orc measures perplexity of the onnxruntime-genai model model_builder makes with its own evaluator: {key} has no say",
                              f"leave `{key}` out")
        else:
            yield _at(doc, path + ("type",), f"Olive 0.13 cannot measure {metric.type} on the onnxruntime-genai model model_builder makes:"
                      " its text data lacks the model's past-key-value inputs, and the run fails after every step",
                      "measure `type: perplexity` on the dataset instead (orc runs that with the past key/values);"
                      " or evaluate with `lm_eval:`; or measure a recipe that ends before model_builder")
    elif metric.dataset is None and needs_data and not (final.genai and metric.type in TIMED):
        yield _at(doc, path, f"a {metric.type} metric on this model needs data: name a dataset", "add dataset: <a name under datasets:>", key=True)


def _ranks(doc: Document, metrics: list[Metric]) -> Iterator[Diagnostic]:
    """Olive's rule: ranked measures (priority other than -1) hold the ranks 1..n, each once."""
    given = [(i, j, m.priority) for i, metric in enumerate(metrics) for j, m in enumerate(metric.measures) if m.priority is not None]
    if not given:
        return  # orc ranks them in the order written
    ranked = [(i, j, p) for i, j, p in given if p != -1]
    expected = set(range(1, len(ranked) + 1))
    seen: set[int] = set()
    for i, j, priority in ranked:
        if priority not in expected or priority in seen:
            yield _at(doc, ("evaluate", "metrics", i, "measures", j, "priority"), f"priority {priority} breaks Olive's ranking rule",
                      f"the ranked measures hold the ranks 1 to {len(ranked)}, each once (-1: not ranked)")
        seen.add(priority)
    unranked = [(i, j) for i, metric in enumerate(metrics) for j, m in enumerate(metric.measures) if m.priority is None]
    for i, j in unranked:
        yield _at(doc, ("evaluate", "metrics", i, "measures", j), "this measure has no priority while others have one",
                  "give every measure a priority (-1: not ranked), or none (orc ranks them in the order written)", key=True)


def holdout_names(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    for name, dataset in recipe.datasets.items():
        if dataset.holdout is not None and name + HOLDOUT_SUFFIX in recipe.datasets:
            yield at(doc, ("datasets", name, "holdout"), f"the held-out part is named '{name}{HOLDOUT_SUFFIX}', which is also a dataset",
                     "rename that dataset", "invalid_name")


def eval_without_data(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """Training arguments that ask for evaluation on a step without evaluation data: Olive sets eval_strategy to 'no'."""
    for _, _, _, path, values in steps(recipe):
        training_key = "training" if "training" in values else "training_args"
        training: Any = values.get(training_key)
        if not isinstance(training, dict) or any(k in values for k in ("eval_dataset", "eval_data_config")):
            continue
        train = values.get("dataset", values.get("train_data_config"))
        dataset = recipe.datasets.get(train) if isinstance(train, str) else None
        if dataset is not None and dataset.holdout is not None:
            continue
        for key in EVAL_ARGS:
            if training.get(key) not in (None, "no"):
                yield at(doc, path + (training_key, key), f"{key} is set but the step has no evaluation data: Olive turns evaluation off",
                         "give the dataset a `holdout:` (e.g. holdout: 0.1) or the step an `eval_dataset:`", "no_eval_data", "warning")
                break


def _at(doc: Document, path: tuple, message: str, hint: str = "", *, key: bool = False) -> Diagnostic:
    return at(doc, path, message, hint, "evaluation", key=key)


EVALUATION_CHECKS = [evaluation, holdout_names, eval_without_data]
