"""The files the `olive:` block names (checks/olive_files.py): the carried input model's paths follow the
rules of `model.path`, and the carried data configs' local data files must be there."""

import json

import pytest

from orc_olive.build.compile import compile_document
from orc_olive.checks.olive_files import files_may_be_absent
from orc_olive.importer.convert import import_config
from orc_olive.source.loader import load_text


def errors(tmp_path, olive: str, steps: str = "  - pass: {type: OnnxQuantization}\n"):
    """The errors the `olive:` block gets (the step is there for the recipe to have one)."""
    text = f"name: r\nsteps:\n{steps}olive:\n{olive}"
    result = compile_document(load_text(text, str(tmp_path / "r.yaml")))
    return [(d.dotted_path, d.message) for d in result.diagnostics.errors if d.dotted_path.startswith("olive.")]


@pytest.mark.parametrize("model,found", [
    ("{type: ONNXModel, model_path: model.onnx}", "model file or folder not found: model.onnx"),
    ("{type: ONNXModel, model_path: out/model.onnx}", "model file or folder not found: out/model.onnx"),
    ("{type: onnxmodel, config: {model_path: gone}}", "model file or folder not found: gone"),  # an older layout, any case
    ("{type: ONNXModel, model_path: {type: azureml_registry_model, config: {registry_name: r, name: n, version: '1'}}}", None),
])  # fmt: skip
def test_a_carried_onnx_model_must_be_on_disk(tmp_path, model, found):
    problems = [m for p, m in errors(tmp_path, f"  input_model: {model}\n") if p.startswith("olive.input_model")]
    assert problems == ([found] if found else [])
    if found:
        target = tmp_path / found.rsplit(": ", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"")
        assert [p for p, _ in errors(tmp_path, f"  input_model: {model}\n") if p.startswith("olive.input_model")] == []


@pytest.mark.parametrize("path,problem", [
    ("microsoft/Phi-3-mini-4k-instruct", None),  # a hub id
    ("models/phi/awq", "model folder not found: models/phi/awq"),  # two slashes: a local path
    ("./phi", "model folder not found: ./phi"),
    ("https://huggingface.co/org/name", "is a web address, not a Hugging Face model id"),
    ("org/name", "model folder not found: org/name"),  # 'org' is a folder beside the recipe
])  # fmt: skip
def test_a_carried_hf_model_follows_the_rules_of_model_path(tmp_path, path, problem):
    (tmp_path / "org").mkdir()
    steps = "  - lora: {dataset: d}\n"
    data = "  data_configs: [{name: d, type: HuggingfaceContainer, load_dataset_config: {data_name: org/data, split: train}}]\n"
    found = errors(tmp_path, f"  input_model: {{type: HfModel, task: text-generation, model_path: {json.dumps(path)}}}\n{data}", steps)
    problems = [m for p, m in found if p == "olive.input_model.model_path"]
    assert (problems == []) if problem is None else (len(problems) == 1 and problem in problems[0]), found


def test_carried_adapter_and_script_paths_must_be_there(tmp_path):
    model = "  input_model: {type: PyTorchModel, model_path: models/a/b, model_script: user.py, script_dir: scripts, adapter_path: ./adapter}\n"
    assert sorted(errors(tmp_path, model)) == [
        ("olive.input_model.adapter_path", "model folder not found: ./adapter"),
        ("olive.input_model.model_path", "model folder not found: models/a/b"),
        ("olive.input_model.model_script", "model script not found: user.py"),
        ("olive.input_model.script_dir", "script dir not found: scripts"),
    ]


def test_carried_data_files_are_looked_for_where_datasets_looks(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "train.json").write_text("[]")
    configs = [
        {"name": "a", "load_dataset_config": {"data_name": "json", "data_dir": "d", "data_files": {"train": "train.json", "test": ["test.json"]}}},
        {"name": "b", "load_dataset_config": {"data_name": "csv", "data_dir": "nowhere"}},
        {"name": "c", "load_dataset_config": {"data_name": "org/data", "data_files": "nope/*.parquet"}},  # in the hub repo
        {"name": "e", "load_dataset_config": {"data_name": "json", "data_files": "https://example.com/x.json"}},  # not local
    ]
    found = errors(tmp_path, f"  input_model: {{type: HfModel, model_path: org/m}}\n  data_configs: {json.dumps(configs)}\n")
    assert found == [
        ("olive.data_configs[0].load_dataset_config.data_files.test[0]", "data file not found: test.json"),
        ("olive.data_configs[1].load_dataset_config.data_dir", "data folder not found: nowhere"),
    ]


def test_while_importing_they_are_collected_as_warnings(tmp_path):
    text = "name: r\nsteps:\n  - pass: {type: OnnxQuantization}\nolive:\n  input_model: {type: ONNXModel, model_path: model.onnx}\n"
    with files_may_be_absent() as absent:
        result = compile_document(load_text(text, str(tmp_path / "r.yaml")))
    assert result.ok and [(d.severity, d.message) for d in absent] == [("warning", "model file or folder not found: model.onnx")]
    imported = import_config({"input_model": {"type": "ONNXModel", "model_path": "m.onnx"}, "passes": {"q": {"type": "OnnxQuantization"}}, "output_dir": "out"},
                             tmp_path / "w.json", tmp_path / "w.yaml")  # fmt: skip
    assert imported.ok and [d.dotted_path for d in imported.absent] == ["olive.input_model.model_path"]
    assert imported.absent[0].line == imported.text.splitlines().index("  input_model: {type: ONNXModel, model_path: m.onnx}") + 1
