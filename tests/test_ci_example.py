"""The example CI workflow (examples/ci/validate-recipes.yml) and the JSON Schema check it runs."""

import subprocess
import sys
from importlib.util import find_spec

import pytest
import yaml

from .conftest import RECIPES, ROOT

WORKFLOW = ROOT / "examples" / "ci" / "validate-recipes.yml"


def test_example_workflow_runs_orc_validate_and_check_jsonschema_on_changed_recipes():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    runs = [step.get("run", "") for step in workflow["jobs"]["validate"]["steps"]]
    assert any("orc validate --strict --format github ${{ steps.changed.outputs.files }}" in run for run in runs)
    assert any("orc schema -o" in run and "check-jsonschema --schemafile" in run for run in runs)
    assert any("git diff --name-only" in run and "$GITHUB_OUTPUT" in run for run in runs)


@pytest.mark.skipif(find_spec("check_jsonschema") is None, reason="check-jsonschema is not installed")
def test_check_jsonschema_accepts_the_shipped_recipes_and_rejects_a_misspelt_key(tmp_path):
    schema = tmp_path / "recipe.schema.json"
    subprocess.run([sys.executable, "-m", "orc_olive", "schema", "-o", str(schema)], check=True, cwd=ROOT)
    check = [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema)]
    good = subprocess.run([*check, *map(str, RECIPES)], capture_output=True, text=True)
    bad = subprocess.run([*check, str(ROOT / "tests" / "cases" / "invalid" / "unknown-key.yaml")], capture_output=True, text=True)
    assert good.returncode == 0, good.stdout + good.stderr
    assert bad.returncode == 1 and "('devise' was unexpected)" in bad.stdout


@pytest.mark.skipif(find_spec("check_jsonschema") is None, reason="check-jsonschema is not installed")
def test_example_workflow_is_a_valid_github_workflow():
    run = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
