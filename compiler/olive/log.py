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
  {'eval_loss': '6.24', 'eval_runtime': '0.41', ..., 'epoch': '0.5'}                 (transformers, with eval data)
   50%|#####     | 2/4 [00:01<00:01,  1.41it/s]         (the trainer's tqdm bar: steps done / total, elapsed<ETA)
  Loading weights: 100%|###| 15/15 [00:00<00:00, ...]   (other bars, with a description: what is happening)
  [time] [INFO] [engine.py:339:_run_no_search] Saved evaluation results of output model to <dir>/metrics.json
The metrics file maps "<metric>-<measure>" to {"value", "priority", "higher_is_better"}; read_metrics reads it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

_HEADER = re.compile(r"^\[[^\]]+\] \[(?P<level>[A-Z]+)\] \[[^\]]+\] (?P<message>.*)$")
_RUNNING = re.compile(r"^Running pass (?P<id>[^:\s]+):(?P<type>\S+)")
_FINISHED = re.compile(r"^Pass (?P<id>[^:\s]+):(?P<type>\S+) finished in (?P<seconds>[0-9.]+) seconds")
_LOSS = re.compile(r"'loss': '?(?P<loss>[-+0-9.eE]+|nan|inf)'?")
_EVAL_LOSS = re.compile(r"'eval_loss': '?(?P<loss>[-+0-9.eE]+|nan|inf)'?")
_TRAIN_LOSS = re.compile(r"'train_loss': '?(?P<loss>[-+0-9.eE]+|nan|inf)'?")
# the trainer's bar has no description; nested bars (evaluation) end with ESC[A and are left out
_BAR = re.compile(r"^(?P<what>[^|\x1b]*?):?\s*\d+%\|[^|]*\|\s*(?P<n>\d+)/(?P<total>\d+) \[(?P<elapsed>[0-9:]+)<(?P<eta>[0-9:?]+)")
_PAIR = re.compile(r"'(?P<key>\w+)': '?(?P<value>[-+0-9.eE]+|nan|inf)'?")
HISTORY_KEYS = ("loss", "learning_rate", "grad_norm", "epoch")  # what a loss point keeps of the trainer's dict
_METRICS_SAVED = "Saved evaluation results of output model to "
_EXCEPTION = re.compile(r"^(?P<name>(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit|Interrupt))(?::\s*(?P<text>.*))?$")


@dataclass
class StepProgress:
    id: str
    status: str = "pending"  # pending | running | succeeded | failed | pruned
    olive_seconds: float | None = None
    losses: list[float] = field(default_factory=list)
    train_loss: float | None = None
    eval_losses: list[float] = field(default_factory=list)  # the trainer's loss on the eval data, each time it evaluates
    cause: str = ""
    cached: bool = False  # Olive reused this step's output from its cache
    history: list[dict[str, float | int | None]] = field(default_factory=list)  # every logged training step
    eval_history: list[dict[str, float | int | None]] = field(default_factory=list)  # every evaluation
    done_steps: int = 0  # training steps done, from the trainer's progress bar
    total_steps: int | None = None
    eta_seconds: float | None = None  # the bar's estimate of the time left

    @property
    def latest_loss(self) -> float | None:
        """The final training loss once the trainer reports it, else the last logged one."""
        return self.train_loss if self.train_loss is not None else (self.losses[-1] if self.losses else None)

    @property
    def eval_loss(self) -> float | None:
        """The last loss on the evaluation data (a dataset's holdout), or None when the step did not evaluate."""
        return self.eval_losses[-1] if self.eval_losses else None

    @property
    def learning_rate(self) -> float | None:
        value = self.history[-1].get("learning_rate") if self.history else None
        return float(value) if value is not None else None


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
    metrics_file: str = ""  # where Olive saved the final model's evaluation results
    activity: str = "starting Olive (importing its Python packages)"  # what is happening now, for the live view

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
        if message.startswith(_METRICS_SAVED):
            self.metrics_file = message.removeprefix(_METRICS_SAVED).strip()
        if message.startswith("Saved output model to "):
            self.saved_to = message.removeprefix("Saved output model to ").strip()
        if level == "INFO":
            self.last_info = message
            self.activity = message  # shown by the live view on its next refresh
        return None

    def _trainer_line(self, line: str) -> str | None:
        if self.current is None:
            return None
        step = self.steps[self.current]
        bar = _BAR.match(line)
        if bar:
            return self._bar(step, bar, nested="\x1b[A" in line)
        evaluated = _EVAL_LOSS.search(line)
        if evaluated:
            step.eval_losses.append(_number(evaluated["loss"]))
            pairs = _pairs(line)
            step.eval_history.append({"step": step.done_steps or None, "eval_loss": step.eval_losses[-1], "epoch": pairs.get("epoch")})
            return "eval"
        train = _TRAIN_LOSS.search(line)
        if train:
            step.train_loss = _number(train["loss"])
            _steps_from_epochs(step, _pairs(line).get("epoch"))
            return "loss"
        loss = _LOSS.search(line)
        if loss:
            step.losses.append(_number(loss["loss"]))
            pairs = _pairs(line)
            point: dict[str, float | int | None] = {"step": step.done_steps or len(step.losses)}
            point.update({key: pairs.get(key) for key in HISTORY_KEYS})
            point["loss"] = step.losses[-1]
            step.history.append(point)
            return "loss"
        return None

    def _bar(self, step: StepProgress, bar: re.Match[str], nested: bool) -> str | None:
        """The trainer's bar moves the step counter ("tick"); other bars only say what is happening."""
        what = bar["what"].strip()
        if what:  # another bar (loading weights, saving tensors): what is happening
            self.activity = f"{what} {bar['n']}/{bar['total']}"
            return None
        if nested:
            self.activity = f"evaluating {bar['n']}/{bar['total']}"
            return None
        step.done_steps, step.total_steps = int(bar["n"]), int(bar["total"])
        step.eta_seconds = _clock(bar["eta"])
        return "tick"

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


def _steps_from_epochs(step: StepProgress, final_epoch: float | None) -> None:
    """The trainer's log dicts and its bar reach orc through one pipe from two streams, so the bar can lag a
    loss line: once training ends, each point's step is its epoch over the epochs one step makes (the final
    epoch over the steps done), which the trainer computes from its own step counter."""
    done = step.done_steps or step.total_steps
    if not final_epoch or not done:
        return
    per_step = final_epoch / done
    for point in (*step.history, *step.eval_history):
        epoch = point.get("epoch")
        if isinstance(epoch, (int, float)) and epoch > 0:
            point["step"] = max(1, round(epoch / per_step))


def _pairs(line: str) -> dict[str, float]:
    """The numeric 'key': 'value' pairs of a trainer's log dict."""
    return {m["key"]: _number(m["value"]) for m in _PAIR.finditer(line)}


def _clock(text: str) -> float | None:
    """tqdm's [HH:]MM:SS as seconds; None for '?'."""
    try:
        parts = [int(p) for p in text.split(":")]
    except ValueError:
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return float(seconds)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def read_metrics(path: Path) -> dict[str, float]:
    """The final model's metric values from Olive's metrics.json, by Olive's "<metric>-<measure>" names, in
    file order; an unreadable or malformed file gives {} (the run's outcome never depends on it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    values: dict[str, float] = {}
    for name, result in data.items() if isinstance(data, dict) else ():
        value = result.get("value") if isinstance(result, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            values[str(name)] = float(value)
    return values
