"""The lazy core: `orc validate` builds the validators of the step kinds a recipe uses and imports
nothing heavy (Olive, torch, the AzureML SDK); the per-document Recipe model says exactly what the
full one says, on every shipped recipe and every test case."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pydantic import ValidationError

from orc_olive.recipe.lazy import recipe_model_for, used_kinds
from orc_olive.recipe.models import Recipe
from orc_olive.source.loader import load_text

from .conftest import RECIPES, ROOT

CASES = sorted((ROOT / "tests" / "cases").rglob("*.yaml"))
HEAVY = ("torch", "olive", "transformers", "onnxruntime", "onnxruntime_genai", "peft", "datasets", "azure", "mlflow")

PROBE = f"""
import json, sys
from orc_olive.cli.main import main
code = main(['validate', *sys.argv[1:]])
from orc_olive.recipe import models
from orc_olive.recipe.adapters import Adapter
built = sorted(k for k, m in dict.items(models.TYPED_STEP_MODELS) if m.__pydantic_complete__)
print(json.dumps({{"code": code, "built": built, "full_recipe": models.Recipe.__pydantic_complete__,
                  "adapter": Adapter.__pydantic_complete__,
                  "heavy": sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))}}))
"""


def _probe(*files: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *files], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_validate_builds_only_the_step_kinds_the_recipe_uses_and_imports_nothing_heavy():
    probe = _probe("recipes/tiny-cpu-lora-int4.yaml")
    assert probe["code"] == 0
    assert probe["built"] == ["lora", "merge_adapters", "model_builder"]
    assert probe["full_recipe"] is False and probe["adapter"] is False
    assert probe["heavy"] == []


def test_an_azureml_recipe_is_validated_without_the_azureml_sdk():
    azure = [p for p in RECIPES if "azureml" in p.read_text()]
    assert azure, "a shipped recipe targets AzureML"
    probe = _probe(*(str(p.relative_to(ROOT)) for p in azure))
    assert probe["heavy"] == []


def _outcome(model: type[Recipe], data: object) -> object:
    try:
        return model.model_validate(data).model_dump(mode="json", by_alias=True)
    except ValidationError as exc:
        return [(e["loc"], e["type"], e["msg"]) for e in exc.errors(include_url=False)]


@pytest.mark.parametrize("path", RECIPES + CASES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_per_document_model_says_what_the_full_recipe_says(path):
    try:
        doc = load_text(path.read_text(encoding="utf-8"), str(path))
    except Exception:  # noqa: BLE001 - a case that fails to load is the loader's test, not this one
        pytest.skip("does not load")
    assert _outcome(recipe_model_for(doc.data), doc.data) == _outcome(Recipe, doc.data)


def test_used_kinds_reads_only_the_step_keys_that_name_kinds():
    assert used_kinds({"steps": [{"lora": {}}, {"pass": {"type": "LoRA"}}, {"lorra": {}}, 3, {"model_builder": None}]}) == {"lora", "model_builder"}
    assert used_kinds({"steps": "x"}) == frozenset() and used_kinds(None) == frozenset()
