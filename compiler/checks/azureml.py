"""Checks of an AzureML job's own settings: the conda file exists and parses, secrets name key vault
secrets (never hold a token), cloud data make valid job inputs, and a registration has a workspace.

The workspace coordinates' formats are checked in references.py (azureml_target); data in AzureML on
another target in data.py (cloud_data).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator

import yaml

from orc_olive.checks.base import at
from orc_olive.diagnostics import Diagnostic, Path_
from orc_olive.recipe.models import Recipe
from orc_olive.secrecy import ENV_PREFIX, looks_like_token, secret_problem
from orc_olive.source.loader import Document

VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
KEY_VAULT_SECRET = re.compile(r"^[0-9A-Za-z-]{1,127}$")  # Azure Key Vault's rule for secret names
INPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")  # AzureML's rule for job input names
WHERE: Path_ = ("target", "azureml")


def conda_file(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """The conda file an inline environment is built from exists, and is a conda environment
    (azure-ai-ml reads it when the job is created; a broken one fails only then)."""
    aml = recipe.target.azureml
    if aml is None or aml.conda_file is None or aml.conda_file.startswith(ENV_PREFIX):
        return
    path, file = WHERE + ("conda_file",), base / aml.conda_file
    if not file.is_file():
        yield at(doc, path, f"conda file not found: {aml.conda_file}", f"a conda environment YAML, relative to the recipe; looked in {os.path.normpath(file)}",
                 "missing_file")
        return
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        yield at(doc, path, f"the conda file {aml.conda_file} cannot be read as YAML: {first}", "a conda environment file: name, channels, dependencies", "invalid")
        return
    deps = data.get("dependencies") if isinstance(data, dict) else None
    if not isinstance(deps, list) or not all(isinstance(d, str) or (isinstance(d, dict) and isinstance(d.get("pip"), list)) for d in deps):
        yield at(doc, path, f"the conda file {aml.conda_file} is not a conda environment: it needs a `dependencies:` list of packages (and `- pip: [...]`)",
                 "e.g. dependencies: [python=3.10, pip, {pip: [olive-ai==0.13.0]}]", "invalid")


def key_vault_secrets(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """`secrets:` maps environment variables to the names of key vault secrets: a token there is refused
    without being printed (a known token format is literal_secret's, in checks/secrets.py)."""
    aml = recipe.target.azureml
    for variable, secret in (aml.secrets if aml is not None else {}).items():
        path = WHERE + ("secrets", variable)
        if not VARIABLE.match(variable):
            yield at(doc, path, f"'{variable}' is not an environment variable name", "letters, digits and '_', not starting with a digit, e.g. HF_TOKEN",
                     "azureml", key=True)
        if secret_problem("", secret) is not None:
            continue  # checks/secrets.py reports it (and masks it everywhere)
        if looks_like_token(secret) or secret.startswith(ENV_PREFIX):
            yield at(doc, path, f"secrets.{variable} holds a token, not the name of a key vault secret: orc never writes a secret's value",
                     "store the token in the workspace's key vault (az keyvault secret set --vault-name <vault> --name hf-token --value ...)"
                     f" and write its name: `secrets: {{{variable}: hf-token}}`", "literal_secret")
        elif not KEY_VAULT_SECRET.match(secret):
            yield at(doc, path, f"'{secret}' is not a key vault secret name", "1-127 letters, digits and '-', e.g. hf-token", "azureml")


def cloud_data_inputs(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """A dataset with AzureML data becomes a job input of its name, which AzureML's rule must allow."""
    if recipe.target.system != "azureml":
        return  # data.py's cloud_data refuses it
    for name, dataset in recipe.datasets.items():
        for input_name in dataset.cloud_inputs(name):
            if input_name == "workflow" or not INPUT_NAME.match(input_name):
                why = "is the job's input of the workflow" if input_name == "workflow" else "is not a valid job input name"
                yield at(doc, ("datasets", name), f"the job input of the dataset's AzureML data, '{input_name}', {why}",
                         "rename the dataset: a letter or '_' first, then letters, digits and '_' (not 'workflow')", "azureml", key=True)


def registration(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    """A local run's registration says which workspace (an azureml target's job registers in its own)."""
    register = recipe.output.register_
    if register is None or register.workspace is not None or recipe.target.system == "azureml":
        return
    yield at(doc, ("output", "register"), f"registering '{register.name}' after a {recipe.target.system} run needs the workspace to register in",
             "add `workspace: {subscription_id: ${env:AZURE_SUBSCRIPTION_ID}, resource_group: <group>, workspace: <name>}`", "missing_field")


AZUREML_CHECKS = [conda_file, key_vault_secrets, cloud_data_inputs, registration]
