"""The recipe's `model:` section and where its model comes from: a Hugging Face hub id, a local folder, or
an AzureML registry model (`azureml://registries/<registry>/models/<name>/versions/<version>`, or the
typed `azureml: {registry, name, version}` for names the URI cannot hold).

Pure: `model_source` classifies the value of `model.path` from its text alone; the checks
(checks/model_source.py) look at the disk, and render/context.py compiles the source for Olive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationInfo, field_validator, model_validator

AZUREML_SCHEME = "azureml:"
AZUREML_FORM = "azureml://registries/<registry>/models/<name>/versions/<version>"
# Olive's own pattern for a registry model URI (olive/cli/base.py): no '/' inside a part.
AZUREML_URI = re.compile(r"^azureml://registries/(?P<registry>[^/]+)/models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$")
# A Hugging Face repo id: 'name' or 'namespace/name' (huggingface_hub's validate_repo_id).
HUB_ID = re.compile(r"^(?:[\w][\w.-]{0,95}/)?[\w][\w.-]{0,95}$")
HF_URL = re.compile(r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co)/(?P<repo>[^/?#\s]+/[^/?#\s]+)")
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
LOCAL_PREFIXES = ("./", "../", "/", "~", ".\\", "..\\")


class _Strict(BaseModel):  # the settings of recipe.models.Strict (that module imports this one)
    model_config = ConfigDict(extra="forbid", strict=True, protected_namespaces=(), populate_by_name=True)


class AzureMLModel(_Strict):
    """A model in an AzureML registry, compiled to Olive's `azureml_registry_model` resource."""

    registry: StrictStr = Field(..., description="The registry's name.", examples=["azureml", "azureml-msr"])
    name: StrictStr = Field(
        ..., description="The model's name in the registry (may hold '/').", examples=["Phi-3.5-mini-instruct", "microsoft/Phi-3-mini-4k-instruct"]
    )
    version: Union[StrictStr, StrictInt] = Field(..., description="The model's version.", examples=[4, "11"])

    @field_validator("registry", "name", "version")
    @classmethod
    def _part(cls, value: Union[str, int], info: ValidationInfo) -> Union[str, int]:
        text = str(value)
        inner_slash_ok = info.field_name == "name"
        if not text or any(c.isspace() for c in text) or text.strip("/") != text or ("/" in text and not inner_slash_ok):
            allowed = "no spaces and no leading or trailing '/'" if inner_slash_ok else "no '/' and no spaces"
            label = {"registry": "registry name", "name": "model name", "version": "model version"}[str(info.field_name)]
            raise ValueError(f"'{text}' is not a valid AzureML {label}: it must be non-empty, with {allowed}")
        return value

    @property
    def uri(self) -> str:
        return f"azureml://registries/{self.registry}/models/{self.name}/versions/{self.version}"

    def resource(self) -> dict[str, Any]:
        """Olive 0.13's resource config (olive/resource_path.py: AzureMLRegistryModel)."""
        return {"type": "azureml_registry_model", "config": {"registry_name": self.registry, "name": self.name, "version": str(self.version)}}


class ModelSpec(_Strict):
    # `path` is a property (always a string: the azureml block's URI when that is the source), so the
    # field is `path_`, spelt `path` in recipes; populate_by_name is off so `path_` is not a recipe key.
    model_config = ConfigDict(
        extra="forbid", strict=True, protected_namespaces=(), populate_by_name=False,
        json_schema_extra={"anyOf": [{"required": ["path"]}, {"required": ["azureml"]}, {"required": ["from"]}]},
    )

    path_: Optional[StrictStr] = Field(
        None,
        alias="path",
        min_length=1,
        description=(
            "A Hugging Face model id ('org/name'), a local folder (relative to the recipe; './', '../' or '/' or more than one '/'"
            f" make it a path), or an AzureML registry model, {AZUREML_FORM}. Give this or `azureml:`."
        ),
        examples=["microsoft/Phi-3.5-mini-instruct", "../examples/tiny-phi3", "azureml://registries/azureml/models/Phi-3.5-mini-instruct/versions/4"],
    )
    azureml: Optional[AzureMLModel] = Field(
        None,
        description="An AzureML registry model, for names that hold '/' (instead of `path`).",
        examples=[{"registry": "azureml-msr", "name": "microsoft/Phi-3-mini-4k-instruct", "version": 11}],
    )
    from_: Optional[StrictStr] = Field(  # issue 15: recipes that build on recipes (build/chain.py resolves it)
        None,
        alias="from",
        min_length=1,
        description="Another recipe (relative to this one) whose output model this recipe takes; orc runs it first when it is stale. Instead of `path`.",
        examples=["stage1.yaml"],
    )
    task: Optional[StrictStr] = Field(None, description="The model's task, e.g. text-generation.", examples=["text-generation"])
    trust_remote_code: StrictBool = Field(False, examples=[True], description="Allow the model's own Python code to run when it is loaded.")
    adapter_path: Optional[StrictStr] = Field(
        None,
        examples=["adapters/travel"],
        description="A LoRA adapter folder to load with the model (relative to the recipe).",
    )
    load_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        json_schema_extra={"default": {}},
        description="Extra keyword arguments for from_pretrained.",
        examples=[{"attn_implementation": "eager"}],
    )

    @model_validator(mode="after")
    def _one_source(self) -> "ModelSpec":
        if self.from_ is not None:  # issue 15: build/chain.py sets path_ to the producer's output once resolved
            if self.azureml is not None or self.path_ is not None:
                raise ValueError("give either 'from' (another recipe's output) or 'path'/'azureml', not both")
            return self
        if self.path_ is None and self.azureml is None:
            raise ValueError(f"required field 'path' (or 'azureml') is missing: a Hugging Face id, a local folder or {AZUREML_FORM}")
        if self.path_ is not None and self.azureml is not None:
            raise ValueError("give either 'path' or 'azureml: {registry, name, version}', not both")
        return self

    @property
    def path(self) -> str:
        """The model as one string: the path as written, or the AzureML URI of the `azureml:` block."""
        return self.path_ if self.path_ is not None else self.azureml.uri if self.azureml else ""


Kind = Literal["hub", "local", "azureml", "bad_azureml", "hf_url", "url", "bad_id"]


@dataclass(frozen=True)
class Source:
    """What a `model.path` value names, from its text: `local` still needs the disk to tell a folder from
    nothing (a `hub` id is also looked for on disk: Olive takes an existing folder first)."""

    kind: Kind
    azureml: Optional[AzureMLModel] = None
    repo: str = ""  # the `org/name` of a Hugging Face URL


def model_source(value: str) -> Source:
    if value.lower().startswith(AZUREML_SCHEME):
        match = AZUREML_URI.match(value)
        if not match:
            return Source("bad_azureml")
        return Source("azureml", AzureMLModel(registry=match["registry"], name=match["name"], version=match["version"]))
    hf = HF_URL.match(value)
    if hf:
        return Source("hf_url", repo=hf["repo"].removesuffix(".git"))
    if URL.match(value):
        return Source("url")
    if value.startswith(LOCAL_PREFIXES) or value.count("/") > 1 or "\\" in value or re.match(r"^[A-Za-z]:[\\/]", value):
        return Source("local")
    return Source("hub" if HUB_ID.match(value) and "--" not in value and ".." not in value else "bad_id")


def azureml_resource(spec: ModelSpec) -> dict[str, Any] | None:
    """Olive's resource config for a model from an AzureML registry, or None for any other source."""
    if spec.azureml is not None:
        return spec.azureml.resource()
    source = model_source(spec.path)
    return source.azureml.resource() if source.azureml is not None else None
