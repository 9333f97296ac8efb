"""The live view: the trainer's bar, losses and evaluations read from Olive's stream (lines copied from an
olive-ai 0.13.0 run of the tiny eval recipe), the view's rows, and the real run under a pseudo-terminal."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orc_olive.olive.log import OliveLog
from orc_olive.run.execute import RunOutcome, RunPaths, default_progress
from orc_olive.run.live import LiveProgress, wants_live
from orc_olive.run.progress import Progress

from .conftest import ROOT, recipe_copy
from .test_olive_log import END_LORA, RUN_LORA, T

ESC = "\x1b"
STREAM = [
    f"{T} [INFO] [engine.py:207:run] Running Olive on accelerator: cpu-cpu",
    RUN_LORA,
    "Loading weights: 100%|██████████| 15/15 [00:00<00:00, 16405.36it/s]",
    "  0%|          | 0/4 [00:00<?, ?it/s]",
    " 25%|██▌       | 1/4 [00:01<00:03,  1.10s/it]",
    "{'loss': '6.242', 'grad_norm': '0.2741', 'learning_rate': '0.0002', 'epoch': '0.125'}",
    " 50%|█████     | 2/4 [00:01<00:01,  1.41it/s]",
    "{'loss': '6.231', 'grad_norm': '0.3391', 'learning_rate': '0.0002', 'epoch': '0.25'}",
    f"  0%|          | 0/4 [00:00<?, ?it/s]{ESC}[A",
    f"100%|██████████| 4/4 [00:00<00:00,  6.30it/s]{ESC}[A",
    f"{ESC}[A{{'eval_loss': '6.243', 'eval_runtime': '1.027', 'eval_samples_per_second': '15.58', 'epoch': '0.25'}}",
    " 75%|███████▌  | 3/4 [00:02<00:00,  1.05it/s]",
    "{'loss': 'nan', 'grad_norm': '0.2647', 'learning_rate': '0.0001', 'epoch': '0.375'}",
]


def _fed(lines: list[str], progress: Progress | None = None) -> OliveLog:
    log = OliveLog(["lora", "model_builder"])
    for line in lines:
        kind = log.feed(line)
        if progress is not None:
            progress.event(log, line, kind)
    return log


def test_the_trainer_bar_losses_and_evaluations_are_all_kept():
    log = _fed(STREAM)
    step = log.steps["lora"]
    assert (step.done_steps, step.total_steps, step.eta_seconds) == (3, 4, 0.0), "the nested eval bar does not move the step counter"
    assert [p["step"] for p in step.history] == [1, 2, 3]
    assert step.history[0] == {"step": 1, "loss": 6.242, "learning_rate": 0.0002, "grad_norm": 0.2741, "epoch": 0.125}
    assert step.history[2]["learning_rate"] == 0.0001 and step.history[2]["loss"] != step.history[2]["loss"]  # nan kept as nan here
    assert step.eval_history == [{"step": 2, "eval_loss": 6.243, "epoch": 0.25}]
    assert step.learning_rate == 0.0001
    assert log.activity == "evaluating 4/4"


def test_the_manifest_keeps_nan_as_null():
    from orc_olive.run.measures import step_fields

    fields = step_fields(_fed(STREAM).steps["lora"], "LoRA")
    assert fields["loss_history"][2]["loss"] is None and fields["loss_history"][1]["loss"] == 6.231
    assert (fields["training_steps"], fields["total_training_steps"], fields["type"]) == (3, 4, "LoRA")


def _live(stream: io.StringIO | io.TextIOWrapper, ticks: list[float]) -> LiveProgress:
    clock = iter(ticks)
    return LiveProgress("normal", stream, lambda: next(clock, ticks[-1]))


def test_rows_show_steps_done_of_total_eta_loss_and_learning_rate_then_collapse():
    progress = _live(io.StringIO(), [float(i) for i in range(200)])
    progress._order, progress._types = ["lora", "model_builder"], {"lora": "LoRA", "model_builder": "ModelBuilder"}
    log = _fed(STREAM[:8], progress)
    mark, label, bar, detail = progress.rows()[0]
    assert (mark, label, bar) == ("▶", "[1/2] lora (LoRA)", "2/4 steps")
    assert "ETA 0:01" in detail and "loss 6.2310" in detail and "lr 0.0002" in detail
    assert progress.rows()[1][-1] == "waiting"
    progress.event(log, END_LORA, log.feed(END_LORA))
    mark, _, bar, detail = progress.rows()[0]
    assert mark == "✓" and detail.startswith("succeeded ") and "loss 6.2310" in detail and bar == "2/4 steps"


def test_a_failed_step_shows_its_cause_in_place():
    progress = _live(io.StringIO(), [float(i) for i in range(100)])
    progress._order, progress._types = ["lora", "model_builder"], {"lora": "LoRA", "model_builder": "ModelBuilder"}
    _fed([RUN_LORA, "KeyError: 'text'", f"{T} [ERROR] [engine.py:728:_run_pass] Pass run failed."], progress)
    assert progress.rows()[0][0] == "✗" and progress.rows()[0][-1] == "failed: KeyError: 'text'"


def test_the_header_says_what_olive_is_doing_before_the_first_step():
    progress = _live(io.StringIO(), [0.0, 12.0])
    progress._name = "tiny"
    assert progress.header() == "orc: running tiny (0 s): starting Olive (importing its Python packages)"
    _fed(STREAM[:1], progress)
    assert progress.header() == "orc: running tiny (12 s): Running Olive on accelerator: cpu-cpu"


def test_live_only_on_a_terminal_in_normal_mode(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    master, slave = os.openpty()
    try:
        with open(slave, "w", closefd=False) as terminal:
            assert wants_live(terminal, "normal")
            assert isinstance(default_progress("normal", terminal), LiveProgress)
            assert not wants_live(terminal, "quiet") and not wants_live(terminal, "verbose")
            assert not wants_live(terminal, "normal", no_progress=True)
            monkeypatch.setenv("NO_COLOR", "1")
            assert not wants_live(terminal, "normal")
            assert type(default_progress("normal", terminal)) is Progress
    finally:
        os.close(master)
        os.close(slave)
    assert not wants_live(io.StringIO(), "normal")


def _read_all(fd: int, until: float) -> bytes:
    out = b""
    while time.monotonic() < until:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        out += chunk
    return out


def _set_size(fd: int, rows: int = 40, cols: int = 140) -> None:
    import fcntl
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


@pytest.mark.integration
def test_the_tiny_run_under_a_terminal_counts_its_steps_to_the_total(tmp_path):
    pytest.importorskip("olive")
    pytest.importorskip("rich")
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    master, slave = pty.openpty()
    _set_size(slave)
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "140", "LINES": "40"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-m", "orc_olive", "compile-and-run", str(recipe)], cwd=ROOT, env=env,
                               stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    try:
        screen = _read_all(master, time.monotonic() + 600).decode("utf-8", "replace")
    finally:
        os.close(master)
        process.wait(timeout=60)
    assert process.returncode == 0, screen[-3000:]
    assert ESC in screen, "a terminal gets the live view"
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
    assert "4/4 steps" in plain, "the step counter reached the total"
    assert "[1/3] lora (LoRA)" in plain and "loss " in plain
    table = [line.split() for line in plain.splitlines() if line.startswith(("lora ", "merge_adapters ", "model_builder "))]
    assert [row[0] for row in table][-3:] == ["lora", "merge_adapters", "model_builder"]
    assert all(row[2] == "succeeded" for row in table[-3:])
    assert f"report: {tmp_path / 'out' / 'model.report.html'}" in plain


def test_the_view_draws_on_a_terminal_then_leaves_the_plain_table_and_the_cursor(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    master, slave = os.openpty()
    _set_size(slave)
    with open(slave, "w", encoding="utf-8", closefd=True) as terminal:
        progress = LiveProgress("normal", terminal, time.monotonic)
        progress.begin("tiny", [("lora", "LoRA"), ("model_builder", "ModelBuilder")])
        log = _fed(STREAM[:8], progress)
        progress.event(log, END_LORA, log.feed(END_LORA))
        rows = [{"id": "lora", "status": "succeeded", "seconds": 3.0, "model_bytes": 35123},
                {"id": "model_builder", "status": "failed", "seconds": None, "model_bytes": None}]
        progress.summary(rows, RunOutcome(1, "step 'model_builder' failed: KeyError: 'x'"), RunPaths(Path("/out/model")))
    screen = _read_all(master, time.monotonic() + 5).decode("utf-8", "replace")
    os.close(master)
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
    assert "2/4 steps" in plain and "[1/2] lora (LoRA)" in plain, "the rows were drawn"
    assert "orc: run failed: step 'model_builder' failed: KeyError: 'x'" in plain
    assert re.search(r"lora\s+LoRA\s+succeeded\s+3\.0 s\s+34\.3 KB", plain) and "model_builder  ModelBuilder  failed" in plain
    assert screen.rstrip().count("\x1b[?25h") >= 1, "the cursor is shown again"
