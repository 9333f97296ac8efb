"""The example CI workflow (examples/ci/validate-recipes.yml), the composite action (action.yml) and
the JSON Schema check: hardened (actions pinned by SHA, file names never pasted into a script, zizmor
clean), and the action's own steps run on a temporary git repository whose base recipe changed."""

import os
import re
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest
import yaml

from .conftest import RECIPES, ROOT

WORKFLOW = ROOT / "examples" / "ci" / "validate-recipes.yml"
ACTION = ROOT / "action.yml"
SHA = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def _uses(document):
    steps = document["runs"]["steps"] if "runs" in document else [s for job in document["jobs"].values() for s in job["steps"]]
    return [step["uses"] for step in steps if "uses" in step], [step.get("run", "") for step in steps]


@pytest.mark.parametrize("path", [WORKFLOW, ACTION], ids=["workflow", "action"])
def test_actions_are_pinned_by_sha_and_no_expression_is_pasted_into_a_script(path):
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    uses, runs = _uses(document)
    assert uses and all(SHA.match(u) for u in uses), uses
    assert all("${{" not in run for run in runs)  # inputs and file names reach scripts through env only
    assert any("mapfile -d ''" in run and '"${files[@]}"' in run for run in runs)  # NUL-separated names, as arguments


def test_example_workflow_runs_orc_validate_with_dependents_and_check_jsonschema_on_changed_recipes():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    job = workflow["jobs"]["validate"]
    runs = [step.get("run", "") for step in job["steps"]]
    assert workflow["permissions"] == {} and job["permissions"] == {"contents": "read"}
    assert job["steps"][0]["with"]["persist-credentials"] is False
    assert any("orc validate --strict --with-dependents --format github --" in run and "$GITHUB_STEP_SUMMARY" in run for run in runs)
    assert any("orc schema -o" in run and "check-jsonschema --schemafile" in run for run in runs)
    assert any("git diff --name-only -z" in run and "$GITHUB_OUTPUT" in run for run in runs)


def _zizmor():
    found = shutil.which("zizmor") or shutil.which("zizmor", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("zizmor is not installed (pip install zizmor; it is in the dev extra)")
    return found


def test_zizmor_finds_nothing_in_the_workflow_and_the_action():
    run = subprocess.run([_zizmor(), "--offline", "--persona=pedantic", "--no-progress", str(WORKFLOW), str(ACTION)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "No findings" in run.stdout, run.stdout + run.stderr


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
@pytest.mark.parametrize("path,schema", [(WORKFLOW, "vendor.github-workflows"), (ACTION, "vendor.github-actions")], ids=["workflow", "action"])
def test_the_workflow_and_the_action_are_valid_for_github(path, schema):
    run = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


BASE = """\
name: base
model: {path: microsoft/Phi-3.5-mini-instruct}
datasets:
  d: {hf: some/dataset, template: "{text}"}
target: {device: gpu}
steps:
  - lora: {id: train, dataset: d, training: {max_steps: 100}}
  - merge_adapters: {}
  - model_builder: {precision: int4}
"""


def _git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path):
    """A repository whose recipes/base.yaml is extended by a child that the change does not touch; the
    change breaks the base (and so the child) and adds a recipe with a space and a `$(...)` in its name."""
    repo = tmp_path / "repo"
    (repo / "recipes" / "team").mkdir(parents=True)
    (repo / "recipes" / "base.yaml").write_text(BASE)
    (repo / "recipes" / "team" / "child.yaml").write_text("extends: ../base.yaml\nname: child\n")
    (repo / "recipes" / "other.yaml").write_text(BASE.replace("name: base", "name: other"))
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "root")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "recipes")
    base_sha = _git(repo, "rev-parse", "HEAD").strip()
    (repo / "recipes" / "base.yaml").write_text(BASE.replace("dataset: d,", "dataset: dd,"))
    (repo / "recipes" / "odd $(touch pwned) name.yaml").write_text(BASE.replace("name: base", "name: odd"))
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "change the base")
    return repo, base_sha


def test_the_actions_steps_check_the_changed_recipes_and_the_children_of_a_changed_base(repo, tmp_path):
    repo, base_sha = repo
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    steps = {step.get("id"): step for step in action["runs"]["steps"]}
    assert 'pip install' in steps["install"]["run"] and "$GITHUB_ACTION_PATH" in steps["install"]["run"]
    inputs = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    output, summary = tmp_path / "github_output", tmp_path / "summary.md"
    bin_dir = tmp_path / "bin"  # `orc` as the install step would put it on PATH
    bin_dir.mkdir()
    (bin_dir / "orc").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m orc_olive "$@"\n')
    (bin_dir / "orc").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path),
           "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), "PYTHONWARNINGS": "ignore"}

    def step(name, **values):
        # the step's env block, with the expressions GitHub would fill in
        return subprocess.run(["bash", "-e", "-c", steps[name]["run"]], cwd=repo, capture_output=True, text=True, env={**env, **values})

    changed = step("changed", ORC_PATHS=inputs["paths"], ORC_BASE=base_sha)
    assert changed.returncode == 0, changed.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs["count"] == "2"  # base.yaml and the odd name; child.yaml did not change
    run = step("validate", ORC_LIST=outputs["list"], ORC_COUNT=outputs["count"], ORC_STRICT="false", ORC_IGNORE="short_training cpu_dtype")
    assert run.returncode == 1, run.stdout + run.stderr
    annotated = set(re.findall(r"^::error file=([^,]+),", run.stdout, re.MULTILINE))
    assert annotated == {"recipes/base.yaml"}  # the error is in the base; the child that extends it is checked too
    assert "3 recipes checked: 1 error" in summary.read_text()  # base, odd name, and the unchanged child
    assert "| `recipes/base.yaml:7:" in summary.read_text()
    assert not (repo / "pwned").exists()
    assert "exit-code=1" in output.read_text()


def test_the_action_with_nothing_changed_says_so(repo, tmp_path):
    repo, _ = repo
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    validate = next(step for step in action["runs"]["steps"] if step.get("id") == "validate")
    summary = tmp_path / "summary.md"
    run = subprocess.run(["bash", "-e", "-c", validate["run"]], cwd=repo, capture_output=True, text=True,
                         env={**os.environ, "ORC_LIST": "", "ORC_COUNT": "0", "ORC_STRICT": "false", "ORC_IGNORE": "",
                              "GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_STEP_SUMMARY": str(summary)})
    assert run.returncode == 0 and "no recipe changed" in summary.read_text()
