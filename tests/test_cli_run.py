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
