"""Example values (and clearer descriptions) for Olive parameters that have neither choices nor a default in the catalog, so that
the recipe schema offers an example for every field (editors show them while completing)."""

from __future__ import annotations

from typing import Any

# Olive / transformers parameter name -> example values (as a recipe would write them).
EXAMPLES: dict[str, list[Any]] = {
    # passes
    "modules_to_not_convert": [["lm_head"]],
    "script_dir": ["scripts"],
    "user_script": ["user_script.py"],
    "external_data_name": ["model.onnx.data"],
    "target_modules": [["q_proj", "v_proj"], ["o_proj", "qkv_proj"]],
    "training_args": [{"max_steps": 100, "per_device_train_batch_size": 1, "learning_rate": 0.0002}],
    "extra_options": [{"int4_accuracy_level": 4}],
    "int4_algo_config": ["rtn", "k_quant_mixed"],
    "int4_nodes_to_exclude": [["/lm_head/MatMul"]],
    "int4_op_types_to_quantize": [["MatMul", "Gather"]],
    "search": [{"max_length": 2048, "do_sample": False}],
    "device": ["cpu", "cuda"],
    "parallel_jobs": [2],
    "torch_dtype": ["float32", "float16"],
    "compute_dtype": ["bfloat16", "float16"],
    # transformers TrainingArguments
    "accelerator_config": [{"split_batches": True}],
    "activation_checkpointing_kwargs": [{"use_reentrant": False}],
    "data_seed": [42],
    "dataloader_multiprocessing_context": ["spawn"],
    "dataloader_prefetch_factor": [2],
    "ddp_backend": ["nccl"],
    "ddp_bucket_cap_mb": [25],
    "eval_accumulation_steps": [4],
    "eval_steps": [50],
    "eval_strategy": ["steps", "epoch"],
    "fsdp": ["full_shard auto_wrap"],
    "fsdp_config": [{"min_num_params": 1000000}],
    "gradient_checkpointing_kwargs": [{"use_reentrant": False}],
    "hub_model_id": ["my-org/phi3-travel-lora"],
    "hub_revision": ["main"],
    "hub_token": ["${env:HF_TOKEN}"],
    "include_for_metrics": [["inputs"]],
    "label_names": [["labels"]],
    "liger_kernel_config": [{"rope": True, "rms_norm": True}],
    "lr_scheduler_kwargs": [{"num_cycles": 1}],
    "metric_for_best_model": ["eval_loss"],
    "neftune_noise_alpha": [5],
    "optim_args": ["betas=(0.9,0.99)"],
    "optim_target_modules": [["attn", "mlp"]],
    "output_dir": ["checkpoints"],
    "parallelism_config": [{"dp_shard_size": 2}],
    "resume_from_checkpoint": ["checkpoints/checkpoint-100"],
    "run_name": ["phi3-travel-lora"],
    "save_total_limit": [2],
    "torch_compile_backend": ["inductor"],
    "torch_compile_mode": ["reduce-overhead"],
    "torch_empty_cache_steps": [10],
    "trackio_bucket_id": ["my-bucket"],
    "trackio_space_id": ["my-org/trackio"],
}

# Olive parameter name (or PassType.name for one pass) -> what the recipe schema says about it, where Olive's own text is too terse for
# someone choosing a value ("R dimension."). One example in the text where the value is not obvious.
DESCRIPTIONS: dict[str, str] = {
    "r": "The LoRA rank: the size of the low-rank matrices trained beside each targeted weight. Higher learns more "
         "and trains slower; 8 to 64 is usual (e.g. 16).",
    "alpha": "The LoRA scaling factor: the adapter's update is multiplied by alpha / r. Often set equal to r or twice it (e.g. 32 with r: 16).",
    "dropout": "The dropout probability applied to the LoRA layers while training (0 turns it off; e.g. 0.05).",
    "target_modules": "The names of the model's linear layers to attach LoRA to (default: Olive picks them for the architecture), "
                      "e.g. [q_proj, v_proj] for Llama/Phi attention.",
    "modules_to_save": "Modules besides the LoRA layers to train fully and save with the adapter, e.g. [lm_head].",
    "ephemeral_gpu_offload": "Let PEFT move parts of an offloaded model to the GPU for a moment while loading it (DoRA/LoRA "
                             "initialisation on a model that does not fit in GPU memory).",
    "device_map": "Where the model is loaded for training: `auto` spreads it over the available devices, `current_device` "
                  "puts it on the one this process uses.",
    "ModelBuilder.precision": "The precision ModelBuilder writes the ONNX model in: int4 (weights quantized to 4 bits, the usual choice), "
                 "fp32, fp16 (GPU targets) or bf16 (CUDA).",
    "AutoAWQQuantizer.bits": "The number of bits AWQ quantizes the weights to (4 is what AWQ kernels run; e.g. 4).",
    "AutoAWQQuantizer.input_model_dtype": "The data type the model is loaded in before AWQ quantizes it: fp16 (the usual), fp32 or fp64.",
}
