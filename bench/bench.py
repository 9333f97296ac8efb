"""orc's benchmark: every ratio of issue 19, measured in one run on this machine (no figure hard-coded).

    python bench/bench.py [--pairs 3] [--runs 7] [--sizes 10,100,300,1000,3000] [--skip-run]

Prints, each with its goal:
  run        orc compile-and-run / olive run on the tiny pipeline (cold Olive cache each, alternating pairs),
             and the lean runner alone / olive run on the same workflow file
  validate   cold `orc validate` of one recipe vs the dependency-import floor (python + pydantic, yaml,
             jinja2), vs a process that checks the compiled workflow with Olive's RunConfig, and vs
             check-jsonschema on the same recipe with orc's schema
  no-op      compile-and-run of an unchanged recipe whose output is intact, vs the floor
  edit-run   a re-run after changing only the last step (ModelBuilder precision) vs a cold full run
  scaling    validate, compile, explain and diff of an N-step recipe and import of an N-pass config, in
             one warm process: seconds, per-unit cost, and the 3000/300 ratio
  memory     the peak resident memory of each process measured (ru_maxrss from wait4)
Medians of alternating runs: machine noise hits both sides alike.
"""

from __future__ import annotations

import argparse
import contextlib
import io
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
# Bytecode is written as on a user's machine; telemetry and the hub stay quiet.
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "CI": "1", "OLIVE_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1"}
PY = sys.executable
ORC = [PY, "-m", "orc_olive"]
FLOOR = [PY, "-c", "import pydantic, yaml, jinja2"]
RUNCONFIG = [PY, "-c", "import json, sys\nfrom olive.workflows.run.config import RunConfig\nRunConfig.parse_file_or_obj(json.load(open(sys.argv[1])))\n"]
PEAK_MB: dict[str, list[float]] = {}


