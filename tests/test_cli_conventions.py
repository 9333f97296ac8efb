"""The conventions of the tools people already use (issue 17): --version, `-` for standard input and
output, one valid document per machine format, one exit-code table for every command (in --help and the
README), a closed pipe keeps the exit code, --ignore and `# orc: ignore[CODE]`, an example in every
command's --help, shell completion, and --with-dependents for a changed base."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from orc_olive import __version__
from orc_olive.cli.exit_codes import TABLE, table_markdown

from .conftest import ROOT, recipe_copy

FAMILY = ROOT / "examples" / "family"
BAD = ROOT / "tests" / "cases" / "invalid" / "unknown-dataset.yaml"
SHORT_TEXT = f"""\
name: short
model: {{path: some/model}}
datasets:
  travel: {{files: {ROOT / "examples" / "data" / "data_sample_travel.jsonl"}, template: "{{prompt}} {{response}}", strategy: line-by-line}}
target: {{device: gpu}}
steps:
  - lora: {{dataset: travel, training: {{max_steps: 2, per_device_train_batch_size: 1}}}}
  - merge_adapters: {{}}
  - model_builder: {{precision: int4}}
"""
TINY = ROOT / "recipes" / "tiny-cpu-lora-int4.yaml"


def orc(*args, stdin=None, cwd=ROOT, env=None):
    return subprocess.run([sys.executable, "-m", "orc_olive", *map(str, args)], capture_output=True, text=True, input=stdin,
                          cwd=cwd, env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})})


def test_version_prints_orc_and_olive_versions_and_exits_0():
    run = orc("--version")
    assert run.returncode == 0 and run.stdout.startswith(f"orc {__version__} ") and "olive-ai 0.13.0" in run.stdout


# -- `-`: standard input and output ---------------------------------------------------------------

def test_a_dash_reads_the_recipe_from_standard_input_relative_to_the_current_folder():
    good = orc("validate", "-", stdin=TINY.read_text(), cwd=TINY.parent)
    assert good.returncode == 0, good.stderr
    bad = orc("validate", "-", stdin=BAD.read_text(), cwd=BAD.parent)
    assert bad.returncode == 1 and "-:11:16: error: steps[0].lora.dataset: unknown dataset 'travle'" in bad.stderr


def test_compile_reads_standard_input_and_writes_standard_output_with_dash(tmp_path):
    run = orc("compile", "-", "-o", "-", stdin=TINY.read_text(), cwd=TINY.parent)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["workflow_id"] == "tiny-cpu-lora-int4" and not (TINY.parent / "-").exists()


def test_explain_and_diff_read_standard_input_too():
    shown = orc("explain", "-", "--format", "json", stdin=(FAMILY / "travel.yaml").read_text(), cwd=FAMILY)
    assert [v["variant"] for v in json.loads(shown.stdout)] == ["cpu", "cuda"]
    compared = orc("diff", "base.yaml", "-", "--format", "json", stdin=(FAMILY / "phrases.yaml").read_text(), cwd=FAMILY)
    assert json.loads(compared.stdout)["new"] == "-" and not json.loads(compared.stdout)["equal"]


def test_import_writes_standard_output_with_dash_o(tmp_path):
    config = tmp_path / "wf.json"
    config.write_text(orc("compile", TINY).stdout)
    run = orc("import", config, "-o", "-", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "name:" in run.stdout and not (tmp_path / "-").exists()


# -- machine output: one valid document ------------------------------------------------------------

def test_explain_json_of_a_recipe_with_variants_is_one_array_and_of_one_variant_one_object():
    both = orc("explain", FAMILY / "travel.yaml", "--format", "json")
    assert both.returncode == 0, both.stderr
    shown = json.loads(both.stdout)
    assert [v["variant"] for v in shown] == ["cpu", "cuda"] and all(v["steps"] for v in shown)
    one = json.loads(orc("explain", FAMILY / "travel.yaml", "--format", "json", "--variant", "cuda").stdout)
    assert one["variant"] == "cuda"


def mermaid_structure(text):
    """A structural check of a Mermaid flowchart (no Mermaid parser installs here): the header, balanced
    subgraphs, node ids defined once, and every edge between defined nodes."""
    lines = text.strip().splitlines()
    assert lines[0] == "flowchart LR"
    defined, edges, depth = [], [], 0
    for line in lines[1:]:
        line = line.strip()
        if line.startswith("subgraph "):
            depth += 1
            assert re.fullmatch(r'subgraph [A-Za-z_][A-Za-z0-9_]*\["[^"]*"\]', line), line
        elif line == "end":
            depth -= 1
            assert depth >= 0
        elif "-->" in line or "-.->" in line:
            match = re.fullmatch(r'([A-Za-z_][A-Za-z0-9_]*) (?:-->\|"[^"|]*"\||-\.->) ([A-Za-z_][A-Za-z0-9_]*)', line)
            assert match, line
            edges.append(match.groups())
        else:
            match = re.fullmatch(r'([A-Za-z_][A-Za-z0-9_]*)(\["[^"]*"\]|\[\("[^"]*"\)\]|\[\["[^"]*"\]\])', line)
            assert match, line
            defined.append(match.group(1))
    assert depth == 0 and len(defined) == len(set(defined)) and "end" not in defined
    assert all(a in defined and b in defined for a, b in edges)
    return defined


@pytest.mark.parametrize("recipe", [FAMILY / "travel.yaml", FAMILY / "phrases.yaml", TINY, ROOT / "recipes" / "phi35-awq-lora-travel.yaml"],
                         ids=lambda p: p.name)
def test_explain_mermaid_and_json_are_valid_for_every_variant(recipe):
    drawn = orc("explain", recipe, "--format", "mermaid")
    assert drawn.returncode == 0, drawn.stderr
    nodes = mermaid_structure(drawn.stdout)
    data = json.loads(orc("explain", recipe, "--format", "json").stdout)
    variants = data if isinstance(data, list) else [data]
    assert sum(len(v["steps"]) for v in variants) == sum(n.startswith(("step", "v_")) and "step" in n for n in nodes)


def test_diff_json_is_one_document_and_differ_is_not_an_error():
    run = orc("diff", FAMILY / "base.yaml", FAMILY / "phrases.yaml", "--format", "json")
    assert run.returncode == 0, run.stderr  # differing is not a problem: 0 (1 is kept for recipes with errors)
    data = json.loads(run.stdout)
    assert data["equal"] is False and {"op": "changed", "path": "workflow_id", "old": "family-base", "new": "family-phrases"} in data["changes"]
    assert orc("diff", FAMILY / "base.yaml", FAMILY / "phrases.yaml", "--exit-code").returncode == 6
    same = orc("diff", FAMILY / "base.yaml", FAMILY / "base.yaml", "--format", "json", "--exit-code")
    assert same.returncode == 0 and json.loads(same.stdout) == {"old": str(FAMILY / "base.yaml"), "new": str(FAMILY / "base.yaml"), "equal": True, "changes": []}


def test_passes_json():
    names = json.loads(orc("passes", "--format", "json").stdout)
    assert "ModelBuilder" in names and "precision" in names["ModelBuilder"]
    verbose = json.loads(orc("passes", "--format", "json", "-v").stdout)
    assert verbose["ModelBuilder"]["precision"]["required"] is True


# -- one exit-code table ---------------------------------------------------------------------------

def test_the_exit_code_table_is_in_help_and_in_the_readme():
    shown = orc("--help").stdout
    for code, meaning in TABLE:
        assert re.search(rf"^  {code}\s+{re.escape(meaning[:30])}", shown, re.MULTILINE), code
    assert table_markdown() in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("args,code", [
    (["validate", TINY], 0),
    (["validate", BAD], 1),
    (["validate", "--no-such-option", TINY], 2),
    (["validate", "no/such/*.yaml"], 2),
    (["validate", "--ignore", "no_such_code", TINY], 2),
    (["compile", BAD], 1),
    (["explain", BAD], 1),
    (["diff", BAD, TINY], 1),
    (["diff", TINY], 2),
    (["compile-and-run", BAD], 1),
    (["compile", "--strict", TINY], 2),  # compile has no --strict: usage
])
def test_exit_codes_per_command(args, code):
    assert orc(*args).returncode == code


def test_an_internal_error_is_3_in_one_line(monkeypatch, capsys):
    from orc_olive.cli import commands, main

    def broken(args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(commands, "cmd_codes", broken)  # main dispatches to it by name (main.COMMANDS)
    assert main.main(["codes"]) == 3
    assert capsys.readouterr().err.strip() == "orc: internal error: RuntimeError: a bug (please report this; set ORC_DEBUG=1 for details)"


def test_compile_and_run_gives_4_when_not_run_and_5_when_the_run_fails(tmp_path):
    azure = tmp_path / "azure"
    azure.mkdir()
    recipe = azure / "r.yaml"
    recipe.write_text((ROOT / "recipes" / "phi3-qlora-phrase-classification.yaml").read_text()
                      .replace("../examples/data/", str(ROOT / "examples" / "data") + "/").replace("../models/", "models/").replace("../.olive-cache", "cache"))
    env = {k: "" for k in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET")}
    not_run = orc("compile-and-run", recipe, env=env)
    assert not_run.returncode == 4, not_run.stderr
    from orc_olive.run.lock import acquire

    tiny = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    with acquire(tmp_path / "out" / "model"):  # another run holds the output: this run cannot start
        failed = orc("compile-and-run", tiny)
    assert failed.returncode == 5, failed.stderr
    assert "being written by another orc run" in failed.stderr


@pytest.mark.parametrize("attempt", range(4))
def test_a_closed_pipe_keeps_the_real_exit_code(attempt):
    # `orc validate ... | head -0`: the reader is gone before orc writes; the errors still give 1
    process = subprocess.Popen([sys.executable, "-m", "orc_olive", "validate", "--format", "github", "tests/cases/invalid/"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert process.stdout is not None
    process.stdout.close()
    _, err = process.communicate(timeout=300)
    assert process.returncode == 1, err.decode()
    assert b"Traceback" not in err and b"internal error" not in err


def test_a_closed_pipe_in_a_shell_pipeline_keeps_the_code():
    shell = shutil.which("bash")
    if shell is None:
        pytest.skip("no bash")
    command = f"set -o pipefail; {sys.executable} -m orc_olive validate --format github tests/cases/invalid/ | head -1 >/dev/null"
    for _ in range(3):
        run = subprocess.run([shell, "-c", command], cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        assert run.returncode == 1, run.stderr


# -- secrets on stdout -----------------------------------------------------------------------------

def test_compile_to_stdout_says_the_secret_is_masked_and_how_to_get_a_runnable_file(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(TINY.read_text().replace("task: text-generation", "task: text-generation\n  load_kwargs: {token: '${env:HF_TOKEN}'}")
                      .replace("../examples/", str(ROOT / "examples") + "/"))
    run = orc("compile", recipe, env={"HF_TOKEN": "hf_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"})
    assert run.returncode == 0, run.stderr
    assert "<masked ${env:HF_TOKEN}>" in run.stdout and "hf_abcdefghij" not in run.stdout + run.stderr
    assert "HF_TOKEN masked" in run.stderr and "-o FILE.json" in run.stderr
    plain = orc("compile", TINY)
    assert plain.returncode == 0 and "masked" not in plain.stderr


# -- silencing warnings ----------------------------------------------------------------------------

def test_ignore_silences_a_warning_code_and_a_recipe_comment_does_too(tmp_path):
    SHORT = tmp_path / "short-training.yaml"
    SHORT.write_text(SHORT_TEXT)
    shown = orc("validate", SHORT)
    assert shown.returncode == 0, shown.stderr
    assert "short_training" in orc("validate", "--format", "json", SHORT).stdout and "1 warning" in shown.stderr
    ignored = orc("validate", "--ignore", "short_training", "--format", "json", SHORT)
    assert ignored.returncode == 0 and json.loads(ignored.stdout) == []
    strict = orc("validate", "--strict", "--ignore", "short_training", SHORT)
    assert strict.returncode == 0, strict.stderr  # an ignored warning is not made an error
    commented = tmp_path / "short.yaml"
    commented.write_text("# orc: ignore[short_training]\n" + SHORT_TEXT)
    assert json.loads(orc("validate", "--format", "json", commented).stdout) == []


def test_ignore_never_silences_an_error():
    run = orc("validate", "--ignore", "unknown_dataset", BAD)
    assert run.returncode == 1 and "unknown dataset 'travle'" in run.stderr


def test_markdown_format_is_a_job_summary_table():
    run = orc("validate", "--format", "markdown", BAD.relative_to(ROOT))
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert lines[0] == "**orc validate: 1 recipe checked: 1 error, 1 warning**"
    assert lines[2] == "| where | severity | code | field | message |"
    assert any(line.startswith("| `tests/cases/invalid/unknown-dataset.yaml:11:16` | error | `unknown_dataset` |") for line in lines)


# -- help and completion ---------------------------------------------------------------------------

def _commands():
    from orc_olive.cli.main import parser

    action = next(a for a in parser()._actions if a.dest == "command")
    return sorted(action.choices)


@pytest.mark.parametrize("command", _commands())
def test_every_command_help_has_an_example_and_the_exit_codes(command):
    run = orc(command, "--help")
    assert run.returncode == 0
    examples = run.stdout.split("examples:\n", 1)[1].split("\n\n", 1)[0]
    assert re.search(rf"^  orc {command}\b|^  .*\borc {command}\b", examples, re.MULTILINE), run.stdout
    assert "exit codes (every command):" in run.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_scripts_name_every_command(shell):
    pytest.importorskip("shtab")
    run = orc("completion", shell)
    assert run.returncode == 0, run.stderr
    assert all(command in run.stdout for command in _commands())
    interpreter = shutil.which(shell)
    if interpreter:  # the script parses in its shell
        checked = subprocess.run([interpreter, "-n"], input=run.stdout, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr


# -- a changed base checks the recipes that extend it ----------------------------------------------

def test_with_dependents_checks_every_recipe_that_extends_a_file(tmp_path):
    family = tmp_path / "family"
    shutil.copytree(FAMILY, family)
    (family / "grandchild.yaml").write_text("extends: travel.yaml\nname: grandchild\n")
    base = yaml.safe_load((family / "base.yaml").read_text())
    assert base  # the base itself
    alone = orc("validate", "family/base.yaml", cwd=tmp_path)
    assert "1 recipe checked" in alone.stderr
    run = orc("validate", "--with-dependents", "family/base.yaml", cwd=tmp_path)
    assert "4 recipes checked" in run.stderr, run.stderr
    (family / "base.yaml").write_text((family / "base.yaml").read_text().replace("steps:", "stepz:", 1))
    broken = orc("validate", "--with-dependents", "--format", "github", "family/base.yaml", cwd=tmp_path)
    assert broken.returncode == 1
    files = set(re.findall(r"file=([^,]+)", broken.stdout))
    assert files >= {"family/base.yaml"}
    assert "4 recipes" in orc("validate", "--with-dependents", "family/base.yaml", cwd=tmp_path).stderr
