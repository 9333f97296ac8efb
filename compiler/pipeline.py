"""The library API: validate and compile recipes. The CLI and the tests call these.

load YAML -> recipe models -> checks -> context -> render -> JSON -> output checks -> result
"""

from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import dataclass, field
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from . import azureml, passthrough
from .check_base import at
from .checks import raw_dataset_references, raw_file_checks, run_checks
from .compose import Reader, compose, load_composed_tree, read_disk, variant_names
from .credentials import literal_secrets, scrub
from .context import build_context
from .diagnostics import Diagnostic, Diagnostics, OrcError
from .loader import Document
from .located import Node
from .masking import mask
from .olive_check import run_config_errors, schema_errors
from .parse import parse_recipe
from .recipe import Recipe
from .render import dump_workflow, render_workflow


@dataclass
class Result:
    file: str
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    recipe: Recipe | None = None
    document: Document | None = None
    workflow: dict[str, Any] | None = None
    variant: str | None = None

    @property
    def ok(self) -> bool:
        return not self.diagnostics.errors

    @property
    def text(self) -> str:
        assert self.workflow is not None
        return dump_workflow(self.workflow)

    @property
    def sources(self) -> list[str]:
        """Where the recipe's values came from: its bases, `--set ...` overrides, the file itself."""
        origins = self.document.origins.values() if self.document is not None else ()
        return list(dict.fromkeys([*origins, self.file]))

    @property
    def secrets(self) -> dict[str, str]:
        return self.document.secrets if self.document is not None else {}

    @property
    def masked_text(self) -> str:
        """The workflow as it may be printed: values of secret environment variables masked."""
        return mask(self.text, self.secrets)

    @property
    def base_dir(self) -> Path:
        return Path(self.file).resolve().parent


def compile_file(
    path: Path | str,
    *,
    olive: bool = False,
    sets: Sequence[str] = (),
    variant: str | None = None,
    env: Mapping[str, str] | None = None,
    reader: Reader = read_disk,
    tree: Node | None = None,
) -> Result:
    """Compile a recipe file (its bases, the variant, overrides and references composed first);
    every problem found ends up in result.diagnostics (nothing raises). `tree`: see compose()."""
    result = Result(file=str(path), variant=variant)
    try:
        result.document = compose(str(path), sets=sets, variant=variant, env=env, reader=reader, tree=tree)
    except OrcError as exc:
        result.diagnostics.extend(exc.diagnostics)
        return result
    compile_document(result.document, result, olive=olive)
    return result


def compile_variants(path: Path | str, variants: Sequence[str] | None = None, **options: Any) -> list[Result]:
    """One result per variant: the named ones, or every variant of the recipe when `variants` is None
    (a recipe without variants gives its one result)."""
    if variants is not None:
        return [compile_file(path, variant=name, **options) for name in variants]
    try:
        tree = load_composed_tree(str(path), options.get("reader", read_disk))
    except OrcError:
        return [compile_file(path, **options)]  # which reports the problem
    names: list[str | None] = list(variant_names(tree)) or [None]
    # the recipe and its bases are read once; each variant composes its own copy of them
    return [compile_file(path, variant=name, tree=tree if name == names[-1] else copy.deepcopy(tree), **options) for name in names]


def compile_document(doc: Document, result: Result | None = None, *, olive: bool = False) -> Result:
    result = result or Result(file=doc.file, document=doc)
    result.diagnostics.extend(_redacted(_check_and_render(doc, result, olive), doc))
    return result


def _check_and_render(doc: Document, result: Result, olive: bool) -> list[Diagnostic]:
    """The problems found; result.recipe and result.workflow set as far as the recipe gets."""
    recipe, problems = parse_recipe(doc)
    # Secrets are reported even when the recipe is otherwise invalid.
    problems = [*literal_secrets(doc), *problems]
    if recipe is None:
        return problems + list(raw_dataset_references(doc)) + list(raw_file_checks(doc, result.base_dir))
    result.recipe = recipe
    problems += run_checks(recipe, doc, result.base_dir) + passthrough.check(recipe, doc)
    if any(d.severity == "error" for d in problems):
        return problems
    try:
        workflow = passthrough.apply(render_workflow(build_context(recipe)), recipe.olive)
    except ValueError as exc:  # e.g. a non-finite number, which JSON cannot hold
        return problems + [Diagnostic(f"cannot render the workflow: {exc}", doc.file, 1, 1, code="render")]
    found = schema_errors(workflow) + (run_config_errors(workflow, result.base_dir) if olive else [])
    problems += [Diagnostic(f"the compiled workflow is not valid for Olive: {problem}", doc.file, 1, 1, code="olive_schema") for problem in found]
    result.workflow = workflow
    return problems


def _redacted(diagnostics: list[Diagnostic], doc: Document) -> list[Diagnostic]:
    """Messages quote values: never a secret's, literal in the recipe or from the environment."""
    diagnostics = scrub(diagnostics, doc)
    if not doc.secrets:
        return diagnostics
    return [replace(d, message=mask(d.message, doc.secrets), hint=mask(d.hint, doc.secrets)) for d in diagnostics]


def write_atomic(path: Path, text: str, *, private: bool = False) -> None:
    """Write via a temporary file in the same folder and rename: never a half-written output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600 if private else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def holds_secret(text: str, secrets: Mapping[str, str]) -> bool:
    return mask(text, secrets) != text


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
    spec = companion_path(output, azureml.SUFFIX)
    # Upload the smallest folder that holds the recipe and every local file it names.
    recipe, base = result.recipe, result.base_dir
    local = [base] + [base / f for ds in recipe.datasets.values() for f in ds.file_list]
    model_paths = (recipe.model.path, recipe.model.adapter_path) if recipe.model else ()
    local += [base / p for p in model_paths if p and (base / p).exists()]
    code = Path(os.path.commonpath([p.resolve() for p in local]))
    code_dir = os.path.relpath(code, output.resolve().parent)
    text = azureml.job_spec_text(recipe, output.name, code_dir, os.path.relpath(base, code))
    problems = azureml.spec_problems(text, spec.resolve()) or []
    if problems:
        doc = result.document
        raise OrcError([at(doc, ("target", "azureml"), mask(f"azure-ai-ml rejects the job spec orc made for {spec.name}: {problem}", result.secrets),
                           "see the target's azureml: settings", "azureml_spec") for problem in problems])
    return spec, text
