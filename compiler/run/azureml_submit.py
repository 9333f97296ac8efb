"""Submitting an `azureml` target's job (render/azureml_job.py writes its spec) with azure-ai-ml, or
saying the exact `az ml` command when that cannot be done here."""

from __future__ import annotations

import shlex

from orc_olive.recipe.models import Recipe


def submit_command(recipe: Recipe, spec_file: str) -> str:
    """The exact command that submits the job (workspace coordinates come from the recipe)."""
    assert recipe.target.azureml is not None
    aml = recipe.target.azureml
    return shlex.join(
        [
            "az", "ml", "job", "create", "--file", spec_file,
            "--subscription", aml.subscription_id, "--resource-group", aml.resource_group, "--workspace-name", aml.workspace,
        ]
    )


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
