"""Issue 18: the seed's AzureML workflow: an inline environment (image + conda file), secrets from the
workspace key vault, cloud data as job inputs, model registration, and the variant matrix as jobs.

Every spec orc writes is loaded offline by azure-ai-ml's own load_job / load_environment / load_model;
nothing is sent anywhere (the tests run without Azure credentials)."""

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

from orc_olive.build.compile import compile_file
from orc_olive.build.outputs import planned_outputs
from orc_olive.cli.main import main
from orc_olive.render import azureml_job
from orc_olive.run import azureml_submit
from orc_olive.run.azureml_submit import CREDENTIAL_VARIABLES

from .conftest import ROOT

CLOUD = ROOT / "recipes" / "phi3-qlora-azureml-cloud.yaml"
GOLDEN = ROOT / "tests" / "golden" / "azureml" / "phi3-qlora-azureml-cloud.azureml-job.yaml"


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch):
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def aml():
    warnings.simplefilter("ignore")
    import azure.ai.ml as ml

    return ml


def cloud_copy(tmp_path: Path, edit=lambda text: text) -> Path:
    """The shipped cloud recipe in tmp_path/recipes, with the conda file beside it at ../examples/azureml."""
    (tmp_path / "recipes").mkdir(parents=True, exist_ok=True)
    (tmp_path / "examples" / "azureml").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "examples" / "azureml" / "conda.yaml", tmp_path / "examples" / "azureml" / "conda.yaml")
    recipe = tmp_path / "recipes" / CLOUD.name
    recipe.write_text(edit(CLOUD.read_text()))
    return recipe


def errors(recipe: Path):
    result = compile_file(recipe)
    return [(d.dotted_path, d.code, d.message, d.hint, d.line, d.column) for d in result.diagnostics.errors]


def line_of(recipe: Path, text: str) -> int:
    return next(n for n, line in enumerate(recipe.read_text().splitlines(), 1) if text in line)


# -- the golden job spec, and azure-ai-ml's own loaders ---------------------------------------------------


def cloud_spec() -> tuple[Path, str]:
    result = compile_file(CLOUD)
    assert result.ok, [str(d) for d in result.diagnostics.errors]
    files = planned_outputs(result, ROOT / "build" / "phi3-qlora-azureml-cloud.json")  # planned, not written
    spec = files[1]
    return spec.path, spec.text


