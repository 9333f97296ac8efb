"""`orc compile a.yaml b.yaml -o FOLDER`: several recipes in one process, the same files as one by one,
and nothing written unless every recipe compiles to a file of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

TINY, EVAL = ROOT / "recipes" / "tiny-cpu-lora-int4.yaml", ROOT / "recipes" / "tiny-cpu-lora-int4-eval.yaml"


def _orc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orc_olive", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_several_recipes_in_one_process_write_what_single_compiles_write(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    done = _orc("compile", str(TINY), str(EVAL), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["tiny-cpu-lora-int4-eval.json", "tiny-cpu-lora-int4.json"]
    for recipe in (TINY, EVAL):
        single = _orc("compile", str(recipe))
        assert single.returncode == 0
        assert (out / f"{recipe.stem}.json").read_text() == single.stdout


def test_several_recipes_need_an_existing_folder(tmp_path):
    done = _orc("compile", str(TINY), str(EVAL))
    assert done.returncode == 2 and "give -o FOLDER" in done.stderr and done.stdout == ""
    done = _orc("compile", str(TINY), str(EVAL), "-o", str(tmp_path / "w.json"))
    assert done.returncode == 2 and not (tmp_path / "w.json").exists()


def test_one_bad_recipe_or_two_recipes_on_one_file_write_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.read_text().replace("precision: int4", "precision: int3"))
    out = tmp_path / "out"
    out.mkdir()
    done = _orc("compile", str(TINY), str(bad), "-o", str(out))
    assert done.returncode == 1 and "int3" in done.stderr and "Traceback" not in done.stderr
    assert list(out.iterdir()) == []
    twin = tmp_path / "twin.yaml"
    twin.write_text(TINY.read_text().replace("../", f"{ROOT}/"))
    done = _orc("compile", str(TINY), str(twin), "-o", str(out))
    assert done.returncode == 1 and "would both write" in done.stderr
    assert list(out.iterdir()) == []
