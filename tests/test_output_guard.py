"""The output guard: `output.dir` that would replace the recipe, an input, the project, home, `/`, a file or
a folder orc did not make is refused by `orc validate`, located at output.dir, and nothing is touched."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from orc_olive.cli.main import main

from .conftest import ROOT, recipe_copy


def _tree(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder` with its content's hash (folders: 'dir')."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _with_output(recipe: Path, value: str) -> Path:
    text = recipe.read_text()
    assert "  dir: out/model\n" in text
    recipe.write_text(text.replace("  dir: out/model\n", f"  dir: {json.dumps(value)}\n"))
    return recipe


def _line_of_output_dir(recipe: Path) -> int:
    return next(i for i, line in enumerate(recipe.read_text().splitlines(), 1) if line.startswith("  dir: "))


def _setup(tmp: Path, case: str) -> tuple[Path, str, Path, str]:
    """(recipe, output.dir, folder to run in, what the message must say) for each case."""
    tmp = tmp.resolve()
    work = tmp / "work"
    work.mkdir()
    recipe = recipe_copy(work, "tiny-cpu-lora-int4")
    cwd = tmp
    if case == "dot":
        return recipe, ".", cwd, "contains the recipe"
    if case == "dotdot":
        return recipe, "..", cwd, "contains the recipe"
    if case == "empty":
        return recipe, "", cwd, "it is empty: the model would replace the recipe's own folder"
    if case == "recipe-file":
        return recipe, recipe.name, cwd, "is the recipe"
    if case == "data-file":
        return recipe, "travel.jsonl", cwd, "is a data file of dataset 'travel'"
    if case == "model-folder":
        return recipe, str(ROOT / "examples" / "tiny-phi3"), cwd, "is the model's path"
    if case == "model-parent":
        return recipe, str(ROOT / "examples"), cwd, "contains the model's path"
    if case == "base-recipe":
        (work / "bases").mkdir()
        (work / "bases" / "base.yaml").write_text("description: a base\n")
        recipe.write_text("extends: bases/base.yaml\n" + recipe.read_text())
        return recipe, "bases", cwd, "contains a base recipe it extends"
    if case == "cwd":
        (tmp / "here" / "sub").mkdir(parents=True)
        return recipe, str(tmp / "here"), tmp / "here" / "sub", "contains the current folder"
    if case == "project-root":
        (tmp / "proj" / "src").mkdir(parents=True)
        (tmp / "proj" / "pyproject.toml").write_text("[project]\nname = 'p'\n")
        return recipe, str(tmp / "proj"), tmp / "proj" / "src", "is the project root"
    if case == "home":
        return recipe, str(tmp / "home"), cwd, "is the home folder"
    if case == "root":
        return recipe, "/", cwd, "'/' (/) contains"
    if case == "etc":
        return recipe, "/etc", cwd, "is an existing folder orc did not make (no etc.manifest.json beside it)"
    if case == "foreign-folder":
        (work / "mine").mkdir()
        (work / "mine" / "thesis.tex").write_text("years of work\n")
        return recipe, "mine", cwd, "is an existing folder orc did not make"
    if case == "a-file":
        (work / "notes.txt").write_text("notes\n")
        return recipe, "notes.txt", cwd, "is a file: orc writes the model into a folder of its own"
    if case == "under-a-file":
        (work / "notes.txt").write_text("notes\n")
        return recipe, "notes.txt/model", cwd, f"cannot be made: {work / 'notes.txt'} is a file"
    if case == "device":
        return recipe, "/dev/null", cwd, "is not a folder"
    raise AssertionError(case)


def _case(tmp_path: Path, case: str, monkeypatch) -> tuple[Path, str]:
    """The recipe of `case` with its output.dir, run from the case's folder with a home of its own;
    and what the refusal must say."""
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    recipe, value, cwd, said = _setup(tmp_path, case)
    _with_output(recipe, value)
    monkeypatch.chdir(cwd)
    return recipe, said


CASES = ["dot", "dotdot", "empty", "recipe-file", "data-file", "model-folder", "model-parent", "base-recipe", "cwd",
         "project-root", "home", "root", "etc", "foreign-folder", "a-file", "under-a-file", "device"]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_output_dir_orc_may_not_replace_is_refused_at_validate_time(case, tmp_path, monkeypatch, capsys):
    recipe, said = _case(tmp_path, case, monkeypatch)
    before, examples = _tree(tmp_path), _tree(ROOT / "examples")

    code = main(["validate", str(recipe)])
    err = capsys.readouterr().err

    assert code == 1, err
    line = _line_of_output_dir(recipe)
    located = re.search(rf"^{re.escape(str(recipe))}:{line}:\d+: error: output\.dir: (.*)$", err, re.M)
    assert located, err
    assert said in located[1], located[1]
    assert "name a folder of its own for the model" in err
    assert [d["code"] for d in json.loads(main_json(recipe, capsys))] == ["output_dir"]
    assert _tree(tmp_path) == before and _tree(ROOT / "examples") == examples


def main_json(recipe: Path, capsys) -> str:
    main(["validate", "--format", "json", str(recipe)])
    return capsys.readouterr().out


@pytest.mark.parametrize("case", ["dot", "foreign-folder", "a-file"])
def test_compile_and_run_refuses_before_any_work(case, tmp_path, monkeypatch, capsys):
    recipe, said = _case(tmp_path, case, monkeypatch)
    before = _tree(tmp_path)
    assert main(["compile-and-run", str(recipe)]) == 1
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    assert _tree(tmp_path) == before  # no staging folder, no lock, no log, no manifest


@pytest.mark.parametrize("how", ["missing", "empty folder", "made by orc"])
def test_output_dir_orc_may_use_passes(how, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    output = (tmp_path / "out" / "model").resolve()
    if how != "missing":
        output.mkdir(parents=True)
    if how == "made by orc":
        (output / "model.onnx").write_bytes(b"onnx")
        manifest = {"status": "succeeded", "fingerprint": {}, "output": str(output)}
        output.with_name("model.manifest.json").write_text(json.dumps(manifest))
    assert main(["validate", str(recipe)]) == 0, capsys.readouterr().err


def test_a_manifest_for_another_folder_does_not_make_a_folder_orcs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    output = tmp_path / "out" / "model"
    output.mkdir(parents=True)
    (output / "data.bin").write_bytes(b"mine")
    output.with_name("model.manifest.json").write_text(json.dumps({"status": "succeeded", "fingerprint": {}, "output": "/elsewhere"}))
    assert main(["validate", str(recipe)]) == 1
    assert "is an existing folder orc did not make" in capsys.readouterr().err
