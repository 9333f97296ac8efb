"""The typed step kinds of a recipe and the Olive passes they become.

A step kind is a recipe-level name for one Olive pass, with clearer names for a few parameters.
`consumes` is the model form a typed step takes; forms.py follows the form through the steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Model forms flowing through a pipeline.
HF = "hf"  # a PyTorch / Hugging Face model
HF_ADAPTER = "hf+adapter"  # a Hugging Face model with a LoRA adapter beside it
ONNX = "onnx"
ONNX_ADAPTERS = "onnx+adapters"  # an ONNX model with its adapter weights in a separate file


@dataclass(frozen=True)
class StepKind:
    key: str
    olive_type: str
    summary: str
    renames: dict[str, str] = field(default_factory=dict)  # recipe name -> Olive parameter name
    consumes: tuple[str, ...] = (HF,)
    needs_cuda: bool = False
    example: dict = field(default_factory=dict)  # a typical step, offered by editors through the schema


_TRAINING = {"dataset": "train_data_config", "eval_dataset": "eval_data_config", "training": "training_args", "dropout": "lora_dropout"}

STEP_KINDS: dict[str, StepKind] = {
    kind.key: kind
    for kind in (
        StepKind("awq", "AutoAWQQuantizer", "Quantize the weights to 4 bits with AWQ (needs a CUDA GPU).", {"dataset": "data_config"}, needs_cuda=True,
                 example={"bits": 4}),
        StepKind("lora", "LoRA", "Fine-tune a LoRA adapter on a dataset.", _TRAINING,
                 example={"dataset": "travel", "r": 16, "alpha": 32, "training": {"max_steps": 100}}),
        StepKind("qlora", "QLoRA", "Fine-tune a LoRA adapter on a 4-bit quantized base (needs a CUDA GPU).", _TRAINING, needs_cuda=True,
                 example={"dataset": "travel", "r": 64, "alpha": 64, "dropout": 0.1}),
        StepKind("merge_adapters", "MergeAdapterWeights", "Merge the fine-tuned adapter into the base weights.", consumes=(HF_ADAPTER,), example={}),
        StepKind("extract_adapters", "ExtractAdapters", "Move the adapter weights out of the ONNX model into a weights file.", consumes=(ONNX,), example={}),
        # consumes: without metadata_only; with it, an ONNX model (forms.MODE_FLAGS)
        StepKind("model_builder", "ModelBuilder", "Build an onnxruntime-genai ONNX model (fp32, fp16, int4...).", consumes=(HF, HF_ADAPTER),
                 example={"precision": "int4"}),
        StepKind("onnx_conversion", "OnnxConversion", "Export the PyTorch model to ONNX with torch.onnx.", consumes=(HF, HF_ADAPTER),
                 example={"target_opset": 17}),
    )
}
