"""Where orc's package data lives: in a checkout, beside the source; installed, inside the package.

pyproject.toml maps the repository's `schemas/`, `templates/`, `recipes/` and the examples the ready
recipes use into the package as `_schemas`, `_templates`, `_recipes`, `_example_data` and `_tiny_phi3`.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent  # the repository, when running from a checkout


def data_dir(name: str) -> Path:
    """`schemas`, `templates` or `recipes`: inside the package once installed from a wheel, else the
    repository's folder of that name."""
    installed = PACKAGE / f"_{name}"
    return installed if installed.is_dir() else ROOT / name


SCHEMAS_DIR = data_dir("schemas")
TEMPLATES_DIR = data_dir("templates")
RECIPES_DIR = data_dir("recipes")

# The ready recipes name their local inputs as `../examples/<folder>/...`; installed, each such folder
# is a package of its own.
_PACKAGED_EXAMPLES = {"data": "_example_data", "tiny-phi3": "_tiny_phi3"}


def recipe_input(relative: str) -> Path:
    """The file or folder a ready recipe in RECIPES_DIR names by `relative`, wherever orc is installed."""
    parts = Path(relative).parts
    if RECIPES_DIR.parent == PACKAGE and len(parts) >= 3 and parts[:2] == ("..", "examples") and parts[2] in _PACKAGED_EXAMPLES:
        return PACKAGE.joinpath(_PACKAGED_EXAMPLES[parts[2]], *parts[3:])
    return RECIPES_DIR / relative
