"""`orc report`: one self-contained HTML page about a run (or two runs side by side) from its manifest.

The page holds everything inline (CSS, SVG; no script, no network at view time): the recipe and its
pipeline, the step table with times and sizes, the loss curves, the metrics, the model's size before
and after, the versions and the sample generation of `orc try`. With two runs: both loss curves on one
plot, the metrics of both with their difference. Every value from a manifest is escaped (autoescaping
template); a manifest of an older orc, without the history, still gives a page.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from orc_olive.diagnostics import printable
from orc_olive.files import MANIFEST_SUFFIX, manifest_path, os_error_line, write_atomic
from orc_olive.resources import TEMPLATES_DIR
from orc_olive.run import report_svg
from orc_olive.run.manifest import sha256_file
from orc_olive.run.progress import size_text

TEMPLATE = "report.html.j2"
REPORT_SUFFIX = ".report.html"


class ReportError(Exception):
    """A manifest that cannot be found or read: one line for the user."""


def given_manifest(given: Path) -> Path:
    """MODEL_DIR -> MODEL_DIR.manifest.json; a manifest file as it is."""
    if given.name.endswith(MANIFEST_SUFFIX) or given.suffix == ".json":
        return given
    return manifest_path(given)


def load(given: Path) -> tuple[Path, dict[str, Any]]:
    path = given_manifest(given)
    if not path.is_file():
        hint = f"no run manifest {path}: give a model folder that `orc compile-and-run` wrote, or its .manifest.json"
        raise ReportError(hint if path != given else f"{given} does not exist")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {os_error_line(exc)}") from None
    except ValueError as exc:
        raise ReportError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list) or "status" not in data:
        raise ReportError(f"{path} is not an orc run manifest (it needs 'status' and 'steps')")
    return path, data


def report_path(manifest: Path) -> Path:
    name = manifest.name.removesuffix(MANIFEST_SUFFIX).removesuffix(".json")
    return manifest.with_name(name + REPORT_SUFFIX)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _seconds(value: Any) -> str:
    number = _num(value)
    return "-" if number is None else f"{number:.1f} s"


def _bytes(value: Any) -> str:
    number = _num(value)
    return "-" if number is None else size_text(int(number))


def _loss(value: Any) -> str:
    number = _num(value)
    return "-" if number is None else f"{number:.4f}"


def _recipe_text(data: dict[str, Any]) -> tuple[str, str]:
    """The recipe's text when its file is unchanged since the run, else a note saying why it is not shown."""
    recipes = (data.get("fingerprint") or {}).get("recipes") if isinstance(data.get("fingerprint"), dict) else None
    if not isinstance(recipes, dict) or not recipes:
        return "", "the manifest names no recipe file"
    texts, notes = [], []
    for name, digest in recipes.items():
        path = Path(str(name))
        try:
            if sha256_file(path) != digest:
                notes.append(f"{name} changed since this run")
                continue
            texts.append(f"# {name}\n{path.read_text(encoding='utf-8')}")
        except OSError:
            notes.append(f"{name} is no longer there")
    return "\n".join(texts), "; ".join(notes)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _run_view(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    steps = [row for row in data.get("steps", []) if isinstance(row, dict)]
    size = _mapping(data.get("model_size"))
    recipe, note = _recipe_text(data)
    sample = _mapping(data.get("sample"))
    name = str(data.get("name") or Path(str(data.get("output", path.name))).name)
    files = _mapping(data.get("output_files"))
    if size.get("output_bytes") is None and files:  # a manifest of an older orc: the output's files still say it
        counted = [_num(e.get("bytes") if isinstance(e, dict) else e) for e in files.values()]
        size = {**size, "output_bytes": sum(n for n in counted if n is not None)}
    return {
        "path": str(path),
        "name": name,
        "label": name,
        "status": str(data.get("status", "?")),
        "cause": str(data.get("cause") or ""),
        "run_id": str(data.get("run_id", "-")),
        "recipe_file": str(data.get("recipe", "-")),
        "started": str(data.get("started", "-")),
        "seconds": _seconds(data.get("seconds")),
        "peak_memory": _bytes(data.get("peak_memory_bytes")),
        "input_model": str(size.get("input") or "-"),
        "input_bytes": _bytes(size.get("input_bytes")),
        "output_bytes": _bytes(size.get("output_bytes")),
        "output": str(data.get("output", "-")),
        "steps": [
            {
                "id": str(row.get("id", "?")),
                "type": str(row.get("type") or "-"),
                "status": str(row.get("status", "?")) + (" (cache)" if row.get("cached") else ""),
                "ok": row.get("status") == "succeeded",
                "seconds": _seconds(row.get("seconds")),
                "size": _bytes(row.get("model_bytes")),
                "training": f"{row.get('training_steps')}/{row.get('total_training_steps')}" if row.get("total_training_steps") else "-",
                "logged": len(row.get("loss_history") or []),
                "train_loss": _loss(row.get("train_loss")),
                "eval_loss": _loss(row.get("eval_loss")),
            }
            for row in steps
        ],
        "metrics": {str(k): _num(v) for k, v in (data.get("metrics") or {}).items()} if isinstance(data.get("metrics"), dict) else {},
        "versions": {str(k): str(v) if v is not None else "-" for k, v in (data.get("versions") or {}).items()} if isinstance(data.get("versions"), dict) else {},
        # control characters shown escaped, as `orc try` prints them
        "sample": {k: printable("" if sample.get(k) is None else str(sample.get(k)), newlines=True) for k in ("prompt", "text", "adapter", "tokens", "at")} if sample else None,
        "recipe": recipe,
        "recipe_note": note,
        "pipeline": Markup(report_svg.pipeline(steps, Path(str(size.get("input") or "")).name or "input model")),
        "_steps": steps,
    }


def _metric_rows(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names: list[str] = []
    for run in runs:
        names += [n for n in run["metrics"] if n not in names]
    rows = []
    for name in names:
        values = [run["metrics"].get(name) for run in runs]
        delta = ""
        if len(values) == 2 and values[0] is not None and values[1] is not None:
            change = values[1] - values[0]
            delta = f"{change:+.4g}" + (f" ({change / abs(values[0]) * 100:+.1f}%)" if values[0] else "")
        rows.append({"name": name, "values": ["-" if v is None else f"{v:.6g}" for v in values], "delta": delta})
    return rows


def _union(runs: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    names: list[str] = []
    for run in runs:
        names += [n for n in run[key] if n not in names]
    return [{"name": n, "values": [run[key].get(n, "-") for run in runs]} for n in names]


def render(manifests: list[tuple[Path, dict[str, Any]]]) -> str:
    """The page for one run, or for two side by side (the first is A, the second B)."""
    runs = [_run_view(path, data) for path, data in manifests]
    if len(runs) == 2:
        for tag, run in zip("AB", runs):
            run["label"] = f"{tag}: {run['name']} ({run['run_id']})"
    series = []
    for index, run in enumerate(runs):
        series += report_svg.series_of(run["_steps"], index, prefix=f"{'AB'[index]}: " if len(runs) == 2 else "")
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=select_autoescape(default=True, default_for_string=True))
    env.keep_trailing_newline = True
    template = env.get_template(TEMPLATE)
    return template.render(
        runs=runs,
        compare=len(runs) == 2,
        chart=Markup(report_svg.loss_chart(series)),
        logged=sum(len(s.points) for s in series if s.kind == "loss"),
        metrics=_metric_rows(runs),
        versions=_union(runs, "versions"),
    )


def write_report(manifest: Path, say: Callable[..., None] | None = None) -> Path | None:
    """The page of one run beside its manifest (models/x.report.html); None, said in a line, when it cannot be written."""
    try:
        path, data = load(manifest)
        target = report_path(path)
        private = path.stat().st_mode & 0o077 == 0  # the manifest is owner-only when the run had secrets: so is its page
        write_atomic(target, render([(path, data)]), private=private)
        return target
    except ReportError as exc:
        if say:
            say(f"orc: no report page: {exc}")
    except OSError as exc:
        if say:
            say(f"orc: no report page: {os_error_line(exc)}")
    return None
