"""extends, --set, ${env:...}/${var:...} and variants: merged results, and errors located in the file
(and line) that gave the value."""

import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orc_olive.build.compile import compile_file, compile_variants

from .conftest import ROOT

TINY = ROOT / "recipes" / "tiny-cpu-lora-int4.yaml"
DATA = (ROOT / "examples" / "data" / "data_sample_travel.jsonl").as_posix()
MODEL = (ROOT / "examples" / "tiny-phi3").as_posix()

BASE = f"""\
name: base
model: {{path: {MODEL}, task: text-generation}}
datasets:
  travel: {{files: {DATA}, template: "{{prompt}} {{response}}", max_length: 64}}
target: {{device: cpu}}
steps:
  - lora: {{id: train, dataset: travel, r: 8, alpha: 16, training: {{max_steps: 4, seed: 0}}}}
  - merge_adapters: {{id: merge}}
  - model_builder: {{id: build, precision: int4}}
output: {{dir: out, cache: cache}}
"""


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors(result):
    return [(os.path.basename(d.file), d.line, d.column, d.dotted_path, d.message, d.hint) for d in result.diagnostics.errors]


def test_a_plain_recipe_composes_to_the_same_workflow_as_before(tmp_path):
    # extends/vars/variants absent: composing changes nothing (the golden files guard the bytes too)
    copy = write(tmp_path, "tiny.yaml", TINY.read_text().replace("../", f"{ROOT.as_posix()}/"))
    assert compile_file(copy).ok


