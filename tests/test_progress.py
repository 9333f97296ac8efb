"""What a person sees during a run, in each mode, from a fixed stream of Olive lines and a fake clock."""

import io

from orc_olive.olive.log import OliveLog
from orc_olive.run.execute import RunOutcome, RunPaths
from orc_olive.run.progress import Progress

from .test_olive_log import END_LORA, RUN_LORA, T

LINES = [RUN_LORA, "{'loss': '6.274', 'epoch': '0.03'}", "{'train_loss': '6.252', 'epoch': '0.129'}", END_LORA]


def _show(mode: str, exit_code: int = 0) -> str:
    out, ticks = io.StringIO(), iter(range(100))
    progress = Progress(mode, out, lambda: float(next(ticks)))
    log = OliveLog(["lora"])
    progress.begin("tiny", [("lora", "LoRA")])
    for line in LINES:
        progress.event(log, line, log.feed(line))
    rows = [{"id": "lora", "status": log.steps["lora"].status, "seconds": progress.durations["lora"], "model_bytes": 35123}]
    paths = RunPaths(__import__("pathlib").Path("/out/model"))
    progress.summary(rows, RunOutcome(exit_code, "succeeded" if exit_code == 0 else "step 'lora' failed: KeyError: 'x'"), paths)
    return out.getvalue()


def test_normal_mode_shows_steps_by_our_names_losses_and_the_table():
    text = _show("normal")
    assert "orc: running tiny: lora" in text
    assert "[1/1] lora (LoRA) running..." in text
    assert "[1/1] lora (LoRA) loss at log 1: 6.2740" in text
    assert "[1/1] lora (LoRA) train loss: 6.2520" in text
    assert "[1/1] lora (LoRA) succeeded in 3.0 s" in text
    assert "lora  LoRA  succeeded  3.0 s  34.3 KB" in text
    assert "final model: /out/model" in text and "manifest: /out/model.manifest.json" in text
    assert T not in text, "Olive's own lines stay in the log file"


def test_quiet_mode_prints_only_the_result():
    assert _show("quiet") == "final model: /out/model\n"
    failed = _show("quiet", exit_code=1)
    assert failed.splitlines() == ["orc: run failed: step 'lora' failed: KeyError: 'x'", "orc: full Olive log: /out/model.olive.log"]


def test_verbose_mode_passes_olive_lines_through():
    text = _show("verbose")
    assert f"  | {RUN_LORA}" in text and f"  | {END_LORA}" in text
    assert "[1/1] lora (LoRA) succeeded" in text


SECRET = "hf_s3cr3tTokenValue0123456789abcdefXYZ"


def test_secrets_are_masked_and_control_characters_escaped_in_every_line():
    out = io.StringIO()
    progress = Progress("verbose", out, lambda: 0.0, secrets={SECRET: "HF_TOKEN"})
    log = OliveLog(["lora"])
    progress.begin("tiny", [("lora", "LoRA")])
    for line in [RUN_LORA, f"OSError: cannot open /data/{SECRET}/train.jsonl", "\x1b[2Jcleared"]:
        progress.event(log, line, log.feed(line))
    progress.say(f"would run: olive run --config /out/{SECRET}.json")
    text = out.getvalue()
    assert SECRET not in text and SECRET[:12] not in text
    assert "<masked ${env:HF_TOKEN}>" in text
    assert "\x1b" not in text and "\\x1b[2Jcleared" in text


def test_a_step_still_running_when_the_run_fails_shows_failed():
    from orc_olive.run.execute import _step_rows

    log = OliveLog(["lora", "merge"])
    log.feed(RUN_LORA)  # Olive died inside lora: no "Pass run failed" line
    progress = Progress("normal", io.StringIO(), lambda: 0.0)
    failed = _step_rows(log, progress, [], RunOutcome(1, "step 'lora' failed: MemoryError"))
    assert [(r["id"], r["status"]) for r in failed] == [("lora", "failed"), ("merge", "pending")]
    stopped = _step_rows(log, progress, [], RunOutcome(143, "stopped by SIGTERM", interrupted=True))
    assert [r["status"] for r in stopped] == ["interrupted", "pending"]

    out = io.StringIO()
    shown = Progress("normal", out, lambda: 0.0)
    shown.begin("tiny", [("lora", "LoRA"), ("merge", "MergeAdapterWeights")])
    shown.summary(failed, RunOutcome(1, "step 'lora' failed: MemoryError"), RunPaths(__import__("pathlib").Path("/out/model")))
    table = out.getvalue().split("model size\n", 1)[1]
    assert table.splitlines()[0].split() == ["lora", "LoRA", "failed", "-", "-"] and "running" not in table


def test_a_failure_with_a_model_in_place_says_what_was_kept_and_where_this_runs_log_is():
    from pathlib import Path

    out = io.StringIO()
    progress = Progress("quiet", out, lambda: 0.0)
    outcome = RunOutcome(1, "step 'lora' failed: KeyError: 'x'", log=Path("/out/model.runs/r1.olive.log"), kept="the previous model is unchanged")
    progress.summary([], outcome, RunPaths(Path("/out/model")))
    assert out.getvalue().splitlines() == [
        "orc: run failed: step 'lora' failed: KeyError: 'x'",
        "orc: full Olive log: /out/model.runs/r1.olive.log",
        "orc: the previous model is unchanged",
    ]


def test_plain_loss_lines_say_the_training_step_and_the_summary_names_the_report_page():
    out, ticks = io.StringIO(), iter(range(100))
    progress = Progress("normal", out, lambda: float(next(ticks)))
    log = OliveLog(["lora"])
    progress.begin("tiny", [("lora", "LoRA")])
    for line in [RUN_LORA, " 50%|█████     | 2/4 [00:01<00:01,  1.41it/s]", "{'loss': '6.274', 'epoch': '0.03'}", END_LORA]:
        progress.event(log, line, log.feed(line))
    outcome = RunOutcome(0, "succeeded", report=__import__("pathlib").Path("/out/model.report.html"))
    progress.summary([], outcome, RunPaths(__import__("pathlib").Path("/out/model")))
    text = out.getvalue()
    assert "[1/1] lora (LoRA) loss at log 1: 6.2740  (step 2/4, " in text
    assert text.rstrip().endswith("report: /out/model.report.html")
    assert "\x1b" not in text and "\r" not in text
