"""Example values for Olive parameters that have neither choices nor a default in the catalog, so that
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
