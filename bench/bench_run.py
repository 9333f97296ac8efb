"""Benchmark `orc compile-and-run` against plain `olive run` on the same compiled config (tiny CPU recipe).

Measured in one run, alternating the two so that machine noise hits both alike:
  overhead ratio = orc compile-and-run (full run, cold Olive cache) / olive run (same config, cold cache)
  orc's own time = orc's wall time minus the `olive run` it started (the manifest's "seconds"): the
                   overhead without the run-to-run noise of training
  no-op re-run   = orc compile-and-run on an unchanged recipe with its output intact
Targets (issue 3): ratio <= 1.05; no-op under 1 s.   Usage: python bench/bench_run.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Bytecode is written as on a user's machine (the first run caches it): with PYTHONDONTWRITEBYTECODE set,
# as some shells set it, every run would recompile orc's modules and time that instead.
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "CI": "1", "OLIVE_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1"}


def tiny_recipe(folder: Path) -> Path:
    text = (ROOT / "recipes" / "tiny-cpu-lora-int4.yaml").read_text()
    text = text.replace("../examples/", f"{ROOT}/examples/").replace("../models/tiny-cpu-lora-int4", "out/model").replace("../.olive-cache", "cache")
    recipe = folder / "tiny.yaml"
    recipe.write_text(text)
    return recipe


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="orc-bench-"))
    recipe = tiny_recipe(folder)
    orc = [sys.executable, "-m", "orc_olive", "compile-and-run", str(recipe), "-q"]
    workflow = folder / "out" / "model.workflow.json"
    olive = [sys.executable, "-m", "olive", "run", "--config", str(workflow)]

    timed(orc, ROOT)  # warm-up: page cache, and writes the compiled workflow olive runs below
    orc_s, olive_s, noop_s, inner_s = [], [], [], []
    for _ in range(args.repeat):
        shutil.rmtree(folder / "cache", ignore_errors=True)
        orc_s.append(timed([*orc, "--force"], ROOT))
        inner_s.append(json.loads((folder / "out" / "model.manifest.json").read_text())["seconds"])
        noop_s.append(timed(orc, ROOT))
        shutil.rmtree(folder / "cache", ignore_errors=True)
        olive_s.append(timed(olive, folder))
    shutil.rmtree(folder, ignore_errors=True)

    orc_m, olive_m, noop_m = (statistics.median(x) for x in (orc_s, olive_s, noop_s))
    own_m = statistics.median(o - i for o, i in zip(orc_s, inner_s))
    print(f"tiny-cpu-lora-int4, median of {args.repeat} (cold Olive cache for full runs)")
    print(f"  olive run --config (baseline)   {olive_m:7.2f} s   runs: {', '.join(f'{s:.2f}' for s in olive_s)}")
    print(f"  orc compile-and-run --force     {orc_m:7.2f} s   runs: {', '.join(f'{s:.2f}' for s in orc_s)}")
    print(f"  orc compile-and-run (no-op)     {noop_m:7.2f} s   runs: {', '.join(f'{s:.2f}' for s in noop_s)}")
    print(f"  orc's own time (outside olive)  {own_m:7.2f} s   = {100 * own_m / orc_m:.1f}% of the run")
    print(f"  overhead ratio orc/olive        {orc_m / olive_m:7.3f}   (target <= 1.05)")
    print(f"  no-op / full run                {noop_m / orc_m:7.3f}   (target: no-op under 1 s: {'met' if noop_m < 1 else 'NOT met'})")


if __name__ == "__main__":
    main()
