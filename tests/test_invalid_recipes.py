"""Each file under cases/invalid/ names, in `# expect:` lines, the diagnostics it must produce:
`# expect: LINE:COL PATH: MESSAGE-PART | HINT-PART`. All of them must come out of one run."""

import re
from pathlib import Path

import pytest

from compiler.pipeline import compile_file

CASES = sorted((Path(__file__).parent / "cases" / "invalid").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+) (?:(\S+): )?([^|]+?)(?: \| (.+))?$")


def expectations(path: Path):
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = EXPECT.match(line)
        if match:
            out.append((int(match[1]), int(match[2]), match[3] or "", match[4].strip(), (match[5] or "").strip()))
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_invalid_recipe_reports_every_expected_diagnostic(case):
    expected = expectations(case)
    assert expected, f"{case.name} has no '# expect:' lines"
    result = compile_file(case)
    assert not result.ok and result.workflow is None
    found = [(d.line, d.column, d.dotted_path, d.message, d.hint) for d in result.diagnostics.errors]
    for line, col, path, message, hint in expected:
        matches = [f for f in found if f[0] == line and f[1] == col and f[2] == path and message in f[3] and hint in f[4]]
        assert matches, f"expected {line}:{col} {path}: {message} | {hint}\nfound:\n" + "\n".join(map(str, found))
    assert len(found) == len(expected), f"unexpected extra diagnostics: {found}"
    assert all(d.file == str(case) for d in result.diagnostics.errors)
