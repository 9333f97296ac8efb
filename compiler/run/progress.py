"""What a person sees while a recipe runs: the current step by our names, its time, LoRA losses,
and a closing table. Modes: quiet (errors and the result), normal, verbose (Olive's log too).

Every line goes through `say`: the values of secret environment variables are masked and control
characters escaped (Olive's output and a recipe's paths are not trusted to be printable)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, TextIO

from orc_olive.diagnostics import printable
from orc_olive.secrecy import mask

if TYPE_CHECKING:
    from orc_olive.olive.log import OliveLog
    from orc_olive.run.execute import RunOutcome, RunPaths

LOSS_EVERY_S = 5.0  # without a terminal, print a loss line at most this often


@dataclass
class Progress:
    mode: str
    stream: TextIO
    clock: Callable[[], float]
    durations: dict[str, float] = field(default_factory=dict)
    _types: dict[str, str] = field(default_factory=dict)
    _order: list[str] = field(default_factory=list)
    _started: dict[str, float] = field(default_factory=dict)
    _last_loss_print: float = -math.inf
    secrets: Mapping[str, str] = field(default_factory=dict)  # value -> variable name: never printed

    def say(self, text: str, *, always: bool = False) -> None:
        if always or self.mode != "quiet":
            print(printable(mask(text, self.secrets), newlines=True), file=self.stream, flush=True)

    def begin(self, name: str, steps: list[tuple[str, str]]) -> None:
        self._order = [i for i, _ in steps]
        self._types = dict(steps)
        self.say(f"orc: running {name}: " + " -> ".join(i for i, _ in steps))

    def event(self, log: "OliveLog", line: str, kind: str | None) -> None:
        if self.mode == "verbose" and line.strip():
            self.say(f"  | {line}")
        current = log.current
        if current is None or kind is None:
            return
        now = self.clock()
        label = f"[{self._order.index(current) + 1}/{len(self._order)}] {current} ({self._types[current]})"
        if kind == "start":
            self._started[current] = now
            self.say(f"{label} running...")
        elif kind == "loss":
            step = log.steps[current]
            if now - self._last_loss_print >= LOSS_EVERY_S or step.train_loss is not None:
                self._last_loss_print = now
                what = "train loss" if step.train_loss is not None else f"loss at log {len(step.losses)}"
                at = f"step {step.done_steps}/{step.total_steps}, " if step.total_steps else ""
                self.say(f"{label} {what}: {step.latest_loss:.4f}  ({at}{now - self._started.get(current, now):.1f} s)")
        elif kind == "eval" and log.steps[current].eval_loss is not None:
            self.say(f"{label} eval loss: {log.steps[current].eval_loss:.4f}  ({now - self._started.get(current, now):.1f} s)")
        elif kind in ("end", "failed"):
            self.durations[current] = now - self._started.get(current, now)
            step = log.steps[current]
            status = "reused from the Olive cache" if step.cached else step.status
            self.say(f"{label} {status} in {self.durations[current]:.1f} s")

    def summary(self, rows: list[dict[str, Any]], outcome: "RunOutcome", paths: "RunPaths") -> None:
        log = outcome.log if outcome.log is not None or outcome.record is not None else paths.log
        if outcome.exit_code != 0:
            self.say(f"orc: run {'interrupted' if outcome.interrupted else 'failed'}: {outcome.message}", always=True)
            if log is not None:
                self.say(f"orc: full Olive log: {log}", always=True)
        if outcome.kept:
            self.say(f"orc: {outcome.kept}", always=True)
        table = [("step", "pass", "status", "time", "model size")]
        for row in rows:
            seconds = "-" if row["seconds"] is None else f"{row['seconds']:.1f} s"
            table.append((row["id"], self._types.get(row["id"], ""), row["status"] + (" (cache)" if row.get("cached") else ""), seconds, size_text(row["model_bytes"])))
        widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
        for r in table:
            self.say("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
        for row in rows:
            if row.get("eval_loss") is not None:
                self.say(f"{row['id']}: eval loss {row['eval_loss']:.4f} on the evaluation data")
        if outcome.metrics:
            self.say("metrics: " + ", ".join(f"{name} {value:g}" for name, value in outcome.metrics.items()), always=True)
        if outcome.exit_code == 0:
            self.say(f"final model: {paths.output}", always=True)
            if outcome.model and outcome.model.adapters:
                self.say("adapters: " + ", ".join(str(a) for a in outcome.model.adapters), always=True)
            self.say(f"log: {log}\nmanifest: {paths.manifest}")
        if outcome.report is not None:
            self.say(f"report: {outcome.report}", always=True)


def size_text(n: int | None) -> str:
    if n is None:
        return "-"
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
