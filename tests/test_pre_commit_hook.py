"""orc as a pre-commit hook for other repositories (.pre-commit-hooks.yaml)."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from importlib.util import find_spec

import pytest
import yaml

from .conftest import ROOT

HOOKS = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
GOOD = """\
name: good
model: {path: microsoft/Phi-3.5-mini-instruct}
datasets:
  d: {hf: some/dataset, template: "{text}"}
target: {device: gpu}
steps:
  - lora: {dataset: d, training: {max_steps: 10}}
  - model_builder: {precision: int4}
"""
BAD = GOOD.replace("name: good", "name: bad").replace("dataset: d,", "dataset: dd,")


@pytest.fixture
def other_repo(tmp_path):
    """A repository that uses the hook: two recipes, and a YAML file that is not a recipe."""
    repo = tmp_path / "other"
    (repo / "recipes").mkdir(parents=True)
    (repo / "recipes" / "good.yaml").write_text(GOOD, encoding="utf-8")
    (repo / "recipes" / "bad.yaml").write_text(BAD, encoding="utf-8")
    (repo / "config.yaml").write_text("not: [a, recipe]\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    return repo


def hook_files(hook, paths):
    """The files pre-commit passes to a hook: those matching `files` (types: yaml is the suffix here)."""
    return [p for p in paths if re.search(hook["files"], p) and p.endswith((".yaml", ".yml"))]


@pytest.mark.parametrize("hook_id", ["orc-validate", "orc-validate-strict"])
def test_hook_entry_run_as_declared_on_the_matching_files(other_repo, hook_id):
    hook = HOOKS[hook_id]
    assert hook["language"] == "python" and hook["entry"].split()[:2] == ["orc", "validate"]
    files = hook_files(hook, ["recipes/bad.yaml", "recipes/good.yaml", "config.yaml"])
    assert files == ["recipes/bad.yaml", "recipes/good.yaml"]
    # `orc` is the console script of this package; `python -m orc_olive` is the same entry point.
    command = [sys.executable, "-m", "orc_olive", *shlex.split(hook["entry"])[1:], *files]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(command, cwd=other_repo, capture_output=True, text=True, env=env)
    assert run.returncode == 1
    assert "recipes/bad.yaml:7:21: error: steps[0].lora.dataset: unknown dataset 'dd'" in run.stderr
    assert "2 recipes checked: 1 error, 0 warnings" in run.stderr


@pytest.mark.skipif(find_spec("pre_commit") is None, reason="pre-commit is not installed")
def test_hooks_file_is_a_valid_pre_commit_manifest():
    run = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.skipif(find_spec("pre_commit") is None or not (ROOT / ".git").exists(), reason="needs pre-commit and a git checkout")
def test_pre_commit_try_repo_installs_and_runs_the_hook(other_repo, tmp_path):
    # pre-commit installs orc from this checkout into its own environment, with only the core
    # dependencies from PyPI: a real user's installation. It takes git-tracked files (with their
    # uncommitted changes): a new module must be `git add`ed before this test can see it.
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    run = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "orc-validate", "--all-files"],
        cwd=other_repo, capture_output=True, text=True, env=env, timeout=600,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "recipes/bad.yaml:7:21: error: steps[0].lora.dataset: unknown dataset 'dd'" in run.stdout
    assert "2 recipes checked: 1 error, 0 warnings" in run.stdout
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)


def test_a_changed_base_also_checks_the_recipes_that_extend_it(other_repo):
    # only the base is staged (pre-commit passes only it); the recipe that extends it is checked too
    (other_repo / "recipes" / "team").mkdir()
    (other_repo / "recipes" / "team" / "child.yaml").write_text("extends: ../good.yaml\nname: child\n", encoding="utf-8")
    (other_repo / "recipes" / "good.yaml").write_text(GOOD.replace("precision: int4", "precision: int3"), encoding="utf-8")
    hook = HOOKS["orc-validate"]
    command = [sys.executable, "-m", "orc_olive", *shlex.split(hook["entry"])[1:], *hook_files(hook, ["recipes/good.yaml"])]
    run = subprocess.run(command, cwd=other_repo, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 1
    assert "recipes/good.yaml:8:32: error: steps[1].model_builder.precision" in run.stderr
    assert "2 recipes checked: 1 error" in run.stderr  # good.yaml and team/child.yaml
