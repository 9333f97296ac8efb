"""The recipe family in examples/family (a base, a CPU/CUDA variant pair, environment variables) compiles
to its golden files; `orc explain`, `orc diff` (two files, and a git revision) and `orc new` on it."""

import json
import os
import shutil
import subprocess

import pytest
import yaml

from orc_olive.build.compile import compile_file, compile_variants

from .conftest import ROOT

FAMILY = ROOT / "examples" / "family"
GOLDEN = ROOT / "tests" / "golden" / "family"
UPDATE = os.environ.get("ORC_UPDATE_GOLDEN") == "1"
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("ORC_")}  # the family's defaults apply


def family_outputs():
    for recipe in sorted(FAMILY.glob("*.yaml")):
        for result in compile_variants(recipe, env=CLEAN_ENV):
            yield recipe.stem + (f".{result.variant}" if result.variant else ""), result


@pytest.mark.parametrize("name,result", list(family_outputs()), ids=lambda v: v if isinstance(v, str) else "")
def test_family_compiles_to_its_golden_files(name, result):
    assert result.ok, [str(d) for d in result.diagnostics]
    golden = GOLDEN / f"{name}.json"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(result.text, encoding="utf-8")
    assert result.text == golden.read_text(encoding="utf-8"), f"{golden.name} differs: rerun with ORC_UPDATE_GOLDEN=1 and review the diff"


def test_the_variant_pair_differs_only_where_the_variants_say():
    from orc_olive.output.diff import changes

    cpu, cuda = compile_variants(FAMILY / "travel.yaml", env=CLEAN_ENV)
    found = {path: (old, new) for _, path, old, new in changes(cpu.workflow, cuda.workflow)}
    assert found == {
        "workflow_id": ("family-travel-cpu", "family-travel-cuda"),
        "systems.local_system.accelerators[0].device": ("cpu", "gpu"),
        "systems.local_system.accelerators[0].execution_providers[0]": ("CPUExecutionProvider", "CUDAExecutionProvider"),
        "passes.train.torch_dtype": ("float32", "bfloat16"),
        "passes.build.precision": ("int4", "fp16"),
        "output_dir": ("../../models/family-travel-cpu", "../../models/family-travel-cuda"),
    }


def test_environment_variables_move_the_family_data_and_models():
    result = compile_file(FAMILY / "phrases.yaml", env={"ORC_MODELS_DIR": "/srv/models", "ORC_DATA_DIR": "../data"})
    assert result.ok and result.workflow["output_dir"] == "/srv/models/family-phrases"
    missing = compile_file(FAMILY / "phrases.yaml", env={"ORC_DATA_DIR": "/nowhere"})
    assert [(d.dotted_path, d.message) for d in missing.diagnostics.errors] == [
        ("datasets.train.files", "data file not found: /nowhere/phrase_classification.json")
    ]
    assert missing.diagnostics.errors[0].file == str(FAMILY / "phrases.yaml")  # the value given in phrases.yaml


def run_orc(orc_cmd, *args, cwd=ROOT, env=None):
    env = {**(env or CLEAN_ENV), "PYTHONPATH": str(ROOT)}
    return subprocess.run(orc_cmd + list(args), capture_output=True, text=True, cwd=cwd, env=env)


def test_explain_shows_steps_passes_model_forms_devices_and_data(orc_cmd):
    shown = run_orc(orc_cmd, "explain", "examples/family/travel.yaml", "--variant", "cuda", "--set", "steps.train.r=4")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "recipe:  family-travel-cuda (variant cuda)"
    assert lines[1] == "sources: examples/family/base.yaml, --set steps.train.r, examples/family/travel.yaml"
    rows = [line.split() for line in lines[lines.index(next(row for row in lines if row.startswith("step "))) + 2:]]
    assert rows == [
        ["train", "lora", "LoRA", "HF", "HF+adapter", "gpu", "/", "CUDAExecutionProvider", "train"],
        ["merge", "merge_adapters", "MergeAdapterWeights", "HF+adapter", "HF", "gpu", "/", "CUDAExecutionProvider", "-"],
        ["build", "model_builder", "ModelBuilder", "HF", "ONNX", "gpu", "/", "CUDAExecutionProvider", "-"],
    ]


def test_explain_of_the_lab_shows_the_adapter_file_and_host_device(orc_cmd):
    shown = run_orc(orc_cmd, "explain", "recipes/phi35-awq-lora-travel-cpu.yaml", "--format", "json")
    steps = json.loads(shown.stdout)["steps"]
    assert [(s["olive_pass"], s["model_in"], s["model_out"]) for s in steps] == [
        ("AutoAWQQuantizer", "HF", "HF"), ("LoRA", "HF", "HF+adapter"), ("ModelBuilder", "HF+adapter", "ONNX"), ("ExtractAdapters", "ONNX", "ONNX+adapters")
    ]
    assert steps[0]["device"] == "gpu / CUDAExecutionProvider" and steps[2]["device"] == "cpu / CPUExecutionProvider"


