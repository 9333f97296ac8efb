"""Hostile input to the loader, `extends:`, `--set`, `${var:}`/`${env:}`, numbers and `orc import`.

Each case runs the real command line (orc's main() in this process; a subprocess with a timeout where a
regression would hang) and asserts the exit code, the located message, that nothing was written (the
folder's tree is the same before and after) and, where the input holds a token, that it is not printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orc_olive.build.compile import compile_file
from orc_olive.cli.main import main
from orc_olive.importer.convert import import_file
from orc_olive.source.loader import MAX_BYTES

from .conftest import ROOT

TOKEN = "hf_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF"  # the shape of a Hugging Face token, not a real one
BASE = """\
name: ok
model: {path: microsoft/Phi-3.5-mini-instruct}
datasets:
  d: {hf: org/data, template: "{text}"}
steps:
  - lora: {dataset: d, r: 8, torch_dtype: float32}
  - model_builder: {precision: int4}
output: {dir: out/model}
"""
BIG = "9" * 5000


def _nested_vars(levels: int, copies: int, as_list: bool) -> str:
    """vars: v0 ... each holding `copies` references to the one before: a small file that multiplies."""
    lines = ["vars:", "  v0: [a, b, c, d, e, f, g, h, i, j]" if as_list else "  v0: aaaaaaaaaa"]
    for i in range(1, levels):
        refs = [f'"${{var:v{i - 1}}}"' for _ in range(copies)]
        lines.append(f"  v{i}: [{', '.join(refs)}]" if as_list else f"  v{i}: \"{''.join(r.strip(chr(34)) for r in refs)}\"")
    return "\n".join(lines) + "\n"


def _chain(n: int) -> str:
    return "vars:\n  v0: a\n" + "".join(f'  v{i}: "${{var:v{i - 1}}}"\n' for i in range(1, n))


def _import_config(**passes_extra) -> str:
    return json.dumps({"input_model": {"type": "ONNXModel", "model_path": "model.onnx"}, "output_dir": "out",
                       "passes": {"p": {"type": "OnnxPeepholeOptimizer", **passes_extra}}})  # fmt: skip


def _bomb_yaml() -> str:
    lines = ["input_model: {type: HfModel, model_path: x}", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]  # 10**9 values when expanded
    return "\n".join(lines + ["passes: {p: {type: OnnxConversion, x: *a8}}"]) + "\n"


SPARSE = object()  # a 1 GiB sparse file: refused after reading at most MAX_BYTES + 1 bytes
FOLDER = object()

# id: (files, argv, env, exit code, where (file:line:column or the --set label), message)
CASES = {
    # -- unbounded reads: refused from the file's type or size, before (or without) reading it whole
    "recipe-is-dev-zero": ({}, ["compile", "/dev/zero"], {}, 1, "/dev/zero: error:", "not a regular file: it is a character device"),
    "extends-dev-zero": ({"r.yaml": "extends: /dev/zero\n" + BASE}, ["compile", "r.yaml"], {}, 1, "r.yaml:1:10:", "cannot read base recipe /dev/zero: not a regular file"),
    "recipe-is-a-folder": ({"dir": FOLDER}, ["compile", "dir"], {}, 1, "dir: error:", "not a regular file: it is a folder"),
    "extends-a-folder": ({"dir": FOLDER, "r.yaml": "extends: dir\n" + BASE}, ["compile", "r.yaml"], {}, 1, "r.yaml:1:10:", "cannot read base recipe dir: not a regular file: it is a folder"),
    "extends-list-entry-device": ({"r.yaml": "extends: [/dev/urandom]\n" + BASE}, ["validate", "r.yaml"], {}, 1, "r.yaml:1:11:", "cannot read base recipe /dev/urandom"),
    "huge-sparse-recipe": ({"r.yaml": SPARSE}, ["compile", "r.yaml"], {}, 1, "r.yaml: error:", f"over the {MAX_BYTES} byte limit"),
    "extends-huge-sparse-file": ({"r.yaml": "extends: big.yaml\n" + BASE, "big.yaml": SPARSE}, ["compile", "r.yaml"], {}, 1, "r.yaml:1:10:", "byte limit for a recipe"),
    "extends-too-deep": ({**{f"b{i}.yaml": f"extends: b{i + 1}.yaml\n" for i in range(20)}, "b20.yaml": BASE, "r.yaml": "extends: b0.yaml\n"},
                         ["validate", "r.yaml"], {}, 1, "b15.yaml:1:10:", "extends goes more than 16 bases deep"),
    # -- references that multiply a small file
    "var-text-bomb": ({"r.yaml": _nested_vars(12, 10, False) + 'description: "${var:v11}"\n' + BASE.replace("name: ok\n", "name: ok\n", 1)},
                      ["compile", "r.yaml"], {}, 1, "r.yaml:8:7:", "expand the recipe's texts to more than"),
    "var-node-bomb": ({"r.yaml": _nested_vars(12, 10, True) + 'olive: {x: "${var:v11}"}\n' + BASE}, ["compile", "r.yaml"], {}, 1, "r.yaml:", "copy more than 50000 values"),
    "var-chain-too-long": ({"r.yaml": _chain(300) + 'description: "${var:v299}"\n' + BASE}, ["validate", "r.yaml"], {}, 1, "r.yaml:", "variables refer to variables more than 16 deep"),
    "var-nests-too-deep": ({"r.yaml": "vars:\n  deep: " + "[" * 40 + "]" * 40 + "\nolive: {x: " + "[" * 30 + '"${var:deep}"' + "]" * 30 + "}\n" + BASE},
                           ["validate", "r.yaml"], {}, 1, "r.yaml:3:42:", "nests the recipe more than 64 levels deep"),
    # -- numbers: too many digits, NaN and infinity, null where Olive needs a value
    "int-5000-digits": ({"r.yaml": BASE + f"olive: {{log_severity_level: {BIG}}}\n"}, ["compile", "r.yaml"], {}, 1, "r.yaml:9:29:", "an integer of 5000 digits is over the limit"),
    "hex-3000-digits": ({"r.yaml": BASE.replace("r: 8", "r: 0x" + "f" * 3000)}, ["compile", "r.yaml"], {}, 1, "r.yaml:6:27:", "an integer of 3000 digits"),
    "set-int-5000-digits": ({"r.yaml": BASE}, ["compile", "r.yaml", "--set", f"steps.lora.r={BIG}"], {}, 1, "--set steps.lora.r: error:", "an integer of 5000 digits"),
    "env-int-5000-digits": ({"r.yaml": BASE.replace("r: 8", 'r: "${env:RANK}"')}, ["compile", "r.yaml"], {"RANK": BIG}, 1, "r.yaml:6:27:", "from the environment is too long: an integer of 5000 digits"),
    "overflowing-float": ({"r.yaml": BASE.replace("float32}", "float32, alpha: 1e999}")}, ["compile", "r.yaml"], {}, 1, "r.yaml:6:59:", "infinity is not a number a workflow can hold"),
    "nan-in-step-olive": ({"r.yaml": BASE.replace("{precision: int4}", "{precision: int4, olive: {x: .nan}}")}, ["compile", "r.yaml"], {}, 1, "r.yaml:7:49:", "NaN is not a number"),
    "inf-in-olive-block": ({"r.yaml": BASE + "olive: {search_strategy: {max_samples: .inf}}\n"}, ["compile", "r.yaml"], {}, 1, "r.yaml:9:", "infinity is not a number"),
    "minus-inf-training": ({"r.yaml": BASE.replace("float32}", "float32, training: {learning_rate: -.inf}}")}, ["compile", "r.yaml"], {}, 1, "r.yaml:6:", "-infinity is not a number"),
    "set-nan": ({"r.yaml": BASE}, ["compile", "r.yaml", "--set", "steps.lora.training.learning_rate=.nan"], {}, 1, "--set steps.lora.training.learning_rate: error:", "NaN is not a number"),
    "env-inf": ({"r.yaml": BASE.replace("float32}", 'float32, alpha: "${env:ALPHA}"}')}, ["compile", "r.yaml"], {"ALPHA": ".inf"}, 1, "r.yaml:6:", "infinity is not a number"),
    "null-param": ({"r.yaml": BASE.replace("r: 8", "r: null")}, ["compile", "r.yaml"], {}, 1, "r.yaml:6:27:", "'r' cannot be null: Olive's LoRA takes an integer here"),
    "set-empty-param": ({"r.yaml": BASE}, ["validate", "r.yaml", "--set", "steps.lora.r="], {}, 1, "--set steps.lora.r: error:", "'r' cannot be null"),
    "null-training-arg": ({"r.yaml": BASE.replace("float32}", "float32, training: {learning_rate: null}}")}, ["compile", "r.yaml"], {}, 1, "r.yaml:6:", "'learning_rate' cannot be null"),
    "null-pass-param": ({"r.yaml": BASE.replace("  - model_builder: {precision: int4}\n", "  - pass: {type: OnnxConversion, target_opset: null}\n")},
                        ["compile", "r.yaml"], {}, 1, "r.yaml:7:", "'target_opset' cannot be null: Olive's OnnxConversion takes an integer"),
    # -- `--set` is named by its path, never by its value; a token in YAML is never echoed
    "set-token-value": ({"r.yaml": BASE}, ["compile", "r.yaml", "--set", f"steps.lora.r={TOKEN}"], {}, 1, "--set steps.lora.r: error:", "written literally"),
    "set-token-without-equals": ({"r.yaml": BASE}, ["compile", "r.yaml", "--set", TOKEN], {}, 1, "--set hf_...(", "an override is PATH=VALUE"),
    "set-token-as-key": ({"r.yaml": BASE}, ["compile", "r.yaml", "--set", f"olive.{TOKEN}=1"], {}, 1, "--set olive.hf_...(", "written literally"),
    "set-unknown-field": ({"r.yaml": BASE}, ["compile", "r.yaml", "--set", f"steps.lora.rank={TOKEN}"], {}, 1, "--set steps.lora.rank: error:", "unknown field 'rank'"),
    "set-bad-yaml-value": ({"r.yaml": BASE}, ["compile", "r.yaml", "--set", f"olive.x=[{TOKEN}"], {}, 1, "--set olive.x: error:", "the value is not valid YAML"),
    "set-path-too-deep": ({"r.yaml": BASE}, ["compile", "r.yaml", "--set", "olive." + ".".join(["a"] * 70) + "=1"], {}, 1, "--set olive.a.a", "the path is more than 64 levels deep"),
    "yaml-error-on-token-line": ({"r.yaml": BASE.replace("name: ok", f"name: ok\ntoken: {TOKEN} : x")}, ["compile", "r.yaml"], {}, 1, "r.yaml:2:", "line 2 is not shown: it holds what looks like a secret"),
    "undefined-alias-named-like-a-token": ({"r.yaml": BASE.replace("name: ok", f"name: *{TOKEN}")}, ["compile", "r.yaml"], {}, 1, "r.yaml:1:7:", "found undefined alias 'hf_...("),
    "yaml-error-on-password-line": ({"r.yaml": BASE.replace("name: ok", "name: ok\npassword: s3cretPassw0rd9 : [")}, ["compile", "r.yaml"], {}, 1, "r.yaml:2:", "is not shown"),
    "token-as-recipe-key": ({"r.yaml": BASE + f"{TOKEN}: 1\n"}, ["compile", "r.yaml"], {}, 1, "r.yaml:9:1:", "unknown field 'hf_...("),
    # -- `orc import`: the loader's guards
    "import-alias-bomb": ({"c.yaml": _bomb_yaml()}, ["import", "c.yaml"], {}, 1, "c.yaml:2:", "the config expands to more than 200000 values"),
    "import-recursive-alias": ({"c.yaml": "a: &a [*a]\ninput_model: *a\npasses: {}\n"}, ["import", "c.yaml"], {}, 1, "c.yaml:1:", "an alias refers to itself"),
    "import-deep-json": ({"c.json": '{"input_model": {}, "passes": {}, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"}, ["import", "c.json"], {}, 1, "c.json:1:103:", "nested more than 64 levels deep"),
    "import-deep-yaml": ({"c.yaml": "input_model: {}\npasses: " + "[" * 100_000 + "]" * 100_000 + "\n"}, ["import", "c.yaml"], {}, 1, "c.yaml:2:", "nested more than 64 levels deep"),
    "import-int-5000-digits-json": ({"c.json": _import_config(x=1).replace('"x": 1', f'"x": {BIG}')}, ["import", "c.json"], {}, 1, "c.json:1:", "an integer of 5000 digits"),
    "import-int-5000-digits-yaml": ({"c.yaml": f"input_model: {{type: HfModel, model_path: x}}\npasses:\n  p: {{type: OnnxConversion, target_opset: {BIG}}}\n"},
                                    ["import", "c.yaml"], {}, 1, "c.yaml:3:43:", "an integer of 5000 digits"),
    "import-nan-json": ({"c.json": _import_config(x=1).replace('"x": 1', '"x": NaN')}, ["import", "c.json"], {}, 1, "c.json:1:", "NaN is not a number a workflow can hold"),
    "import-overflowing-float-json": ({"c.json": _import_config(x=1).replace('"x": 1', '"x": -1e999')}, ["import", "c.json"], {}, 1, "c.json:1:", "-1e999 is beyond what a number"),
    "import-inf-yaml": ({"c.yaml": "input_model: {type: HfModel, model_path: x}\npasses:\n  p: {type: OnnxConversion, target_opset: .inf}\n"}, ["import", "c.yaml"], {}, 1, "c.yaml:3:43:", ".inf is not a number"),
    "import-dev-zero": ({}, ["import", "/dev/zero"], {}, 1, "/dev/zero: error:", "not a regular file: it is a character device"),
    "import-folder": ({"dir": FOLDER}, ["import", "dir"], {}, 1, "dir: error:", "not a regular file: it is a folder"),
    "import-huge-sparse-file": ({"c.json": SPARSE}, ["import", "c.json"], {}, 1, "c.json: error:", "byte limit for a workflow config"),
    "import-token-in-json-error": ({"c.json": '{"input_model": {}, "passes": {}, "token": ' + TOKEN + "}"}, ["import", "c.json"], {}, 1, "c.json:1:", "not valid JSON"),
}


def _make(folder: Path, files: dict) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is FOLDER:
            path.mkdir()
        elif content is SPARSE:
            with open(path, "wb") as handle:
                handle.truncate(1 << 30)
        else:
            path.write_text(content, encoding="utf-8")


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def _output_args(argv: list[str], folder: Path) -> list[str]:
    """Where the command would write: compile and import get an explicit output inside the folder."""
    if argv[0] == "compile":
        return argv + ["-o", str(folder / "out" / "workflow.json")]
    if argv[0] == "import":
        return argv + ["-o", str(folder / "out" / "recipe.yaml")]
    return argv


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_hostile_input_gives_one_located_error_and_writes_nothing(case, tmp_path, monkeypatch, capsys):
    files, argv, env, exit_code, where, message = CASES[case]
    _make(tmp_path, files)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)
    started = time.monotonic()
    code = main(_output_args(argv, tmp_path))
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == exit_code, err
    assert where in err and message in err, err
    assert "internal error" not in err and "Traceback" not in err
    assert tree(tmp_path) == before and not (tmp_path / "out").exists()  # nothing written, nothing changed
    assert TOKEN not in err and TOKEN.lower() not in err.lower()
    assert elapsed < 30, f"{case} took {elapsed:.1f} s"


@pytest.mark.parametrize(
    "files, argv, where",
    [
        ({"r.yaml": "FIFO"}, ["validate", "r.yaml"], "r.yaml: error: cannot read file: not a regular file: it is a FIFO"),
        ({"r.yaml": "extends: pipe.yaml\n" + BASE, "pipe.yaml": "FIFO"}, ["compile", "r.yaml", "-o", "out/wf.json"], "r.yaml:1:10: error: extends: cannot read base recipe pipe.yaml"),
        ({"c.json": "FIFO"}, ["import", "c.json", "-o", "out/r.yaml"], "c.json: error: cannot read file: not a regular file: it is a FIFO"),
    ],
    ids=["recipe", "extends", "import"],
)
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path, files, argv, where):
    for name, content in files.items():
        if content == "FIFO":
            os.mkfifo(tmp_path / name)
        else:
            (tmp_path / name).write_text(content)
    # a subprocess with a timeout: were the FIFO opened for reading, it would wait for a writer forever
    run = subprocess.run([sys.executable, "-m", "orc_olive", *argv], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert run.returncode == 1 and where in run.stderr, run.stderr
    assert not (tmp_path / "out").exists()


def _compile_measuring_memory(path):
    """compile_file(path) and the peak of the memory Python allocated meanwhile."""
    import tracemalloc

    tracemalloc.start()
    try:
        result = compile_file(path)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_huge_recipe_is_refused_reading_no_more_than_the_limit(tmp_path):
    """1 GiB of sparse file: refused after MAX_BYTES + 1 bytes, so quickly and in little memory."""
    _make(tmp_path, {"r.yaml": SPARSE})
    result, peak = _compile_measuring_memory(tmp_path / "r.yaml")
    assert [d.code for d in result.diagnostics.errors] == ["too_large"]
    assert peak < 4 * MAX_BYTES, peak


def test_a_nested_reference_bomb_is_refused_in_bounded_memory(tmp_path):
    _make(tmp_path, {"r.yaml": _nested_vars(12, 10, False) + 'description: "${var:v11}"\n' + BASE})
    assert (tmp_path / "r.yaml").stat().st_size < 2048  # the issue's 2 KB recipe
    result, peak = _compile_measuring_memory(tmp_path / "r.yaml")
    error = result.diagnostics.errors[0]
    assert (error.code, error.line, error.dotted_path) == ("too_large", 8, "vars.v6") and len(result.diagnostics.errors) == 1
    assert peak < 64 * 1024 * 1024, peak


def test_references_within_the_bounds_still_expand(tmp_path):
    _make(tmp_path, {"r.yaml": _nested_vars(4, 10, False) + 'description: "${var:v3}"\n' + BASE})
    result = compile_file(tmp_path / "r.yaml")
    assert result.ok, [str(d) for d in result.diagnostics]
    assert result.recipe.description == "a" * 10_000


def test_a_1000_digit_integer_is_still_a_number(tmp_path):
    _make(tmp_path, {"r.yaml": BASE + f"olive: {{x_value: {'1' * 1000}}}\n"})
    result = compile_file(tmp_path / "r.yaml")
    assert not any(d.code in ("out_of_range", "too_large") for d in result.diagnostics), [str(d) for d in result.diagnostics]


def test_null_is_accepted_where_olive_takes_it(tmp_path):
    """`device_map: null` (Olive's schema admits null) and a parameter whose Olive default is null."""
    _make(tmp_path, {"r.yaml": BASE.replace("float32}", "float32, device_map: null}")})
    result = compile_file(tmp_path / "r.yaml")
    assert result.ok, [str(d) for d in result.diagnostics]


def test_import_of_a_5000_digit_string_quotes_it(tmp_path):
    """A string of digits past Python's conversion limit is written quoted, not converted."""
    config = json.loads(_import_config(x=1))
    config["passes"]["p"]["olive_note"] = BIG
    source = tmp_path / "c.json"
    source.write_text(json.dumps(config))
    imported = import_file(source, tmp_path / "r.yaml")
    assert f'"{BIG}"' in imported.text


def test_import_is_linear_in_the_number_of_passes(tmp_path):
    """3,000 passes import in a few seconds (this was 56 s): the per-step id lookups are one pass now."""
    (tmp_path / "model.onnx").write_bytes(b"")
    config = json.loads(_import_config())
    config["passes"] = {f"p{i}": ({"type": "OnnxPeepholeOptimizer"} if i % 2 else {"type": "OnnxQuantization", "per_channel": True}) for i in range(3000)}
    source = tmp_path / "c.json"
    source.write_text(json.dumps(config))
    started = time.monotonic()
    imported = import_file(source, tmp_path / "r.yaml")
    elapsed = time.monotonic() - started
    assert imported.ok and len(imported.recipe["steps"]) == 3000, imported.errors[:3]
    assert elapsed < 30, elapsed  # a loose bound for a loaded CI machine; bench/bench_import.py measures the ratio


# -- symlinked recipes: one rule, the folder the link is in -----------------------------------------------
def _linked(tmp_path: Path) -> Path:
    """real/r.yaml, seen through view/r.yaml (a symlink): `extends: base.yaml` and `files: data.jsonl`."""
    (tmp_path / "real").mkdir()
    (tmp_path / "view").mkdir()
    text = BASE.replace("d: {hf: org/data, ", "d: {files: data.jsonl, ").replace("name: ok\n", "")
    (tmp_path / "real" / "r.yaml").write_text("extends: base.yaml\n" + text)
    (tmp_path / "view" / "r.yaml").symlink_to(tmp_path / "real" / "r.yaml")
    return tmp_path / "view" / "r.yaml"


@pytest.mark.parametrize("base_in, data_in", [("view", "view"), ("real", "view"), ("view", "real")], ids=["both-beside-link", "base-beside-target", "data-beside-target"])
def test_a_symlinked_recipe_reads_its_bases_and_files_from_the_links_folder(tmp_path, base_in, data_in):
    link = _linked(tmp_path)
    (tmp_path / base_in / "base.yaml").write_text("name: from-base\n")
    (tmp_path / data_in / "data.jsonl").write_text('{"text": "a"}\n')
    result = compile_file(link)
    errors = [(d.code, d.message, d.hint) for d in result.diagnostics.errors]
    if (base_in, data_in) == ("view", "view"):  # both found beside the link
        assert result.ok, errors
        assert result.workflow["data_configs"][0]["load_dataset_config"]["data_files"] == ["data.jsonl"]
    elif base_in == "real":  # beside the target only: not found, and the error says where it looked
        assert errors[0][:2] == ("missing_base", "base recipe not found: base.yaml") and str(tmp_path / "view") in errors[0][2], errors
    else:
        assert any("data.jsonl" in message for _, message, _ in errors) and not result.ok, errors


def test_cli_subprocess_reports_hostile_input_without_internal_errors(tmp_path):
    """The same through a real process: exit codes 1, messages, no traceback."""
    (tmp_path / "r.yaml").write_text("extends: /dev/zero\n" + BASE)
    (tmp_path / "c.json").write_text('{"input_model": {}, "passes": {}, "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    for argv, where in ((["compile", "r.yaml", "-o", "out/wf.json"], "r.yaml:1:10:"), (["import", "c.json", "-o", "out/r.yaml"], "c.json:1:")):
        run = subprocess.run([sys.executable, "-m", "orc_olive", *argv], capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert run.returncode == 1 and where in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert not (tmp_path / "out").exists()
    assert ROOT.is_dir()
