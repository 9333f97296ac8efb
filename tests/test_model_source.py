"""Where the input model comes from (issue 14): an AzureML registry model compiles to the resource Olive 0.13
resolves, a value that is not a hub id is checked as a local path, the output of another run is not taken
for a Hugging Face model, and AzureML datastore data is refused where Olive cannot read it.

Each compiled model source is handed to Olive's own code (ModelConfig, its resource parser, its cache's
resource resolution and the model handler), offline: nothing is downloaded.
"""

import json
import shutil
import subprocess
import sys

import pytest

from orc_olive.build.compile import compile_file
from orc_olive.olive.run_config import olive_available, run_config_errors
from orc_olive.recipe.model_source import model_source

from .conftest import ROOT, recipe_copy

TINY = ROOT / "examples" / "tiny-phi3"
needs_olive = pytest.mark.skipif(not olive_available(), reason="olive-ai is not installed")
URI = "azureml://registries/azureml/models/Phi-3.5-mini-instruct/versions/4"
TYPED = "  azureml: {registry: azureml-msr, name: microsoft/Phi-3-mini-4k-instruct, version: 11}\n"


def compile_recipe(tmp_path, model: str, rest: str = "steps:\n  - model_builder: {precision: int4}\n", name: str = "r"):
    """A recipe in tmp_path with `model:` lines `model` (a string is a `path:`), compiled."""
    lines = model if model.startswith("  ") else f"  path: {json.dumps(model)}\n"
    recipe = tmp_path / f"{name}.yaml"
    recipe.write_text(f"name: {name}\nmodel:\n{lines}{rest}")
    return compile_file(recipe)


def errors(result):
    return [(d.dotted_path, d.message, d.hint, d.code) for d in result.diagnostics.errors]


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("microsoft/Phi-3.5-mini-instruct", "hub"),
        ("gpt2", "hub"),
        ("model-cache/microsoft/phi-3-mini", "local"),
        ("./phi", "local"),
        ("../models/phi", "local"),
        ("/opt/models/phi", "local"),
        ("~/models/phi", "local"),
        ("C:\\models\\phi", "local"),
        ("https://huggingface.co/microsoft/phi-2", "hf_url"),
        ("https://huggingface.co/microsoft/phi-2/tree/main", "hf_url"),
        ("s3://bucket/model", "url"),
        (URI, "azureml"),
        ("azureml://registries/r/models/a/b/versions/1", "bad_azureml"),
        ("azureml://registries/r/models/m", "bad_azureml"),
        ("azureml:my-model:1", "bad_azureml"),
        ("org/name with space", "bad_id"),
        ("org/{{name}}", "bad_id"),
    ],
)
def test_a_model_path_is_classified_from_its_text(value, kind):
    assert model_source(value).kind == kind


def test_a_registry_uri_and_the_typed_form_compile_to_olives_registry_resource(tmp_path):
    by_uri = compile_recipe(tmp_path, URI)
    typed = compile_recipe(tmp_path, TYPED + "  task: text-generation\n", name="t")
    assert by_uri.ok and typed.ok, errors(by_uri) + errors(typed)
    assert by_uri.workflow["input_model"]["model_path"] == {
        "type": "azureml_registry_model", "config": {"registry_name": "azureml", "name": "Phi-3.5-mini-instruct", "version": "4"}
    }
    assert typed.workflow["input_model"] == {
        "type": "HfModel", "task": "text-generation",
        "model_path": {"type": "azureml_registry_model", "config": {"registry_name": "azureml-msr", "name": "microsoft/Phi-3-mini-4k-instruct", "version": "11"}},
    }
    assert typed.recipe.model.path == "azureml://registries/azureml-msr/models/microsoft/Phi-3-mini-4k-instruct/versions/11"


