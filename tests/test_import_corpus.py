"""Conformance: `orc import` over the shared corpus of real Olive configs, compared through Olive's RunConfig.

Every config that Olive 0.13 accepts as it is must come back equivalent; the share of all configs that
import and round-trip must not drop below what was reached (README.md, "Conformance"). One pass over
the corpus, in this process, each config parsed by RunConfig once.
"""

import subprocess
import sys

import pytest

from orc_olive.olive.run_config import olive_available

from .conftest import CORPUS, ROOT

# Reached with olive-ai 0.13.0 (README.md, "Conformance"); raise these when more configs come through.
MIN_CONFIGS = 229
# 218 before orc refused what Olive 0.13 cannot run: two configs reading data from an AzureML datastore
# (`azureml_datastore`, which has no resource on a local target) and the llama2 ModelBuilder template below.
MIN_ROUND_TRIPS = 215

pytestmark = [
    pytest.mark.skipif(not olive_available(), reason="olive-ai is not installed"),
    pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not beside the checkout"),
]


@pytest.fixture(scope="module")
def rows():
    from orc_olive.importer.check import check_folder

    return check_folder(CORPUS)


def test_the_corpus_is_all_there(rows):
    assert len(rows) >= MIN_CONFIGS


# Olive's templates that RunConfig accepts but `olive run` could not run as they are, which orc therefore
# refuses as recipes: one lists alternative passes for a script to pick from (OptimumConversion after
# OnnxConversion), one builds with ModelBuilder from OnnxConversion's ONNX model (Olive 0.13 raises "model
# building is available only with HfModel as input"; only `metadata_only` takes ONNX), one leaves out
# ModelBuilder's required `precision`.
REFUSED_TEMPLATES = {
    "olive/v0.9.2/examples/llama2/llama2_model_builder_template.json": "ModelBuilder works on a PyTorch model, but an earlier step already produced ONNX",
    "olive/v0.9.2/examples/phi2/phi2_optimize_template.json": "works on a PyTorch model, but an earlier step already produced ONNX",
    "olive/v0.9.2/examples/phi3/phi3_template.json": "required field 'precision' is missing",
}


def test_every_config_olive_accepts_round_trips_exactly(rows):
    accepted = [r for r in rows if r.accepted]
    assert len(accepted) >= 200
    failing = {r.config: r.differences or r.error for r in accepted if not r.round_trips}
    assert set(failing) == set(REFUSED_TEMPLATES), failing
    assert all(REFUSED_TEMPLATES[config] in why for config, why in failing.items())


def test_share_of_configs_that_import_and_round_trip_does_not_drop(rows):
    assert sum(r.round_trips for r in rows) >= MIN_ROUND_TRIPS


def test_the_cookbook_config_comes_back_as_a_workflow_olive_accepts(rows):
    (row,) = [r for r in rows if r.config.startswith("phi3cookbook/")]
    assert not row.accepted and row.imported and row.round_trips
    assert any("eval_dataset_size" in u for u in row.unsupported)


def test_the_lab_configs_round_trip(rows):
    lab = [r for r in rows if r.config.startswith("olive-cli-0.13/")]
    assert len(lab) == 3 and all(r.accepted and r.round_trips for r in lab)


def test_a_changed_value_is_reported_as_a_difference(tmp_path):
    import json

    from orc_olive.olive.equivalence import differences, normalise

    config = json.loads((CORPUS / "olive-cli-0.13" / "02_finetune_lora.json").read_text())
    changed = json.loads(json.dumps(config))
    changed["passes"]["f"]["r"] = 32
    changed["data_configs"][0]["pre_process_data_config"]["max_seq_len"] = 512
    left, right = normalise(config, tmp_path), normalise(changed, tmp_path)
    assert differences(left.data, right.data) == [
        "data_configs.train_data.pre_process_data_config.params.max_seq_len",
        "passes.f[0].config.r",
        "passes.f[0].config.train_data_config.pre_process_data_config.params.max_seq_len",
    ]


def test_cli_check_prints_the_table(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "orc_olive", "import", "--check", str(CORPUS / "olive-cli-0.13")], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["config", "imported", "round-trips", "differences", "unsupported"]
    assert [line.split()[:3] for line in lines[1:4]] == [[f"{n}.json", "yes", "yes"] for n in ("01_quantize_awq", "02_finetune_lora", "03_auto_opt_adapter")]
    assert lines[4].startswith("3 configs: 3 imported, 3 round-trip (100.0%)")