def test_the_cloud_recipe_compiles_to_its_golden_job_spec():
    path, text = cloud_spec()
    if os.environ.get("ORC_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "the job spec changed: rerun with ORC_UPDATE_GOLDEN=1 and review the diff"
    job = yaml.safe_load(text)
    assert job["environment"] == {"image": "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.8-cudnn8-ubuntu22.04",
                                  "conda_file": "../examples/azureml/conda.yaml"}
    assert job["inputs"]["phrases"] == {"type": "uri_file", "path": "azureml://datastores/workspaceblobstore/paths/data/phrase_classification.json",
                                        "mode": "ro_mount"}
    assert job["outputs"]["model"] == {"type": "custom_model", "mode": "upload", "name": "phi3-phrase-classification", "version": "1"}
    # the conda file lists orc's pins: the job installs only what reads the key vault
    assert job["command"].startswith("pip install azureml-core && export HF_TOKEN=")
    assert job["experiment_name"] == "phi3-qlora" and job["compute"] == "azureml:gpu-cluster"


def test_azure_ai_ml_loads_the_command_job_and_its_inline_environment(tmp_path):
    path, text = cloud_spec()
    assert azureml_job.spec_problems(text, path.resolve()) == []
    ml = aml()
    job = ml.load_job(source=io.StringIO(text), relative_origin=str(path.resolve()))
    assert job.type == "command" and job.compute in ("gpu-cluster", "azureml:gpu-cluster")
    assert job.outputs["model"].type == "custom_model" and job.outputs["model"].name == "phi3-phrase-classification"
    assert job.inputs["phrases"].path.startswith("azureml://datastores/workspaceblobstore/")
    # the environment on its own, as `az ml environment create --file` would read it
    env_spec = {"name": "olive-finetune", **yaml.safe_load(text)["environment"]}
    env_spec["conda_file"] = str(ROOT / "examples" / "azureml" / "conda.yaml")
    (tmp_path / "env.yaml").write_text(yaml.safe_dump(env_spec))
    env = ml.load_environment(source=str(tmp_path / "env.yaml"))
    assert env.image.startswith("mcr.microsoft.com/azureml/") and "olive-ai[gpu,finetune]==0.13.0" in str(env.conda_file)


def test_the_registered_model_spec_and_the_printed_az_command_load_as_a_model(tmp_path):
    recipe = compile_file(CLOUD).recipe
    (tmp_path / "model").mkdir()
    ml = aml()
    (tmp_path / "model.yaml").write_text(azureml_job.dump(azureml_job.model_spec(recipe, "./model")))
    model = ml.load_model(source=str(tmp_path / "model.yaml"))
    assert (model.name, model.version, model.type) == ("phi3-phrase-classification", "1", "custom_model")
    assert model.tags == {"recipe": "phi3-qlora-azureml-cloud", "precision": "int4"}
    # `az ml model create`'s arguments are the model YAML's fields (the CLI maps one onto the other)
    args = shlex.split(azureml_submit.register_command(recipe, str(tmp_path / "model")))
    assert args[:4] == ["az", "ml", "model", "create"]
    fields, workspace, flag = {}, {}, None
    for arg in args[4:]:
        if arg.startswith("--"):
            flag = arg[2:]
        elif flag in ("subscription", "resource-group", "workspace-name"):
            workspace[flag] = arg
        elif flag == "tags":
            fields.setdefault("tags", {}).update([arg.split("=", 1)])
        else:
            fields[flag] = arg
    from azure.ai.ml._schema.assets.model import ModelSchema

    assert set(fields) <= set(ModelSchema._declared_fields), set(fields) - set(ModelSchema._declared_fields)
    assert workspace == {"subscription": "00000000-0000-0000-0000-000000000000", "resource-group": "my-resource-group", "workspace-name": "my-workspace"}
    (tmp_path / "from-args.yaml").write_text(yaml.safe_dump(fields))
    again = ml.load_model(source=str(tmp_path / "from-args.yaml"))
    assert (again.name, again.version, again.type, again.description, again.tags) == (model.name, model.version, model.type, model.description, model.tags)


# -- what the job's command does ----------------------------------------------------------------------------


def command_parts(text: str) -> list[str]:
    return yaml.safe_load(text)["command"].split(" && ")


def test_the_job_fills_the_mounted_data_path_into_the_workflow(tmp_path):
    _, text = cloud_spec()
    workflow = compile_file(CLOUD).text
    (tmp_path / "wf.json").write_text(workflow)
    mount = tmp_path / "mnt" / "azureml" / "cr" / "phrases & more" / "phrase_classification.json"
    resolve = next(part for part in command_parts(text) if part.startswith("python -c"))
    # what AzureML does to the command: its ${{inputs.NAME}} become the inputs' paths
    line = resolve.replace("${{inputs.workflow}}", shlex.quote(str(tmp_path / "wf.json"))).replace("${{inputs.phrases}}", shlex.quote(str(mount)))
    subprocess.run(["bash", "-c", line], cwd=tmp_path, check=True)
    import json

    resolved = json.loads((tmp_path / azureml_job.RESOLVED_WORKFLOW).read_text())
    assert resolved["data_configs"][0]["load_dataset_config"]["data_files"] == [str(mount)]
    assert "${{inputs." not in (tmp_path / azureml_job.RESOLVED_WORKFLOW).read_text()


def test_the_job_reads_the_token_from_the_key_vault_into_the_environment_and_orc_never_holds_it(tmp_path):
    _, text = cloud_spec()
    export = next(part for part in command_parts(text) if part.startswith("export HF_TOKEN="))
    # a stand-in for azureml-core's Run inside a job: the key vault answers by secret name
    (tmp_path / "azureml").mkdir()
    (tmp_path / "azureml" / "__init__.py").write_text("")
    (tmp_path / "azureml" / "core.py").write_text(
        "class Run:\n    @staticmethod\n    def get_context():\n        return Run()\n"
        "    def get_secret(self, name):\n        return {'hf-token': 'hf_' + 'x' * 34}[name]\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    out = subprocess.run(["bash", "-c", f'{export} && printf %s "$HF_TOKEN"'], env=env, capture_output=True, text=True, check=True)
    assert out.stdout == "hf_" + "x" * 34
    assert "hf_" not in text and "hf-token" in text  # the spec names the secret, never its value


def test_the_pip_line_installs_only_what_the_environment_lacks(tmp_path):
    recipe = cloud_copy(tmp_path)
    result = compile_file(recipe)
    assert azureml_job.install_line(result.recipe, result.base_dir) == "pip install azureml-core"
    no_install = cloud_copy(tmp_path, lambda t: t.replace("    experiment: phi3-qlora\n", "    experiment: phi3-qlora\n    install: false\n"))
    result = compile_file(no_install)
    assert azureml_job.install_line(result.recipe, result.base_dir) == ""
    spec = yaml.safe_load(planned_outputs(result, tmp_path / "wf.json")[1].text)
    assert spec["command"].startswith("export HF_TOKEN=")
    # an existing environment: orc cannot know what it holds, so the job installs every pin
    shipped = compile_file(ROOT / "recipes" / "phi3-qlora-phrase-classification.yaml")
    job = yaml.safe_load(planned_outputs(shipped, ROOT / "build" / "x.json")[1].text)
    assert job["environment"] == "azureml://registries/azureml/environments/acpt-pytorch-2.2-cuda12.1/labels/latest"
    assert job["command"].startswith("pip install 'olive-ai[gpu,finetune]==0.13.0' 'onnxruntime-genai-cuda>=0.13.2,<0.15' requests datasets && cd ")


# -- located errors -----------------------------------------------------------------------------------------


def test_a_missing_conda_file_is_a_located_error(tmp_path):
    recipe = cloud_copy(tmp_path, lambda t: t.replace("azureml/conda.yaml", "azureml/condaa.yaml"))
    assert errors(recipe) == [("target.azureml.conda_file", "missing_file", "conda file not found: ../examples/azureml/condaa.yaml",
                               f"a conda environment YAML, relative to the recipe; looked in {tmp_path / 'examples' / 'azureml' / 'condaa.yaml'}",
                               line_of(recipe, "conda_file:"), 17)]


def test_a_conda_file_that_is_not_a_conda_environment_is_a_located_error(tmp_path):
    recipe = cloud_copy(tmp_path)
    (tmp_path / "examples" / "azureml" / "conda.yaml").write_text("name: x\ndependencies: [python=3.10, {conda: [x]}]\n")
    (found,) = errors(recipe)
    assert found[:3] == ("target.azureml.conda_file", "invalid", "the conda file ../examples/azureml/conda.yaml is not a conda environment: "
                                                                  "it needs a `dependencies:` list of packages (and `- pip: [...]`)")
    (tmp_path / "examples" / "azureml" / "conda.yaml").write_text("dependencies: [a\n")
    assert errors(recipe)[0][2].startswith("the conda file ../examples/azureml/conda.yaml cannot be read as YAML: ")


def test_a_conda_file_without_an_image_and_an_image_beside_an_environment_are_refused(tmp_path):
    recipe = cloud_copy(tmp_path, lambda t: t.replace("    image: mcr", "    environment: azureml:olive:1\n    image: mcr"))
    assert [e[:3] for e in errors(recipe)] == [("target.azureml", "invalid", "give `environment` (an existing AzureML environment) or `image` "
                                                "(with an optional `conda_file`), not both")]
    recipe = cloud_copy(tmp_path, lambda t: re.sub(r"(?m)^    image: .*\n", "", t))
    assert errors(recipe)[0][2].startswith("`conda_file` builds on an `image`: give `image:` too")


def test_azureml_data_on_a_local_target_is_a_located_error(tmp_path):
    def local(text):
        text = re.sub(r"(?ms)^  system: azureml\n  azureml:\n.*?(?=^steps:)", "", text)
        return text.replace("  register:\n", "  register:\n    workspace: {subscription_id: 00000000-0000-0000-0000-000000000000, "
                                             "resource_group: g, workspace: my-workspace}\n")

    recipe = cloud_copy(tmp_path, local)
    assert errors(recipe) == [("datasets.phrases.files", "unsupported",
                               "'azureml://datastores/workspaceblobstore/paths/data/phrase_classification.json' is AzureML data, which only an"
                               " AzureML job can mount: Olive 0.13 cannot read it on a local target",
                               "run it as an AzureML job (`target: {system: azureml, azureml: {...}}`), or download the data and give its local files",
                               line_of(recipe, "files: azureml://"), 12)]


def test_a_malformed_cloud_address_or_a_folder_without_format_is_refused(tmp_path):
    recipe = cloud_copy(tmp_path, lambda t: t.replace("azureml://datastores/workspaceblobstore/paths/", "azureml://datastore/blob/"))
    assert errors(recipe)[0][:3] == ("datasets.phrases", "invalid", "'azureml://datastore/blob/data/phrase_classification.json' is not an AzureML "
                                     "data address: write azureml://datastores/<datastore>/paths/<path> or azureml:<data-asset>:<version> "
                                     "(or azureml:<data-asset>@latest)")
    asset = cloud_copy(tmp_path, lambda t: t.replace("azureml://datastores/workspaceblobstore/paths/data/phrase_classification.json",
                                                     "azureml:phrases:3").replace("    format: json\n", ""))
    assert errors(asset)[0][2] == "'azureml:phrases:3' is a folder or a data asset, with no file extension to tell its format: give `format:` (json, csv, parquet or text)"


def test_a_data_asset_is_a_folder_input_read_by_a_glob(tmp_path):
    recipe = cloud_copy(tmp_path, lambda t: t.replace("azureml://datastores/workspaceblobstore/paths/data/phrase_classification.json", "azureml:phrases:3"))
    result = compile_file(recipe)
    assert result.ok
    assert result.workflow["data_configs"][0]["load_dataset_config"]["data_files"] == ["${{inputs.phrases}}/*"]
    spec = planned_outputs(result, tmp_path / "out" / "wf.json")[1]
    assert yaml.safe_load(spec.text)["inputs"]["phrases"] == {"type": "uri_folder", "path": "azureml:phrases:3", "mode": "ro_mount"}


@pytest.mark.parametrize("value", ["hf_" + "A1b2" * 9, "Zq8" + "xY7wV6uT5sR4qP3oN2mL1kJ"])
def test_a_literal_token_in_secrets_is_refused_and_never_printed(tmp_path, value, capsys):
    recipe = cloud_copy(tmp_path, lambda t: t.replace("HF_TOKEN: hf-token", f"HF_TOKEN: {value}"))
    assert main(["validate", str(recipe)]) == 1
    err = capsys.readouterr().err
    assert value not in err
    (found,) = [e for e in errors(recipe)]
    assert found[0] == "target.azureml.secrets.HF_TOKEN" and found[1] == "literal_secret" and value not in found[2] + found[3]
    assert found[4] == line_of(recipe, "HF_TOKEN:")


def test_a_bad_key_vault_name_or_variable_is_an_azureml_error(tmp_path):
    recipe = cloud_copy(tmp_path, lambda t: t.replace("HF_TOKEN: hf-token", "HF-TOKEN: hf_token"))
    assert [e[:3] for e in errors(recipe)] == [
        ("target.azureml.secrets.HF-TOKEN", "azureml", "'HF-TOKEN' is not an environment variable name"),
        ("target.azureml.secrets.HF-TOKEN", "azureml", "'hf_token' is not a key vault secret name"),
    ]


def test_a_local_registration_needs_its_workspace(tmp_path):
    text = (ROOT / "recipes" / "tiny-cpu-lora-int4.yaml").read_text().replace("../", f"{ROOT}/")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(text.replace("output:\n", "output:\n  register: {name: tiny, version: 2}\n", 1))
    assert [e[:3] for e in errors(recipe)] == [("output.register", "missing_field", "registering 'tiny' after a local run needs the workspace to register in")]


# -- Olive's spellings of the workspace and environment -----------------------------------------------------


def test_olives_client_and_docker_config_shapes_are_aliases_of_the_orc_form(tmp_path):
    olive_shape = cloud_copy(tmp_path, lambda t: t.replace(
        "    subscription_id: 00000000-0000-0000-0000-000000000000\n    resource_group: my-resource-group\n    workspace: my-workspace\n",
        "    azureml_client: {subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: my-resource-group, workspace_name: my-workspace}\n",
    ).replace("    image: mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.8-cudnn8-ubuntu22.04\n    conda_file: ../examples/azureml/conda.yaml\n",
              "    aml_docker_config: {base_image: mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.8-cudnn8-ubuntu22.04, conda_file_path: ../examples/azureml/conda.yaml}\n",
    ).replace("    secrets:\n      HF_TOKEN: hf-token        # the key vault secret's name; its value never leaves the workspace\n", "    hf_token: true\n"))
    assert "azureml_client" in olive_shape.read_text() and "hf_token: true" in olive_shape.read_text()
    ours = compile_file(cloud_copy(tmp_path / "ours"))
    theirs = compile_file(olive_shape)
    assert theirs.ok, [str(d) for d in theirs.diagnostics.errors]
    assert theirs.recipe.target.azureml == ours.recipe.target.azureml
    mapping = cloud_copy(tmp_path, lambda t: t.replace("    workspace: my-workspace\n", "    workspace: {workspace_name: my-workspace}\n"))
    assert compile_file(mapping).recipe.target.azureml.workspace == "my-workspace"


def test_a_client_shape_orc_cannot_read_is_refused_with_the_orc_form(tmp_path):
    recipe = cloud_copy(tmp_path, lambda t: t.replace("    workspace: my-workspace\n", "    azureml_client: {workspace_name: other, keyvault_name: kv}\n"))
    (found,) = errors(recipe)
    assert found[0] == "target.azureml" and "`azureml_client:` holds keyvault_name" in found[2]
    assert "target: {system: azureml, azureml: {subscription_id: ..., resource_group: ..., workspace: <name>, compute: <cluster>}}" in found[2]
    clash = cloud_copy(tmp_path, lambda t: t.replace("    workspace: my-workspace\n", "    workspace: my-workspace\n    workspace_name: other\n"))
    assert "`workspace_name` and `workspace` are both given: keep `workspace`" in errors(clash)[0][2]


# -- compile-and-run: one job, a matrix, a pipeline, a registration ------------------------------------------


def test_compile_and_run_without_credentials_writes_the_spec_and_prints_the_command(tmp_path, capsys, monkeypatch):
    recipe = cloud_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["compile-and-run", str(recipe)]) == 4
    err = capsys.readouterr().err
    spec = tmp_path / "models" / "phi3-qlora-azureml.workflow.azureml-job.yaml"
    assert f"az ml job create --file {spec} --subscription 00000000-0000-0000-0000-000000000000" in err
    aml().load_job(source=str(spec))


def _two_recipes(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """The seed's cloud recipe and the phrase-classification recipe, both on azureml, run from tmp_path."""
    recipe = cloud_copy(tmp_path)
    other = tmp_path / "recipes" / "other.yaml"
    other.write_text((ROOT / "recipes" / "phi3-qlora-phrase-classification.yaml").read_text().replace("../examples/", f"{ROOT}/examples/"))
    monkeypatch.chdir(tmp_path)
    return recipe, other


def test_a_matrix_of_azureml_recipes_is_one_job_each_under_one_experiment(tmp_path, capsys, monkeypatch):
    recipe, other = _two_recipes(tmp_path, monkeypatch)
    assert main(["compile-and-run", str(recipe), str(other), "--experiment", "matrix-1"]) == 4
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["member", "target", "status", "job", "/", "output", "/", "command"]
    assert [line.split("  ")[0] for line in out[1:]] == ["phi3-qlora-azureml-cloud", "phi3-qlora-phrase-classification"]
    assert all("not submitted  az ml job create --file " in line for line in out[1:])
    ml = aml()
    for spec in sorted((tmp_path / "models").glob("*.azureml-job.yaml")):
        assert ml.load_job(source=str(spec)).experiment_name == "matrix-1"


def test_a_matrix_as_one_pipeline_job_loads_in_azure_ai_ml(tmp_path, capsys, monkeypatch):
    recipe, other = _two_recipes(tmp_path, monkeypatch)
    assert main(["compile-and-run", str(recipe), str(other), "--pipeline", "--dry-run"]) == 0
    out = capsys.readouterr().out
    pipeline = tmp_path / "models" / "phi3-qlora.azureml-pipeline.yaml"
    assert f"dry run  az ml job create --file {pipeline}" in out
    job = aml().load_job(source=str(pipeline))
    assert job.type == "pipeline" and job.experiment_name == "phi3-qlora"
    assert sorted(job.jobs) == ["phi3_qlora_azureml_cloud", "phi3_qlora_phrase_classification"]
    assert job.jobs["phi3_qlora_azureml_cloud"].outputs["model"].type == "custom_model"


def test_a_matrix_with_a_member_that_does_not_compile_runs_nothing(tmp_path, capsys):
    recipe = cloud_copy(tmp_path)
    broken = cloud_copy(tmp_path / "b", lambda t: t.replace("azureml/conda.yaml", "azureml/gone.yaml"))
    assert main(["compile-and-run", str(recipe), str(broken)]) == 1
    assert "nothing was run: every member of the matrix must compile" in capsys.readouterr().err
    assert not (tmp_path / "models").exists()


def test_a_local_dry_run_with_registration_prints_the_az_ml_model_create_command(tmp_path, capsys):
    text = (ROOT / "recipes" / "tiny-cpu-lora-int4.yaml").read_text().replace("../", f"{ROOT}/")
    text = re.sub(r"(?m)^  dir: .*$", f"  dir: {tmp_path / 'out'}", text)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(text.replace("output:\n", "output:\n  register:\n    name: tiny\n    version: 2\n    tags: {team: a b}\n"
                                                "    workspace: {subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: g, workspace: ws1}\n", 1))
    assert main(["compile-and-run", str(recipe), "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert (f"az ml model create --name tiny --version 2 --path {tmp_path / 'out'} --type custom_model --tags 'team=a b' "
            "--subscription 00000000-0000-0000-0000-000000000000 --resource-group g --workspace-name ws1") in err


@pytest.mark.integration
def test_all_variants_run_locally_one_after_another_with_one_table_then_registration(tmp_path, capsys):
    text = (ROOT / "recipes" / "tiny-cpu-lora-int4.yaml").read_text().replace("../examples/", f"{ROOT}/examples/")
    text = re.sub(r"(?m)^  dir: .*$", "  dir: out/tiny", text).replace("../.olive-cache", "cache")
    text = text.replace("output:\n", "output:\n  register:\n    name: tiny\n    version: 1\n"
                                     "    workspace: {subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: g, workspace: ws1}\n", 1)
    text += "variants:\n  a: {}\n  b: {description: the same again}\n"
    recipe = tmp_path / "tiny.yaml"
    recipe.write_text(text)
    assert main(["compile-and-run", str(recipe), "--all-variants", "-q"]) == 4  # both ran; registration not sent (no credentials)
    out = capsys.readouterr().out.splitlines()
    rows = [line.split() for line in out[1:]]
    assert [row[:3] for row in rows] == [["tiny-cpu-lora-int4-a", "local", "ok"], ["tiny-cpu-lora-int4-a", "register", "not"],
                                         ["tiny-cpu-lora-int4-b", "local", "ok"], ["tiny-cpu-lora-int4-b", "register", "not"]]
    assert (tmp_path / "out" / "tiny-a" / "genai_config.json").is_file() and (tmp_path / "out" / "tiny-b" / "genai_config.json").is_file()
    assert f"az ml model create --name tiny --version 1 --path {tmp_path / 'out' / 'tiny-a'} --type custom_model" in out[2]


@pytest.mark.integration
def test_olive_loads_the_data_the_job_mounts_through_the_resolved_workflow(tmp_path, monkeypatch):
    """The job's own resolve step, then Olive 0.13's data container on the result: the mounted copy of the
    datastore file (here the same file as examples/data's) is loaded, pre-processed and batched."""
    from . import fidelity

    _, text = cloud_spec()
    (tmp_path / "wf.json").write_text(compile_file(CLOUD).text)
    mount = tmp_path / "mnt" / "phrase_classification.json"
    mount.parent.mkdir()
    shutil.copy(ROOT / "examples" / "data" / "phrase_classification.json", mount)
    resolve = next(part for part in command_parts(text) if part.startswith("python -c"))
    line = resolve.replace("${{inputs.workflow}}", shlex.quote(str(tmp_path / "wf.json"))).replace("${{inputs.phrases}}", shlex.quote(str(mount)))
    subprocess.run(["bash", "-c", line], cwd=tmp_path, check=True)
    import json

    monkeypatch.chdir(ROOT / "recipes")  # the job runs in the recipe's folder
    rc = fidelity.run_config(json.loads((tmp_path / azureml_job.RESOLVED_WORKFLOW).read_text()))
    assert fidelity.check_data(rc, "phrases", 1024) == []


def test_a_top_level_azureml_client_gets_a_hint_with_the_orc_form(tmp_path):
    recipe = cloud_copy(tmp_path, lambda t: t.replace("steps:\n", "azureml_client: {subscription_id: x, resource_group: g, workspace_name: w}\nsteps:\n", 1))
    (found,) = errors(recipe)
    assert found[:2] == ("azureml_client", "unknown_field")
    assert "`target: {system: azureml, azureml: {subscription_id: ..., resource_group: ..., workspace: <name>, compute: <cluster>}}`" in found[3]
