"""Editor and validator agree: every choice the recipe schema offers (each `enum` in it) is accepted by
`orc validate` at that field, and a value outside it is refused there (issue 17: the schema offered 14
ModelBuilder precisions where orc accepts 4)."""

import copy
import json

import pytest
import yaml

from orc_olive.build.compile import compile_file
from orc_olive.diagnostics import dotted
from orc_olive.output.schema import RECIPE_SCHEMA_FILE

from .conftest import ROOT

DATA = str(ROOT / "examples" / "data" / "data_sample_travel.jsonl")
BASE = {
    "name": "enums",
    "model": {"path": "microsoft/Phi-3.5-mini-instruct"},
    "datasets": {"d": {"files": DATA, "format": "json", "template": "{prompt} {response}"}},
    "target": {"device": "gpu", "provider": "CUDAExecutionProvider"},
    "steps": [{"lora": {"dataset": "d", "training": {"max_steps": 100}}}, {"merge_adapters": {}}, {"model_builder": {"precision": "int4"}}],
}
LORA, BUILD = {"lora": {"dataset": "d", "training": {"max_steps": 100}}}, {"model_builder": {"precision": "int4"}}
# Where each schema definition that holds an enum sits in a recipe: (the recipe around it, the path of its mapping).
PLACES = {
    "LoRAStep": ({}, ("steps", 0, "lora")),
    "TrainingArgs": ({}, ("steps", 0, "lora", "training")),
    "QLoRAStep": ({"steps": [{"qlora": {"dataset": "d", "training": {"max_steps": 100}}}, {"merge_adapters": {}}, BUILD]}, ("steps", 0, "qlora")),
    "AutoAWQQuantizerStep": ({"steps": [{"awq": {}}, BUILD]}, ("steps", 0, "awq")),
    "ModelBuilderStep": ({}, ("steps", 2, "model_builder")),
    "ExtractAdaptersStep": ({"steps": [LORA, BUILD, {"extract_adapters": {}}]}, ("steps", 2, "extract_adapters")),
    "Dataset": ({}, ("datasets", "d")),
    "Target": ({}, ("target",)),
    "Adapter": ({"adapters": {"a": {"dataset": "d"}, "b": {"dataset": "d"}}}, ("adapters", "a")),
    "Metric": ({"evaluate": {"metrics": [{"name": "m", "type": "latency"}]}}, ("evaluate", "metrics", 0)),
    "MetricGoal": ({"evaluate": {"metrics": [{"name": "m", "type": "latency", "measures": [{"name": "avg", "goal": {"type": "threshold", "value": 1}}]}]}},
                   ("evaluate", "metrics", 0, "measures", 0, "goal")),
    "Output": ({"output": {"dir": "out"}}, ("output",)),
    "LmEval": ({"evaluate": {"lm_eval": {"tasks": ["arc_easy"]}}}, ("evaluate", "lm_eval")),
}
# The values an enum's field needs beside it to be valid at all (a system needs its block, a device its provider).
CONTEXT = {
    ("Target", "system", "docker"): {"docker": {"dockerfile": "Dockerfile", "build_context": "."}},
    ("Target", "system", "python_env"): {"python_env": {"python_environment_path": "/usr/bin"}},
    ("Target", "system", "azureml"): {"azureml": {"subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group": "rg",
                                                  "workspace": "ws", "compute": "gpu-cluster"}},
    ("Target", "device", "cpu"): {"provider": None},
    ("Target", "device", "npu"): {"provider": "QNNExecutionProvider"},
    ("Dataset", "format", "csv"): {"files": str(ROOT / "tests" / "cases" / "data" / "qa.csv")},
}
# ... or in the recipe around it (an lm-eval backend for HF models needs a pipeline that ends in one).
RECIPE_CONTEXT = {("LmEval", "backend", "hf"): {"steps": [LORA, {"merge_adapters": {}}]}}
SCHEMA = json.loads(RECIPE_SCHEMA_FILE.read_text(encoding="utf-8"))


