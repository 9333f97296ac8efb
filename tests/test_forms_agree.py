"""`orc explain` and `orc validate` agree on the model form every Olive pass yields: for each pass in the
catalog, after a PyTorch and after an ONNX model, a following ONNX-only step is refused by validate exactly
when explain shows the pass yielding a PyTorch form, and a PyTorch-only step exactly when it shows ONNX."""

import pytest

from orc_olive import catalog
from orc_olive.build.compile import compile_file
from orc_olive.output.explain import rows
from orc_olive.recipe.forms import catalog_models
from orc_olive.recipe.pass_models import is_dataset_param

from .conftest import ROOT

ONNX_ONLY = "OnnxPeepholeOptimizer"


def _torch_only() -> str:
    """A catalog pass that takes only a Hugging Face model and needs no parameter (nor a GPU)."""
    return next(name for name, entry in sorted(catalog.catalog()["passes"].items())
                if catalog_models(name, "input_model") == {"HfModel"} and not any(p.get("required") for p in entry.get("params", {}).values())
                and name not in ("AutoAWQQuantizer", "MergeAdapterWeights", "QLoRA", "GptqQuantizer"))


def _value(key: str, schema: dict):
    """A value of the right type for a required parameter."""
    if is_dataset_param(key):
        return "travel"
    if "enum" in schema:
        return schema["enum"][0]
    options = schema.get("anyOf") or [schema]
    kinds = [o.get("type") for o in options]
    if "string" in kinds:
        return "x"
    return [] if "array" in kinds else {}


def _recipe(tmp_path, pass_type: str, after_onnx: bool, probe: str):
    required = {k: _value(k, p.get("schema", {})) for k, p in catalog.pass_params(pass_type).items() if p.get("required")}
    steps = [{"model_builder": {"precision": "int4"}}] if after_onnx else []
    steps += [{"pass": {"type": pass_type, **required}}, {"pass": {"type": probe}}]
    import json

    text = json.dumps({
        "name": "probe", "model": {"path": str(ROOT / "examples" / "tiny-phi3")},
        "datasets": {"travel": {"files": str(ROOT / "examples" / "data" / "data_sample_travel.jsonl"),
                                "template": "{prompt} {response}"}},
        "target": {"device": "gpu", "provider": "CUDAExecutionProvider"}, "steps": steps, "output": {"dir": "out"},
    })
    path = tmp_path / f"{pass_type}-{after_onnx}-{probe}.yaml"
    path.write_text(text)  # JSON is YAML
    return path


@pytest.mark.parametrize("after_onnx", [False, True], ids=["after-pytorch", "after-onnx"])
def test_explain_and_validate_agree_for_every_pass(tmp_path, after_onnx):
    torch_only = _torch_only()
    checked = 0
    for pass_type in catalog.pass_names():
        for probe, refused_after in ((ONNX_ONLY, ("HF", "HF+adapter")), (torch_only, ("ONNX", "ONNX+adapters"))):
            result = compile_file(_recipe(tmp_path, pass_type, after_onnx, probe))
            assert result.recipe is not None, (pass_type, [d.message for d in result.diagnostics])
            shown = rows(result.recipe)[-2]  # the pass under test; the probe follows it
            probe_index = len(result.recipe.steps) - 1
            refused = any(d.code == "order" and d.path[:2] == ("steps", probe_index) for d in result.diagnostics)
            assert refused == (shown.model_out in refused_after), (
                f"{pass_type} ({'after ONNX' if after_onnx else 'after PyTorch'}): explain shows {shown.model_in} -> {shown.model_out}, "
                f"validate {'refuses' if refused else 'accepts'} the {probe} after it")
            checked += 1
    assert checked == 2 * len(catalog.pass_names())


def test_the_issue_example_optimum_conversion_yields_onnx(tmp_path):
    result = compile_file(_recipe(tmp_path, "OptimumConversion", False, "OnnxQuantization"))
    assert [r.model_out for r in rows(result.recipe)] == ["ONNX", "ONNX"]
    assert not [d for d in result.diagnostics if d.code == "order"]