def test_pass_groups_search_spaces_and_engine_options_round_trip(tmp_path):
    import json

    from orc_olive.importer.check import check_config

    config = {
        "input_model": {"type": "HfModel", "model_path": "org/model", "task": "text-classification"},
        "systems": {"local_system": {"type": "LocalSystem", "accelerators": [{"device": "cpu", "execution_providers": ["CPUExecutionProvider"]}]}},
        "data_configs": [{"name": "glue", "type": "HuggingfaceContainer", "load_dataset_config": {"data_name": "nyu-mll/glue", "subset": "mrpc", "split": "validation"},
                          "pre_process_data_config": {"input_cols": ["sentence1", "sentence2"], "max_samples": 10}, "dataloader_config": {"batch_size": 1}}],
        "evaluators": {"common": {"metrics": [
            {"name": "accuracy", "type": "accuracy", "data_config": "glue", "sub_types": [{"name": "accuracy_score", "priority": 1, "goal": {"type": "max-degradation", "value": 0.01}}]},
            {"name": "latency", "type": "latency", "data_config": "glue", "sub_types": [{"name": "avg", "priority": 2}]},
        ]}},
        "evaluator": "common",
        "passes": {
            "conversion": [{"type": "OnnxConversion", "target_opset": 17}, {"type": "OnnxConversion", "target_opset": 19}],
            "quantization": {"type": "OnnxQuantization", "weight_type": "SEARCHABLE_VALUES", "data_config": "glue"},
        },
        "search_strategy": {"execution_order": "joint", "sampler": "sequential"},
        "packaging_config": [{"type": "Zipfile", "name": "OutputModel"}],
        "clean_evaluation_cache": True,
        "host": "local_system",
        "target": "local_system",
        "output_dir": "out",
    }  # fmt: skip
    (tmp_path / "workflow.json").write_text(json.dumps(config))
    row = check_config(tmp_path / "workflow.json", tmp_path)
    assert row.accepted and row.round_trips, (row.differences, row.error)
    from orc_olive.importer.convert import import_file

    recipe = import_file(tmp_path / "workflow.json").recipe
    assert recipe["steps"][0]["onnx_conversion"]["group"] == [{"type": "OnnxConversion", "target_opset": 19}]
    assert recipe["evaluate"]["metrics"][0]["measures"][0]["goal"] == {"type": "max-degradation", "value": 0.01}
    assert recipe["olive"]["search_strategy"] == config["search_strategy"]


@pytest.mark.parametrize("name", ["02_finetune_lora", "03_auto_opt_adapter"])
def test_cli_import_then_compile_gives_an_equivalent_workflow(name, tmp_path):
    import json
    import shutil

    from orc_olive.olive.equivalence import differences, normalise

    config = tmp_path / f"{name}.json"
    shutil.copy(CORPUS / "olive-cli-0.13" / f"{name}.json", config)
    (tmp_path / "data").mkdir()  # with its data file there, the lab's dataset becomes a typed `datasets:` entry
    (tmp_path / "data" / "data_sample_travel.jsonl").write_text('{"prompt": "p", "response": "r"}\n')
    proc = subprocess.run([sys.executable, "-m", "orc_olive", "import", str(config), "-o", str(tmp_path / "recipe.yaml")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    # the model the lab's earlier command makes is not there yet: imported as the config names it, with a warning
    models = {"02_finetune_lora": ["models/phi/awq"], "03_auto_opt_adapter": ["models/phi/ft/model", "models/phi/ft/adapter"]}[name]
    for model in models:
        assert f"warning: olive.input_model.{'adapter_path' if model.endswith('adapter') else 'model_path'}: model folder not found: {model}" in proc.stderr
        assert "orc validate refuses it until it is there" in proc.stderr
        (tmp_path / model).mkdir(parents=True)
        (tmp_path / model / ("adapter_config.json" if model.endswith("adapter") else "config.json")).write_text('{"model_type": "phi3"}')
    proc = subprocess.run([sys.executable, "-m", "orc_olive", "compile", str(tmp_path / "recipe.yaml"), "-o", str(tmp_path / "out.json")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    original = normalise(json.loads(config.read_text()), tmp_path)
    compiled = normalise(json.loads((tmp_path / "out.json").read_text()), tmp_path)
    assert original.ok and compiled.ok
    assert differences(original.data, compiled.data) == []
    recipe = (tmp_path / "recipe.yaml").read_text()
    assert ("datasets:\n  train_data:" in recipe) == (name == "02_finetune_lora")


def test_cli_check_of_one_older_config_says_it_was_modernised():
    proc = subprocess.run(
        [sys.executable, "-m", "orc_olive", "import", "--check", str(CORPUS / "phi3cookbook" / "code" / "04.Finetuning" / "olive-ort-example" / "phrase-classification.json")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0 and proc.stderr == ""
    row = proc.stdout.splitlines()[1]
    assert row.split()[:4] == ["phrase-classification.json", "yes", "yes", "(modernised)"] and "passes.lora.eval_dataset_size" in row
