"""Named adapters for real (issue 15): two adapters on the tiny model -> one int4 base + travel.onnx_adapter +
tone.onnx_adapter, through the real `olive run` (ExtractAdapters), loaded by onnxruntime-genai by name."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT, recipe_copy

pytestmark = pytest.mark.integration
og = pytest.importorskip("onnxruntime_genai")
onnx = pytest.importorskip("onnx")
pytest.importorskip("olive")


def _orc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orc_olive", *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


def _multi_lora(tmp: Path) -> Path:
    tone = tmp / "tone.jsonl"
    shutil.copy(ROOT / "examples" / "data" / "multi-lora" / "tone.jsonl", tone)
    recipe = recipe_copy(tmp, "tiny-cpu-multi-lora")
    recipe.write_text(recipe.read_text().replace("../examples/data/multi-lora/tone.jsonl", "tone.jsonl"))
    return recipe


def _adapter_names(file: Path) -> set[str]:
    # an .onnx_adapter file is a flatbuffer; onnxruntime reads it (the same loader onnxruntime-genai uses)
    import onnxruntime as ort

    return set(ort.AdapterFormat.read_adapter(str(file)).get_parameters())


def test_two_named_adapters_share_one_int4_base(tmp_path):
    recipe = _multi_lora(tmp_path)
    done = _orc("compile-and-run", str(recipe))
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out" / "model"
    travel, tone = out / "travel.onnx_adapter", out / "tone.onnx_adapter"
    assert travel.is_file() and tone.is_file() and (out / "model.onnx").is_file() and (out / "genai_config.json").is_file()
    assert sorted(p.name for p in out.glob("*.onnx_adapter")) == ["tone.onnx_adapter", "travel.onnx_adapter"]
    assert travel.read_bytes() != tone.read_bytes(), "each adapter is trained on its own data"
    # the base is int4 and every adapter tensor is an input of the one base model
    model = onnx.load(str(out / "model.onnx"), load_external_data=False)
    inputs = {i.name for i in model.graph.input}
    assert any(n.op_type == "MatMulNBits" for n in model.graph.node)
    for file in (travel, tone):
        names = _adapter_names(file)
        assert names and names <= inputs, names - inputs
    # og.Adapters loads both against the one base model
    loaded = og.Model(str(out))
    adapters = og.Adapters(loaded)
    adapters.load(str(travel), "travel")
    adapters.load(str(tone), "tone")
    record = json.loads((tmp_path / "out" / "model.manifest.json").read_text())
    assert record["status"] == "succeeded" and set(record["adapters"]) == {"travel", "tone"}
    assert [w["name"] for w in record["plan"]["workflows"]] == ["travel", "tone"]
    assert record["plan"]["assemblies"] == [{"recipe": recipe.name, "output": "out/model", "layout": "flat",
                                             "from": {"travel": ["base model", "travel.onnx_adapter"], "tone": ["tone.onnx_adapter"]}}]

    for name in ("travel", "tone"):
        tried = _orc("try", str(out), "--adapter", name, "--prompt", "Hello", "--max-tokens", "4")
        assert tried.returncode == 0, tried.stderr
        assert "4 tokens generated" in tried.stderr

    # unchanged: a no-op, fast
    started = time.monotonic()
    again = _orc("compile-and-run", str(recipe))
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("up to date") == 3, again.stderr
    assert time.monotonic() - started < 15  # the interpreter's start and imports included; no Olive run (~0.8 s unloaded)
    # what keeps it fast: "up to date" is decided without importing the model stack
    imports = subprocess.run([sys.executable, "-X", "importtime", "-m", "orc_olive", "compile-and-run", str(recipe)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    loaded = {line.rsplit("|", 1)[-1].strip() for line in imports.stderr.splitlines() if line.startswith("import time:")}
    assert imports.returncode == 0 and "jinja2" in loaded, imports.stderr[-2000:]  # the -X importtime list is read right
    assert not loaded & {"torch", "olive", "onnx", "onnxruntime", "onnxruntime_genai", "transformers", "numpy"}, sorted(loaded)
    # one adapter's data changes: only its workflow runs again, then the assembly
    travel_run = json.loads((tmp_path / "out" / "model.adapters" / "travel.manifest.json").read_text())["run_id"]
    with (tmp_path / "tone.jsonl").open("a") as f:
        f.write('{"prompt": "Say hello.", "response": "Hello there, nice to meet you."}\n')
    changed = _orc("compile-and-run", str(recipe))
    assert changed.returncode == 0, changed.stderr
    assert changed.stderr.count("up to date") == 1 and "assembled" in changed.stderr, changed.stderr
    assert json.loads((tmp_path / "out" / "model.adapters" / "travel.manifest.json").read_text())["run_id"] == travel_run
    assert (out / "travel.onnx_adapter").read_bytes() == travel.read_bytes()

    # the example app switches between the two named adapters on the one base model
    app = subprocess.run([sys.executable, str(ROOT / "examples" / "multi_lora_app.py"), str(out), "--tokens", "3"], capture_output=True, text=True, timeout=300)
    assert app.returncode == 0, app.stderr
    assert app.stdout.startswith("[tone] ") and "\n[travel] " in app.stdout

    # the Olive CLI's layout: the same model and adapters under <dir>/model/, no workflow runs again
    olive_cli = _orc("compile-and-run", str(recipe), "--set", "output.layout=model")
    assert olive_cli.returncode == 0, olive_cli.stderr
    assert olive_cli.stderr.count("up to date") == 2 and "(under model/)" in olive_cli.stderr, olive_cli.stderr
    assert sorted(p.name for p in (out / "model").glob("*.onnx_adapter")) == ["tone.onnx_adapter", "travel.onnx_adapter"]
    assert not (out / "model.onnx").exists() and (out / "model" / "model.onnx").is_file()
    tried = _orc("try", str(out), "--adapter", "tone", "--prompt", "Hello", "--max-tokens", "2")
    assert tried.returncode == 0, tried.stderr
    app = subprocess.run([sys.executable, str(ROOT / "examples" / "multi_lora_app.py"), str(out), "--adapter", "travel", "--tokens", "2"], capture_output=True, text=True, timeout=300)
    assert app.returncode == 0 and app.stdout.startswith("[travel] "), app.stderr
