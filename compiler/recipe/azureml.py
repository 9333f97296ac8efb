"""The `target.azureml:` block and `output.register:`: the AzureML workspace, the job's environment,
secrets from the workspace's key vault, and the registration of the built model.

Olive users know the workspace as `azureml_client: {subscription_id, resource_group, workspace_name}`
(or a `workspace:` mapping of those) and the environment as `aml_docker_config: {base_image,
conda_file_path}`; those shapes are accepted here as aliases of orc's fields (`_aliases`).
"""

from __future__ import annotations

from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

DEFAULT_ENVIRONMENT = "azureml://registries/azureml/environments/acpt-pytorch-2.2-cuda12.1/labels/latest"
HF_TOKEN_SECRET = "hf-token"  # the key vault secret Olive's AzureML system read for `hf_token: true`
_CLIENT_FIELDS = {"subscription_id": "subscription_id", "resource_group": "resource_group", "workspace_name": "workspace", "workspace": "workspace"}
ORC_FORM = "target: {system: azureml, azureml: {subscription_id: ..., resource_group: ..., workspace: <name>, compute: <cluster>}}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, protected_namespaces=(), populate_by_name=True)


class AzureML(_Strict):
    subscription_id: StrictStr = Field(..., examples=["${env:AZURE_SUBSCRIPTION_ID}"], description="Azure subscription id; use ${env:AZURE_SUBSCRIPTION_ID}.")
    resource_group: StrictStr = Field(..., examples=["my-resource-group"], description="The workspace's resource group.")
    workspace: StrictStr = Field(..., examples=["my-workspace"], description="The AzureML workspace name (Olive's `workspace_name`).")
    compute: StrictStr = Field(..., description="The compute cluster that runs the job.", examples=["gpu-cluster"])
    environment: Optional[StrictStr] = Field(
        None,
        description=f"An existing AzureML environment for the job (default, without `image`: {DEFAULT_ENVIRONMENT}).",
        examples=["azureml:my-olive-env:1"],
    )
    image: Optional[StrictStr] = Field(
        None, examples=["mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.8-cudnn8-ubuntu22.04"],
        description="A docker image for an inline job environment (instead of `environment`); with `conda_file`, the conda environment built on it.",
    )
    conda_file: Optional[StrictStr] = Field(None, examples=["conda.yaml"], description="A conda environment file for the image, relative to the recipe.")
    install: Optional[StrictBool] = Field(
        None, examples=[False],
        description="Install orc's pins (olive-ai, onnxruntime-genai) with pip when the job starts (default: unless the conda file lists them).",
    )
    secrets: dict[StrictStr, StrictStr] = Field(
        default_factory=dict, json_schema_extra={"default": {}}, examples=[{"HF_TOKEN": "hf-token"}],
        description="Environment variables of the job, each read at job start from the workspace's key vault secret of this name (never the value).",
    )
    experiment: StrictStr = Field("orc", examples=["phi3-finetune"], description="The experiment name the job is filed under.")

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        """Olive's spellings -> orc's: azureml_client / a `workspace:` mapping, workspace_name,
        aml_docker_config {base_image, conda_file_path}, hf_token: true."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key in ("azureml_client", "workspace"):
            client = data.get(key)
            if isinstance(client, dict):
                del data[key]
                unknown = sorted(set(map(str, client)) - set(_CLIENT_FIELDS))
                if unknown:
                    raise ValueError(f"`{key}:` holds {', '.join(unknown)}: orc reads only subscription_id, resource_group and workspace_name; write {ORC_FORM}")
                for name, value in client.items():
                    _alias(data, _CLIENT_FIELDS[name], value, f"{key}.{name}")
        if "workspace_name" in data:
            _alias(data, "workspace", data.pop("workspace_name"), "workspace_name")
        docker = data.get("aml_docker_config")
        if isinstance(docker, dict):
            del data["aml_docker_config"]
            unknown = sorted(set(map(str, docker)) - {"base_image", "conda_file_path"})
            if unknown:
                raise ValueError(f"`aml_docker_config:` holds {', '.join(unknown)}: orc reads base_image and conda_file_path; write `image:` and `conda_file:`")
            for name, field in (("base_image", "image"), ("conda_file_path", "conda_file")):
                if name in docker:
                    _alias(data, field, docker[name], f"aml_docker_config.{name}")
        if "hf_token" in data:
            flag = data.pop("hf_token")
            if flag is not True and flag is not False:
                raise ValueError("`hf_token` is true or false (the token is read from the workspace key vault's 'hf-token'); write `secrets: {HF_TOKEN: <secret name>}`")
            if flag:
                secrets = data.get("secrets")
                data["secrets"] = {**secrets, "HF_TOKEN": secrets.get("HF_TOKEN", HF_TOKEN_SECRET)} if isinstance(secrets, dict) else {"HF_TOKEN": HF_TOKEN_SECRET}
        return data

    @model_validator(mode="after")
    def _one_environment(self) -> "AzureML":
        if self.image is not None and self.environment is not None:
            raise ValueError("give `environment` (an existing AzureML environment) or `image` (with an optional `conda_file`), not both")
        if self.conda_file is not None and self.image is None:
            raise ValueError("`conda_file` builds on an `image`: give `image:` too (e.g. mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04)")
        return self

    @property
    def environment_reference(self) -> str | None:
        """The existing environment the job runs in; None for an inline one (`image`)."""
        return None if self.image is not None else self.environment or DEFAULT_ENVIRONMENT


def _alias(data: dict, field: str, value: Any, given_as: str) -> None:
    if field in data and data[field] != value:
        raise ValueError(f"`{given_as}` and `{field}` are both given: keep `{field}` ({ORC_FORM})")
    data[field] = value


class Workspace(_Strict):
    subscription_id: StrictStr = Field(..., examples=["${env:AZURE_SUBSCRIPTION_ID}"], description="Azure subscription id.")
    resource_group: StrictStr = Field(..., examples=["my-resource-group"], description="The workspace's resource group.")
    workspace: StrictStr = Field(..., examples=["my-workspace"], description="The AzureML workspace name.")


class Register(_Strict):
    """Register the built model in an AzureML workspace (a custom_model asset)."""

    name: StrictStr = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$", examples=["ft-for-travel"], description="The model's name in the workspace.")
    version: Optional[Union[StrictStr, StrictInt]] = Field(None, examples=["1"], description="Its version (default: the workspace's next one).")
    description: Optional[StrictStr] = Field(None, examples=["Phi-3 fine-tuned on travel Q&A, int4 ONNX"], description="The model's description.")
    tags: dict[StrictStr, StrictStr] = Field(default_factory=dict, json_schema_extra={"default": {}}, examples=[{"recipe": "phi35-travel"}], description="Tags.")
    workspace: Optional[Workspace] = Field(
        None, description="The workspace, for a local run (an azureml target registers in its own).",
        examples=[{"subscription_id": "${env:AZURE_SUBSCRIPTION_ID}", "resource_group": "my-resource-group", "workspace": "my-workspace"}],
    )

    @property
    def version_text(self) -> str | None:
        return None if self.version is None else str(self.version)
