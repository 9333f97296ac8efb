"""compile-and-run paths that need no Olive run: AzureML without azure-ai-ml or credentials, and --dry-run."""

import os
import shutil
import subprocess
import sys

from .conftest import ROOT


def test_azureml_target_stops_before_running_and_prints_the_az_command(tmp_path):
    shutil.copy(ROOT / "examples" / "data" / "phrase_classification.json", tmp_path / "phrases.json")
    text = (ROOT / "recipes" / "phi3-qlora-phrase-classification.yaml").read_text()
    recipe = tmp_path / "recipes" / "qlora.yaml"
    recipe.parent.mkdir()
    recipe.write_text(text.replace("../examples/data/phrase_classification.json", "../phrases.json"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_"))}
    done = subprocess.run([sys.executable, "-m", "orc_olive", "compile-and-run", str(recipe)], capture_output=True, text=True, env=env)
    assert done.returncode == 4, done.stderr
    assert "orc: not submitted:" in done.stderr
    spec = tmp_path / "models" / "phi3-phrase-classification.workflow.azureml-job.yaml"
    assert f"az ml job create --file {spec} --subscription 00000000-0000-0000-0000-000000000000" in done.stderr
    assert "--resource-group my-resource-group --workspace-name my-workspace" in done.stderr
    assert spec.is_file() and (tmp_path / "models" / "phi3-phrase-classification.workflow.json").is_file()
    assert "code: .." in spec.read_text()  # the folder holding the recipe and its data is uploaded
    assert not (tmp_path / "models" / "phi3-phrase-classification").exists()


def _tiny(tmp_path):
    from .conftest import recipe_copy

    return recipe_copy(tmp_path, "tiny-cpu-lora-int4")


def test_a_run_of_an_output_another_run_holds_is_refused_at_once(tmp_path):
    import pytest

    from orc_olive.run.lock import acquire, lock_path

    pytest.importorskip("olive")
    recipe = _tiny(tmp_path)
    output = (tmp_path / "out" / "model").resolve()
    with acquire(output):
        before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
        done = subprocess.run([sys.executable, "-m", "orc_olive", "compile-and-run", str(recipe)], capture_output=True, text=True, timeout=300)
        after = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert done.returncode == 5  # the run could not start (1 is kept for a recipe with errors)
    assert f"orc: {output} is being written by another orc run (pid {os.getpid()}; lock {lock_path(output)})" in done.stderr
    assert after == before and "Traceback" not in done.stderr


def test_dry_run_masks_secrets_in_the_paths_it_prints(tmp_path):
    recipe = _tiny(tmp_path)
    recipe.write_text(recipe.read_text().replace("dir: out/model", "dir: out/${env:RUN_TOKEN}"))
    secret = "tok_Abc123Def456Ghi789"
    env = {**os.environ, "RUN_TOKEN": secret}
    done = subprocess.run([sys.executable, "-m", "orc_olive", "compile-and-run", str(recipe), "--dry-run"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "would run (in" in done.stderr and "out/<masked ${env:RUN_TOKEN}>.runs/<run-id>.workflow.json" in done.stderr
    assert secret not in done.stderr + done.stdout
    assert not (tmp_path / "out").exists()
