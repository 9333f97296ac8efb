"""What compiling to a file writes: the workflow, and for an azureml target the job spec beside it;
all of it planned (and checked) before any of it is written."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from orc_olive.build.compile import Result
from orc_olive.checks.base import at
from orc_olive.diagnostics import OrcError
from orc_olive.files import write_atomic
from orc_olive.render import azureml_job
from orc_olive.secrecy import holds_secret, mask


def companion_path(output: Path, suffix: str) -> Path:
    stem = output.name[: -len(".json")] if output.name.endswith(".json") else output.name
    return output.with_name(stem + suffix)


@dataclass(frozen=True)
class OutputFile:
    path: Path
    text: str
    private: bool  # holds a secret's value: written owner-only


def planned_outputs(result: Result, output: Path) -> list[OutputFile]:
    """What compiling to `output` writes: the workflow, and the AzureML job spec beside it for an
    azureml target. A spec that azure-ai-ml (where installed) rejects is an OrcError."""
    if not result.ok or result.workflow is None or result.recipe is None:
        raise ValueError("refusing to write a workflow that has errors")
    files = [OutputFile(output, result.text, holds_secret(result.text, result.secrets))]
    if result.recipe.target.system == "azureml":
        spec_path, spec_text = _azureml_spec(result, output)
        files.append(OutputFile(spec_path, spec_text, holds_secret(spec_text, result.secrets)))
    return files


def write_outputs(files: Sequence[OutputFile]) -> list[Path]:
    for file in files:
        write_atomic(file.path, file.text, private=file.private)
    return [file.path for file in files]


def write_result(result: Result, output: Path) -> list[Path]:
    """Write what planned_outputs() plans: all of it, or (on an OrcError) nothing."""
    return write_outputs(planned_outputs(result, output))


def _azureml_spec(result: Result, output: Path) -> tuple[Path, str]:
    """The AzureML job spec's path and text, checked with azure-ai-ml's own job schema where installed."""
    assert result.recipe is not None and result.document is not None
    spec = companion_path(output, azureml_job.SUFFIX)
    # Upload the smallest folder that holds the recipe and every local file it names.
    recipe, base = result.recipe, result.base_dir
    local = [base] + [base / f for ds in recipe.datasets.values() for f in ds.file_list]
    model_paths = (recipe.model.path, recipe.model.adapter_path) if recipe.model else ()
    local += [base / p for p in model_paths if p and (base / p).exists()]
    code = Path(os.path.commonpath([p.resolve() for p in local]))
    code_dir = os.path.relpath(code, output.resolve().parent)
    text = azureml_job.job_spec_text(recipe, output.name, code_dir, os.path.relpath(base, code))
    problems = azureml_job.spec_problems(text, spec.resolve()) or []
    if problems:
        doc = result.document
        raise OrcError([at(doc, ("target", "azureml"), mask(f"azure-ai-ml rejects the job spec orc made for {spec.name}: {problem}", result.secrets),
                           "see the target's azureml: settings", "azureml_spec") for problem in problems])
    return spec, text
