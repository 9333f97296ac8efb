"""Everything a run measures, as the manifest keeps it (schemas/run-manifest.schema.json describes it):
each step's logged losses (step, loss, learning rate, gradient norm, epoch) and evaluations, the model's
size in and out, and the peak memory of Olive's processes. Values that are not finite numbers (a loss of
nan) are kept as null, so that the manifest stays strict JSON.
"""

from __future__ import annotations

import math
import resource
import sys
from pathlib import Path
from typing import Any

from orc_olive.olive.log import StepProgress


def finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _points(points: list[dict[str, float | int | None]]) -> list[dict[str, Any]]:
    return [{key: finite(value) for key, value in point.items()} for point in points]


def step_fields(step: StepProgress, pass_type: str) -> dict[str, Any]:
    """The step row's fields beyond status and time: its pass, its training progress and every logged point."""
    return {
        "type": pass_type,
        "training_steps": step.done_steps if step.total_steps else None,
        "total_training_steps": step.total_steps,
        "loss_history": _points(step.history),
        "eval_history": _points(step.eval_history),
    }


def folder_bytes(folder: Path) -> int | None:
    if not folder.is_dir():
        return None
    try:
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    except OSError:
        return None


def peak_child_memory() -> int | None:
    """The largest resident set of a finished child process of orc (Olive's), in bytes; None where unknown."""
    try:
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    except (OSError, ValueError):
        return None
    if peak <= 0:
        return None
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024  # Linux reports KiB, macOS bytes


def run_fields(name: str, model_path: Path | None, output_files: dict[str, dict[str, Any]], peak: int | None) -> dict[str, Any]:
    """The run-level measures: the recipe's name, the model's size in and out, the peak memory."""
    return {
        "name": name,
        "model_size": {
            "input": str(model_path) if model_path is not None else None,
            "input_bytes": folder_bytes(model_path) if model_path is not None else None,
            "output_bytes": sum(entry["bytes"] for entry in output_files.values()) if output_files else None,
        },
        "peak_memory_bytes": peak,
    }
