"""What a person sees while a recipe runs: the current step by our names, its time, LoRA losses,
and a closing table. Modes: quiet (errors and the result), normal, verbose (Olive's log too)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, TextIO

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

    def say(self, text: str, *, always: bool = False) -> None:
        if always or self.mode != "quiet":
            print(text, file=self.stream, flush=True)

    def begin(self, name: str, steps: list[tuple[str, str]]) -> None:
        self._order = [i for i, _ in steps]
        self._types = dict(steps)
        self.say(f"orc: running {name}: " + " -> ".join(i for i, _ in steps))

    def event(self, log: "OliveLog", line: str, kind: str | None) -> None:
        if self.mode == "verbose" and line.strip():
            print(f"  | {line}", file=self.stream, flush=True)
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
                self.say(f"{label} {what}: {step.latest_loss:.4f}  ({now - self._started.get(current, now):.1f} s)")
        elif kind in ("end", "failed"):
            self.durations[current] = now - self._started.get(current, now)
            step = log.steps[current]
            status = "reused from the Olive cache" if step.cached else step.status
            self.say(f"{label} {status} in {self.durations[current]:.1f} s")

    def summary(self, rows: list[dict[str, Any]], outcome: "RunOutcome", paths: "RunPaths") -> None:
        if outcome.exit_code != 0:
            self.say(f"orc: run failed: {outcome.message}", always=True)
            self.say(f"orc: full Olive log: {paths.log}", always=True)
        table = [("step", "pass", "status", "time", "model size")]
        for row in rows:
            seconds = "-" if row["seconds"] is None else f"{row['seconds']:.1f} s"
            table.append((row["id"], self._types.get(row["id"], ""), row["status"] + (" (cache)" if row.get("cached") else ""), seconds, _size(row["model_bytes"])))
        widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
        for r in table:
            self.say("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
        if outcome.exit_code == 0:
            self.say(f"final model: {paths.output}", always=True)
            if outcome.model and outcome.model.adapters:
                self.say("adapters: " + ", ".join(str(a) for a in outcome.model.adapters), always=True)
            self.say(f"log: {paths.log}\nmanifest: {paths.manifest}")


def _size(n: int | None) -> str:
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
