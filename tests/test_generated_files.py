"""Generated files in schemas/ must match what their commands produce today."""

import pytest

from compiler.catalog import PASSES_FILE, RUN_CONFIG_SCHEMA_FILE
from compiler.olive_check import olive_available
from compiler.schema_gen import RECIPE_SCHEMA_FILE, recipe_schema_text


def test_recipe_schema_is_up_to_date():
    assert RECIPE_SCHEMA_FILE.read_text(encoding="utf-8") == recipe_schema_text(), "run `orc schema` and commit the result"


@pytest.mark.skipif(not olive_available(), reason="olive-ai is not installed")
def test_olive_catalogs_match_the_installed_olive(tmp_path):
    from compiler.catalog_gen import generate

    for path in generate(tmp_path):
        committed = {"olive-passes.json": PASSES_FILE, "olive-run-config.schema.json": RUN_CONFIG_SCHEMA_FILE}[path.name]
        assert path.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8"), (
            f"{committed.name} drifted from the installed olive-ai: run `python -m compiler.catalog_gen`"
        )
