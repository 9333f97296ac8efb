"""The live view of a run on a terminal (rich): what Olive is doing while it starts, one row per step with
a bar of training steps done / total, the ETA, the current loss and learning rate; a finished step collapses
into its summary row, a failed one shows its cause in place. When the run ends the view is replaced by the
same closing table the plain mode prints.

Used only when the stream is a terminal, NO_COLOR is unset, TERM is not `dumb` and --no-progress is not
given (`wants_live`); otherwise progress.py's plain lines, which hold no control characters. Every text
shown goes through the same masking and escaping as the plain lines.
"""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from orc_olive.diagnostics import printable
from orc_olive.run.progress import Progress
from orc_olive.secrecy import mask

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live

    from orc_olive.olive.log import OliveLog
    from orc_olive.run.execute import RunOutcome, RunPaths

REFRESH_PER_S = 4
SHOWN = {"tick", "start", "end", "failed", "loss", "eval"}  # events that redraw at once (others wait for the timer)


def wants_live(stream: TextIO, mode: str, no_progress: bool = False) -> bool:
    """A live view only for a person at a terminal, in the normal mode."""
    if no_progress or mode != "normal" or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _clock_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"


@dataclass
class LiveProgress(Progress):
    """Progress drawn in place with rich; `say` prints above the live area."""

    _log: "OliveLog | None" = None
    _name: str = ""
    _live: "Live | None" = None
    _console: "Console | None" = None
    _began: float = 0.0
    _ended: dict[str, float] = field(default_factory=dict)

    def _clean(self, text: str) -> str:
        return printable(mask(text, self.secrets), newlines=False)

    def say(self, text: str, *, always: bool = False) -> None:
        if self._live is not None and self._console is not None:
            from rich.text import Text

            self._console.print(Text(printable(mask(text, self.secrets), newlines=True)))
        else:
            super().say(text, always=always)

    def begin(self, name: str, steps: list[tuple[str, str]]) -> None:
        from rich.console import Console
        from rich.live import Live

        self._order = [i for i, _ in steps]
        self._types = dict(steps)
        self._name = name
        self._began = self.clock()
        self._console = Console(file=self.stream, highlight=False)
        self._live = Live(_View(self), console=self._console, refresh_per_second=REFRESH_PER_S, transient=True)
        self._live.start()
        atexit.register(self._stop)  # an error that skips the summary still gives the terminal back (cursor shown)

    def event(self, log: "OliveLog", line: str, kind: str | None) -> None:
        self._log = log
        current = log.current
        if current is not None and kind in ("start", "end", "failed"):
            now = self.clock()
            if kind == "start":
                self._started[current] = now
            else:
                self.durations[current] = now - self._started.get(current, now)
                self._ended[current] = now
        if kind in SHOWN and self._live is not None:
            self._live.refresh()

    def _stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
            atexit.unregister(self._stop)

    def summary(self, rows: list[dict[str, Any]], outcome: "RunOutcome", paths: "RunPaths") -> None:
        self._stop()
        super().summary(rows, outcome, paths)

    def rows(self) -> list[tuple[str, ...]]:
        """The rows of the view as plain text cells: (mark, label, bar, detail)."""
        log, now = self._log, self.clock()
        shown: list[tuple[str, ...]] = []
        for index, step_id in enumerate(self._order):
            label = f"[{index + 1}/{len(self._order)}] {step_id} ({self._types[step_id]})"
            step = log.steps.get(step_id) if log else None
            if step is None or step.status == "pending":
                shown.append(("·", label, "", "waiting"))
                continue
            loss = f"loss {step.latest_loss:.4f}" if step.latest_loss is not None else ""
            if step.status == "running":
                elapsed = now - self._started.get(step_id, now)
                parts = [f"{elapsed:.1f} s"]
                if step.total_steps:
                    parts.append(f"ETA {_clock_text(step.eta_seconds)}")
                parts += [loss] if loss else []
                parts += [f"lr {step.learning_rate:.3g}"] if step.learning_rate is not None else []
                bar = f"{step.done_steps}/{step.total_steps} steps" if step.total_steps else ""
                detail = "  ".join(parts) + ("" if step.total_steps else f"  {log.activity if log else ''}")
                shown.append(("▶", label, bar, detail))
            elif step.status == "succeeded":
                done = f"{self.durations.get(step_id, step.olive_seconds or 0.0):.1f} s"
                how = "reused from the Olive cache" if step.cached else "succeeded"
                steps = f"{step.done_steps}/{step.total_steps} steps" if step.total_steps else ""
                shown.append(("✓", label, steps, "  ".join(p for p in (how, done, loss) if p)))
            else:
                cause = step.cause or (log.last_exception if log else "") or "see the log"
                shown.append(("✗", label, "", f"{step.status}: {cause}"))
        return [tuple(self._clean(cell) for cell in row) for row in shown]

    def header(self) -> str:
        elapsed = self.clock() - self._began
        log = self._log
        if log is None or log.current is None:
            activity = log.activity if log else "starting Olive (importing its Python packages)"
            return self._clean(f"orc: running {self._name} ({elapsed:.0f} s): {activity}")
        return self._clean(f"orc: running {self._name} ({elapsed:.0f} s)")


class _View:
    """Rebuilt on every refresh, so the times move while Olive is quiet."""

    def __init__(self, progress: LiveProgress) -> None:
        self.progress = progress

    def __rich__(self) -> Any:
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        table = Table.grid(padding=(0, 1))
        table.add_row(Text(self.progress.header(), style="bold"))
        steps = Table.grid(padding=(0, 1))
        log = self.progress._log
        for (mark, label, bar, detail), step_id in zip(self.progress.rows(), self.progress._order):
            step = log.steps.get(step_id) if log else None
            cells: list[Any] = [Text(mark, style={"✓": "green", "✗": "red", "▶": "cyan"}.get(mark, "dim")), Text(label)]
            if step is not None and step.status == "running" and step.total_steps:
                cells.append(ProgressBar(total=step.total_steps, completed=step.done_steps, width=24))
            else:
                cells.append(Text(""))
            cells += [Text(bar), Text(detail, style="red" if mark == "✗" else "")]
            steps.add_row(*cells)
        table.add_row(steps)
        return table