@needs_olive
@pytest.mark.parametrize("model", [URI, TYPED], ids=["uri", "typed"])
def test_olive_resolves_the_compiled_registry_model_and_builds_its_hf_model_from_it(tmp_path, model):
    from olive.cache import CacheConfig
    from olive.common.utils import hash_dict
    from olive.model.config.model_config import ModelConfig
    from olive.resource_path import AzureMLRegistryModel, create_resource_path

    result = compile_recipe(tmp_path, model)
    assert result.ok, errors(result)
    assert run_config_errors(result.workflow, tmp_path) == []  # the whole workflow, through Olive's RunConfig
    config = ModelConfig.model_validate(result.workflow["input_model"])
    resource = config.get_resource_paths()["model_path"]
    assert isinstance(resource, AzureMLRegistryModel) and resource.is_azureml_resource()
    assert resource.get_path() == result.recipe.model.path  # Olive's URI of it is the recipe's
    assert config.get_model_id()  # the engine's model id, computed without Azure
    # What the engine does before the first pass (Engine._run_pass: cache.prepare_resources_for_local): the
    # registry model is looked up in Olive's resource cache; seeded with the tiny model, no download happens.
    cache = CacheConfig(cache_dir=str(tmp_path / "cache")).create_cache()
    cache.get_resource_cache_path().mkdir(parents=True, exist_ok=True)
    seeded = {"source": resource.to_json(), "dest": {"type": "folder", "config": {"path": str(TINY)}}}
    (cache.get_resource_cache_path() / f"{hash_dict(resource.to_json())[:8]}.json").write_text(json.dumps(seeded))
    handler = cache.prepare_resources_for_local(config).create_model()
    assert type(handler).__name__ == "HfModelHandler" and handler.model_path == str(TINY)
    assert handler.get_hf_model_config().model_type == "phi3"
    # the plain string orc used to write: Olive takes it for a hub id (and fails with "Repo id must be ...")
    assert create_resource_path(URI).is_string_name()


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("azureml://registries/azureml/models/Phi-3.5-mini-instruct", "write azureml://registries/<registry>/models/<name>/versions/<version>"),
        ("azureml://registries/azureml-msr/models/microsoft/Phi-3-mini-4k-instruct/versions/11",
         "write `azureml: {registry: azureml-msr, name: microsoft/Phi-3-mini-4k-instruct, version: 11}` in place of `path`"),
        ("azureml:phi3:1", "or `azureml: {registry, name, version}`"),
    ],
)
def test_a_malformed_azureml_uri_is_a_located_error_giving_the_valid_form(tmp_path, value, hint):
    result = compile_recipe(tmp_path, value)
    ((path, message, got_hint, code),) = errors(result)
    assert (path, code) == ("model.path", "invalid") and "is not an AzureML registry model URI" in message and hint in got_hint
    assert (result.diagnostics.errors[0].line, result.diagnostics.errors[0].column) == (3, 9)


def test_the_typed_azureml_form_needs_each_part_and_excludes_path(tmp_path):
    both = compile_recipe(tmp_path, f"  path: org/m\n{TYPED}")
    assert [e[:2] for e in errors(both)] == [("model", "give either 'path' or 'azureml: {registry, name, version}', not both")]
    neither = compile_recipe(tmp_path, "  task: text-generation\n")
    assert [e[0] for e in errors(neither)] == ["model"] and "required field 'path' (or 'azureml') is missing" in errors(neither)[0][1]
    bad = compile_recipe(tmp_path, "  azureml: {registry: a/b, name: m/, version: 1.5}\n")
    assert {e[0] for e in errors(bad)} == {"model.azureml.registry", "model.azureml.name", "model.azureml.version"}


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("model-cache/microsoft/phi-3-mini", "more than one '/' makes it a local path, not a hub id"),
        ("./phi", "looked in"),
        ("../phi", "looked in"),
        ("/no/such/phi", "looked in /no/such/phi"),
        ("~/phi", "'~' is not expanded"),
        ("models/phi", "'models' is a folder beside the recipe, so this is a local path, not a hub id"),
        ("models/phi-3", "did you mean 'models/phi3'?"),
    ],
)
def test_a_value_that_is_not_a_hub_id_is_a_local_path_that_must_exist(tmp_path, value, hint):
    (tmp_path / "models" / "phi3").mkdir(parents=True)
    ((path, message, got_hint, code),) = errors(compile_recipe(tmp_path, value))
    assert (path, message, code) == ("model.path", f"model folder not found: {value}", "missing_file") and hint in got_hint


