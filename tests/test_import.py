"""`orc import` without Olive: legacy rewrites, typed sections, the `olive:` block, comments, paths, determinism."""

import json
import subprocess
import sys

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from orc_olive.build.compile import compile_document
from orc_olive.checks.olive_files import files_may_be_absent
from orc_olive.importer.convert import import_config, import_file
from orc_olive.importer.legacy import modernise
from orc_olive.importer.yaml_emit import dump
from orc_olive.source.loader import load_text

from .conftest import CORPUS, ROOT

COOKBOOK = CORPUS / "phi3cookbook" / "code" / "04.Finetuning" / "olive-ort-example" / "phrase-classification.json"
LAB = CORPUS / "olive-cli-0.13"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not beside the checkout")


def compile_text(text, file):
    result = compile_document(load_text(text, str(file)))
    assert result.ok, [str(d) for d in result.diagnostics]
    return result.workflow


@needs_corpus
def test_cookbook_config_becomes_a_modern_recipe_with_notes(tmp_path):
    imported = import_file(COOKBOOK, tmp_path / "phrase.yaml")
    assert imported.ok, imported.errors
    lora = imported.recipe["steps"][0]["lora"]
    assert (lora["r"], lora["alpha"], lora["dropout"]) == (64, 64, 0.1)
    assert lora["training"]["eval_strategy"] == "steps" and "evaluation_strategy" not in lora["training"]
    assert "eval_dataset_size" not in lora
    assert imported.recipe["model"] == {"path": "microsoft/Phi-3-mini-4k-instruct", "task": "text-generation", "trust_remote_code": True}
    # every dropped field is reported with its reason, and written above the step that held it
    assert any("eval_dataset_size" in u for u in imported.unsupported)
    text = imported.text
    assert "# dropped passes.lora.eval_dataset_size: Olive 0.13 no longer splits the training data" in text
    assert "# passes.lora.lora_r -> passes.lora.r: renamed in Olive 0.13" in text
    assert text.index("lora_r -> passes.lora.r") < text.index("- lora:")
    workflow = compile_text(text, tmp_path / "phrase.yaml")
    assert workflow["passes"]["lora"]["r"] == 64 and "lora_r" not in workflow["passes"]["lora"]
    assert workflow["data_configs"][0]["pre_process_data_config"]["strategy"] == "join"
    assert "dataset_type" not in workflow["data_configs"][0]["pre_process_data_config"]


@needs_corpus
def test_lab_finetune_config_uses_typed_model_target_and_lora_step(tmp_path):
    config = json.loads((LAB / "02_finetune_lora.json").read_text())
    # the lab's first command's output (an HF model): 'models/phi/awq' is a local path, checked to exist
    (tmp_path / "models" / "phi" / "awq").mkdir(parents=True)
    (tmp_path / "models" / "phi" / "awq" / "config.json").write_text('{"model_type": "phi3"}')
    imported = import_config(config, tmp_path / "02_finetune_lora.json", tmp_path / "02_finetune_lora.yaml")
    assert imported.ok
    recipe = imported.recipe
    assert recipe["model"] == {"path": "models/phi/awq", "trust_remote_code": True, "load_kwargs": {"attn_implementation": "eager"}}
    assert recipe["target"] == {"device": "gpu", "provider": "CUDAExecutionProvider"}
    assert recipe["steps"] == [{"lora": {"id": "f", "dataset": "train_data", "torch_dtype": "bfloat16", "training": {"max_steps": 100}, "r": 64, "alpha": 16}}]
    assert recipe["olive"]["cache_config"] == config["cache_config"]


