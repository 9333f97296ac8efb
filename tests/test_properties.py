"""Property-based tests: generated recipes and mutations of valid ones.

- any text: a result or located errors, never an exception;
- every generated valid recipe compiles, passes the committed RunConfig schema and, when olive-ai
  is installed, Olive's own RunConfig;
- every mutation of a shipped recipe either still compiles or is rejected with located errors.
"""

import copy
import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orc_olive.build.compile import compile_document, compile_file
from orc_olive.diagnostics import OrcError
from orc_olive.olive.run_config import olive_available, run_config_errors
from orc_olive.source.loader import load_text

from .conftest import RECIPES, ROOT, locations, parent_of

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def compile_text(text: str, name: str = "recipe.yaml"):
    """Compile YAML text as if it sat in tests/ (so relative paths are checked against the repo)."""
    try:
        doc = load_text(text, str(ROOT / "tests" / name))
    except OrcError as exc:
        return None, exc.diagnostics
    result = compile_document(doc)
    return result, result.diagnostics.errors


def assert_located(errors):
    assert errors, "an invalid recipe must give at least one error"
    for error in errors:
        assert error.line >= 1 and error.column >= 1 and error.message, error


# --- any text -----------------------------------------------------------------------------------

yaml_ish = st.lists(st.sampled_from(list("abn: -[]{}'\"&*!|>#%@`,?\n\t0123456789.~") + ["name", "steps", "model", "<<", "---", "!!str"]), max_size=80).map("".join)


@SETTINGS
@given(st.one_of(st.text(max_size=300), yaml_ish))
def test_any_text_gives_a_result_or_located_errors_never_an_exception(text):
    result, errors = compile_text(text)
    if result is None or not result.ok:
        assert_located(errors)


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_in_a_file_give_a_result_or_located_errors(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "recipe.yaml"
        path.write_bytes(data)
        result = compile_file(path)
    if not result.ok:
        assert_located(result.diagnostics.errors)


# --- generated valid recipes --------------------------------------------------------------------

names = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
dataset_names = st.from_regex(r"[A-Za-z0-9_]{1,12}", fullmatch=True)  # Olive's rule for data config names
# Free text without braces, plus placeholders and literal (doubled) braces, so str.format accepts it.
plain = st.text(alphabet=st.characters(blacklist_characters="{}", blacklist_categories=("Cs",)), max_size=20)
template_parts = st.lists(st.one_of(plain, st.sampled_from(["{text}", "{{ 7 * 7 }}", "{% raw %}", "<|user|>", "\\n"])), min_size=1, max_size=6)


@st.composite
def recipes(draw):
    device = draw(st.sampled_from(["cpu", "gpu"]))
    dataset = draw(dataset_names)
    template = "".join(draw(template_parts))
    lora = {"dataset": dataset, "r": draw(st.integers(1, 256)), "alpha": draw(st.integers(1, 256)), "torch_dtype": "float32",
            "training": {"max_steps": draw(st.integers(1, 1000)), "learning_rate": draw(st.floats(1e-6, 1e-2))}}
    trainer = draw(st.sampled_from(["lora", "qlora"] if device == "gpu" else ["lora"]))
    steps = []
    if device == "gpu" and draw(st.booleans()):
        steps.append({"awq": {"bits": 4}})
    merged = trainer == "qlora" or draw(st.booleans())
    steps.append({trainer: lora})
    if merged:
        steps.append({"merge_adapters": {}})
    precisions = ["int4", "fp32"] + (["fp16"] if device == "gpu" else [])
    steps.append({"model_builder": {"precision": draw(st.sampled_from(precisions))}})
    if not merged and draw(st.booleans()):
        steps.append({"extract_adapters": {}})
    return {
        "name": draw(names),
        "description": draw(st.text(max_size=40)),
        "model": {"path": "microsoft/Phi-3.5-mini-instruct", "task": "text-generation"},
        "datasets": {dataset: {"hf": "org/data", "template": template, "max_length": draw(st.integers(16, 4096))}},
        "target": {"device": device},
        "steps": steps,
    }


@SETTINGS
@given(recipes())
def test_every_generated_valid_recipe_compiles_and_passes_the_run_config_schema(recipe):
    result, errors = compile_text(json.dumps(recipe))  # JSON is YAML, with every string quoted and escaped
    assert result is not None and result.ok, [str(e) for e in errors]
    data_config = result.workflow["data_configs"][0]
    assert data_config["pre_process_data_config"]["text_template"] == recipe["datasets"][next(iter(recipe["datasets"]))]["template"]
    assert [p["type"] for p in result.workflow["passes"].values()][-1] in ("ModelBuilder", "ExtractAdapters")


@pytest.mark.skipif(not olive_available(), reason="olive-ai is not installed")
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipes())
def test_generated_valid_recipes_are_accepted_by_olive_run_config(recipe):
    result, errors = compile_text(json.dumps(recipe))
    assert result is not None and result.ok, [str(e) for e in errors]
    assert run_config_errors(result.workflow, result.base_dir) == []


# --- mutations of the shipped recipes -----------------------------------------------------------

SHIPPED = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in RECIPES]
ODD_VALUES = [None, 0, -1, 3.5, True, "", "x", "tpu", [], ["a"], {}, {"a": 1}, "${env:HF_TOKEN}"]


@st.composite
def mutations(draw):
    index = draw(st.integers(0, len(SHIPPED) - 1))
    recipe = copy.deepcopy(SHIPPED[index])
    path = draw(st.sampled_from([p for p in locations(recipe) if p]))
    parent, last = parent_of(recipe, path), path[-1]
    kind = draw(st.sampled_from(["delete", "retype", "rename", "add_key"]))
    if kind == "delete":
        del parent[last]
    elif kind == "retype":
        parent[last] = draw(st.sampled_from(ODD_VALUES))
    elif kind == "rename" and isinstance(last, str):
        parent[last[:-1] + "x" + last[-1:] if len(last) > 1 else last + "x"] = parent.pop(last)
    elif isinstance(parent, dict):
        parent[draw(st.sampled_from(["extra", "rank", "devise", "lorra", "pass"]))] = draw(st.sampled_from(ODD_VALUES))
    return RECIPES[index].name, yaml.safe_dump(recipe, sort_keys=False, allow_unicode=True)


@SETTINGS
@given(mutations())
def test_every_mutation_compiles_or_is_rejected_with_located_errors(mutation):
    name, text = mutation
    result, errors = compile_text(text, f"../recipes/{name}")
    if result is not None and result.ok:
        assert result.workflow is not None and json.loads(result.text) == result.workflow
    else:
        assert_located(errors)
