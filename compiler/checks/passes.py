"""Checks of the pipeline itself: step order, the model form each step needs, and the device each needs.

These catch what Olive reports only after minutes of loading or training, or never (a pruned pass
makes `olive run` exit 0 without a model).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from orc_olive import catalog
from orc_olive.checks.base import at, steps
from orc_olive.diagnostics import Diagnostic
from orc_olive.recipe.forms import ADAPTER_TRAINERS, recipe_forms
from orc_olive.recipe.models import Recipe
from orc_olive.recipe.olive_block import target_is_carried
from orc_olive.recipe.steps import STEP_KINDS
from orc_olive.source.loader import Document


def pipeline_order(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """Flag each step that cannot take the model form (HF, HF+adapter, ONNX) it receives."""
    for index, ((kind, _), form) in enumerate(zip(recipe.steps_with_kinds, recipe_forms(recipe))):
        if form.problem:
            path = ("steps", index, kind) + (("type",) if form.problem.at_type else ())
            yield at(doc, path, form.problem.message, form.problem.hint, "order")


def qlora_then_model_builder(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """A QLoRA adapter sits on a bitsandbytes 4-bit base, which onnxruntime-genai's builder cannot quantize."""
    qlora_at: int | None = None
    for index, _, olive_type, path, values in steps(recipe):
        if olive_type == "QLoRA":
            qlora_at = index
        elif olive_type in ("MergeAdapterWeights", "OnnxConversion"):
            qlora_at = None
        elif olive_type == "ModelBuilder" and qlora_at is not None:
            if values.get("precision") == "int4":
                yield at(
                    doc, path + ("precision",),
                    f"onnxruntime-genai's model builder does not support int4 quantization of the QLoRA model from steps[{qlora_at}]: "
                    "its base is bitsandbytes 4-bit",
                    "put merge_adapters before model_builder (the adapter is merged into the unquantized base, which "
                    "model_builder then quantizes to int4), or use lora (optionally after awq) to keep the adapter separate",
                    "unsupported",
                )
            qlora_at = None


CUDA_PASSES = {kind.olive_type for kind in STEP_KINDS.values() if kind.needs_cuda}


def cuda_needs(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    if recipe.target.runs_on_cuda or target_is_carried(recipe):
        return
    target = recipe.target
    for _, kind, olive_type, path, _ in steps(recipe):
        if olive_type in CUDA_PASSES:
            yield at(
                doc, path, f"{kind if kind in STEP_KINDS else olive_type} needs a CUDA GPU, but the target is {target.device}/{target.execution_provider}",
                "set target.device: gpu (or target.host_device: gpu to build for the CPU)", "needs_cuda",
            )


# What ModelBuilder builds, measured with olive-ai 0.13.0 and onnxruntime-genai 0.14.1; Olive prunes
# the pass (and exits 0 without a model) for any other precision or device combination.
MODEL_BUILDER_PRECISIONS = ("int4", "fp32", "fp16", "bf16")


def model_builder_precision(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    target = recipe.target
    where = f"the target is {target.device}/{target.execution_provider}"
    on_target = not target_is_carried(recipe)  # Olive systems under `olive:`: the device is theirs, not checked here
    for _, _, olive_type, path, values in steps(recipe):
        precision = values.get("precision")
        if olive_type != "ModelBuilder" or not isinstance(precision, str):
            continue
        here = path + ("precision",)
        if precision == "int8":
            yield at(doc, here, "ModelBuilder int8 fails in onnxruntime-genai 0.14 (a KeyError at build time, and olive run still exits 0)",
                     "use precision: int4 (or fp32)", "unsupported")
        elif precision not in MODEL_BUILDER_PRECISIONS:
            yield at(doc, here, f"ModelBuilder cannot build precision '{precision}': Olive skips the step and writes no model",
                     "valid: 'int4', 'fp32', 'fp16' (GPU), 'bf16' (CUDA)", "unsupported")
        elif on_target and precision == "fp16" and not (target.device == "gpu" and target.execution_provider != "CPUExecutionProvider"):
            yield at(doc, here, f"ModelBuilder fp16 needs a GPU target, but {where}: Olive skips the step and writes no model",
                     "use int4 or fp32 on CPU, or set target.device: gpu", "unsupported")
        elif on_target and precision == "bf16" and target.execution_provider != "CUDAExecutionProvider":
            yield at(doc, here, f"ModelBuilder bf16 needs the CUDA execution provider, but {where}: Olive skips the step and writes no model",
                     "use int4 or fp32, or target.provider: CUDAExecutionProvider", "unsupported")


def training_dtype(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """Half-precision training on a CPU host: very slow, or unsupported by the CPU's kernels."""
    if recipe.target.runs_on_cuda or target_is_carried(recipe):
        return
    for _, _, olive_type, path, values in steps(recipe):
        if olive_type not in ADAPTER_TRAINERS:
            continue
        default = catalog.pass_params(olive_type).get("torch_dtype", {}).get("default")
        dtype = values.get("torch_dtype", default)
        if dtype in ("bfloat16", "float16"):
            given = "torch_dtype" in values
            yield at(
                doc, path + (("torch_dtype",) if given else ()),
                f"{olive_type} trains in {dtype}{'' if given else ' (the default)'} on a CPU: half precision is very slow or unsupported there",
                "set torch_dtype: float32 for CPU training", "cpu_dtype", "warning",
            )


PIPELINE_CHECKS = [pipeline_order, qlora_then_model_builder, cuda_needs, model_builder_precision, training_dtype]
