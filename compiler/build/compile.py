"""Compile a recipe: the stages in order, every problem collected into one Result. The CLI and the tests call these.

source (load + compose) -> recipe (models) -> checks -> render (context, Jinja, the olive: block)
-> olive (the workflow checked against Olive's RunConfig schema) -> Result
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from orc_olive.build.chain import resolve_from
from orc_olive.checks import olive_block
from orc_olive.checks.collect import invalid_recipe_checks, run_checks
from orc_olive.checks.secrets import literal_secrets, scrub, secret_diagnostics
from orc_olive.diagnostics import Diagnostic, Diagnostics, OrcError
from orc_olive.olive.run_config import run_config_errors, schema_errors
from orc_olive.recipe.models import Recipe
from orc_olive.recipe.validate import parse_recipe
from orc_olive.render.context import build_context
from orc_olive.render.jinja import dump_workflow, render_workflow
from orc_olive.render.olive_block import apply as apply_olive_block
from orc_olive.secrecy import mask
from orc_olive.source.compose import Reader, compose, load_composed_tree, read_disk, variant_names
from orc_olive.source.loader import Document
from orc_olive.source.located import Node


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
        # the folder the recipe is seen in (a symlink's, not its target's): its bases are found from there too
        return Path(os.path.abspath(self.file)).parent


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
    return _compile_file(path, olive=olive, sets=sets, variant=variant, env=env, reader=reader, trees=[] if tree is None else [tree])


def _compile_file(path: Path | str, *, olive: bool, sets: Sequence[str], variant: str | None, env: Mapping[str, str] | None,
                  reader: Reader, trees: list[Node]) -> Result:
    """compile_file with its tree in `trees`, taken out of it: once composed into the document, the tree (a node
    per value) is held by nothing and freed, not carried through the checks and the rendering (issue 19)."""
    result = Result(file=str(path), variant=variant)
    tree = trees.pop() if trees else None
    try:
        result.document = compose(str(path), Recipe, sets=sets, variant=variant, env=env, reader=reader, tree=tree)
    except OrcError as exc:
        result.diagnostics.extend(exc.diagnostics)
        return result
    tree = None
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
    # the recipe and its bases are read once; each variant composes its own copy of them, the last one the
    # tree itself, handed over in a list so that no frame of this function keeps it alive while it is checked
    settings = {"olive": False, "sets": (), "env": None, "reader": read_disk, **options}
    trees = [tree]
    del tree
    return [_compile_file(path, variant=name, trees=[copy.deepcopy(trees[0])] if index < len(names) - 1 else trees, **settings)
            for index, name in enumerate(names)]


def compile_document(doc: Document, result: Result | None = None, *, olive: bool = False) -> Result:
    result = result or Result(file=doc.file, document=doc)
    secrets = literal_secrets(doc)
    # Secrets are reported even when the recipe is otherwise invalid, and never quoted by another message.
    problems = [*secret_diagnostics(doc, secrets), *_check_and_render(doc, result, olive)]
    result.diagnostics.extend(_masked(scrub(problems, secrets), doc.secrets))
    return result


def _check_and_render(doc: Document, result: Result, olive: bool) -> list[Diagnostic]:
    """The problems found; result.recipe and result.workflow set as far as the recipe gets."""
    recipe, problems = parse_recipe(doc)
    if recipe is None:
        return problems + list(invalid_recipe_checks(doc, result.base_dir))
    recipe, chained = resolve_from(recipe, doc, result.base_dir)  # issue 15: `model: {from: ...}` (build/chain.py)
    result.recipe = recipe
    problems += chained + run_checks(recipe, doc, result.base_dir) + olive_block.check(recipe, doc)
    if any(d.severity == "error" for d in problems):
        return problems
    try:
        workflow = apply_olive_block(render_workflow(build_context(recipe, result.base_dir)), recipe.olive)
    except ValueError as exc:  # e.g. a non-finite number, which JSON cannot hold
        return problems + [Diagnostic(f"cannot render the workflow: {exc}", doc.file, 1, 1, code="render")]
    found = schema_errors(workflow) + (run_config_errors(workflow, result.base_dir) if olive else [])
    problems += [Diagnostic(f"the compiled workflow is not valid for Olive: {problem}", doc.file, 1, 1, code="olive_schema") for problem in found]
    result.workflow = workflow
    return problems


def _masked(diagnostics: list[Diagnostic], secrets: Mapping[str, str]) -> list[Diagnostic]:
    """Messages quote values: never the value of a secret environment variable."""
    if not secrets:
        return diagnostics
    return [replace(d, message=mask(d.message, secrets), hint=mask(d.hint, secrets)) for d in diagnostics]
