"""Issue 19, linear costs: what keeps a command's cost in proportion to its recipe (bench/bench.py times it).

The compile-only commands run with the cycle collector off (cli/main.py): that is safe only while they leave
no reference cycles that grow with the recipe, which these tests hold them to."""

from __future__ import annotations

import contextlib
import gc
import io
import json
from pathlib import Path

import pytest

from orc_olive.checks.outputs import base_recipes
from orc_olive.cli.main import CYCLE_FREE, main

ROOT = Path(__file__).resolve().parent.parent


def _recipe(folder: Path, n: int) -> Path:
    steps = ["  - onnx_conversion: {target_opset: 17}"] + [f"  - pass: {{type: OnnxPeepholeOptimizer, id: p{i}}}" for i in range(1, n)]
    path = folder / f"r{n}.yaml"
    path.write_text(f"name: r{n}\nmodel: {{path: {ROOT}/examples/tiny-phi3, task: text-generation}}\ntarget: {{device: cpu}}\n"
                    "steps:\n" + "\n".join(steps) + f"\noutput: {{dir: out-{n}}}\n")
    return path


def _config(folder: Path, n: int) -> Path:
    passes = {f"p{i}": {"type": "OnnxPeepholeOptimizer"} if i % 2 else {"type": "OnnxQuantization", "per_channel": True} for i in range(n)}
    path = folder / f"c{n}.json"
    path.write_text(json.dumps({"input_model": {"type": "ONNXModel", "model_path": "model.onnx"}, "output_dir": "out", "passes": passes}))
    return path


def _args(command: str, folder: Path, n: int) -> list[str]:
    if command == "import":
        return ["import", str(_config(folder, n)), "-o", str(folder / f"i{n}.yaml")]
    recipe = str(_recipe(folder, n))
    return {"validate": ["validate", recipe], "compile": ["compile", recipe, "-o", str(folder / f"c{n}.json")],
            "explain": ["explain", recipe, "--format", "json"], "diff": ["diff", recipe, recipe]}[command]


def _cyclic_garbage(args: list[str]) -> int:
    """Objects a run of `orc ARGS` leaves that only the cycle collector can free."""
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert main(args) == 0
        return gc.collect()
    finally:
        if was:
            gc.enable()


@pytest.mark.parametrize("command", CYCLE_FREE)
def test_compile_only_commands_leave_no_cycles_that_grow_with_the_recipe(command: str, tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"")
    _cyclic_garbage(_args(command, tmp_path, 3))  # imports, caches
    small = _cyclic_garbage(_args(command, tmp_path, 5))
    large = _cyclic_garbage(_args(command, tmp_path, 400))
    # argparse leaves a few hundred objects in cycles on every run; a cycle holding the recipe (a closure
    # that calls itself over the document) left ~15 objects per step, ~6,000 here
    assert large - small < 100, (small, large)


def test_main_restores_the_collector(tmp_path: Path) -> None:
    assert gc.isenabled()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["validate", str(_recipe(tmp_path, 2))])
        main(["validate", str(tmp_path / "missing.yaml")])
    assert gc.isenabled()


def test_base_recipes_skips_the_parse_only_when_no_extends_can_be_written(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("target: {device: cpu}\n")
    plain = tmp_path / "plain.yaml"
    plain.write_text("name: x  # nothing is extended here\n")
    assert base_recipes(plain) == []
    named = tmp_path / "named.yaml"
    named.write_text("extends: base.yaml\nname: x\n")
    escaped = tmp_path / "escaped.yaml"
    escaped.write_text('"ext\\x65nds": base.yaml\nname: x\n')  # the key 'extends', spelt with an escape
    assert base_recipes(named) == base_recipes(escaped) == [(tmp_path / "base.yaml").resolve()]


def test_import_of_a_note_on_every_pass_is_linear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An older config whose every pass has a dropped field: each note is worded a few times, not once per other note."""
    from orc_olive.importer import legacy

    calls = [0]
    worded = legacy.Note.__str__

    def counted(note: legacy.Note) -> str:
        calls[0] += 1
        return worded(note)

    monkeypatch.setattr(legacy.Note, "__str__", counted)
    (tmp_path / "model.onnx").write_bytes(b"")
    n = 200
    config = tmp_path / "old.json"
    config.write_text(json.dumps({"input_model": {"type": "ONNXModel", "model_path": "model.onnx"}, "output_dir": "out",
                                  "passes": {f"p{i}": {"type": "OnnxPeepholeOptimizer", "disable_search": True} for i in range(n)}}))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        assert main(["import", str(config), "-o", str(tmp_path / "new.yaml")]) == 0
    assert err.getvalue().count("disable_search") >= n  # every note is reported
    assert calls[0] < 10 * n, calls[0]  # it was n * n: each unsupported text compared with every note's wording
