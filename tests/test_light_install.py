"""The core (validate, compile, schema) works where torch, Olive and onnxruntime-genai are absent, and
`orc --help` imports none of them. "Absent" is made real: an import hook refuses those packages."""

import json
import subprocess
import sys

from .conftest import ROOT

HEAVY = ("torch", "olive", "transformers", "onnxruntime", "onnxruntime_genai", "peft", "datasets")

BLOCKER = f"""
import sys
class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {HEAVY!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}")
sys.meta_path.insert(0, NotInstalled())
sys.argv = ['orc', *sys.argv[1:]]
from orc_olive.cli.main import main
code = main()
loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))
print('HEAVY:' + ','.join(loaded), file=sys.stderr)
sys.exit(code)
"""


def _orc_without_heavy(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCKER, *args], cwd=cwd, capture_output=True, text=True)


def test_help_imports_nothing_heavy():
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from orc_olive.cli.main import main\ntry: main(['--help'])\nexcept SystemExit: pass\n"
         f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert done.stdout.strip().endswith("[]"), done.stdout


def test_validate_and_compile_without_olive_or_torch(tmp_path):
    validated = _orc_without_heavy("validate", "recipes")
    assert validated.returncode == 0, validated.stderr
    assert "HEAVY:\n" in validated.stderr

    out = tmp_path / "w.json"
    compiled = _orc_without_heavy("compile", "recipes/tiny-cpu-lora-int4.yaml", "-o", str(out))
    assert compiled.returncode == 0, compiled.stderr
    assert json.loads(out.read_text())["passes"]["lora"]["type"] == "LoRA"
    assert "HEAVY:\n" in compiled.stderr


def test_compile_without_output_prints_the_workflow_to_stdout():
    done = subprocess.run([sys.executable, "-m", "orc_olive", "compile", "recipes/tiny-cpu-lora-int4.yaml"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0
    assert done.stdout == (ROOT / "tests" / "golden" / "tiny-cpu-lora-int4.json").read_text()
