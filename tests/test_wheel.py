"""orc as users get it: a wheel built from this checkout, installed (not editable) into a fresh virtual
environment with only the core dependencies, used from a folder outside the repository."""

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.skipif(os.environ.get("ORC_SKIP_WHEEL_TEST") == "1", reason="ORC_SKIP_WHEEL_TEST=1")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the fresh venv's bin folder, the wheel)."""
    tmp = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next((tmp / "dist").glob("orc_olive-*.whl"))
    venv.create(tmp / "venv", with_pip=True)
    bin_dir = tmp / "venv" / "bin"
    done = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return bin_dir, wheel


def _run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(bin_dir / "orc"), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_the_wheel_holds_the_package_data_and_no_source_folder_name(installed):
    _, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert "orc_olive/py.typed" in names
    assert "orc_olive/_recipes/tiny-cpu-lora-int4.yaml" in names and "orc_olive/_tiny_phi3/model.safetensors" in names
    assert "orc_olive/_schemas/recipe.schema.json" in names and "orc_olive/_templates/workflow.json.j2" in names
    assert not [n for n in names if n.startswith("compiler/")]


def test_new_validate_compile_and_schema_work_outside_the_repository(installed, tmp_path):
    bin_dir, _ = installed
    version = _run(bin_dir, "--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("orc 0.1.0"), version.stdout + version.stderr

    made = _run(bin_dir, "new", "mine", "--from", "tiny-cpu", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "tiny-phi3" / "model.safetensors").is_file() and (tmp_path / "data" / "data_sample_travel.jsonl").is_file()
    text = (tmp_path / "mine.yaml").read_text()
    assert "path: ./tiny-phi3" in text and "files: data/data_sample_travel.jsonl" in text

    validated = _run(bin_dir, "validate", "mine.yaml", cwd=tmp_path)
    assert validated.returncode == 0 and "0 errors" in validated.stderr, validated.stderr
    compiled = _run(bin_dir, "compile", "mine.yaml", "-o", "mine.json", cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stderr
    workflow = json.loads((tmp_path / "mine.json").read_text())
    assert [p["type"] for p in workflow["passes"].values()] == ["LoRA", "MergeAdapterWeights", "ModelBuilder"]
    # perplexity of model_builder's model: the evaluator's script, named from the recipe's folder, is the installed one
    (tmp_path / "ppl.yaml").write_text(text.replace("name: mine", "name: ppl", 1) + "evaluate:\n  metrics: [{name: ppl, type: perplexity, dataset: travel}]\n")
    assert _run(bin_dir, "compile", "ppl.yaml", "-o", "ppl.json", cwd=tmp_path).returncode == 0
    script = json.loads((tmp_path / "ppl.json").read_text())["evaluators"]["evaluator"]["user_script"]
    installed_script = next((bin_dir.parent / "lib").glob("python*/site-packages/orc_olive/olive/orc_perplexity.py"))
    assert (tmp_path / script).resolve() == installed_script.resolve()

    site = next((bin_dir.parent / "lib").glob("python*/site-packages/orc_olive"))
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    schema = _run(bin_dir, "schema", cwd=tmp_path)
    assert schema.returncode == 0, schema.stderr
    assert json.loads((tmp_path / "schemas" / "recipe.schema.json").read_text())["$schema"].startswith("https://json-schema.org/")
    assert {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()} == before  # nothing written into the install
    checked = _run(bin_dir, "schema", "--check", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
