"""Perplexity of an onnxruntime-genai model (the one ModelBuilder makes), measured inside Olive.

Olive 0.13's accuracy/perplexity metric feeds an ONNX model only the data's input_ids and
attention_mask, while ModelBuilder's decoder also takes past_key_values.* inputs, so it cannot run it;
and a `custom` metric cannot carry the measurement either (Olive 0.13 fails at start-up serialising any
custom metric: its `backend` is None). So orc compiles the evaluator of such a model to

    {type: OrcGenaiEvaluator, user_script: <this file>, metrics: [{type: accuracy,
     sub_types: [{name: perplexity, higher_is_better: false}], data_config: <held-out data>}, ...]}

Olive imports this file by its path inside its own process (it imports only Olive, onnx, onnxruntime and
numpy, never orc), which registers OrcGenaiEvaluator: Olive's OnnxEvaluator, except that a metric
whose measures are all `perplexity` runs here on the batches of the data loader Olive built from the
metric's data config. Each text is run on its own (its padding dropped) with empty past key/value
tensors, as Olive's LLMAugmentedDataLoader builds them: past length 0 for GroupQueryAttention models,
else one masked past position. The value is exp(mean negative log-likelihood of every next token that
has a label), lower is better: the quantity the trainer reports as exp(eval_loss).
"""

from __future__ import annotations

import math
from typing import Any

from olive.evaluator.metric_result import MetricResult
from olive.evaluator.olive_evaluator import OnnxEvaluator
from olive.evaluator.registry import Registry

EVALUATOR = "OrcGenaiEvaluator"
IGNORE_INDEX = -100  # Olive's (and transformers') label for tokens left out of the loss
_ORT_TYPES = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(double)": "float64"}


class OrcGenaiEvaluator(OnnxEvaluator):
    """OnnxEvaluator that measures perplexity of a decoder with past key/value inputs."""

    def _evaluate_accuracy(self, model: Any, metric: Any, dataloader: Any, post_func: Any = None, device: Any = None, execution_providers: Any = None) -> Any:
        if not metric.sub_types or any(sub.name != "perplexity" for sub in metric.sub_types):
            return super()._evaluate_accuracy(model, metric, dataloader, post_func, device, execution_providers)
        value = perplexity(model, dataloader, device, execution_providers)
        return MetricResult.model_validate(
            {sub.name: {"value": value, "priority": sub.priority, "higher_is_better": False} for sub in metric.sub_types}
        )


# Olive imports this file once per spelling of its path (relative, then absolute): register the first
# import's class only (a second registration trips Olive's duplicate check, which cannot read this file)
if Registry.get(EVALUATOR) is None:
    Registry.register(EVALUATOR)(OrcGenaiEvaluator)


def perplexity(model: Any, dataloader: Any, device: Any = None, execution_providers: Any = None) -> float:
    """exp(mean next-token NLL) of `model` (an ONNXModelHandler) on the texts of `dataloader`."""
    kwargs = {"device": device} if device is not None else {}
    session = model.prepare_session(execution_providers=execution_providers, **kwargs)
    feeds = _Feeds(session, model.model_path)
    total_nll, total_tokens = 0.0, 0
    for input_ids, labels in _texts(dataloader):
        logits = session.run(["logits"], feeds.inputs(input_ids))[0][0]
        nll, count = _next_token_nll(logits, labels)
        total_nll, total_tokens = total_nll + nll, total_tokens + count
    if total_tokens == 0:
        raise ValueError("orc_perplexity: the evaluation data holds no labelled tokens")
    return math.exp(total_nll / total_tokens)


def _texts(dataloader: Any) -> Any:
    """(input_ids, labels) of each text, as int64 numpy rows without padding."""
    import numpy as np

    for batch in dataloader:
        data, labels = (batch[0], batch[1]) if isinstance(batch, (list, tuple)) else (batch, None)
        input_ids = _numpy(data["input_ids"])
        mask = _numpy(data["attention_mask"]) if "attention_mask" in data else np.ones_like(input_ids)
        labels = _numpy(labels if labels is not None else data.get("labels", input_ids))
        if input_ids.ndim == 1:
            input_ids, mask, labels = input_ids[None], mask[None], labels[None]
        for ids, row_mask, row_labels in zip(input_ids, mask, labels):
            keep = row_mask.astype(bool)
            yield ids[keep].astype(np.int64), row_labels[keep].astype(np.int64)


def _numpy(value: Any) -> Any:
    import numpy as np

    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def _next_token_nll(logits: Any, labels: Any) -> tuple[float, int]:
    """Sum of -log p(label[t+1] | tokens[..t]) over the labelled positions, and their count."""
    import numpy as np

    scores = logits[:-1].astype(np.float64)
    targets = labels[1:]
    keep = targets != IGNORE_INDEX
    if not keep.any():
        return 0.0, 0
    scores, targets = scores[keep], targets[keep]
    top = scores.max(axis=-1, keepdims=True)
    log_norm = np.log(np.exp(scores - top).sum(axis=-1)) + top[:, 0]
    picked = scores[np.arange(len(targets)), targets]
    return float((log_norm - picked).sum()), int(keep.sum())


class _Feeds:
    """The inputs of one text: its tokens and, for the decoder's past_key_values.* inputs, empty caches."""

    def __init__(self, session: Any, model_path: str) -> None:
        import onnx

        self.inputs_meta = session.get_inputs()
        names = {i.name for i in self.inputs_meta}
        self.past = [i for i in self.inputs_meta if i.name.startswith(("past_key", "past_value"))]
        self.gqa = any(node.op_type == "GroupQueryAttention" for node in onnx.load(model_path, load_external_data=False).graph.node)
        known = {"input_ids", "attention_mask", "position_ids"} | {i.name for i in self.past}
        unknown = sorted(names - known)
        if unknown or "input_ids" not in names:
            raise ValueError(f"orc_perplexity runs decoders with input_ids, attention_mask, position_ids and past key/values; this model also takes {unknown}")
        self.names = names

    def inputs(self, input_ids: Any) -> dict[str, Any]:
        import numpy as np

        past_length = 0 if self.gqa else 1  # without GQA, one masked past position (as Olive's calibration data has)
        length = input_ids.shape[0]
        mask = np.concatenate([np.zeros(past_length, dtype=np.int64), np.ones(length, dtype=np.int64)])[None]
        feed: dict[str, Any] = {"input_ids": input_ids[None]}
        if "attention_mask" in self.names:
            feed["attention_mask"] = mask
        if "position_ids" in self.names:
            feed["position_ids"] = np.arange(length, dtype=np.int64)[None]
        for meta in self.past:
            heads, head_size = meta.shape[1], meta.shape[3]
            if not isinstance(heads, int) or not isinstance(head_size, int):
                raise ValueError(f"orc_perplexity: the past input {meta.name} has no fixed head count and size: {meta.shape}")
            if meta.type not in _ORT_TYPES:
                raise ValueError(f"orc_perplexity: the past input {meta.name} is {meta.type}, which numpy cannot hold")
            feed[meta.name] = np.zeros((1, heads, past_length, head_size), dtype=_ORT_TYPES[meta.type])
        return feed
