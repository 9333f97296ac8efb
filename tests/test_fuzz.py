"""hypothesis over the hostile-input surfaces: the loader (anchors, aliases, nesting, odd scalars),
`--set`, `${var:}`/`${env:}` interpolation and `orc import`.

Whatever the input, the answer is a result or clean, located diagnostics (an OrcError), within a time
and a memory bound (tracemalloc's peak), never another exception; a token in the input never shows in
a diagnostic. Example counts are modest: the suite runs on two cores.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orc_olive.build.compile import compile_file
from orc_olive.diagnostics import OrcError
from orc_olive.importer.convert import import_config, import_file, read_config
from orc_olive.recipe.models import Recipe
from orc_olive.source.compose import compose

from .test_hostile_input import BASE, TOKEN  # one valid recipe and one token's shape for both files

SECONDS = 20  # per example, on a loaded two-core machine
MEGABYTES = 256
EXAMPLES = int(os.environ.get("ORC_FUZZ_EXAMPLES", "30"))  # more for a longer local run
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def bounded(fn: Callable[[], Any]) -> Any:
    """fn() within SECONDS and MEGABYTES of peak Python allocation; its OrcError is returned, not raised."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        try:
            out = fn()
        except OrcError as exc:
            out = exc
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    elapsed = time.monotonic() - started
    assert elapsed < SECONDS, f"took {elapsed:.1f} s"
    assert peak < MEGABYTES << 20, f"peaked at {peak >> 20} MiB"
    return out


def assert_clean(diagnostics) -> None:
    """Located (a line in a file, or a `--set` label), and never the token."""
    for d in diagnostics:
        assert d.message and (d.line >= 1 or d.file.startswith("--set ")), d
        shown = f"{d.file} {d.dotted_path} {d.message} {d.hint}"
        assert TOKEN not in shown and TOKEN.lower() not in shown.lower(), d


# -- recipes: YAML text with anchors, aliases, references and odd numbers ------------------------------------
RAW_SCALARS = [
    "x", "0", "-1", "1e999", "-.inf", ".nan", ".NaN", "null", "~", "true", "on", "0x" + "f" * 1200, "9" * 1100, "1" * 999,
    "${var:a}", "${var:b}${var:b}${var:b}", "${var:c}", "x${var:a}y", "$${var:a}", "${var:}", "${env:FUZZ}", "${env:FUZZ:-2}",
    "${env:HOME}", "${env:UNSET_FUZZ}", "${env:1BAD}", TOKEN, "'quoted'", '"\\ud800"', "!!int 12", "!!float x", "<<", "*a", "&a x",
]  # fmt: skip
scalars = st.one_of(st.sampled_from(RAW_SCALARS), st.from_regex(r"[a-z0-9_.-]{1,8}", fullmatch=True))
keys = st.one_of(st.sampled_from(["a", "b", "c", "r", "x", "steps", "lora", "olive", "name", "<<", TOKEN, "${var:a}"]),
                 st.from_regex(r"[a-z_]{1,6}", fullmatch=True))  # fmt: skip
trees = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)), max_leaves=16)


