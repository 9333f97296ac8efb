"""The recipe's `evaluate:` section: the metrics Olive measures on the model a recipe builds, or an
lm-eval run. render/evaluation.py compiles it to Olive 0.13's evaluator config."""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, protected_namespaces=(), populate_by_name=True)


class MetricGoal(_Strict):
    type: Literal["threshold", "min-improvement", "percent-min-improvement", "max-degradation", "percent-max-degradation"] = Field(
        ..., examples=["max-degradation"], description="How the goal is measured."
    )
    value: Union[StrictFloat, StrictInt] = Field(..., examples=[0.01, 20], description="The goal's value.")


class MetricMeasure(_Strict):
    """One measure of a metric (Olive's `sub_types` entry), e.g. accuracy_score, perplexity, avg, p90."""

    name: StrictStr = Field(
        ..., examples=["accuracy_score", "perplexity", "avg"], description="The measure: accuracy_score, f1_score, perplexity, ... for accuracy; avg, p50, p90, ... for latency."
    )
    priority: Optional[StrictInt] = Field(
        None, examples=[1], description="Rank of this measure when comparing models (1 = first); -1: not ranked; unset everywhere: ranked in the order written."
    )
    goal: Optional[MetricGoal] = Field(None, examples=[{"type": "max-degradation", "value": 0.01}], description="The goal a model must reach on this measure.")
    higher_is_better: Optional[StrictBool] = Field(None, examples=[True], description="Whether higher values are better (custom metrics).")
    metric_config: Optional[dict[str, Any]] = Field(None, examples=[{"task": "multiclass", "num_classes": 2}], description="Options of the measure (e.g. task, num_classes).")


METRIC_TYPES = ("accuracy", "perplexity", "latency", "throughput", "size_on_disk", "custom")


class Metric(_Strict):
    name: StrictStr = Field(..., examples=["accuracy", "latency"], description="The metric's name.")
    type: Literal["accuracy", "perplexity", "latency", "throughput", "size_on_disk", "custom"] = Field(
        ..., examples=["perplexity", "latency"], description=(
            "The kind of metric; perplexity is Olive's accuracy metric with the perplexity measure, or on model_builder's"
            " onnxruntime-genai model that metric measured by orc's own OnnxEvaluator (which feeds the model's past key/values)."
        ),
    )
    dataset: Optional[StrictStr] = Field(
        None,
        examples=["glue"],
        description=(
            "Name of the dataset (or the Olive data config under olive.data_configs) to evaluate on; a dataset with a"
            " `holdout` is measured on its held-out part. Latency/throughput of an onnxruntime-genai model (model_builder)"
            " leave it out: they time synthetic prompts."
        ),
    )
    measures: list[MetricMeasure] = Field(
        default_factory=list,
        json_schema_extra={"default": []},
        examples=[[{"name": "avg", "priority": 1}]],
        description="What to measure (Olive's sub_types); default: perplexity, accuracy_score, avg or bytes by type.",
    )
    prompt_tokens: Optional[int] = Field(None, gt=0, examples=[32], description="Length of the synthetic prompts timed without a dataset (default 16).")
    samples: Optional[int] = Field(None, gt=0, examples=[8], description="How many synthetic prompts are timed without a dataset (default 8).")
    user_config: Optional[dict[str, Any]] = Field(
        None, examples=[{"user_script": "user_script.py", "evaluate_func": "eval_accuracy"}], description="Olive's user_config of the metric (user_script, evaluate_func, inference_settings...)."
    )
    backend: Optional[StrictStr] = Field(None, examples=["huggingface_metrics"], description="The metric backend (torch_metrics, huggingface_metrics).")


class LmEval(_Strict):
    """An lm-evaluation-harness run on the final model (Olive's LMEvaluator; needs the lm-eval package and its tasks' data)."""

    tasks: list[StrictStr] = Field(..., min_length=1, examples=[["hellaswag", "arc_easy"]], description="lm-eval task names.")
    limit: Optional[Union[StrictInt, StrictFloat]] = Field(None, gt=0, examples=[64, 0.1], description="At most this many samples per task (or this fraction).")
    backend: Literal["auto", "ort", "ortgenai", "hf"] = Field(
        "auto", examples=["ortgenai"], description="How lm-eval runs the model: auto (by the model's form), ort, ortgenai (onnxruntime-genai) or hf (PyTorch)."
    )
    batch_size: Optional[int] = Field(None, gt=0, examples=[16], description="lm-eval's batch size (Olive's default: 1).")
    max_length: Optional[int] = Field(None, gt=0, examples=[1024], description="The maximum sequence length lm-eval uses.")


class Evaluate(_Strict):
    """How Olive evaluates models: one named evaluator, used by the engine."""

    name: StrictStr = Field("evaluator", examples=["common_evaluator"], description="The evaluator's name in the compiled workflow.")
    type: Optional[StrictStr] = Field(
        None,
        examples=["OnnxEvaluator"],
        description="The Olive evaluator type; by default OnnxEvaluator or PyTorchEvaluator from the final model's form, LMEvaluator with lm_eval.",
    )
    metrics: list[Metric] = Field(
        default_factory=list,
        json_schema_extra={"default": []},
        examples=[[{"name": "latency", "type": "latency", "measures": [{"name": "avg"}]}]],
        description="The metrics to measure.",
    )
    lm_eval: Optional[LmEval] = Field(None, examples=[{"tasks": ["arc_easy"], "limit": 64}], description="Run lm-eval tasks instead of metrics.")

    @model_validator(mode="after")
    def _metrics_or_lm_eval(self) -> "Evaluate":
        if self.lm_eval is None and not self.metrics:
            raise ValueError("give `metrics:` (at least one) or `lm_eval:`")
        if self.lm_eval is not None and self.metrics:
            raise ValueError("Olive's LMEvaluator measures its lm-eval tasks only: give `metrics:` or `lm_eval:`, not both")
        if self.lm_eval is not None and self.type not in (None, "LMEvaluator"):
            raise ValueError(f"`lm_eval:` runs Olive's LMEvaluator, not '{self.type}': leave `type` out")
        return self
