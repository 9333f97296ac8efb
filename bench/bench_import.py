"""Benchmark `orc import` against the number of passes: the time should grow linearly.

    python bench/bench_import.py [--passes 1000] [--factor 3] [--runs 3]

Imports a generated Olive config of N passes and one of N x factor passes (alternating
OnnxQuantization and OnnxPeepholeOptimizer on an ONNX input model), each in this process, median of
--runs, and prints both times and their ratio. Linear growth gives a ratio near the factor; the
quadratic step-id lookup this replaced gave 56 s for 3,000 passes (a ratio near factor squared).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def config(passes: int) -> dict:
    return {
        "input_model": {"type": "ONNXModel", "model_path": "model.onnx"},
        "output_dir": "out",
        "passes": {f"p{i}": ({"type": "OnnxPeepholeOptimizer"} if i % 2 else {"type": "OnnxQuantization", "per_channel": True}) for i in range(passes)},
    }


def timed(folder: Path, passes: int, runs: int) -> float:
    from orc_olive.importer.convert import import_file

    source = folder / f"config-{passes}.json"
    source.write_text(json.dumps(config(passes)), encoding="utf-8")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        imported = import_file(source, folder / f"recipe-{passes}.yaml")
        times.append(time.perf_counter() - start)
        if not imported.ok:
            sys.exit(f"import of {passes} passes failed: {[str(e) for e in imported.errors[:3]]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=1000)
    parser.add_argument("--factor", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "model.onnx").write_bytes(b"")
        timed(folder, 50, 1)  # warm up: imports, the pass catalog, the recipe models
        small = timed(folder, args.passes, args.runs)
        large = timed(folder, args.passes * args.factor, args.runs)
    print(f"{args.passes} passes: {small:.2f} s; {args.passes * args.factor} passes: {large:.2f} s")
    print(f"ratio {large / small:.2f} for {args.factor}x the passes (linear: ~{args.factor}, quadratic: ~{args.factor ** 2})")


if __name__ == "__main__":
    main()
