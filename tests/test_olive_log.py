"""OliveLog reads `olive run` output line by line; these lines are copied from olive-ai 0.13.0 runs."""

from orc_olive.olive.log import OliveLog

T = "[2026-11-25 10:53:25,306]"
RUN_LORA = f"{T} [INFO] [engine.py:665:_run_pass] Running pass lora:lora"
END_LORA = f"{T} [INFO] [engine.py:733:_run_pass] Pass lora:lora finished in 1.047700 seconds"
RUN_MB = f"{T} [INFO] [engine.py:665:_run_pass] Running pass model_builder:modelbuilder"


def feed(log: OliveLog, *lines: str) -> list:
    return [log.feed(line) for line in lines]


def test_a_successful_step_with_losses():
    log = OliveLog(["lora", "model_builder"])
    events = feed(
        log,
        RUN_LORA,
        "{'loss': '6.274', 'grad_norm': '0.3412', 'learning_rate': '0.0002', 'epoch': '0.03226'}",
        "{'loss': '6.261', 'grad_norm': '0.35', 'learning_rate': '0.00015', 'epoch': '0.06452'}",
        "{'train_runtime': '1.02', 'train_samples_per_second': '7.8', 'train_loss': '6.252', 'epoch': '0.129'}",
        END_LORA,
    )
    assert events == ["start", "loss", "loss", "loss", "end"]
    lora = log.steps["lora"]
    assert (lora.status, lora.olive_seconds, lora.losses, lora.train_loss) == ("succeeded", 1.0477, [6.274, 6.261], 6.252)
    assert log.steps["model_builder"].status == "pending" and not log.failed


def test_a_failed_pass_names_the_step_and_the_exception():
    log = OliveLog(["lora", "model_builder"])
    feed(
        log,
        RUN_LORA,
        END_LORA,
        RUN_MB,
        f"{T} [ERROR] [engine.py:728:_run_pass] Pass run failed.",
        "Traceback (most recent call last):",
        '  File "/x/olive/passes/onnx/model_builder.py", line 270, in _run_for_config',
        "KeyError: <Precision.INT8: 'int8'>",
        f"{T} [WARNING] [engine.py:237:run] No output model produced. Please check the log for details.",
    )
    assert log.failed and log.no_output
    assert log.steps["model_builder"].status == "failed"
    assert log.root_cause() == "step 'model_builder' failed: KeyError: <Precision.INT8: 'int8'>"


def test_an_exception_from_an_earlier_step_is_not_blamed_on_the_next():
    log = OliveLog(["lora", "model_builder"])
    feed(log, RUN_LORA, "ValueError: a warning-like line the trainer printed", END_LORA, RUN_MB, f"{T} [ERROR] [engine.py:728:_run_pass] Pass run failed.")
    assert log.root_cause() == "step 'model_builder' failed: Olive reported a failure without an exception"


def test_a_pruned_step_says_why():
    log = OliveLog(["model_builder"])
    feed(
        log,
        RUN_MB,
        f"{T} [INFO] [model_builder.py:150:validate_config] FP16 is not supported on CPU.",
        f"{T} [WARNING] [engine.py:670:_run_pass] Invalid config, pruned.",
    )
    assert log.steps["model_builder"].status == "pruned"
    assert log.root_cause() == "step 'model_builder' failed: Olive pruned the step as invalid for this target (FP16 is not supported on CPU.)"


def test_steps_reused_from_the_cache_count_as_done():
    log = OliveLog(["lora"])
    events = feed(log, RUN_LORA, f"{T} [INFO] [engine.py:702:_run_pass] Loaded model from cache: c9f22833")
    assert events == ["start", "end"]
    assert log.steps["lora"].status == "succeeded" and log.steps["lora"].cached
    assert log.root_cause() == ""


def test_a_step_that_never_finished_is_the_cause():
    log = OliveLog(["lora", "merge_adapters"])
    feed(log, RUN_LORA, "FileNotFoundError: Unable to find '/data/travel.jsonl'")
    assert log.root_cause() == "step 'lora' failed: FileNotFoundError: Unable to find '/data/travel.jsonl'"


def test_lines_from_other_workflows_and_saved_output():
    log = OliveLog(["lora"])
    assert log.feed(f"{T} [INFO] [engine.py:665:_run_pass] Running pass other:lora") is None
    log.feed(f"{T} [INFO] [engine.py:235:run] Saved output model to /tmp/out/.orc-staging-model")
    assert log.current is None and log.saved_to == "/tmp/out/.orc-staging-model"


def test_loss_points_take_their_step_from_the_epoch_when_the_bar_lags():
    """The trainer's bar (stderr) can reach the pipe after the loss line (stdout) of the same step."""
    log = OliveLog(["lora"])
    feed(
        log,
        RUN_LORA,
        "  0%|          | 0/4 [00:00<?, ?it/s]",
        "{'loss': '6.242', 'grad_norm': '0.28', 'learning_rate': '0.0002', 'epoch': '0.125'}",
        " 25%|██▌       | 1/4 [00:00<00:00, 48.10it/s]",
        "{'loss': '6.231', 'grad_norm': '0.28', 'learning_rate': '0.0002', 'epoch': '0.25'}",
        "{'eval_loss': '6.243', 'eval_runtime': '0.0256', 'epoch': '0.25'}",
        " 50%|█████     | 2/4 [00:00<00:00, 60.87it/s]",
        "{'loss': '6.263', 'grad_norm': '0.25', 'learning_rate': '0.0002', 'epoch': '0.375'}",
        " 75%|███████▌  | 3/4 [00:00<00:00, 42.19it/s]",
        "{'loss': '6.252', 'grad_norm': '0.31', 'learning_rate': '0.0002', 'epoch': '0.5'}",
        "100%|██████████| 4/4 [00:00<00:00, 48.65it/s]",
        "{'train_runtime': '0.13', 'train_loss': '6.247', 'epoch': '0.5'}",
        END_LORA,
    )
    lora = log.steps["lora"]
    assert [p["step"] for p in lora.history] == [1, 2, 3, 4] and [p["step"] for p in lora.eval_history] == [2]
