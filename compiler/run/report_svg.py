"""The report page's pictures, as inline SVG (no script, no network): the loss curves and the pipeline.

Every text put into the SVG is escaped here; numbers are written with a fixed precision so that the
same manifest gives the same page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40
COLORS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bc4c00")


@dataclass
class Series:
    label: str  # shown in the legend
    run: int  # which run (0 or 1): the colour
    kind: str  # "loss" (training) or "eval-loss"
    points: list[tuple[float, float]]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def series_of(steps: list[dict[str, Any]], run: int, prefix: str = "") -> list[Series]:
    """The loss curves of one run's steps: training loss per logged step, and the eval loss where there is one."""
    found = []
    for row in steps:
        for kind, key, value_key in (("loss", "loss_history", "loss"), ("eval-loss", "eval_history", "eval_loss")):
            value = row.get(key)
            history: list[Any] = value if isinstance(value, list) else []
            points = []
            for index, point in enumerate(history):
                point = point if isinstance(point, dict) else {}
                x, y = _number(point.get("step")), _number(point.get(value_key))
                if y is not None:
                    points.append((x if x is not None else float(index + 1), y))
            if points:
                what = "training loss" if kind == "loss" else "eval loss"
                found.append(Series(f"{prefix}{row.get('id', '?')} {what}", run, kind, points))
    return found


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _tick(value: float) -> str:
    return f"{value:.4g}"


def loss_chart(series: list[Series]) -> str:
    """One plot of every series; x: training step, y: loss. Each training series is a polyline with one
    point per logged loss (class "loss"); eval losses are dashed with a dot per evaluation."""
    if not series:
        return '<p class="empty">No losses were logged in this run (no training step, or the trainer logged none).</p>'
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    pad = (y1 - y0) * 0.08 or abs(y0) * 0.01 or 1.0
    y0, y1 = y0 - pad, y1 + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * plot_w

    def sy(y: float) -> float:
        return TOP + (y1 - y) / (y1 - y0) * plot_h

    total_h = HEIGHT + 18 * len(series) + 6  # the legend below the plot, one line per series
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {total_h}" role="img" aria-label="loss curves">']
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" class="plot"/>')
    for i in range(5):  # horizontal grid and y labels
        value = y0 + (y1 - y0) * i / 4
        y = sy(value)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_fmt(y)}" y2="{_fmt(y)}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{_fmt(y + 4)}" text-anchor="end" class="tick">{escape(_tick(value))}</text>')
    steps = sorted({x for x in xs})
    shown = steps if len(steps) <= 12 else [steps[round(i * (len(steps) - 1) / 10)] for i in range(11)]
    for value in shown:
        parts.append(f'<text x="{_fmt(sx(value))}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" class="tick">{escape(_tick(value))}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" class="axis">training step</text>')
    parts.append(f'<text x="14" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" class="axis" transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">loss</text>')
    for index, s in enumerate(series):
        color = COLORS[(index if len({x.run for x in series}) == 1 else s.run) % len(COLORS)]
        points = " ".join(f"{_fmt(sx(x))},{_fmt(sy(y))}" for x, y in s.points)
        dash = ' stroke-dasharray="6 4"' if s.kind == "eval-loss" else ""
        parts.append(f'<polyline class="{s.kind}" data-series="{escape(s.label)}" points="{points}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for x, y in s.points:
            parts.append(f'<circle cx="{_fmt(sx(x))}" cy="{_fmt(sy(y))}" r="2.5" fill="{color}"><title>{escape(s.label)}: step {_tick(x)}, {y:.4f}</title></circle>')
        ly = HEIGHT + 14 + 18 * index
        lx = LEFT
        parts.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{ly - 4}" y2="{ly - 4}" stroke="{color}" stroke-width="2"{dash}/>')
        parts.append(f'<text x="{lx + 24}" y="{ly}" class="legend">{escape(s.label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


STATUS_CLASS = {"succeeded": "ok", "failed": "bad", "pruned": "bad", "interrupted": "bad", "running": "bad"}


def pipeline(steps: list[dict[str, Any]], source: str) -> str:
    """The pipeline as boxes: the input model, each step (name, Olive pass, status), the output."""
    boxes = [("model", source or "input model", "io")]
    boxes += [(str(row.get("id", "?")), str(row.get("type") or ""), STATUS_CLASS.get(str(row.get("status")), "idle")) for row in steps]
    boxes.append(("output", "ONNX model", "io"))
    box_w, box_h, gap = 150, 52, 34
    width = len(boxes) * box_w + (len(boxes) - 1) * gap + 4
    parts = [f'<svg class="pipeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {box_h + 4}" role="img" aria-label="pipeline">']
    for index, (title, subtitle, css) in enumerate(boxes):
        x = 2 + index * (box_w + gap)
        parts.append(f'<g class="stage {css}"><rect x="{x}" y="2" width="{box_w}" height="{box_h}" rx="8"/>')
        parts.append(f'<text x="{x + box_w / 2:.1f}" y="24" text-anchor="middle" class="name">{escape(_short(title))}</text>')
        parts.append(f'<text x="{x + box_w / 2:.1f}" y="42" text-anchor="middle" class="type">{escape(_short(subtitle))}</text></g>')
        if index + 1 < len(boxes):
            ax = x + box_w
            parts.append(f'<path d="M{ax + 4} {2 + box_h / 2:.1f} H{ax + gap - 6}" class="arrow"/>')
            parts.append(f'<path d="M{ax + gap - 10} {box_h / 2 - 3:.1f} L{ax + gap - 3} {2 + box_h / 2:.1f} L{ax + gap - 10} {box_h / 2 + 7:.1f} Z" class="head"/>')
    parts.append("</svg>")
    return "".join(parts)


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1):]
