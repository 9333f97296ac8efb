"""Read Olive's log as it streams: which pass runs, when it ends, training losses, and what failed.

`olive run` exits 0 after failed passes, so orc decides the outcome from these events and from the
files on disk, never from the exit code alone. Formats (olive-ai 0.13.0):
  [time] [INFO] [engine.py:665:_run_pass] Running pass lora:lora
  [time] [INFO] [engine.py:733:_run_pass] Pass lora:lora finished in 1.256971 seconds
  [time] [INFO] [engine.py:702:_run_pass] Loaded model from cache: d020c125
  [time] [ERROR] [engine.py:728:_run_pass] Pass run failed.           (then a traceback)
  [time] [WARNING] [engine.py:670:_run_pass] Invalid config, pruned.
  [time] [WARNING] [engine.py:237:run] No output model produced. Please check the log for details.
  {'loss': '6.272', 'grad_norm': '0.34', 'learning_rate': '0.0002', 'epoch': '0.03226'}   (transformers)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADER = re.compile(r"^\[[^\]]+\] \[(?P<level>[A-Z]+)\] \[[^\]]+\] (?P<message>.*)$")
_RUNNING = re.compile(r"^Running pass (?P<id>[^:\s]+):(?P<type>\S+)")
_FINISHED = re.compile(r"^Pass (?P<id>[^:\s]+):(?P<type>\S+) finished in (?P<seconds>[0-9.]+) seconds")
_LOSS = re.compile(r"'loss': '?(?P<loss>[-+0-9.eE]+|nan|inf)'?")
_TRAIN_LOSS = re.compile(r"'train_loss': '?(?P<loss>[-+0-9.eE]+|nan|inf)'?")
_EXCEPTION = re.compile(r"^(?P<name>(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit|Interrupt))(?::\s*(?P<text>.*))?$")


@dataclass
class StepProgress:
    id: str
    status: str = "pending"  # pending | running | succeeded | failed | pruned
    olive_seconds: float | None = None
    losses: list[float] = field(default_factory=list)
    train_loss: float | None = None
    cause: str = ""
    cached: bool = False  # Olive reused this step's output from its cache

    @property
    def latest_loss(self) -> float | None:
        """The final training loss once the trainer reports it, else the last logged one."""
        return self.train_loss if self.train_loss is not None else (self.losses[-1] if self.losses else None)


@dataclass
class OliveLog:
    """Folds log lines into per-step progress; `feed` returns a short event name for the display."""

    step_ids: list[str]
    steps: dict[str, StepProgress] = field(default_factory=dict)
    current: str | None = None
    last_exception: str = ""
    last_info: str = ""
    no_output: bool = False
    failed: bool = False
    saved_to: str = ""

    def __post_init__(self) -> None:
        self.steps = {i: StepProgress(i) for i in self.step_ids}

    def feed(self, line: str) -> str | None:
        line = line.rstrip()
        header = _HEADER.match(line)
        if header:
            return self._olive_line(header["level"], header["message"])
        stripped = line.strip()
        exception = _EXCEPTION.match(stripped)
        if exception:
            self.last_exception = stripped
            return None
        return self._trainer_line(stripped)

    def _olive_line(self, level: str, message: str) -> str | None:
        running, finished = _RUNNING.match(message), _FINISHED.match(message)
        if running and running["id"] in self.steps:
            self.current = running["id"]
            self.steps[self.current].status = "running"
            self.last_exception = ""
            return "start"
        if finished and finished["id"] in self.steps:
            step = self.steps[finished["id"]]
            step.status, step.olive_seconds = "succeeded", float(finished["seconds"])
            return "end"
        if message.startswith("Loaded model from cache") and self.current:
            step = self.steps[self.current]
            step.status, step.cached = "succeeded", True
            return "end"
        if message.startswith("Pass run failed") and self.current:
            self.steps[self.current].status = "failed"
            self.failed = True
            return "failed"
        if message.startswith("Invalid config, pruned") and self.current:
            step = self.steps[self.current]
            step.status, step.cause = "pruned", f"Olive pruned the step as invalid for this target ({self.last_info or 'no reason given'})"
            self.failed = True
            return "failed"
        if message.startswith("No output model produced"):
            self.no_output = True
            return None
        if message.startswith("Saved output model to "):
            self.saved_to = message.removeprefix("Saved output model to ").strip()
        if level == "INFO":
            self.last_info = message
        return None

    def _trainer_line(self, line: str) -> str | None:
        if self.current is None:
            return None
        step = self.steps[self.current]
        train = _TRAIN_LOSS.search(line)
        if train:
            step.train_loss = _number(train["loss"])
            return "loss"
        loss = _LOSS.search(line)
        if loss:
            step.losses.append(_number(loss["loss"]))
            return "loss"
        return None

    def root_cause(self) -> str:
        """One line: the step that failed and why."""
        for step in self.steps.values():
            if step.status in ("failed", "pruned", "running"):
                cause = step.cause or self.last_exception or "Olive reported a failure without an exception"
                return f"step '{step.id}' failed: {cause}"
        if self.no_output:
            return "Olive produced no output model" + (f": {self.last_exception}" if self.last_exception else "")
        if self.last_exception:
            return self.last_exception
        return ""


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")
