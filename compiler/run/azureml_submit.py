"""Submitting an `azureml` target's job (render/azureml_job.py writes its spec) and registering a built
model (`output.register`) with azure-ai-ml, or saying the exact `az ml` command when that cannot be done
here. Nothing is sent anywhere without azure-ai-ml and credentials."""

from __future__ import annotations

import shlex

from orc_olive.recipe.models import Recipe


def submit_command(recipe: Recipe, spec_file: str) -> str:
    """The exact command that submits the job (workspace coordinates come from the recipe)."""
    assert recipe.target.azureml is not None
    aml = recipe.target.azureml
    return shlex.join(["az", "ml", "job", "create", "--file", spec_file, *_workspace_args(aml.subscription_id, aml.resource_group, aml.workspace)])


def _workspace_args(subscription: str, group: str, workspace: str) -> list[str]:
    return ["--subscription", subscription, "--resource-group", group, "--workspace-name", workspace]


def register_workspace(recipe: Recipe) -> tuple[str, str, str]:
    """(subscription, resource group, workspace) a registration goes to: its own, else the azureml target's."""
    register = recipe.output.register_
    assert register is not None
    where = register.workspace or recipe.target.azureml
    assert where is not None, "checks/azureml.py requires a workspace for a local run's registration"
    return where.subscription_id, where.resource_group, where.workspace


def register_command(recipe: Recipe, model_dir: str) -> str:
    """`az ml model create` with the arguments of `output.register` (the CLI's names: --name, --version,
    --path, --type, --description, --tags key=value ...)."""
    register = recipe.output.register_
    assert register is not None
    args = ["az", "ml", "model", "create", "--name", register.name]
    if register.version_text is not None:
        args += ["--version", register.version_text]
    args += ["--path", model_dir, "--type", "custom_model"]
    if register.description is not None:
        args += ["--description", register.description]
    if register.tags:
        args += ["--tags", *(f"{key}={value}" for key, value in register.tags.items())]
    return shlex.join(args + _workspace_args(*register_workspace(recipe)))


def register(recipe: Recipe, model_dir: str, say) -> int:  # pragma: no cover - needs Azure
    """Register the folder as a custom_model with azure-ai-ml; returns an exit code."""
    from azure.ai.ml import MLClient
    from azure.ai.ml.entities import Model
    from azure.identity import DefaultAzureCredential

    register = recipe.output.register_
    assert register is not None
    client = MLClient(DefaultAzureCredential(), *register_workspace(recipe))
    model = client.models.create_or_update(Model(name=register.name, version=register.version_text, path=model_dir, type="custom_model",
                                                 description=register.description, tags=dict(register.tags)))
    say(f"registered model {model.name}:{model.version}")
    return 0


def submit_only(recipe: Recipe, spec_file: str) -> tuple[str, str]:  # pragma: no cover - needs Azure
    """Submit a job (command or pipeline) without waiting: its name and studio link."""
    from azure.ai.ml import MLClient, load_job
    from azure.identity import DefaultAzureCredential

    assert recipe.target.azureml is not None
    aml = recipe.target.azureml
    client = MLClient(DefaultAzureCredential(), aml.subscription_id, aml.resource_group, aml.workspace)
    job = client.jobs.create_or_update(load_job(source=spec_file))
    return str(job.name), str(job.studio_url)


CREDENTIAL_VARIABLES = ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "MSI_ENDPOINT")


def can_submit() -> str:
    """'' when azure-ai-ml is installed and credentials are in the environment, else why not."""
    import os
    from importlib.util import find_spec

    try:
        missing = find_spec("azure.ai.ml") is None or find_spec("azure.identity") is None
    except ModuleNotFoundError:  # find_spec imports the parent package: no `azure` at all
        missing = True
    if missing:
        return "azure-ai-ml and azure-identity are not installed (pip install 'orc-olive[azureml]', or azure-ai-ml and azure-identity)"
    if not any(os.environ.get(name) for name in CREDENTIAL_VARIABLES):
        return "no Azure credentials in the environment (AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET or a managed identity)"
    return ""


def submit(recipe: Recipe, spec_file: str, download_to: str, say) -> int:  # pragma: no cover - needs Azure
    """Submit the job, stream its status and download the model output; returns an exit code."""
    from azure.ai.ml import MLClient, load_job
    from azure.identity import DefaultAzureCredential

    assert recipe.target.azureml is not None
    aml = recipe.target.azureml
    client = MLClient(DefaultAzureCredential(), aml.subscription_id, aml.resource_group, aml.workspace)
    job = client.jobs.create_or_update(load_job(source=spec_file))
    say(f"submitted AzureML job {job.name}: {job.studio_url}")
    client.jobs.stream(job.name)
    status = client.jobs.get(job.name).status
    say(f"job {job.name} ended: {status}")
    if status != "Completed":
        return 1
    client.jobs.download(job.name, download_path=download_to, output_name="model")
    say(f"downloaded the model to {download_to}")
    return 0
