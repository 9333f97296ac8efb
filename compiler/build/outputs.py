"""What compiling to a file writes: the workflow, and for an azureml target the job spec beside it;
all of it planned (and checked) before any of it is written."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from orc_olive.build.compile import Result
from orc_olive.build.graph import plan_files
from orc_olive.checks.base import at
from orc_olive.checks.outputs import _inputs as recipe_inputs
from orc_olive.diagnostics import Diagnostic, OrcError
from orc_olive.files import write_atomic, writes_through
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
    azureml target. A spec that azure-ai-ml (where installed) rejects, or an output that would replace
    one of the recipe's inputs, is an OrcError."""
    if not result.ok or result.workflow is None or result.recipe is None:
        raise ValueError("refusing to write a workflow that has errors")
    text = result.text  # made once: dumping a long workflow is a pass over all of it
    files = [OutputFile(output, text, holds_secret(text, result.secrets))]
    files += [OutputFile(path, text, private) for path, text, private in plan_files(result, output)]  # issue 15: the plan's workflows
    if result.recipe.target.system == "azureml":
        spec_path, spec_text = _azureml_spec(result, output)
        files.append(OutputFile(spec_path, spec_text, holds_secret(spec_text, result.secrets)))
    clashes = [d for file in files if (d := replaces_input(result, file.path)) is not None]
    if clashes:
        raise OrcError(clashes)
    return files


def input_paths(result: Result) -> dict[Path, str]:
    """The files and folders the recipe reads (resolved), each with what it is: the recipe, its bases,
    its data files, its model and adapter folders, the Olive cache (the output guard's list)."""
    found = {Path(source).resolve(): "a recipe file" for source in result.sources if Path(source).is_file()}
    if result.recipe is not None and result.document is not None:
        for what, path in recipe_inputs(result.recipe, result.document, result.base_dir):
            found[path] = what
    return found


def replaces_input(result: Result, output: Path) -> Diagnostic | None:
    """A located error when writing `output` would replace one of the recipe's inputs (or a file inside an
    input folder); None otherwise. A special file (/dev/null, a FIFO) is written through, never replaced."""
    if writes_through(output):
        return None
    target = output.resolve()
    for path, what in input_paths(result).items():
        if target == path or (path.is_dir() and path in target.parents and target.exists()):
            inside = "" if target == path else f" (a file in {path})"
            return Diagnostic(f"writing {output} would replace {what}, {path}{inside}", str(output),
                              hint="write the output to another file: orc never replaces an input", code="usage")
    return None


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
    text = azureml_job.job_spec_text(recipe, output.name, code_dir, os.path.relpath(base, code), base)
    problems = azureml_job.spec_problems(text, spec.resolve()) or []
    if problems:
        doc = result.document
        raise OrcError([at(doc, ("target", "azureml"), mask(f"azure-ai-ml rejects the job spec orc made for {spec.name}: {problem}", result.secrets),
                           "see the target's azureml: settings", "azureml_spec") for problem in problems])
    return spec, text
