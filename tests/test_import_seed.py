"""`orc import` of the Korean seed's Olive config (the cookbook's fine-tuning config, issue 14): the recipe is
mostly typed, validates and compiles, and its data config is one Olive 0.13 really reads (2048-token
sequences, no "not part of TextGenParams" warning), where the config as published trains on 1024.

The fixture is tests/cases/import/korean-seed/ (the config and a small data file of its columns).
"""

import json
import logging
import shutil
import subprocess

import pytest

from orc_olive.build.compile import compile_file
from orc_olive.importer.convert import import_file
from orc_olive.olive.run_config import olive_available

from .conftest import ROOT

SEED = ROOT / "tests" / "cases" / "import" / "korean-seed"
TINY = ROOT / "examples" / "tiny-phi3"
needs_olive = pytest.mark.skipif(not olive_available(), reason="olive-ai is not installed")


@pytest.fixture
def seed(tmp_path):
    """A copy of the seed folder; its data file grown to more than 2048 tokens of text, so that the join
    strategy makes whole sequences of either length."""
    folder = tmp_path / "seed"
    shutil.copytree(SEED, folder)
    data = folder / "dataset" / "dataset-classification.json"
    data.write_text(data.read_text() * 200)
    return folder


@pytest.fixture
def imported(seed):
    result = import_file(seed / "config.json", seed / "recipe.yaml")
    assert result.ok, [str(e) for e in result.errors]
    (seed / "recipe.yaml").write_text(result.text)
    return result


def test_the_seed_imports_as_a_typed_recipe(imported):
    recipe = imported.recipe
    assert recipe["model"] == {"path": "microsoft/Phi-3-mini-4k-instruct", "task": "text-generation", "trust_remote_code": True}
    assert recipe["target"] == {"device": "gpu", "provider": "CUDAExecutionProvider"}
    # the `params:` layout, source_max_len and corpus_strategy became the typed dataset; text_cols (unused by
    # Olive beside a template) and dataset_type (always a corpus) are gone; Olive's add_special_tokens is kept
    assert recipe["datasets"] == {"dataset_default_train": {
        "files": "dataset/dataset-classification.json", "template": "### Text: {phrase}\n### The tone is:\n{tone}", "strategy": "join",
        "max_length": 2048, "pad_to_max_len": False, "use_attention_mask": False, "add_special_tokens": True}}  # fmt: skip
    lora = recipe["steps"][0]["lora"]
    assert (lora["r"], lora["alpha"], lora["dropout"], lora["dataset"]) == (64, 64, 0.1, "dataset_default_train")
    assert lora["training"]["eval_strategy"] == "steps" and lora["training"]["train_sampling_strategy"] == "group_by_length"
    assert not {"lora_r", "double_quant", "eval_dataset_size", "olive"} & set(lora)
    assert [next(iter(s)) for s in recipe["steps"]] == ["lora", "merge_adapters", "model_builder"]
    # what stays Olive's own is small: no data configs, no systems, no input model
    assert set(recipe["olive"]) == {"workflow_id", "search_strategy"}


def test_every_rewrite_of_the_seed_is_said(imported):
    text = imported.text
    for said in ("load_dataset_config.params -> data_configs[0].load_dataset_config", "source_max_len -> data_configs[0].pre_process_data_config.max_seq_len",
                 "dropped data_configs[0].pre_process_data_config.params.text_cols: text_template is given too, and Olive uses the template",
                 "group_by_length -> passes.lora.training_args.train_sampling_strategy", "dropped passes.lora.double_quant"):  # fmt: skip
        assert said in text, said
    assert any("double_quant" in u for u in imported.unsupported) and any("eval_dataset_size" in u for u in imported.unsupported)


def test_the_imported_seed_validates_and_compiles_with_olive(imported, seed, orc_cmd):
    compiled = compile_file(seed / "recipe.yaml")
    assert compiled.ok, [str(d) for d in compiled.diagnostics.errors]
    assert not [d for d in compiled.diagnostics.warnings if d.code == "olive_data"]
    pre = compiled.workflow["data_configs"][0]["pre_process_data_config"]
    assert (pre["max_seq_len"], pre["strategy"], "source_max_len" in pre, "text_cols" in pre) == (2048, "join", False, False)
    if olive_available():
        run = subprocess.run([*orc_cmd, "compile", "--olive", str(seed / "recipe.yaml"), "-o", str(seed / "workflow.json")], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert json.loads((seed / "workflow.json").read_text())["data_configs"] == compiled.workflow["data_configs"]


def olive_sequences(workflow, folder, caplog):
    """The training sequences Olive 0.13 makes from the workflow's first data config, with the tiny model's
    tokenizer (offline), and the warnings Olive logged meanwhile."""
    import os

    from olive.workflows.run.config import RunConfig

    workflow = {**workflow, "input_model": {"type": "HfModel", "model_path": str(TINY), "task": "text-generation"}}
    workflow = {k: v for k, v in workflow.items() if k in ("input_model", "data_configs", "passes", "systems")}
    cwd = os.getcwd()
    os.chdir(folder)  # Olive resolves data files from where it runs
    try:
        with caplog.at_level(logging.WARNING, logger="olive"):
            config = RunConfig.parse_file_or_obj(workflow)
            container = config.data_configs[0].to_data_container()
            sequences = container.pre_process(container.load_dataset())
    finally:
        os.chdir(cwd)
    inputs = [sequences[i][0] for i in range(len(sequences))]  # (inputs, labels) pairs
    return inputs, [r.getMessage() for r in caplog.records if "not part of TextGenParams" in r.getMessage()]


@needs_olive
def test_olive_reads_the_imported_data_config_as_written(imported, seed, caplog):
    sequences, ignored = olive_sequences(imported.workflow, seed, caplog)
    assert ignored == []
    assert len(sequences) > 0 and {len(s["input_ids"]) for s in sequences} == {2048}
    assert "attention_mask" not in sequences[0]  # use_attention_mask: false reached Olive


@needs_olive
def test_the_published_config_trains_on_1024_tokens(seed, caplog):
    # the bug the import fixes: Olive 0.13 ignores the seed's keys and uses its default length
    config = json.loads((seed / "config.json").read_text())
    raw = {"input_model": {}, "passes": {}, "data_configs": config["data_configs"]}
    sequences, ignored = olive_sequences(raw, seed, caplog)
    assert ignored and all(k in ignored[0] for k in ("source_max_len", "corpus_strategy", "dataset_type"))
    assert {len(s["input_ids"]) for s in sequences} == {1024}
