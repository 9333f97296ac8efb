"""compile-and-run of a recipe graph: the recipes it builds on (`model: {from: ...}`) first, in dependency order,
each skipped when its manifest says it is up to date, then the recipe itself (one workflow, or one per named
adapter). The first that fails stops the rest, and its exit code is the command's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from orc_olive.build.chain import producers
from orc_olive.build.compile import Result
from orc_olive.recipe.models import Recipe
from orc_olive.run.adapters import run_adapters
from orc_olive.run.execute import run_workflow
from orc_olive.run.progress import Progress


def needs_graph(recipe: Recipe) -> bool:
    """Whether compile-and-run goes through here: named adapters, `output.layout: model`, or `model: {from: ...}`."""
    return bool(recipe.adapters) or recipe.output.layout == "model" or (recipe.model is not None and recipe.model.from_ is not None)


def _recipe_files(result: Result) -> list[Path]:
    return sorted(Path(p) for p in result.sources if Path(p).is_file())


def run_one(result: Result, *, force: bool, dry_run: bool, progress: Callable[[], Progress]) -> int:
    if result.recipe is not None and (result.recipe.adapters or result.recipe.output.layout == "model"):
        return run_adapters(result, _recipe_files(result), force=force, dry_run=dry_run, progress=progress)
    return run_workflow(result, _recipe_files(result), force=force, dry_run=dry_run, progress=progress()).exit_code


def run_graph(result: Result, *, force: bool, dry_run: bool, progress: Callable[[], Progress]) -> int:
    """Run the producers that are stale, then the recipe; `force` runs the recipe itself again, not its producers."""
    say = progress()
    for produced in producers(result):
        if not produced.ok:  # changed on disk since this recipe was checked
            say.say(f"orc: the recipe {produced.file} this one builds on has errors now: run `orc validate {produced.file}`", always=True)
            return 1
        say.say(f"orc: first the recipe this one builds on: {produced.file}")
        code = run_one(produced, force=False, dry_run=dry_run, progress=progress)
        if code != 0:
            say.say(f"orc: stopped: {produced.file} failed (exit {code}), so {result.file} was not run", always=True)
            return code
    return run_one(result, force=force, dry_run=dry_run, progress=progress)