def test_explain_mermaid_draws_the_pipeline(orc_cmd):
    shown = run_orc(orc_cmd, "explain", "examples/family/phrases.yaml", "--format", "mermaid")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "flowchart LR"
    assert '  model -->|"HF"| step0' in lines and '  step0 -->|"HF+adapter"| step1' in lines and '  step2 -->|"ONNX"| output' in lines
    assert "  data_train -.-> step0" in lines


def test_diff_of_two_recipes_by_field_path(orc_cmd):
    shown = run_orc(orc_cmd, "diff", "examples/family/base.yaml", "examples/family/phrases.yaml")
    assert shown.returncode == 0, shown.stderr  # differing is not a problem (1 is for recipes with errors; --exit-code gives 6)
    lines = shown.stdout.splitlines()
    assert lines[:2] == ["--- examples/family/base.yaml", "+++ examples/family/phrases.yaml"]
    assert '~ passes.train.r: 8 -> 16' in lines and '~ passes.train.training_args.max_steps: 4 -> 16' in lines
    assert '~ workflow_id: "family-base" -> "family-phrases"' in lines
    same = run_orc(orc_cmd, "diff", "examples/family/base.yaml", "examples/family/base.yaml")
    assert same.returncode == 0 and same.stdout.startswith("no differences")


def test_diff_against_a_git_revision_reads_the_bases_at_that_revision(orc_cmd, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(FAMILY, repo / "family")
    shutil.copytree(ROOT / "examples" / "data", repo / "data")
    shutil.copytree(ROOT / "examples" / "tiny-phi3", repo / "tiny-phi3")
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "family"], check=True)
    base = repo / "family" / "base.yaml"
    base.write_text(base.read_text().replace("r: 8", "r: 32"))  # a change in the base only
    shown = run_orc(orc_cmd, "diff", "family/travel.yaml", "--rev", "HEAD", "--variant", "cpu", "--exit-code", cwd=repo)
    assert shown.returncode == 6, shown.stderr
    assert shown.stdout.splitlines() == ["--- family/travel.yaml@HEAD", "+++ family/travel.yaml", "~ passes.train.r: 8 -> 32", "1 field differ"]
    bad = run_orc(orc_cmd, "diff", "family/travel.yaml", "--rev", "no-such-rev", cwd=repo)
    assert bad.returncode == 2 and "unknown git revision 'no-such-rev'" in bad.stderr