def test_modern_config_compiles_back_to_the_same_fields(tmp_path):
    config = {
        "input_model": {"type": "HfModel", "model_path": "org/model", "task": "text-generation"},
        "systems": {"gpu": {"type": "LocalSystem", "accelerators": [{"device": "gpu", "execution_providers": ["CUDAExecutionProvider"]}]}},
        "data_configs": [{"name": "d", "type": "HuggingfaceContainer", "load_dataset_config": {"data_name": "org/data", "split": "train"}}],
        "evaluators": {"e": {"type": "OnnxEvaluator", "metrics": [{"name": "lat", "type": "latency", "sub_types": [{"name": "avg", "priority": 1}], "data_config": "d"}]}},
        "evaluator": "e",
        "search_strategy": {"execution_order": "joint", "sampler": "tpe", "max_samples": 3},
        "passes": {
            "conv": {"type": "OnnxConversion", "target_opset": 17},
            "quant": {"type": "OnnxQuantization", "weight_type": "SEARCHABLE_VALUES", "host": "gpu", "per_channel": True},
        },
        "host": "gpu",
        "target": "gpu",
        "packaging_config": [{"type": "Zipfile", "name": "out"}],
        "output_dir": "out",
        "evaluate_input_model": False,  # Olive would evaluate the HF input model with the ONNX model's evaluator
    }
    imported = import_config(config, tmp_path / "w.json", tmp_path / "w.yaml")
    assert imported.ok, imported.errors
    recipe = imported.recipe
    assert recipe["evaluate"]["name"] == "e" and recipe["evaluate"]["metrics"][0]["dataset"] == "d"
    assert recipe["steps"][0] == {"onnx_conversion": {"id": "conv", "target_opset": 17}}
    quant = recipe["steps"][1]["pass"]
    assert quant["per_channel"] is True and quant["olive"] == {"weight_type": "SEARCHABLE_VALUES", "host": "gpu"}
    workflow = compile_text(imported.text, tmp_path / "w.yaml")
    for key in ("input_model", "systems", "evaluators", "evaluator", "search_strategy", "packaging_config", "host", "target", "output_dir"):
        assert workflow[key] == config[key], key
    assert list(workflow["passes"]) == ["conv", "quant"]
    assert workflow["passes"]["quant"] == {"type": "OnnxQuantization", "per_channel": True, "weight_type": "SEARCHABLE_VALUES", "host": "gpu"}


def test_script_references_are_relative_to_the_new_recipe(tmp_path):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "user_script.py").write_text("")
    config = {
        "input_model": {"type": "PyTorchModel", "model_path": "model.pt", "model_loader": "load", "model_script": "user_script.py"},
        "data_configs": [{"name": "d", "user_script": "user_script.py", "script_dir": "utils", "load_dataset_config": {"type": "my_dataset"}}],
        "passes": {"conv": {"type": "OnnxConversion"}},
    }
    imported = import_config(config, tmp_path / "proj" / "w.json", tmp_path / "recipes" / "w.yaml")
    assert imported.ok, imported.errors
    olive = imported.recipe["olive"]
    assert olive["data_configs"][0]["user_script"] == "../proj/user_script.py"
    assert olive["data_configs"][0]["script_dir"] == "../proj/utils"
    assert olive["input_model"]["model_script"] == "../proj/user_script.py"
    assert olive["input_model"]["model_path"] == "model.pt"  # not a file there: may be a hub id, left as written


@pytest.mark.parametrize("golden", sorted((ROOT / "tests" / "golden").glob("*.json")), ids=lambda p: p.stem)
def test_orc_workflows_import_deterministically_and_compile_back(golden):
    config = json.loads(golden.read_text())
    # as if in recipes/ (nothing is written), where the workflow was compiled and its relative paths lead
    source, recipe = ROOT / "recipes" / f"{golden.stem}.json", ROOT / "recipes" / f"{golden.stem}.imported.yaml"
    texts = {import_config(config, source, recipe).text for _ in range(2)}
    assert len(texts) == 1
    workflow = compile_text(texts.pop(), recipe)
    assert list(workflow["passes"]) == list(config["passes"])
    for data in (workflow, config):  # Olive finds data configs by name: their order carries no meaning
        data["data_configs"] = {d["name"]: d for d in data["data_configs"]}
    for key in ("passes", "input_model", "systems", "data_configs", "output_dir", "host", "target", "evaluators"):
        assert json.dumps(workflow.get(key), sort_keys=True) == json.dumps(config.get(key), sort_keys=True), key