def timed(name: str, command: list[str], cwd: Path = ROOT, ok: bool = True) -> float:
    """Wall seconds of one process; its peak memory is kept under `name`."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage (its peak memory), before Popen reaps it
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stdout.close()
    seconds = time.perf_counter() - start
    PEAK_MB.setdefault(name, []).append(usage.ru_maxrss / 1024)
    if ok and process.returncode != 0:
        sys.exit(f"failed ({process.returncode}): {' '.join(command)}\n{output.decode(errors='replace')[-3000:]}")
    return seconds


def median(values: list[float]) -> float:
    return statistics.median(values)


def line(label: str, value: float, goal: str = "", unit: str = "x") -> None:
    print(f"  {label:<52} {value:8.3f}{unit}  {goal}")


def tiny(folder: Path) -> Path:
    text = (ROOT / "recipes" / "tiny-cpu-lora-int4.yaml").read_text()
    text = text.replace("../examples/", f"{ROOT}/examples/").replace("../models/tiny-cpu-lora-int4", "out/model").replace("../.olive-cache", "cache")
    recipe = folder / "tiny.yaml"
    recipe.write_text(text)
    return recipe


def bench_run(folder: Path, pairs: int) -> None:
    recipe = tiny(folder)
    run = [*ORC, "compile-and-run", str(recipe), "-q"]
    timed("warm-up", run)  # page cache; writes the workflow file olive runs below
    workflow = folder / "out" / "model.workflow.json"
    olive = [PY, "-m", "olive", "run", "--config", str(workflow)]
    lean = [PY, "-m", "orc_olive.run.lean_runner", str(workflow)]
    orc_s, olive_s, lean_s, noop_s, edit_s = [], [], [], [], []
    for _ in range(pairs):
        shutil.rmtree(folder / "cache", ignore_errors=True)
        orc_s.append(timed("orc compile-and-run (cold cache)", [*run, "--force"]))
        noop_s.append(timed("orc compile-and-run (no-op)", run))
        text = recipe.read_text()
        recipe.write_text(text.replace("precision: int4", "precision: fp32"))
        edit_s.append(timed("orc compile-and-run (last step changed)", run))
        recipe.write_text(text)
        shutil.rmtree(folder / "cache", ignore_errors=True)
        olive_s.append(timed("olive run --config (cold cache)", olive, folder))
        shutil.rmtree(folder / "cache", ignore_errors=True)
        lean_s.append(timed("lean runner (cold cache)", lean, folder))
    floor = median([timed("dependency floor", FLOOR) for _ in range(5)])
    print(f"run: tiny-cpu-lora-int4, medians of {pairs} alternating runs (cold Olive cache for full runs)")
    print(f"  olive run {median(olive_s):.2f} s, orc compile-and-run {median(orc_s):.2f} s, lean runner {median(lean_s):.2f} s,"
          f" no-op {median(noop_s):.2f} s, last step changed {median(edit_s):.2f} s")
    line("compile-and-run / olive run", median(orc_s) / median(olive_s), "goal <= 0.75")
    line("lean runner / olive run (the same workflow file)", median(lean_s) / median(olive_s))
    line("no-op / dependency floor", median(noop_s) / floor, "goal <= 1.8")
    line("re-run after changing the last step / cold full run", median(edit_s) / median(orc_s), "goal <= 0.25 (with a warm worker)")


def bench_validate(folder: Path, runs: int) -> None:
    recipe = ROOT / "recipes" / "tiny-cpu-lora-int4.yaml"
    workflow = folder / "w.json"
    subprocess.run([*ORC, "compile", str(recipe), "-o", str(workflow)], cwd=ROOT, env=ENV, check=True, capture_output=True)
    schema = ROOT / "schemas" / "recipe.schema.json"
    jsonschema = shutil.which("check-jsonschema", path=str(Path(PY).parent)) or shutil.which("check-jsonschema")
    orc_s, floor_s, olive_s, js_s = [], [], [], []
    for _ in range(runs):
        floor_s.append(timed("dependency floor", FLOOR))
        orc_s.append(timed("orc validate (cold, one recipe)", [*ORC, "validate", str(recipe)]))
        if jsonschema:
            js_s.append(timed("check-jsonschema (one recipe)", [jsonschema, "--schemafile", str(schema), str(recipe)], ok=False))
    for _ in range(max(3, runs // 2)):
        olive_s.append(timed("Olive RunConfig check (process)", [*RUNCONFIG, str(workflow)]))
    orc_m = median(orc_s)
    print(f"validate: cold processes, medians of {runs}: orc {orc_m:.3f} s, floor {median(floor_s):.3f} s, RunConfig {median(olive_s):.3f} s"
          + (f", check-jsonschema {median(js_s):.3f} s" if js_s else ", check-jsonschema not installed"))
    line("cold validate / dependency floor", orc_m / median(floor_s), "goal <= 1.6")
    line("RunConfig process / cold validate (orc is this much faster)", median(olive_s) / orc_m)
    if js_s:
        line("check-jsonschema / cold validate", median(js_s) / orc_m)


def scaled_recipe(folder: Path, n: int) -> Path:
    steps = ["  - onnx_conversion: {target_opset: 17}"] + [f"  - pass: {{type: OnnxPeepholeOptimizer, id: p{i}}}" for i in range(1, n)]
    text = (f"name: scale-{n}\nmodel: {{path: {ROOT}/examples/tiny-phi3, task: text-generation}}\ntarget: {{device: cpu}}\n"
            f"steps:\n" + "\n".join(steps) + f"\noutput: {{dir: out-{n}}}\n")
    path = folder / f"scale-{n}.yaml"
    path.write_text(text)
    return path


def import_config(folder: Path, n: int) -> Path:
    passes = {f"p{i}": ({"type": "OnnxPeepholeOptimizer"} if i % 2 else {"type": "OnnxQuantization", "per_channel": True}) for i in range(n)}
    path = folder / f"import-{n}.json"
    path.write_text(json.dumps({"input_model": {"type": "ONNXModel", "model_path": "model.onnx"}, "output_dir": "out", "passes": passes}))
    return path


def bench_scaling(folder: Path, sizes: list[int]) -> None:
    sys.path.insert(0, str(ROOT))
    from orc_olive.cli.main import main as orc

    def in_process(args: list[str]) -> float:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            start = time.perf_counter()
            orc(args)
            return time.perf_counter() - start

    (folder / "model.onnx").write_bytes(b"")
    commands = {
        "validate": lambda n: ["validate", str(scaled_recipe(folder, n))],
        "compile": lambda n: ["compile", str(scaled_recipe(folder, n)), "-o", str(folder / f"c-{n}.json")],
        "explain": lambda n: ["explain", str(scaled_recipe(folder, n)), "--format", "json"],
        "diff": lambda n: ["diff", str(scaled_recipe(folder, n)), str(scaled_recipe(folder, n))],
        "import": lambda n: ["import", str(import_config(folder, n)), "-o", str(folder / f"i-{n}.yaml")],
    }
    print(f"scaling: one warm process, best of 3; per-unit = seconds / N (steps, or passes for import); N = {', '.join(map(str, sizes))}")
    for name, args_for in commands.items():
        in_process(args_for(sizes[0]))  # warm-up: imports, models
        seconds = {n: min(in_process(args_for(n)) for _ in range(3)) for n in sizes}
        per_unit = {n: seconds[n] / n for n in sizes}
        big = [n for n in sizes if n >= 100] or sizes[-2:]
        flat = max(per_unit[n] for n in big) / min(per_unit[n] for n in big)
        cells = "  ".join(f"{n}: {seconds[n]:.3f} s ({1000 * per_unit[n]:.2f} ms/unit)" for n in sizes)
        print(f"  {name:<9} {cells}")
        line(f"{name}: per-unit cost, largest / smallest over N >= 100", flat, "goal <= 1.5")
        if 300 in seconds and 3000 in seconds:
            line(f"{name}: 3000 / 300", seconds[3000] / seconds[300], "goal <= 12" if name in ("validate", "import") else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="alternating runs of the Olive pipeline (each ~10-15 s)")
    parser.add_argument("--runs", type=int, default=7, help="cold processes per validate figure")
    parser.add_argument("--sizes", default="10,100,300,1000,3000")
    parser.add_argument("--skip-run", action="store_true", help="leave out everything that runs Olive's passes")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # each figure as soon as it is measured
    folder = Path(tempfile.mkdtemp(prefix="orc-bench-"))
    print(f"orc bench, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    try:
        if not args.skip_run:
            bench_run(folder, args.pairs)
        bench_validate(folder, args.runs)
        bench_scaling(folder, [int(n) for n in args.sizes.split(",")])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("memory: peak resident MiB of each kind of process measured (the largest of its runs; a child's own children not counted)")
    for name, peaks in PEAK_MB.items():
        print(f"  {name:<52} {max(peaks):8.0f} MiB")


if __name__ == "__main__":
    main()