@pytest.mark.parametrize("template", ["lab-travel", "qlora-classification", "tiny-cpu"])
def test_new_recipe_from_a_ready_one_compiles_where_it_is_written(orc_cmd, tmp_path, template):
    made = run_orc(orc_cmd, "new", "--from", template, "my-recipe", "--dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    text = (tmp_path / "my-recipe.yaml").read_text()
    modeline = text.splitlines()[0]
    assert modeline.startswith("# yaml-language-server: $schema=")
    assert (tmp_path / modeline.split("=", 1)[1]).resolve() == ROOT / "schemas" / "recipe.schema.json"
    result = compile_file(tmp_path / "my-recipe.yaml", env=CLEAN_ENV)
    assert result.ok, [str(d) for d in result.diagnostics]
    assert result.workflow["workflow_id"] == "my-recipe" and result.workflow["output_dir"] == "models/my-recipe"
    again = run_orc(orc_cmd, "new", "--from", template, "my-recipe", "--dir", str(tmp_path))
    assert again.returncode == 2 and "exists already" in again.stderr
    # the local inputs were copied beside it and are named relative to it: nothing points into orc's checkout
    doc = yaml.safe_load(text)
    local = [f for ds in doc["datasets"].values() for f in ([ds["files"]] if isinstance(ds["files"], str) else ds["files"])]
    local += [doc["model"]["path"]] if (tmp_path / doc["model"]["path"]).exists() else []
    assert local and all(not f.startswith("..") and (tmp_path / f).exists() for f in local), local


def test_new_never_replaces_a_different_input_beside_it(orc_cmd, tmp_path):
    (tmp_path / "data").mkdir()
    mine = tmp_path / "data" / "data_sample_travel.jsonl"
    mine.write_text('{"prompt": "mine", "response": "mine"}\n')
    made = run_orc(orc_cmd, "new", "--from", "tiny-cpu", "x", "--dir", str(tmp_path))
    assert made.returncode == 2 and "exists and differs" in made.stderr, made.stderr
    assert mine.read_text() == '{"prompt": "mine", "response": "mine"}\n' and not (tmp_path / "x.yaml").exists()
    assert not (tmp_path / "tiny-phi3").exists()  # nothing at all is written when the plan has a problem


def test_new_rejects_an_unknown_template(orc_cmd, tmp_path):
    made = run_orc(orc_cmd, "new", "--from", "lab-travle", "x", "--dir", str(tmp_path))
    assert made.returncode == 2 and "unknown template 'lab-travle'" in made.stderr and "'lab-travel'" in made.stderr


def test_compile_all_variants_writes_one_named_file_each(orc_cmd, tmp_path):
    to_folder = run_orc(orc_cmd, "compile", "examples/family/travel.yaml", "--all-variants", "-o", str(tmp_path / "build"))
    assert to_folder.returncode == 0, to_folder.stderr
    assert sorted(p.name for p in (tmp_path / "build").iterdir()) == ["family-travel-cpu.json", "family-travel-cuda.json"]
    assert (tmp_path / "build" / "family-travel-cuda.json").read_text() == (GOLDEN / "travel.cuda.json").read_text()
    to_files = run_orc(orc_cmd, "compile", "examples/family/travel.yaml", "--all-variants", "-o", str(tmp_path / "wf.json"))
    assert to_files.returncode == 0 and (tmp_path / "wf.cpu.json").is_file() and (tmp_path / "wf.cuda.json").is_file()
    no_output = run_orc(orc_cmd, "compile", "examples/family/travel.yaml", "--all-variants")
    assert no_output.returncode == 2 and "-o FOLDER" in no_output.stderr


def test_validate_checks_every_variant_and_reports_a_problem_once(orc_cmd, tmp_path):
    assert run_orc(orc_cmd, "validate", "examples/family").returncode == 0
    shown = run_orc(orc_cmd, "validate", "examples/family/travel.yaml", "--set", "steps.train.r=x")
    assert shown.returncode == 1
    assert shown.stderr.count("wrong type: got a string 'x'") == 1
    assert run_orc(orc_cmd, "validate", "examples/family/travel.yaml", "--variant", "cuda").returncode == 0
    typo = run_orc(orc_cmd, "validate", "examples/family/travel.yaml", "--variant", "cdua")
    assert typo.returncode == 1 and "unknown variant 'cdua' (did you mean 'cuda'?)" in typo.stderr


def test_the_recipe_schema_accepts_composed_recipes_and_still_flags_mistakes():
    import jsonschema

    from orc_olive.source.loader import load_bytes, load_text

    validator = jsonschema.Draft202012Validator(json.loads((ROOT / "schemas" / "recipe.schema.json").read_text()))
    for recipe in sorted(FAMILY.glob("*.yaml")) + sorted((ROOT / "recipes").glob("*.yaml")):
        assert list(validator.iter_errors(load_bytes(recipe.read_bytes(), str(recipe)).data)) == [], recipe.name

    def flagged(text):
        return sorted(".".join(map(str, e.absolute_path)) for e in validator.iter_errors(load_text(text).data))

    assert flagged("extends: base.yaml\nsteps: [{lora: {id: train, r: '${var:rank}'}}]\n") == []  # partial, with a reference
    assert flagged("extends: base.yaml\ntarget: {devise: cpu}\n") == ["target"]  # unknown key in a partial recipe
    assert flagged("extends: base.yaml\nsteps: [{lora: {r: eight}}]\n") == ["steps.0.lora"]  # anyOf [step, null] reports here
    assert flagged("extends: base.yaml\nvariants: {cpu: {target: {device: tpu}}}\n") == ["variants.cpu.target.device"]
    assert flagged("name: x\nsteps: [{merge_adapters: {}}]\n") == [""]  # no extends: model is required


def test_diff_of_two_variants_of_one_recipe(orc_cmd):
    shown = run_orc(orc_cmd, "diff", "examples/family/travel.yaml", "--variant", "cpu", "--variant", "cuda")
    assert shown.returncode == 0, shown.stderr  # differing is not an error
    lines = shown.stdout.splitlines()
    assert lines[:2] == ["--- examples/family/travel.yaml --variant cpu", "+++ examples/family/travel.yaml --variant cuda"]
    assert '~ passes.build.precision: "int4" -> "fp16"' in lines and lines[-1] == "6 fields differ"
    assert run_orc(orc_cmd, "diff", "examples/family/travel.yaml").returncode == 2