def test_legacy_engine_block_and_hf_config_are_rewritten():
    config = {
        "input_model": {"type": "PyTorchModel", "config": {"hf_config": {"model_name": "org/m", "task": "text-generation", "model_loading_args": {"trust_remote_code": True}}}},
        "systems": {"aml": {"type": "AzureML", "config": {"aml_compute": "c"}}, "local": {"type": "LocalSystem", "config": {"accelerators": [{"device": "gpu"}]}}},
        "passes": {"q": {"type": "OrtPerfTuning", "config": {"enable_cuda_graph": True}, "disable_search": True}},
        "engine": {"host": "aml", "target": "local", "execution_providers": ["CUDAExecutionProvider"], "azureml_client": {"subscription_id": "s", "key": "hush"},
                   "search_strategy": {"execution_order": "joint", "search_algorithm": "exhaustive"}},
    }  # fmt: skip
    modern, notes = modernise(config)
    assert modern["search_strategy"] == {"execution_order": "joint", "sampler": "sequential"}
    assert modern["input_model"] == {"type": "HfModel", "model_path": "org/m", "task": "text-generation", "load_kwargs": {"trust_remote_code": True}}
    assert modern["systems"] == {"local": {"type": "LocalSystem", "accelerators": [{"device": "gpu", "execution_providers": ["CUDAExecutionProvider"]}]}}
    assert modern["passes"]["q"] == {"type": "OrtSessionParamsTuning", "enable_cuda_graph": True}
    assert "host" not in modern and modern["target"] == "local" and "azureml_client" not in modern
    dropped = {n.path: n for n in notes if n.kind == "dropped"}
    assert set(dropped) >= {("systems", "aml"), ("host",), ("azureml_client",), ("passes", "q", "disable_search")}
    assert "hush" not in dropped[("azureml_client",)].report()  # secrets are never printed


def test_olive_block_replaces_removes_and_appends(tmp_path):
    text = """name: r
model: {path: org/m}
datasets:
  mine: {hf: org/data}
steps:
  - pass: {type: OnnxConversion}
olive:
  host: null
  target: null
  systems: null
  log_severity_level: 3
  data_configs:
    - {name: theirs, type: DummyDataContainer}
"""
    workflow = compile_text(text, tmp_path / "r.yaml")
    assert "systems" not in workflow and "host" not in workflow and workflow["log_severity_level"] == 3
    assert [d["name"] for d in workflow["data_configs"]] == ["mine", "theirs"]


def test_a_recipe_needs_exactly_one_input_model(tmp_path):
    text = "name: r\nsteps:\n  - pass: {type: OnnxConversion}\n"
    result = compile_document(load_text(text, str(tmp_path / "r.yaml")))
    assert any("give exactly one input model" in d.message for d in result.diagnostics)