def _enum(node):
    """The first enum in a property's schema (a reference's alternative or a search list's item share it)."""
    if isinstance(node, dict):
        if "enum" in node:
            return node["enum"]
        for key, value in node.items():
            if key not in ("default", "examples") and (found := _enum(value)) is not None:
                return found
    elif isinstance(node, list):
        for item in node:
            if (found := _enum(item)) is not None:
                return found
    return None


ENUMS = [(owner, name, [v for v in values if v is not None])
         for owner, body in SCHEMA["$defs"].items() if not owner.endswith("Partial")
         for name, prop in body.get("properties", {}).items() if (values := _enum(prop)) is not None]


def test_every_enum_of_the_schema_is_compared():
    assert {owner for owner, _, _ in ENUMS} <= set(PLACES), "a new definition with an enum: say where it sits in PLACES"
    assert len(ENUMS) >= 20


def _at(data, path):
    for part in path:
        data = data[part]
    return data


def _problems_at(tmp_path, owner, name, value):
    around, path = PLACES[owner]
    recipe = copy.deepcopy({**BASE, **around, **RECIPE_CONTEXT.get((owner, name, value), {})})
    block = _at(recipe, path)
    block[name] = value
    for key, extra in CONTEXT.get((owner, name, value), {}).items():
        if extra is None:
            block.pop(key, None)
        else:
            block[key] = extra
    file = tmp_path / "r.yaml"
    file.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    result = compile_file(file)
    where = dotted(path + (name,))
    return [d for d in result.diagnostics.errors if d.dotted_path == where or d.dotted_path.startswith(where + "[")]


def _schema_accepts(owner, name, value):
    import jsonschema

    prop = SCHEMA["$defs"][owner]["properties"][name]
    return jsonschema.Draft202012Validator({**prop, "$defs": SCHEMA["$defs"]}).is_valid(value)


@pytest.mark.parametrize("owner,name,values", ENUMS, ids=[f"{o}.{n}" for o, n, _ in ENUMS])
def test_each_choice_the_schema_offers_is_accepted_and_one_outside_is_judged_alike(tmp_path, owner, name, values):
    for value in values:
        assert _problems_at(tmp_path, owner, name, value) == [], f"the schema offers {owner}.{name}: {value!r}, orc refuses it"
    # a value outside the choices: refused by both, or (an open choice, such as transformers' optimizer names) by neither
    outside = 999 if all(isinstance(v, int) for v in values) else "not-a-choice"
    orc_accepts = not _problems_at(tmp_path, owner, name, outside)
    assert orc_accepts == _schema_accepts(owner, name, outside), f"{owner}.{name}: {outside!r}: orc {'accepts' if orc_accepts else 'refuses'} it, the schema does not"


def test_modelbuilder_offers_the_four_precisions_it_builds(tmp_path):
    prop = SCHEMA["$defs"]["ModelBuilderStep"]["properties"]["precision"]
    assert sorted(_enum(prop)) == ["bf16", "fp16", "fp32", "int4"] and prop["examples"] == ["int4"]
    # Olive's catalog lists int8 (and 9 more): orc refuses them, and the schema does not offer them
    assert _problems_at(tmp_path, "ModelBuilderStep", "precision", "int8") and not _schema_accepts("ModelBuilderStep", "precision", "int8")


def test_the_schema_has_a_stable_versioned_id_and_one_example_per_field():
    from orc_olive import __version__

    assert SCHEMA["$id"] == f"https://raw.githubusercontent.com/orc-olive/orc/v{__version__}/schemas/recipe.schema.json"

    def examples(node):
        if isinstance(node, dict):
            yield from ([node["examples"]] if isinstance(node.get("examples"), list) else [])
            for key, value in node.items():
                if key not in ("default", "examples", "enum", "const"):
                    yield from examples(value)
        elif isinstance(node, list):
            for item in node:
                yield from examples(item)

    assert all(len(found) == 1 for found in examples(SCHEMA))
    lora = SCHEMA["$defs"]["LoRAStep"]["properties"]
    assert lora["r"]["description"].startswith("The LoRA rank") and "R dimension" not in json.dumps(SCHEMA)