def test_a_hugging_face_web_address_is_refused_with_the_id_to_write(tmp_path):
    ((path, message, hint, _),) = errors(compile_recipe(tmp_path, "https://huggingface.co/microsoft/Phi-3.5-mini-instruct"))
    assert path == "model.path" and "is a web address, not a Hugging Face model id" in message
    assert hint == "write the model's id, 'microsoft/Phi-3.5-mini-instruct'"
    ((_, message, _, _),) = errors(compile_recipe(tmp_path, "org/name with space"))
    assert "is neither a Hugging Face model id nor a folder" in message


def test_hub_ids_and_model_folders_still_compile_as_strings(tmp_path):
    shutil.copytree(TINY, tmp_path / "models" / "tiny")
    for value in ("microsoft/Phi-3.5-mini-instruct", "gpt2", "models/tiny", "./models/tiny"):
        result = compile_recipe(tmp_path, value)
        assert result.ok and result.workflow["input_model"]["model_path"] == value, errors(result)


def olive_output(folder, files):
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


ONNX_OUTPUT = {
    "model_config.json": json.dumps({"type": "onnxmodel", "config": {"model_path": "/gone/.orc-staging-model", "onnx_file_name": "model.onnx"}}),
    "genai_config.json": "{}",
    "config.json": json.dumps({"model_type": "phi3"}),
    "model.onnx": "",
}


def test_a_handmade_olive_onnx_output_is_refused_saying_what_to_point_at(tmp_path):
    olive_output(tmp_path / "out" / "model", ONNX_OUTPUT)
    ((path, message, hint, _),) = errors(compile_recipe(tmp_path, "out/model"))
    assert path == "model.path" and message.startswith("out/model is an ONNX model written by an Olive run (it holds model_config.json)")
    assert "point model.path at the Hugging Face model it was built from" in hint
    assert "`olive: {input_model: {type: ONNXModel, model_path: out/model, onnx_file_name: model.onnx}}` in place of `model:`" in hint
    # its parent folder (Olive's output_dir): the model folder inside is named
    ((_, message, hint, _),) = errors(compile_recipe(tmp_path, "out"))
    assert message == "out is not a Hugging Face model folder: it has no config.json" and hint == "did you mean 'out/model'?"


def test_other_folders_hf_model_cannot_load_are_refused(tmp_path):
    olive_output(tmp_path / "genai", {"genai_config.json": "{}", "model.onnx": ""})  # ModelBuilder's output, no Olive config
    olive_output(tmp_path / "adapter_run", {"model_config.json": json.dumps({"type": "hfmodel", "config": {"model_path": "/m/base", "adapter_path": "/m/adapter"}})})
    olive_output(tmp_path / "no_type", {"config.json": json.dumps({"architectures": ["X"]})})
    olive_output(tmp_path / "remote", {"config.json": json.dumps({"auto_map": {"AutoConfig": "configuration_x.XConfig"}})})
    olive_output(tmp_path / "merged", {"model_config.json": json.dumps({"type": "hfmodel", "config": {}}), "config.json": json.dumps({"model_type": "phi3"})})
    assert "is an ONNX model, not a Hugging Face model" in errors(compile_recipe(tmp_path, "./genai"))[0][1]
    ((_, message, hint, _),) = errors(compile_recipe(tmp_path, "./adapter_run"))
    assert "is the output of an Olive run (its model_config.json names model_path: /m/base, adapter_path: /m/adapter)" in message
    assert "config.json has no model_type" in errors(compile_recipe(tmp_path, "./no_type"))[0][1]
    for loadable in ("./remote", "./merged"):  # remote code with an AutoConfig; an Olive HF output with its config.json
        assert compile_recipe(tmp_path, loadable).ok


