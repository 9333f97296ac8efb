"""Benchmark `orc validate` against the baseline it replaces: Olive's own RunConfig check.

    python bench/bench_validate.py [--recipe recipes/tiny-cpu-lora-int4.yaml] [--runs 7] [--many 500]

1. Cold `orc validate` of one recipe: a new Python process each time (median of --runs).
2. Baseline: a new process that imports Olive and validates the compiled workflow with Olive's
   RunConfig (the earliest Olive itself can say anything about a config), median of --runs.
3. The ratio of the two (goal: orc at least 10x faster, and under 0.3 s).
4. Throughput: --many recipes (copies of the shipped ones) checked in one `orc validate` call.

Both sides are measured in the same run on the same machine; no figure is hard-coded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Bytecode is written as on a user's machine (the first run caches it): with PYTHONDONTWRITEBYTECODE set,
# as some shells set it, every run would recompile orc's modules and time that instead.
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "CI": "1", "OLIVE_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
OLIVE_CHECK = (
    "import json, sys\n"
    "from olive.workflows.run.config import RunConfig\n"
    "RunConfig.parse_file_or_obj(json.load(open(sys.argv[1], encoding='utf-8')))\n"
)


def timed(command: list[str], cwd: Path, expect_ok: bool = True) -> float:
    start = time.perf_counter()
    run = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if expect_ok and run.returncode != 0:
        sys.exit(f"command failed ({run.returncode}): {' '.join(command)}\n{run.stderr[-2000:]}")
    return elapsed


def median_time(command: list[str], cwd: Path, runs: int) -> float:
    return statistics.median(timed(command, cwd) for _ in range(runs))


def many_recipes(folder: Path, count: int) -> Path:
    """`count` recipes: the shipped ones, renamed, in a folder laid out like the repository."""
    (folder / "recipes").mkdir(parents=True)
    (folder / "examples").symlink_to(ROOT / "examples")
    shipped = sorted((ROOT / "recipes").glob("*.yaml"))
    for i in range(count):
        source = shipped[i % len(shipped)]
        text = source.read_text(encoding="utf-8").replace(f"name: {source.stem}", f"name: {source.stem}-{i}", 1)
        (folder / "recipes" / f"{i:04d}-{source.name}").write_text(text, encoding="utf-8")
    return folder / "recipes"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default=str(ROOT / "recipes" / "tiny-cpu-lora-int4.yaml"))
    parser.add_argument("--runs", type=int, default=7, help="cold runs per side (median reported)")
    parser.add_argument("--many", type=int, default=500, help="recipes in the one-call throughput test")
    args = parser.parse_args()
    recipe = Path(args.recipe).resolve()
    orc = [sys.executable, "-m", "orc_olive"]

    with tempfile.TemporaryDirectory() as tmp:
        workflow = Path(tmp) / "workflow.json"
        subprocess.run([*orc, "compile", str(recipe), "-o", str(workflow)], cwd=ROOT, env=ENV, check=True, capture_output=True)
        timed([*orc, "validate", str(recipe)], ROOT)  # warm the OS file cache for both sides alike
        orc_time = median_time([*orc, "validate", str(recipe)], ROOT, args.runs)
        olive_time = median_time([sys.executable, "-c", OLIVE_CHECK, str(workflow)], recipe.parent, args.runs)

        folder = many_recipes(Path(tmp) / "many", args.many)
        many_time = timed([*orc, "validate", str(folder)], ROOT)

    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs; recipe {recipe.relative_to(ROOT) if recipe.is_relative_to(ROOT) else recipe}")
    print(f"cold orc validate (new process, median of {args.runs}):            {orc_time:6.3f} s")
    print(f"import olive + RunConfig check (new process, median of {args.runs}):  {olive_time:6.3f} s")
    print(f"ratio (olive / orc):                                          {olive_time / orc_time:6.1f}x  (goal >= 10x, orc < 0.3 s)")
    print(f"{args.many} recipes in one orc validate call:                     {many_time:6.3f} s = {args.many / many_time:.0f} recipes/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