def test_extends_deep_merges_mappings_replaces_lists_and_patches_steps_by_id(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", """\
        extends: base.yaml
        name: child
        datasets:
          travel: {max_length: 32}
        steps:
          - lora: {id: train, r: 4, training: {max_steps: 2}}
          - model_builder: {id: build, precision: fp32}
        """)
    result = compile_file(child)
    assert result.ok, errors(result)
    wf = result.workflow
    assert wf["workflow_id"] == "child"
    assert wf["data_configs"][0]["pre_process_data_config"]["max_seq_len"] == 32
    assert wf["data_configs"][0]["load_dataset_config"]["data_files"] == [DATA]  # inherited
    assert list(wf["passes"]) == ["train", "merge", "build"]  # base order kept: a patch
    assert wf["passes"]["train"]["r"] == 4 and wf["passes"]["train"]["alpha"] == 16
    assert wf["passes"]["train"]["training_args"] == {"max_steps": 2, "seed": 0}
    assert wf["passes"]["build"]["precision"] == "fp32"


def test_a_step_list_with_new_steps_replaces_the_base_steps_keeping_settings_by_id(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", """\
        extends: base.yaml
        steps:
          - lora: {id: train, r: 4}
          - model_builder: {id: onnx, precision: fp16}
        """)
    result = compile_file(child, sets=["steps.onnx.precision=int4"])
    assert result.ok, errors(result)
    passes = result.workflow["passes"]
    assert list(passes) == ["train", "onnx"]  # the new list's order and steps
    assert passes["train"]["alpha"] == 16 and passes["train"]["r"] == 4 and passes["onnx"]["precision"] == "int4"


def test_list_values_are_replaced_not_appended(tmp_path):
    write(tmp_path, "base.yaml", BASE.replace("alpha: 16", "alpha: 16, target_modules: [o_proj, qkv_proj]"))
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nsteps:\n  - lora: {id: train, target_modules: [o_proj]}\n")
    assert compile_file(child).workflow["passes"]["train"]["target_modules"] == ["o_proj"]


def test_an_error_in_a_merged_value_points_at_the_file_and_line_that_gave_it(tmp_path):
    write(tmp_path, "base.yaml", BASE.replace("r: 8", "r: eight"))
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nname: child\ntarget: {device: tpu}\n")
    found = errors(compile_file(child))
    assert ("base.yaml", 7, 43, "steps[0].lora.r", "wrong type: got a string 'eight'", "expected an integer") in found
    assert any(f[:4] == ("child.yaml", 3, 18, "target.device") for f in found)


def test_a_missing_base_and_a_cycle_are_located_at_the_extends_entry(tmp_path):
    missing = write(tmp_path, "a.yaml", "name: a\nextends: [nope.yaml]\n")
    assert errors(compile_file(missing)) == [("a.yaml", 2, 11, "extends[0]", "base recipe not found: nope.yaml", f"looked for {tmp_path / 'nope.yaml'}")]
    write(tmp_path, "x.yaml", "extends: y.yaml\n")
    write(tmp_path, "y.yaml", "\n\nextends: x.yaml\n")
    found = errors(compile_file(tmp_path / "x.yaml"))
    assert found == [("y.yaml", 3, 10, "extends", "extends cycle: x.yaml -> y.yaml -> x.yaml", "a recipe cannot extend itself, directly or through its bases")]


def test_env_and_var_references_with_defaults_types_and_missing_names(tmp_path):
    recipe = write(tmp_path, "r.yaml", BASE.replace("max_steps: 4", "max_steps: '${env:STEPS:-3}'").replace("r: 8", "r: '${var:rank}'").replace(
        "dir: out", "dir: '${env:OUT_ROOT}/${var:rank}-x'") + "vars: {rank: 16}\n")
    result = compile_file(recipe, env={"OUT_ROOT": "/models"})
    assert result.ok, errors(result)
    assert result.workflow["passes"]["train"]["r"] == 16  # a whole ${var:...} keeps its YAML type
    assert result.workflow["passes"]["train"]["training_args"]["max_steps"] == 3  # typed by the schema
    assert result.workflow["output_dir"] == "/models/16-x"
    missing = compile_file(recipe, env={})
    assert errors(missing) == [("r.yaml", 10, 15, "output.dir", "environment variable 'OUT_ROOT' is not set", "set it, or give a default: ${env:OUT_ROOT:-value}")]
    typo = write(tmp_path, "t.yaml", BASE.replace("r: 8", "r: '${var:rnk}'") + "vars: {rank: 16}\n")
    assert [e[3:] for e in errors(compile_file(typo))] == [("steps[0].lora.r", "unknown variable 'rnk'", "did you mean 'rank'?")]


def test_a_var_taken_from_the_environment_is_typed_where_it_is_used(tmp_path):
    recipe = write(tmp_path, "r.yaml", BASE.replace("max_steps: 4", "max_steps: '${var:steps}'") + "vars:\n  steps: ${env:STEPS:-5}\n")
    assert compile_file(recipe, env={}).workflow["passes"]["train"]["training_args"]["max_steps"] == 5
    assert compile_file(recipe, env={"STEPS": "7"}).workflow["passes"]["train"]["training_args"]["max_steps"] == 7


def test_escaped_references_stay_literal(tmp_path):
    recipe = write(tmp_path, "r.yaml", BASE.replace("name: base\n", 'name: base\ndescription: "costs $${env:HOME} {prompt}"\n'))
    result = compile_file(recipe, env={})
    assert result.ok and result.recipe.description == "costs ${env:HOME} {prompt}"


def test_set_overrides_by_step_id_or_kind_typed_by_the_schema(tmp_path):
    recipe = write(tmp_path, "r.yaml", BASE)
    result = compile_file(recipe, sets=["steps.lora.training.max_steps=10", "steps.build.precision=fp32", "target.device=cpu", "model.task=10",
                                        "steps.train.target_modules=[o_proj, qkv_proj]"])
    assert result.ok, errors(result)
    passes = result.workflow["passes"]
    assert passes["train"]["training_args"]["max_steps"] == 10 and passes["build"]["precision"] == "fp32"
    assert passes["train"]["target_modules"] == ["o_proj", "qkv_proj"]
    assert result.workflow["input_model"]["task"] == "10"  # a string field keeps the text


def test_bad_set_paths_are_errors_that_name_the_override(tmp_path):
    recipe = write(tmp_path, "r.yaml", BASE)
    result = compile_file(recipe, sets=["steps.lora.trainin.max_steps=1", "tagret.device=cpu", "steps.nope.r=1", "novalue"])
    found = [(d.file, d.dotted_path, d.message, d.hint) for d in result.diagnostics.errors]
    assert ("--set steps.lora.trainin.max_steps", "steps[0].lora.trainin", "unknown field 'trainin'", "did you mean 'training'?") in found
    assert ("--set tagret.device", "tagret", "unknown field 'tagret'", "did you mean 'target'?") in found
    assert any(f[0] == "--set steps.nope.r" and "no step with id or kind 'nope'" in f[2] for f in found)
    assert any(f[0] == "--set novalue" for f in found) and len(found) == 4


def test_a_wrongly_typed_set_value_is_located_at_the_override(tmp_path):
    result = compile_file(write(tmp_path, "r.yaml", BASE), sets=["steps.train.r=abc"])
    assert [(d.file, d.dotted_path, d.message) for d in result.diagnostics.errors] == [
        ("--set steps.train.r", "steps[0].lora.r", "wrong type: got a string 'abc'")
    ]


def test_extends_and_variants_cannot_come_from_a_variant_or_the_command_line(tmp_path):
    recipe = write(tmp_path, "r.yaml", BASE + "variants:\n  a: {extends: other.yaml}\n")
    result = compile_file(recipe, variant="a", sets=["variants.b.name=x"])
    assert sorted((d.file.rsplit("/", 1)[-1], d.dotted_path, d.message) for d in result.diagnostics.errors) == [
        ("--set variants.b.name", "variants", "'variants' cannot be set by a variant or --set"),
        ("r.yaml", "extends", "'extends' cannot be set by a variant or --set"),
    ]


def test_a_kind_used_twice_must_be_addressed_by_id(tmp_path):
    recipe = write(tmp_path, "r.yaml", BASE.replace("  - merge_adapters: {id: merge}\n", "  - merge_adapters: {id: merge}\n  - lora: {dataset: travel}\n"))
    result = compile_file(recipe, sets=["steps.lora.r=4"])
    assert [d.message for d in result.diagnostics.errors] == ["2 steps are 'lora' steps"]


def test_variants_expand_to_deterministically_named_workflows(tmp_path):
    recipe = write(tmp_path, "r.yaml", BASE + "variants:\n  cpu: {}\n  fast:\n    steps: [{lora: {id: train, training: {max_steps: 1}}}]\n")
    results = compile_variants(recipe)
    assert [r.variant for r in results] == ["cpu", "fast"] and all(r.ok for r in results)
    assert [r.workflow["workflow_id"] for r in results] == ["base-cpu", "base-fast"]
    assert [r.workflow["output_dir"] for r in results] == ["out-cpu", "out-fast"]
    assert results[1].workflow["passes"]["train"]["training_args"]["max_steps"] == 1
    plain = compile_file(recipe)
    assert [(d.message, d.hint) for d in plain.diagnostics.errors] == [
        ("the recipe has variants: choose one with --variant NAME, or use --all-variants", "valid: 'cpu', 'fast'")
    ]
    assert [d.hint for d in compile_file(recipe, variant="fats").diagnostics.errors] == ["did you mean 'fast'?"]


SECRET = "hf_Q8fz0aWmNx2LrT5vYb7cKpD3aB4cD5eF6gH7jK"  # a Hugging Face token format the literal check knows


def test_secrets_from_the_environment_are_masked_in_print_and_errors_and_written_owner_only(tmp_path, orc_cmd):
    recipe = write(tmp_path, "r.yaml", BASE.replace("task: text-generation", "task: text-generation, load_kwargs: {token: '${env:HF_TOKEN}'}"))
    env = {**os.environ, "HF_TOKEN": SECRET}
    shown = subprocess.run(orc_cmd + ["compile", str(recipe)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert shown.returncode == 0 and SECRET not in shown.stdout and "<masked ${env:HF_TOKEN}>" in shown.stdout
    out = tmp_path / "wf.json"
    written = subprocess.run(orc_cmd + ["compile", str(recipe), "-o", str(out), "--print"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert written.returncode == 0 and SECRET not in written.stdout + written.stderr
    assert json.loads(out.read_text())["input_model"]["load_kwargs"]["token"] == SECRET
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    bad = write(tmp_path, "bad.yaml", BASE.replace("r: 8", "r: '${env:MY_API_KEY}'"))
    failed = subprocess.run(orc_cmd + ["validate", str(bad)], capture_output=True, text=True, env={**env, "MY_API_KEY": "plain-but-named-key"}, cwd=ROOT)
    assert failed.returncode == 1 and "plain-but-named-key" not in failed.stderr and "<masked ${env:MY_API_KEY}>" in failed.stderr


def test_a_workflow_without_secrets_is_written_world_readable(tmp_path):
    out = tmp_path / "wf.json"
    subprocess.run([sys.executable, "-m", "orc_olive", "compile", str(TINY), "-o", str(out)], check=True, cwd=ROOT)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


@pytest.mark.parametrize("name,value,secret", [
    ("HF_TOKEN", "abc", True), ("AZURE_STORAGE_CONNECTION_STRING", "x", True), ("DATA_DIR", "../data", False),
    ("ANYTHING", "ghp_abcdefghijklmnop1234", True), ("ANYTHING", "Q8fz0aWmNx2LrT5vYb7cKpD3xx", True), ("ANYTHING", "/home/user/models/phi", False),
])
def test_secret_detection(name, value, secret):
    from orc_olive.secrecy import is_secret

    assert is_secret(name, value) is secret


def test_pwd_is_a_path_not_a_secret():
    from orc_olive.secrecy import is_secret

    assert not is_secret("PWD", "/home/me/work")


names = st.text(alphabet="abcde", min_size=1, max_size=3)
trees = st.recursive(st.one_of(st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2)),
                     lambda inner: st.dictionaries(names, inner, max_size=4), max_leaves=12)


def _node(value):
    from orc_olive.source.loader import Position
    from orc_olive.source.located import from_value

    return from_value(value, "f.yaml", Position(1, 1))


@given(st.dictionaries(names, trees, max_size=4), st.dictionaries(names, trees, max_size=4))
def test_merge_is_a_deep_merge_where_the_overlay_wins(base, over):
    from orc_olive.source.compose import merge
    from orc_olive.source.located import plain

    merged = plain(merge(_node(base), _node(over)))
    assert set(merged) == set(base) | set(over)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            assert plain(merge(_node(base[key]), _node(value))) == merged[key]
        else:
            assert merged[key] == value  # scalars and lists from the overlay replace the base's
    for key in set(base) - set(over):
        assert merged[key] == base[key]
    assert plain(merge(_node(base), _node({}))) == base
