"""orc's benchmark: every ratio of issue 19, measured in one run on this machine (no figure hard-coded).

    python bench/bench.py [--pairs 3] [--runs 7] [--sizes 10,100,300,1000,3000] [--skip-run]

Prints, each with its goal:
  run        orc compile-and-run / olive run on the tiny pipeline (cold Olive cache each, alternating pairs),
             and the lean runner alone / olive run on the same workflow file
  validate   cold `orc validate` of one recipe vs the dependency-import floor (python + pydantic, yaml,
             jinja2), vs a process that checks the compiled workflow with Olive's RunConfig, and vs
             check-jsonschema on the same recipe with orc's schema
  no-op      compile-and-run of an unchanged recipe whose output is intact, vs the floor
  edit-run   a re-run after changing only the last step (ModelBuilder precision) vs a cold full run, in the
             warm worker (--warm) and without it; switching back to the previous configuration (restored from
             the store, --keep-outputs) vs the no-op
  scaling    validate, compile, explain and diff of an N-step recipe and import of an N-pass config, in
             one warm process: t(N) (least of k(N) runs, sizes in turn), raw per-unit t(N)/N, marginal per-unit
             (t(N) - t(1)) / (N - 1) with t(1) the same command on 1 step, its flatness (largest / smallest
             marginal over all N) and t(3000) / t(300); see bench_scaling
  memory     the peak resident memory of each process measured (ru_maxrss from wait4), and the warm worker's (VmHWM)
Medians of alternating runs: machine noise hits both sides alike.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import math
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


def timed(name: str, command: list[str], cwd: Path = ROOT, ok: bool = True, expect: str = "") -> float:
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
    if (ok and process.returncode != 0) or expect.encode() not in output:
        sys.exit(f"failed ({process.returncode}): {' '.join(command)}\n{output.decode(errors='replace')[-3000:]}")
    return seconds


def median(values: list[float]) -> float:
    return statistics.median(values)


def line(label: str, value: float, goal: str = "", unit: str = "x") -> None:
    print(f"  {label:<66} {value:8.3f}{unit}  {goal}")


def tiny(folder: Path) -> Path:
    text = (ROOT / "recipes" / "tiny-cpu-lora-int4.yaml").read_text()
    text = text.replace("../examples/", f"{ROOT}/examples/").replace("../models/tiny-cpu-lora-int4", "out/model").replace("../.olive-cache", "cache")
    recipe = folder / "tiny.yaml"
    recipe.write_text(text)
    return recipe


def _set_precision(recipe: Path, precision: str) -> None:
    text = recipe.read_text()
    recipe.write_text(text.replace("precision: int4", f"precision: {precision}").replace("precision: fp32", f"precision: {precision}"))


def _worker_peak_mb(folder: Path) -> float | None:
    """The warm worker's peak resident memory (it is orc's child, not ours: read from /proc)."""
    status = subprocess.run([*ORC, "worker", "status"], cwd=folder, env=ENV, capture_output=True, text=True).stdout
    pid = status.split("pid ", 1)[1].split(",", 1)[0] if "pid " in status else ""
    proc = Path(f"/proc/{pid}/status")
    if not pid or not proc.is_file():
        return None
    return next(int(line.split()[1]) / 1024 for line in proc.read_text().splitlines() if line.startswith("VmHWM:"))


def bench_run(folder: Path, pairs: int) -> None:
    recipe = tiny(folder)
    run = [*ORC, "compile-and-run", str(recipe), "-q"]
    timed("warm-up", run)  # page cache; writes the workflow file olive runs below
    workflow = folder / "out" / "model.workflow.json"
    olive = [PY, "-m", "olive", "run", "--config", str(workflow)]
    lean = [PY, "-m", "orc_olive.run.lean_runner", str(workflow)]
    os.environ["ORC_WORKER_DIR"] = ENV["ORC_WORKER_DIR"] = str(folder / "workers")  # this bench's own worker
    warm = [*run, "--warm", "--keep-outputs", "0"]  # the worker, no store: every re-run runs
    timed("orc compile-and-run --warm (starts the worker)", [*warm, "--force"])
    orc_s, olive_s, lean_s, noop_s, edit_s, warm_s = [], [], [], [], [], []
    for _ in range(pairs):
        shutil.rmtree(folder / "cache", ignore_errors=True)
        orc_s.append(timed("orc compile-and-run (cold cache)", [*run, "--force"]))
        noop_s.append(timed("orc compile-and-run (no-op)", run))
        _set_precision(recipe, "fp32")
        edit_s.append(timed("orc compile-and-run (last step changed)", run))
        _set_precision(recipe, "int4")
        warm_s.append(timed("orc compile-and-run --warm (last step changed)", warm))
        shutil.rmtree(folder / "cache", ignore_errors=True)
        olive_s.append(timed("olive run --config (cold cache)", olive, folder))
        shutil.rmtree(folder / "cache", ignore_errors=True)
        lean_s.append(timed("lean runner (cold cache)", lean, folder))
    # switching back with the store: both configurations run once, then each switch puts a kept model back
    keep = [*ORC, "compile-and-run", str(recipe), "--no-progress", "--keep-outputs", "3"]  # not -q: it says "restored"
    restore_s = []
    for precision in ("fp32", "int4"):
        _set_precision(recipe, precision)
        timed("orc compile-and-run --keep-outputs (fills the store)", keep)
    for i in range(2 * pairs):
        _set_precision(recipe, "fp32" if i % 2 == 0 else "int4")
        restore_s.append(timed("orc compile-and-run (switch back: restored)", keep, expect="restored: "))
    worker_mb = _worker_peak_mb(folder)
    subprocess.run([*ORC, "worker", "stop"], cwd=folder, env=ENV, capture_output=True)
    floor = median([timed("dependency floor", FLOOR) for _ in range(5)])
    print(f"run: tiny-cpu-lora-int4, medians of {pairs} alternating runs (cold Olive cache for full runs)")
    print(f"  olive run {median(olive_s):.2f} s, orc compile-and-run {median(orc_s):.2f} s, lean runner {median(lean_s):.2f} s,"
          f" no-op {median(noop_s):.2f} s, last step changed {median(edit_s):.2f} s (cold) / {median(warm_s):.2f} s (warm worker),"
          f" switch back {median(restore_s):.2f} s")
    line("compile-and-run / olive run", median(orc_s) / median(olive_s), "goal <= 0.75")
    line("lean runner / olive run (the same workflow file)", median(lean_s) / median(olive_s))
    line("no-op / dependency floor", median(noop_s) / floor, "goal <= 1.8")
    line("re-run after changing the last step, warm worker / cold full run", median(warm_s) / median(orc_s), "goal <= 0.25")
    line("re-run after changing the last step, no worker / cold full run", median(edit_s) / median(orc_s))
    line("switch back (restored from the store) / no-op", median(restore_s) / median(noop_s))
    if worker_mb is not None:
        PEAK_MB.setdefault("warm worker (Olive, torch, passes loaded)", []).append(worker_mb)


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


def scaling_repeats(n: int) -> int:
    """Runs per size: a small N takes milliseconds, so it is run many more times, until the minimum is stable
    to a few microseconds (the marginal cost at N = 10 divides a difference of about a millisecond by 9); a
    large N at least 15 times, so that it too has its chances of a quiet moment of the machine."""
    return max(15, min(400, 6000 // n))


def bench_scaling(folder: Path, sizes: list[int]) -> None:
    """Validate, compile, explain and diff of an N-step recipe, and import of an N-pass config, in one warm process.

    t(N) is the least CPU time of this process (time.process_time: the machine's other jobs do not count) over
    k(N) runs of the command through orc's own `main` (scaling_repeats: k = 400 for N <= 15, down to 15 for
    N >= 400), every command and every size taken in turn round after round (a size's k(N) runs spread evenly
    over the rounds) so that a busy spell of the machine does not fall on one command or one size only, and
    the cycle collector emptied before each run (as a new process finds it).
    t(1), the same command on a 1-step recipe (a 1-pass config), is measured the same way with every command.
    Printed for each N: t(N); raw per-unit = t(N) / N, which at small N is mostly the fixed cost of one command
    (parsing arguments, reading the file, writing the output); marginal per-unit = (t(N) - t(1)) / (N - 1), the
    cost each further step (pass) adds. Flatness = the largest / the smallest marginal per-unit cost over every
    size (goal <= 1.5), and t(3000) / t(300) (goal <= 12 for validate and import; linear is 10 less the fixed cost).
    """
    sys.path.insert(0, str(ROOT))
    from orc_olive.cli.main import main as orc

    def in_process(args: list[str]) -> float:
        gc.collect()  # the heap as a new process finds it: no garbage of the previous run left to the collector
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            start = time.process_time()
            orc(args)
            return time.process_time() - start

    (folder / "model.onnx").write_bytes(b"")
    every = sorted({1, *sizes})
    recipes = {n: str(scaled_recipe(folder, n)) for n in every}
    configs = {n: str(import_config(folder, n)) for n in every}
    commands = {
        "validate": lambda n: ["validate", recipes[n]],
        "compile": lambda n: ["compile", recipes[n], "-o", str(folder / f"c-{n}.json")],
        "explain": lambda n: ["explain", recipes[n], "--format", "json"],
        "diff": lambda n: ["diff", recipes[n], recipes[n]],
        "import": lambda n: ["import", configs[n], "-o", str(folder / f"i-{n}.yaml")],
    }
    print("scaling: one warm process; t(N) = least CPU time of k(N) runs (k = 400 at N <= 15 .. 15 at N >= 400; commands and sizes in turn);"
          " raw = t(N) / N; marginal = (t(N) - t(1)) / (N - 1), t(1) = the same command on 1 step (1 pass for import);"
          " flatness = largest / smallest marginal over all N")
    for args_for in commands.values():
        for n in (1, every[-1]):
            in_process(args_for(n))  # warm-up: imports, models, templates
    gc.collect()
    gc.freeze()  # what is loaded now stays out of the collections between runs (a full one took ~15 ms)
    # every command and every size in each round (a size's k(N) runs spread over all the rounds): a busy spell
    # of the machine, however long, falls on all of them alike
    best = {(name, n): math.inf for name in commands for n in every}
    rounds = max(map(scaling_repeats, every))
    for round_ in range(rounds):
        for name, args_for in commands.items():
            for n in every:
                if round_ % (rounds // scaling_repeats(n)) == 0:
                    best[name, n] = min(best[name, n], in_process(args_for(n)))
    gc.unfreeze()
    for name in commands:
        seconds = {n: best[name, n] for n in every}
        marginal = {n: (seconds[n] - seconds[1]) / (n - 1) for n in sizes if n > 1}
        print(f"  {name:<9} t(1) = {1000 * seconds[1]:.2f} ms")
        for n in sizes:
            extra = f", marginal {1000 * marginal[n]:.3f} ms/unit" if n in marginal else ""
            print(f"    N = {n:<5} t = {seconds[n]:8.4f} s  raw {1000 * seconds[n] / n:.3f} ms/unit{extra}")
        if marginal:
            line(f"{name}: marginal per-unit cost, largest / smallest", max(marginal.values()) / min(marginal.values()), "goal <= 1.5")
        if 300 in seconds and 3000 in seconds:
            line(f"{name}: t(3000) / t(300)", seconds[3000] / seconds[300], "goal <= 12" if name in ("validate", "import") else "")


def bench_noop(folder: Path, runs: int) -> None:
    """The no-op alone (bench_run measures it beside the full runs): one real run of the tiny recipe, then
    `orc compile-and-run` of it unchanged (it must say "up to date") alternating with the floor."""
    recipe = tiny(folder / "noop")
    timed("warm-up", [*ORC, "compile-and-run", str(recipe), "-q"])  # the run whose output the no-op finds intact
    noop_s, floor_s = [], []
    for _ in range(runs):
        floor_s.append(timed("dependency floor", FLOOR))
        noop_s.append(timed("orc compile-and-run (no-op)", [*ORC, "compile-and-run", str(recipe)], expect="up to date"))
    print(f"no-op: cold processes, medians of {runs}: no-op {median(noop_s):.3f} s, floor {median(floor_s):.3f} s")
    line("no-op / dependency floor", median(noop_s) / median(floor_s), "goal <= 1.8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="alternating runs of the Olive pipeline (each ~10-15 s)")
    parser.add_argument("--runs", type=int, default=7, help="cold processes per validate figure")
    parser.add_argument("--sizes", default="10,100,300,1000,3000")
    parser.add_argument("--skip-run", action="store_true", help="leave out everything that runs Olive's passes")
    parser.add_argument("--only", metavar="PARTS", help="run only these, comma-separated: run, validate, noop (one tiny run, then"
                        " the no-op alone), scaling; e.g. --only validate,noop")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else {"run", "validate", "scaling"}
    if only - {"run", "validate", "noop", "scaling"}:
        parser.error(f"--only: unknown part(s) {', '.join(sorted(only - {'run', 'validate', 'noop', 'scaling'}))}")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # each figure as soon as it is measured
    folder = Path(tempfile.mkdtemp(prefix="orc-bench-"))
    print(f"orc bench, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    try:
        if not args.skip_run and "run" in only:
            bench_run(folder, args.pairs)
        if "validate" in only:
            bench_validate(folder, args.runs)
        if "noop" in only:
            (folder / "noop").mkdir()
            bench_noop(folder, args.runs)
        if "scaling" in only:
            bench_scaling(folder, [int(n) for n in args.sizes.split(",")])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("memory: peak resident MiB of each kind of process measured (the largest of its runs; wait4's ru_maxrss: the process or a child"
          " it waited for, whichever was larger, so orc's figure includes its Olive runner, not the warm worker)")
    for name, peaks in PEAK_MB.items():
        print(f"  {name:<66} {max(peaks):8.0f} MiB")


if __name__ == "__main__":
    main()
