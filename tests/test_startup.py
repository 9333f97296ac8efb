"""Issue 19: the cheap paths stay cheap, checked by what a process imports and builds (no timing).

A cold `orc validate` imports only its own command's module, makes the models of the step kinds its recipe
names (no other kind's, no named adapters'), and none of the heavy or unrelated modules. The no-op
`orc compile-and-run` of an unchanged recipe imports no pydantic, no Jinja and no recipe model at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from orc_olive.recipe.models import Recipe
from orc_olive.source.compose import compose

from .conftest import ROOT, recipe_copy
from .test_quick_noop import _as_if_run

# Modules no cold validate of a local recipe needs: Olive and its stack, the AzureML SDK, other commands, the
# run stage, the report page, and what only they import.
NOT_FOR_VALIDATE = ("torch", "olive", "transformers", "onnxruntime", "azure", "mlflow", "jsonschema", "rich", "urllib.request",
                    "orc_olive.cli.batch_compile", "orc_olive.cli.matrix_cmd", "orc_olive.cli.review", "orc_olive.run.execute",
                    "orc_olive.run.manifest", "orc_olive.output.explain", "orc_olive.output.diff", "orc_olive.output.schema",
                    "orc_olive.importer", "orc_olive.render.azureml_job")

PROBE = """
import json, sys
from orc_olive.cli.main import main
code = main(sys.argv[1:])
facts = {"code": code, "modules": sorted(sys.modules)}
if "orc_olive.recipe.models" in sys.modules:
    from orc_olive.recipe import adapters, models
    facts["kinds_made"] = sorted(dict.keys(models.TYPED_STEP_MODELS))
    facts["adapter_made"] = adapters.adapter_model.cache_info().currsize > 0
print(json.dumps(facts))
"""


def _probe(*args: str, cwd: Path = ROOT) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=cwd, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


def test_a_cold_validate_imports_its_own_command_only_and_makes_the_kinds_the_recipe_uses():
    facts = _probe("validate", "recipes/tiny-cpu-lora-int4.yaml")
    assert facts["code"] == 0
    assert _loaded(facts["modules"], NOT_FOR_VALIDATE) == []
    assert facts["kinds_made"] == ["lora", "merge_adapters", "model_builder"]
    assert facts["adapter_made"] is False


def test_a_recipe_with_named_adapters_makes_their_model_and_still_validates():
    recipe = next(p for p in sorted((ROOT / "recipes").glob("*.yaml")) if "\nadapters:" in p.read_text())
    facts = _probe("validate", str(recipe.relative_to(ROOT)))
    assert facts["code"] == 0
    assert facts["adapter_made"] is True


def test_the_no_op_imports_no_model_no_pydantic_and_no_jinja(tmp_path):
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    _as_if_run(recipe)
    facts = _probe("compile-and-run", str(recipe), "-q", cwd=tmp_path)
    assert facts["code"] == 0
    heavy = ("pydantic", "jinja2", "orc_olive.recipe", "orc_olive.build", "orc_olive.checks.collect", "orc_olive.render",
             "orc_olive.cli.commands", "importlib.metadata", "torch", "olive")
    assert _loaded(facts["modules"], heavy) == []


def test_set_values_are_typed_by_the_models_the_recipe_module_makes_on_first_use():
    # models.Recipe names its step kinds' models only through models.Later; --set is typed by their fields
    doc = compose(str(ROOT / "recipes" / "tiny-cpu-lora-int4.yaml"), Recipe, sets=["steps.lora.dataset=123", "steps.lora.training.max_steps=7"])
    assert doc.data["steps"][0]["lora"]["dataset"] == "123"  # a string field keeps the text
    assert doc.data["steps"][0]["lora"]["training"]["max_steps"] == 7
