"""Each file under cases/invalid/ and cases/warnings/ names, in `# expect:` lines, the diagnostics it
must produce: `# expect: LINE:COL PATH: MESSAGE-PART | HINT-PART`. All of them must come out of one
run, and nothing else. Files under invalid/ expect errors; files under warnings/ expect warnings
and no error (they compile; `orc validate --strict` rejects them)."""

import re
import subprocess
from pathlib import Path

import pytest

from orc_olive.build.compile import compile_file

CASES_DIR = Path(__file__).parent / "cases"
INVALID = sorted((CASES_DIR / "invalid").glob("*.yaml"))
WARNINGS = sorted((CASES_DIR / "warnings").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+) (?:(\S+): )?([^|]+?)(?: \| (.+))?$")


def expectations(path: Path):
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = EXPECT.match(line)
        if match:
            out.append((int(match[1]), int(match[2]), match[3] or "", match[4].strip(), (match[5] or "").strip()))
    return out


def assert_reported(case: Path, diagnostics):
    expected = expectations(case)
    assert expected, f"{case.name} has no '# expect:' lines"
    found = [(d.line, d.column, d.dotted_path, d.message, d.hint) for d in diagnostics]
    for line, col, path, message, hint in expected:
        matches = [f for f in found if f[0] == line and f[1] == col and f[2] == path and message in f[3] and hint in f[4]]
        assert matches, f"expected {line}:{col} {path}: {message} | {hint}\nfound:\n" + "\n".join(map(str, found))
    assert len(found) == len(expected), f"unexpected extra diagnostics: {found}"
    assert all(d.file == str(case) for d in diagnostics)


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.stem)
def test_invalid_recipe_reports_every_expected_error(case):
    result = compile_file(case)
    assert not result.ok and result.workflow is None
    assert_reported(case, result.diagnostics.errors)


@pytest.mark.parametrize("case", WARNINGS, ids=lambda p: p.stem)
def test_recipe_with_warnings_compiles_and_reports_them(case):
    result = compile_file(case)
    assert result.ok and result.workflow is not None, [str(d) for d in result.diagnostics.errors]
    assert_reported(case, result.diagnostics.warnings)


def test_warnings_exit_zero_and_strict_turns_them_into_errors(orc_cmd):
    lenient = subprocess.run([*orc_cmd, "validate", str(CASES_DIR / "warnings")], capture_output=True, text=True)
    strict = subprocess.run([*orc_cmd, "validate", "--strict", str(CASES_DIR / "warnings")], capture_output=True, text=True)
    count = sum(len(expectations(case)) for case in WARNINGS)  # every case's warnings, and nothing else
    assert lenient.returncode == 0 and ": warning: " in lenient.stderr and f"0 errors, {count} warnings" in lenient.stderr
    assert strict.returncode == 1 and ": warning: " not in strict.stderr and f"{count} errors, 0 warnings" in strict.stderr