def test_cli_import_writes_a_recipe_and_reports_dropped_values(tmp_path):
    config = tmp_path / "old.json"
    config.write_text(json.dumps({"$schema": "x", "input_model": {"type": "HfModel", "model_path": "org/m"}, "output_dir": "models",
                                  "passes": {"c": {"type": "OnnxConversion", "config": {"target_opset": 17}}}}))
    out = tmp_path / "r" / "old.yaml"
    proc = subprocess.run([sys.executable, "-m", "orc_olive", "import", str(config), "-o", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert '$schema: dropped (an editor hint, not a workflow field; Olive 0.13 rejects unknown fields) (value was: "x")' in proc.stderr
    assert "onnx_conversion: {id: c, target_opset: 17}" in out.read_text()
    proc = subprocess.run([sys.executable, "-m", "orc_olive", "compile", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and json.loads(proc.stdout)["passes"]["c"] == {"type": "OnnxConversion", "target_opset": 17}


def test_cli_import_rejects_a_file_that_is_not_a_workflow(tmp_path):
    config = tmp_path / "x.json"
    config.write_text("{\"a\": 1")
    proc = subprocess.run([sys.executable, "-m", "orc_olive", "import", str(config)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1 and "not valid JSON" in proc.stderr and "Traceback" not in proc.stderr


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
keys = st.text(min_size=1, max_size=8).filter(lambda k: k != "<<")  # orc's loader refuses YAML merge keys
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, json_values, min_size=1, max_size=5))
def test_emitted_yaml_reads_back_as_the_same_data(data):
    assert load_text(dump(data, {(next(iter(data)),): ["a comment"]}, ["header"])).data == data


def test_named_local_system_becomes_a_typed_target_with_its_name(tmp_path):
    system = {"type": "LocalSystem", "accelerators": [{"device": "npu", "execution_providers": ["QNNExecutionProvider"]}]}
    config = {"input_model": {"type": "HfModel", "model_path": "org/m"}, "systems": {"qnn_system": system},
              "host": "qnn_system", "target": "qnn_system", "passes": {"c": {"type": "OnnxConversion"}}}  # fmt: skip
    imported = import_config(config, tmp_path / "w.json", tmp_path / "w.yaml")
    assert imported.recipe["target"] == {"device": "npu", "provider": "QNNExecutionProvider", "name": "qnn_system"}
    workflow = compile_text(imported.text, tmp_path / "w.yaml")
    assert workflow["systems"] == {"qnn_system": system} and workflow["host"] == workflow["target"] == "qnn_system"


def test_a_pass_olive_no_longer_has_is_dropped_and_reported(tmp_path):
    config = {"input_model": {"type": "HfModel", "model_path": "org/m"},
              "passes": {"c": {"type": "OnnxConversion"}, "qat": {"type": "QuantizationAwareTraining", "config": {"num_epochs": 1}}}}  # fmt: skip
    imported = import_config(config, tmp_path / "w.json", tmp_path / "w.yaml")
    assert imported.ok and [list(s) for s in imported.recipe["steps"]] == [["onnx_conversion"]]
    assert any("passes.qat: dropped (Olive 0.13 has no pass 'QuantizationAwareTraining'" in u for u in imported.unsupported)
    assert "# dropped passes.qat: Olive 0.13 has no pass 'QuantizationAwareTraining'" in imported.text


def test_a_typed_step_orc_rejects_stays_an_olive_pass_and_says_why(tmp_path):
    config = {"input_model": {"type": "HfModel", "model_path": "org/m"},
              "systems": {"local_system": {"type": "LocalSystem", "accelerators": [{"device": "cpu", "execution_providers": ["CPUExecutionProvider"]}]}},
              "host": "local_system", "target": "local_system", "passes": {"awq": {"type": "AutoAWQQuantizer", "bits": 4}}}  # fmt: skip
    imported = import_config(config, tmp_path / "w.json", tmp_path / "w.yaml")
    assert imported.recipe["steps"] == [{"pass": {"type": "AutoAWQQuantizer", "id": "awq", "bits": 4}}]
    assert "# kept as an Olive pass, as written: awq needs a CUDA GPU, but the target is cpu/CPUExecutionProvider" in imported.text
    # orc's device checks then leave the pass alone: the systems come from `olive:` as the config had them
    assert "target" not in imported.recipe and imported.recipe["olive"]["systems"] == config["systems"]
    assert "# kept as Olive systems, as written: AutoAWQQuantizer needs a CUDA GPU" in imported.text
    assert compile_text(imported.text, tmp_path / "w.yaml")["passes"]["awq"] == {"type": "AutoAWQQuantizer", "bits": 4}


config_values = st.recursive(
    json_scalars | st.sampled_from(["HfModel", "LoRA", "OnnxConversion", "local_system", "train", "config"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["type", "config", "model_path", "name", "r", "lora_r", "params_config", "accelerators", "training_args", "data_config"]) | st.text(min_size=1, max_size=6), inner, max_size=4),
    max_leaves=10,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    input_model=st.dictionaries(st.sampled_from(["type", "model_path", "task", "load_kwargs", "config", "hf_config"]), config_values, max_size=4)
    | st.fixed_dictionaries({"type": st.sampled_from(["HfModel", "PyTorchModel", "ONNXModel"]), "model_path": st.sampled_from(["org/m", "m.onnx", "."])}),
    passes=st.dictionaries(
        st.sampled_from(["conv", "lora", "q_1", "merge-2"]),
        st.fixed_dictionaries({"type": st.sampled_from(["LoRA", "OnnxConversion", "ModelBuilder", "MergeAdapterWeights"])}, optional={"config": config_values, "r": config_values, "lora_r": config_values, "precision": st.sampled_from(["int4", "fp9"]), "training_args": config_values})
        | config_values,
        min_size=1,
        max_size=3,
    ),
    extra=st.fixed_dictionaries({}, optional={
        "engine": st.dictionaries(st.sampled_from(["host", "target", "cache_dir", "execution_providers", "azureml_client"]), config_values),
        "systems": st.dictionaries(st.sampled_from(["local_system", "aml"]), config_values),
        "data_configs": st.lists(st.fixed_dictionaries({"name": st.sampled_from(["d1", "d2"])}, optional={"type": config_values, "params_config": config_values, "load_dataset_config": config_values}), unique_by=lambda d: d["name"]),
        "evaluators": st.dictionaries(st.sampled_from(["e"]), config_values),
        "host": config_values, "search_strategy": config_values, "output_dir": config_values, "$schema": config_values,
    }),
)  # fmt: skip
@example(input_model={"type": "HfModel", "model_path": "."}, passes={"conv": {"type": "OnnxConversion"}}, extra={})  # a folder with no model in it
def test_import_of_any_config_gives_a_recipe_or_errors_never_a_crash(tmp_path_factory, input_model, passes, extra):
    config = {"input_model": input_model, "passes": passes, **extra}
    folder = tmp_path_factory.mktemp("fuzz")
    imported = import_config(config, folder / "w.json", folder / "w.yaml")
    event("imported" if imported.ok else "refused")
    if imported.ok:
        # the files the config names are the config's to provide (such as a model_path "." that holds no model):
        # the recipe compiles once they are there, which is what files_may_be_absent() lets the compile assume
        with files_may_be_absent() as absent:
            compile_text(imported.text, folder / "w.yaml")
        assert [d.message for d in absent] == [d.message for d in imported.absent]


@needs_corpus
def test_lab_dataset_becomes_a_typed_dataset_when_its_file_is_there(tmp_path):
    config = json.loads((LAB / "02_finetune_lora.json").read_text())
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "data_sample_travel.jsonl").write_text('{"prompt": "p", "response": "r"}\n')
    (tmp_path / "models" / "phi" / "awq").mkdir(parents=True)  # the lab's first command's output, which the config reads
    (tmp_path / "models" / "phi" / "awq" / "config.json").write_text('{"model_type": "phi3"}')
    imported = import_config(config, tmp_path / "lab.json", tmp_path / "lab.yaml")
    assert imported.recipe["datasets"] == {
        "train_data": {
            "files": ["data/data_sample_travel.jsonl"],
            "template": "<|user|>\n{prompt}<|end|>\n<|assistant|>\n{response}<|end|>",
            "max_samples": 256,
        }
    }
    workflow = compile_text(imported.text, tmp_path / "lab.yaml")
    expected = {k: v for k, v in config["data_configs"][0].items() if v != {}}  # an empty component config is Olive's default
    assert workflow["data_configs"] == [expected]


def test_explain_names_an_olive_input_model(tmp_path):
    from orc_olive.output.explain import table

    (tmp_path / "model.onnx").write_bytes(b"")
    text = "name: r\nsteps:\n  - pass: {type: OnnxQuantization}\nolive:\n  input_model: {type: ONNXModel, model_path: model.onnx}\n"
    result = compile_document(load_text(text, str(tmp_path / "r.yaml")))
    assert result.ok, [str(d) for d in result.diagnostics]
    shown = table(result.recipe, [str(tmp_path / "r.yaml")])
    assert "model:   ONNXModel model.onnx (ONNX)" in shown
    assert result.workflow["input_model"] == {"type": "ONNXModel", "model_path": "model.onnx"}


def test_cli_import_never_writes_over_the_config(tmp_path):
    config = tmp_path / "w.yaml"
    original = "input_model: {type: HfModel, model_path: org/m}\npasses: {c: {type: OnnxConversion}}\n"
    config.write_text(original)
    proc = subprocess.run([sys.executable, "-m", "orc_olive", "import", str(config), "-o", str(config)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "is the config itself" in proc.stderr and config.read_text() == original


def test_a_separate_host_system_becomes_the_targets_host_device():
    golden = ROOT / "tests" / "golden" / "phi35-awq-lora-travel-cpu.json"
    config = json.loads(golden.read_text())
    recipe = ROOT / "recipes" / "host.imported.yaml"  # where the workflow's relative paths lead; nothing is written
    imported = import_config(config, recipe.with_suffix(".json"), recipe)
    assert imported.recipe["target"] == {"device": "cpu", "provider": "CPUExecutionProvider", "host_device": "gpu"}
    workflow = compile_text(imported.text, recipe)
    assert (workflow["systems"], workflow["host"], workflow["target"]) == (config["systems"], "host_system", "local_system")


def test_params_layout_of_the_container_components_is_flattened_and_renamed():
    config = {"input_model": {"type": "HfModel", "model_path": "m"}, "passes": {"l": {"type": "LoRA"}}, "data_configs": [
        {"name": "d", "type": "HuggingfaceContainer", "load_dataset_config": {"params": {"data_name": "json", "data_files": "d.json"}},
         "pre_process_data_config": {"params": {"source_max_len": 2048, "corpus_strategy": "join", "text_cols": ["a"], "text_template": "{a}"}}},
        {"name": "images", "type": "HuggingfaceContainer", "load_dataset_config": {"type": "image_folder_dataset", "params": {"data_dir": "x"}}},
    ]}  # fmt: skip
    modern, notes = modernise(config)
    first, images = modern["data_configs"]
    assert first["load_dataset_config"] == {"data_name": "json", "data_files": "d.json"}
    assert first["pre_process_data_config"] == {"max_seq_len": 2048, "strategy": "join", "text_template": "{a}"}
    assert images == config["data_configs"][1]  # another component's parameters stay in Olive's layout
    said = {str(n).split(":")[0] for n in notes}
    assert {"data_configs[0].pre_process_data_config.params.source_max_len -> data_configs[0].pre_process_data_config.max_seq_len",
            "data_configs[0].pre_process_data_config.params.text_cols"} <= {s.removeprefix("dropped ") for s in said}  # fmt: skip


def test_a_modern_data_config_keeps_text_cols_beside_its_template():
    # nothing else of it changed: kept as written (RunConfig compares it), the check warns instead
    data = {"name": "d", "type": "HuggingfaceContainer", "load_dataset_config": {"data_name": "x"},
            "pre_process_data_config": {"text_cols": ["a"], "text_template": "{a}"}}  # fmt: skip
    modern, notes = modernise({"input_model": {"type": "HfModel", "model_path": "m"}, "passes": {}, "data_configs": [data]})
    assert modern["data_configs"] == [data] and notes == []


@pytest.mark.parametrize("value, expected", [(True, {"train_sampling_strategy": "group_by_length"}), (False, {})])
def test_group_by_length_becomes_the_sampling_strategy(value, expected):
    config = {"input_model": {"type": "HfModel", "model_path": "m"}, "passes": {"l": {"type": "LoRA", "training_args": {"group_by_length": value}}}}
    modern, notes = modernise(config)
    assert modern["passes"]["l"]["training_args"] == expected
    assert len(notes) == 1 and "train_sampling_strategy" in str(notes[0])


def test_an_evaluator_without_a_type_imports_as_evaluate_with_the_type_olive_needs(tmp_path):
    config = {
        "input_model": {"type": "HfModel", "model_path": "org/model", "task": "text-classification"},
        "data_configs": [{"name": "d", "type": "HuggingfaceContainer", "load_dataset_config": {"data_name": "org/data", "split": "train"}}],
        "evaluators": {"common": {"metrics": [{"name": "lat", "type": "latency", "sub_types": [{"name": "avg"}], "data_config": "d"}]}},
        "evaluator": "common",
        "passes": {"conv": {"type": "OnnxConversion"}},
        "output_dir": "out",
    }
    imported = import_config(config, tmp_path / "w.json", tmp_path / "w.yaml")
    assert imported.ok, imported.errors
    assert imported.recipe["evaluate"] == {"name": "common", "metrics": [{"name": "lat", "type": "latency", "measures": [{"name": "avg"}], "dataset": "d"}]}
    assert "# the config's evaluator 'common' has no type, on which Olive 0.13 fails at start-up: orc writes OnnxEvaluator" in imported.text
    assert "evaluators" not in imported.recipe.get("olive", {})
    workflow = compile_text(imported.text, tmp_path / "w.yaml")
    assert workflow["evaluators"] == {"common": {"type": "OnnxEvaluator", **config["evaluators"]["common"]}}


@pytest.mark.parametrize("output_dir", ["<none>", None, ".", "./"])
def test_a_config_writing_into_its_own_folder_gets_an_output_folder_the_guard_accepts(tmp_path, output_dir):
    config = {"input_model": {"type": "HfModel", "model_path": "org/m"}, "passes": {"c": {"type": "OnnxConversion"}}}
    if output_dir != "<none>":
        config["output_dir"] = output_dir
    (tmp_path / "workflow.json").write_text(json.dumps(config))
    recipe = tmp_path / "workflow.yaml"
    proc = subprocess.run([sys.executable, "-m", "orc_olive", "import", str(tmp_path / "workflow.json"), "-o", str(recipe)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = recipe.read_text()
    assert "output:\n  # the config " in text and "so orc puts the model in a folder of its own" in text and "  dir: workflow-output\n" in text
    proc = subprocess.run([sys.executable, "-m", "orc_olive", "validate", str(recipe)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