def block(value: Any, indent: int) -> list[str]:
    """Block-style YAML with every scalar written as it is (so `.nan`, `*a` and `&a x` keep their meaning)."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        out = []
        for key, child in value.items():
            if isinstance(child, (dict, list)) and child:
                out += [f"{pad}{key}:"] + block(child, indent + 2)
            else:
                out.append(f"{pad}{key}: {block(child, 0)[0]}")
        return out
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        out = []
        for child in value:
            lines = block(child, indent + 2)
            out += [f"{pad}- {lines[0].strip()}"] + lines[1:] if not isinstance(child, (dict, list)) or not child else [f"{pad}-"] + lines
        return out
    return [pad + str(value)]


@st.composite
def recipes(draw) -> str:
    parts = [BASE]
    if draw(st.booleans()):
        parts.append("vars:\n" + "\n".join(block({name: draw(trees) for name in draw(st.lists(st.sampled_from("abc"), unique=True, max_size=3))}, 2)) + "\n")
    parts.append("olive:\n" + "\n".join(block({"x": draw(trees)}, 2)) + "\n")
    if draw(st.booleans()):
        parts.append(f"description: {draw(scalars)}\n")
    if draw(st.booleans()):  # an anchor and a deep or repeated use of it
        parts.append("anchors:\n  one: &a [x, x, x]\n  two: [*a, *a, *a]\n" + "  deep: " + "[" * (depth := draw(st.integers(1, 90))) + "]" * depth + "\n")
    text = "".join(parts)
    return text if draw(st.booleans()) else text.replace("r: 8", f"r: {draw(scalars)}")


@SETTINGS
@given(recipes(), st.sampled_from(["7", ".inf", "9" * 5000, "", TOKEN, "${var:a}"]))
def test_any_recipe_text_compiles_or_gives_located_errors_in_bounds(text, env_value):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.yaml"
        path.write_text(text, encoding="utf-8")
        result = bounded(lambda: compile_file(path, env={"FUZZ": env_value, "HOME": "/root"}))
    if not result.ok:
        assert_clean(result.diagnostics.errors)
    else:
        assert result.workflow is not None and all(math.isfinite(v) for v in _floats(result.workflow))


def _floats(data: Any):
    if isinstance(data, float):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _floats(value)
    elif isinstance(data, list):
        for value in data:
            yield from _floats(value)


# -- `--set` ---------------------------------------------------------------------------------------------
path_parts = st.sampled_from(["steps", "lora", "model_builder", "0", "1", "9", "r", "training", "max_steps", "learning_rate", "olive", "x",
                              "model", "path", "name", "", " ", "datasets", "d", "template", "vars", "variants", "extends", TOKEN])  # fmt: skip
values = st.one_of(st.sampled_from(["", "8", "-1", ".nan", "1e999", "9" * 5000, "[", "{a: [", "[1, 2]", "{k: v}", "null", "~", TOKEN,
                                    f"[{TOKEN}]", "${var:a}", "${env:FUZZ}", "a=b", "[" * 100 + "]" * 100]), st.text(max_size=12))  # fmt: skip
overrides = st.builds(lambda parts, eq, value: ".".join(parts) + eq + value, st.lists(path_parts, min_size=1, max_size=5), st.sampled_from(["=", "", "=="]), values)


@SETTINGS
@given(st.lists(overrides, min_size=1, max_size=4))
def test_any_set_gives_a_result_or_errors_labelled_by_path(sets):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.yaml"
        path.write_text(BASE + "vars: {a: 1}\n", encoding="utf-8")
        result = bounded(lambda: compile_file(path, sets=sets, env={"FUZZ": "5"}))
    assert_clean(result.diagnostics.items)
    for d in result.diagnostics.items:
        if d.file.startswith("--set "):  # the label is the path, never the value
            assert "=" not in d.file, d.file


# -- interpolation: variables that refer to each other, any number of times -----------------------------------
names = ["a", "b", "c", "d", "e"]
texts = st.lists(st.one_of(st.sampled_from([f"${{var:{n}}}" for n in names] + ["${env:FUZZ}", "${env:NOPE}", "${env:NOPE:-x}", "$${var:a}", "xy"]),
                           st.text(alphabet="ab$:{}", max_size=4)), max_size=12).map("".join)  # fmt: skip
var_values = st.one_of(texts, st.lists(texts, max_size=10), st.dictionaries(st.sampled_from(names), texts, max_size=4), st.integers(), st.floats())


@SETTINGS
@given(st.dictionaries(st.sampled_from(names), var_values, max_size=5), texts, st.sampled_from(["", "1", "ab" * 1000, TOKEN]))
def test_any_references_resolve_or_fail_cleanly_in_bounds(variables, use, env_value):
    text = BASE + "vars: " + json.dumps(variables) + "\ndescription: " + json.dumps(use) + "\nolive: {x: " + json.dumps(use) + "}\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.yaml"
        path.write_text(text, encoding="utf-8")
        out = bounded(lambda: compose(str(path), Recipe, env={"FUZZ": env_value}))
    if isinstance(out, OrcError):
        assert_clean(out.diagnostics)


# -- import ---------------------------------------------------------------------------------------------
odd = st.one_of(st.sampled_from([math.nan, math.inf, -math.inf, 10**1200, "9" * 5000, None, [], {}, TOKEN]), st.integers(), st.text(max_size=6),
                st.floats(allow_nan=False, allow_infinity=False))  # fmt: skip
config_values = st.recursive(odd, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)), max_leaves=8)
pass_types = st.sampled_from(["OnnxConversion", "OnnxPeepholeOptimizer", "LoRA", "ModelBuilder", "OnnxQuantization", "NoSuchPass", 7])
input_models = st.one_of(st.just({"type": "HfModel", "model_path": "m/x"}), st.just({"type": "ONNXModel", "model_path": "model.onnx"}), config_values)


@st.composite
def configs(draw) -> dict:
    passes = {draw(st.text(min_size=1, max_size=4)): {"type": draw(pass_types), **draw(st.dictionaries(st.sampled_from(["r", "x", "precision", "target_opset"]), config_values, max_size=2))}
              for _ in range(draw(st.integers(0, 3)))}  # fmt: skip
    config = {"input_model": draw(input_models), "passes": passes}
    config.update(draw(st.dictionaries(st.sampled_from(["systems", "data_configs", "engine", "evaluators", "output_dir", "extra"]), config_values, max_size=2)))
    return config


@settings(max_examples=max(EXAMPLES // 2, 1), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(configs(), st.sampled_from([".json", ".yaml"]))
def test_any_config_imports_or_fails_cleanly_in_bounds(config, suffix):
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / f"c{suffix}"
        text = json.dumps(config)  # JSON is YAML too; NaN and Infinity appear as JSON writes them
        source.write_text(text, encoding="utf-8")
        imported = bounded(lambda: import_file(source, Path(folder) / "r.yaml"))
        given_as_is = bounded(lambda: import_config(config, source, Path(folder) / "r.yaml"))
    for out in (imported, given_as_is):
        assert_clean(out.diagnostics if isinstance(out, OrcError) else out.errors)


@SETTINGS
@given(st.one_of(st.text(max_size=200), st.lists(st.sampled_from(['{"input_model": {}, "passes": {', "[", "]", "{", "}", "&a [1]", "*a", ": ", "\n  ",
                                                                  "NaN", "1e999", "9" * 1200, '"', ",", "- "]), max_size=40).map("".join)),
       st.sampled_from([".json", ".yaml"]))  # fmt: skip
def test_any_config_text_is_read_or_refused_with_a_located_error(text, suffix):
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / f"c{suffix}"
        source.write_text(text, encoding="utf-8")
        out = bounded(lambda: read_config(source))
    if isinstance(out, OrcError):
        assert out.diagnostics and all(d.file == str(source) and d.message for d in out.diagnostics)
    else:
        assert isinstance(out, dict) and "passes" in out
