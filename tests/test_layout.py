"""The package's shape: stages import only earlier stages, modules stay short, every package says what it
does, every diagnostic code is documented, and orc's import name cannot be shadowed."""

import ast
import os
import subprocess
import sys
from pathlib import Path

from orc_olive.codes import CODES, PYDANTIC_CODES, table

from .conftest import ROOT

SOURCE = ROOT / "compiler"
PACKAGE = "orc_olive"
SHARED = {"diagnostics", "codes", "files", "secrecy", "resources", "catalog"}
STAGES = ["source", "recipe", "checks", "render", "olive", "build", "output", "importer", "run", "cli"]


def _modules():
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(SOURCE).with_suffix("").parts
        yield path, parts


def _imported(path: Path, parts: tuple) -> set[str]:
    """The orc_olive modules a module imports, as dotted names below the package (deferred imports too)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import; write `from {PACKAGE}.... import ...`")
        names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else [a.name for a in node.names] if isinstance(node, ast.Import) else []
        for name in names:
            if name == PACKAGE and isinstance(node, ast.ImportFrom):
                out.update(alias.name for alias in node.names)
            elif name.startswith(PACKAGE + "."):
                out.add(name[len(PACKAGE) + 1:])
    return out


def _rank(module: str) -> int:
    """Shared modules rank 0; each stage ranks by its place in the flow."""
    head = module.split(".")[0]
    if head in SHARED or head == "__version__":
        return 0
    assert head in STAGES, f"{module} is neither a shared module nor in a stage package"
    return STAGES.index(head) + 1


def test_every_module_is_shared_or_in_a_stage():
    for _, parts in _modules():
        if parts[0] in ("__init__", "__main__"):
            continue
        _rank(".".join(parts))


def test_stages_import_only_earlier_stages_and_shared_modules():
    wrong = []
    for path, parts in _modules():
        if parts[0] in ("__init__", "__main__"):  # the public API and `python -m`: above every stage
            continue
        own = _rank(".".join(parts))
        for target in _imported(path, parts):
            if target.split(".")[0] == "cli" and parts[0] != "cli":
                wrong.append(f"{path.relative_to(ROOT)} imports {target}: nothing imports the CLI")
            elif _rank(target) > own:
                wrong.append(f"{path.relative_to(ROOT)} (stage {parts[0]}) imports {target} (a later stage)")
    assert not wrong, "\n".join(wrong)


def test_the_direction_test_sees_a_wrong_import(tmp_path):
    # the walk above finds an import of a later stage wherever it sits (here, deferred in a function)
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from orc_olive.run.execute import run_workflow\n")
    assert _imported(module, ("checks", "m")) == {"run.execute"}
    assert _rank("run.execute") > _rank("checks.m")


def test_modules_stay_short_and_packages_say_what_they_do():
    for path, parts in _modules():
        lines = path.read_text().count("\n")
        assert lines <= 400, f"{path.relative_to(ROOT)} has {lines} lines: split it by what its parts do"
        if path.name == "__init__.py" or parts[0] in STAGES:
            assert ast.get_docstring(ast.parse(path.read_text())), f"{path.relative_to(ROOT)} has no docstring"


def _codes_in_source() -> dict[str, str]:
    """Every code literal the source gives a diagnostic (keyword `code=`, `at(...)`'s fifth argument,
    `Diagnostic(...)`'s eighth, and parameter defaults named `code`)."""
    found = {}
    for path, _ in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            where = str(path.relative_to(ROOT))
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                literals = [kw.value for kw in node.keywords if kw.arg == "code"]
                if name == "at" and len(node.args) >= 5:
                    literals.append(node.args[4])
                if name == "Diagnostic" and len(node.args) >= 8:
                    literals.append(node.args[7])
                found.update({v.value: where for v in literals if isinstance(v, ast.Constant)})
            elif isinstance(node, ast.arguments):
                params = node.posonlyargs + node.args
                defaults = dict(zip([a.arg for a in params][-len(node.defaults):], node.defaults)) if node.defaults else {}
                defaults.update({a.arg: d for a, d in zip(node.kwonlyargs, node.kw_defaults) if d is not None})
                if isinstance(defaults.get("code"), ast.Constant):
                    found[defaults["code"].value] = where
    return found


def test_every_code_orc_reports_is_documented():
    found = _codes_in_source()
    assert len(found) > 30  # the scan sees the codes (a broken scan would pass vacuously)
    undocumented = {code: where for code, where in found.items() if code not in CODES}
    assert not undocumented, f"add these to compiler/codes.py: {undocumented}"
    assert set(PYDANTIC_CODES.values()) | {"wrong_type", "invalid"} <= set(CODES)
    unused = set(CODES) - set(found) - set(PYDANTIC_CODES.values()) - {"wrong_type"}
    assert not unused, f"documented but never reported: {unused}"


def test_readme_lists_the_codes():
    assert table() in (ROOT / "README.md").read_text(), "README's code table drifted: paste `orc codes` into it"


def test_a_folder_named_compiler_on_the_path_does_not_shadow_orc(tmp_path):
    for name in ("compiler", "orc"):
        fake = tmp_path / name
        fake.mkdir()
        (fake / "__init__.py").write_text("raise SystemExit('the user package was imported')\n")
        (fake / "__main__.py").write_text("raise SystemExit('the user package ran')\n")
        (fake / "cli.py").write_text("raise SystemExit('the user cli was imported')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    orc = Path(sys.executable).with_name("orc")
    for command in ([str(orc), "--version"], [sys.executable, "-m", PACKAGE, "validate", str(ROOT / "recipes" / "tiny-cpu-lora-int4.yaml")]):
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "user" not in done.stdout + done.stderr