@pytest.mark.integration
@needs_olive
def test_a_real_orc_output_is_refused_and_the_suggested_onnx_input_is_what_olive_loads(tmp_path):
    from olive.model.config.model_config import ModelConfig

    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    env = {"CI": "1", "OLIVE_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-m", "orc_olive", "compile-and-run", "-q", str(recipe)], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    out = tmp_path / "out" / "model"
    assert (out / "model_config.json").is_file()
    ((path, message, hint, _),) = errors(compile_recipe(tmp_path, "out/model", name="next"))
    assert path == "model.path" and "out/model is an ONNX model written by an Olive run" in message
    # Olive's HfModel on that folder has no weights to load: what the recipe would have failed with
    with pytest.raises(OSError, match="no file named model.safetensors"):
        ModelConfig.model_validate({"type": "HfModel", "config": {"model_path": str(out)}}).create_model().load_model()
    # the hint's form compiles in orc, and Olive builds an ONNX model handler from it that loads
    onnx_input = "olive:\n  input_model: {type: ONNXModel, model_path: out/model, onnx_file_name: model.onnx}\n"
    recipe = tmp_path / "onnx.yaml"
    recipe.write_text(f"name: onnx\nsteps:\n  - pass: {{type: OnnxPeepholeOptimizer}}\n{onnx_input}")
    result = compile_file(recipe)
    assert result.ok, errors(result)
    assert run_config_errors(result.workflow, tmp_path) == []
    config = dict(result.workflow["input_model"], model_path=str(out))
    handler = ModelConfig.model_validate({"type": config.pop("type"), "config": config}).create_model()
    assert type(handler).__name__ == "ONNXModelHandler" and handler.load_model().graph.node


CLOUD = """  path: microsoft/Phi-3-mini-4k-instruct
steps:
  - lora: {{dataset: cloud, torch_dtype: float32}}
{target}olive:
  data_configs:
    - name: cloud
      type: HuggingfaceContainer
      load_dataset_config:
        data_name: json
        split: train
        data_files: {{type: azureml_datastore, config: {{datastore_name: workspaceblobstore, relative_path: data/train.jsonl}}}}
"""
AZUREML_TARGET = ("target:\n  device: gpu\n  system: azureml\n  azureml: {subscription_id: 01234567-89ab-cdef-0123-456789abcdef,"
                  " resource_group: rg, workspace: my-workspace, compute: gpu-cluster}\n")


def _targets():
    docker = ROOT / "tests" / "cases" / "data" / "docker"
    return {
        "local": "",
        "docker": f"target:\n  system: docker\n  docker: {{dockerfile: Dockerfile, build_context: {docker}}}\n",
        "python_env": f"target:\n  system: python_env\n  python_env: {{python_environment_path: {sys.executable.rsplit('/', 1)[0]}}}\n",
    }


@pytest.mark.parametrize("system", ["local", "docker", "python_env"])
def test_datastore_data_is_refused_off_azureml(tmp_path, system):
    result = compile_recipe(tmp_path, CLOUD.format(target=_targets()[system]), "")
    ((path, message, hint, code),) = errors(result)
    assert path == "olive.data_configs[0].load_dataset_config.data_files" and code == "unsupported"
    assert f"the data is an AzureML datastore ('azureml_datastore'): Olive 0.13 has no resource for it, so `olive run` on a {system} target" in message
    assert "run it as an AzureML job" in hint


def test_datastore_data_on_an_azureml_target_is_left_to_that_target(tmp_path):
    result = compile_recipe(tmp_path, CLOUD.format(target=AZUREML_TARGET), "")
    assert not [e for e in errors(result) if e[3] == "unsupported"], errors(result)


def test_a_datastore_in_a_typed_dataset_is_refused_off_azureml(tmp_path):
    rest = "datasets:\n  d:\n    files: {type: azureml_datastore, config: {datastore_name: ws, relative_path: t.jsonl}}\nsteps:\n  - lora: {dataset: d}\n"
    result = compile_recipe(tmp_path, "microsoft/Phi-3-mini-4k-instruct", rest)
    assert not result.ok and any(e[0].startswith("datasets.d.files") for e in errors(result)), errors(result)


@needs_olive
def test_olive_has_no_datastore_resource_though_its_run_config_accepts_the_data_config(tmp_path):
    from olive.resource_path import create_resource_path

    with pytest.raises(ValueError, match="azureml_datastore"):
        create_resource_path({"type": "azureml_datastore", "config": {"datastore_name": "w", "relative_path": "t.jsonl"}})
    result = compile_recipe(tmp_path, CLOUD.format(target=AZUREML_TARGET), "")  # compiled: the azureml target keeps it
    assert result.workflow is not None, errors(result)
    assert run_config_errors(result.workflow, tmp_path) == []  # RunConfig's parse alone lets it through
