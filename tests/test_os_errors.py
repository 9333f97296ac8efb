"""The machine's faults and hostile output places: one clear line and exit 1 (never "internal error", exit 3),
and nothing lost: the recipe, its inputs, a device, a FIFO or a folder are never replaced; a failed write
leaves no partial file. Read-only places and full disks are real: a tmpfs mounted read-only or tiny in a
private mount namespace (`unshare -m`), a character device like /dev/full made inside tmp, /dev/full as stdout.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, recipe_copy

ORC = [sys.executable, "-m", "orc_olive"]
RECIPE = "tiny-cpu-lora-int4"


def orc(*args: str, cwd: Path, stdout=subprocess.PIPE, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*ORC, *args], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=timeout)


def tree(root: Path) -> dict[str, object]:
    """Every entry below `root`: its kind, and a regular file's bytes (a FIFO or a device is never read)."""
    out: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix == ".listing":  # orc_on_mount's record of a tmpfs
            continue
        mode = os.lstat(path).st_mode
        out[str(path.relative_to(root))] = path.read_bytes() if stat.S_ISREG(mode) else stat.S_IFMT(mode)
    return out


def clean_failure(done: subprocess.CompletedProcess, *expected: str, code: int = 1) -> None:
    assert done.returncode == code, (done.returncode, done.stderr)
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    for text in expected:
        assert text in done.stderr, done.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    recipe_copy(tmp_path, RECIPE)
    return tmp_path


def _can_mount() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"orc-mount-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        done = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=8k none {probe}"], capture_output=True)
        return done.returncode == 0
    finally:
        probe.rmdir()


MOUNTS = _can_mount()
needs_mount = pytest.mark.skipif(not MOUNTS, reason="no private mount namespace here (unshare -m)")


def orc_on_mount(mount: Path, options: str, *args: str, cwd: Path, fill: bool = False) -> subprocess.CompletedProcess:
    """Run orc with a fresh tmpfs (mount options: ro, size=...) on `mount`, seen by orc alone; what the
    tmpfs holds afterwards is listed in `mount`.listing (outside it)."""
    mount.mkdir(exist_ok=True)
    filler = f"(head -c 1000000 /dev/zero > {mount}/fill) 2>/dev/null; " if fill else ""
    listing = mount.with_name(mount.name + ".listing")
    script = f'mount -t tmpfs -o {options} none {mount} && {filler}"$@"; rc=$?; ls -A {mount} > {listing}; exit $rc'
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *ORC, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _mknod(path: Path, minor: int) -> None:
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
        with open(path, "ab"):
            pass
    except OSError as exc:
        pytest.skip(f"no character devices in tmp here: {exc}")


# -- never replace an input, a device, a FIFO or a folder ----------------------------------------------------


@pytest.mark.parametrize("target", ["recipe", "data", "base"])
def test_compile_never_replaces_an_input(project, target):
    base = project / "base.yaml"
    base.write_text((project / f"{RECIPE}.yaml").read_text())
    child = project / "child.yaml"
    child.write_text("extends: base.yaml\nname: child\n")
    output = {"recipe": child, "data": project / "travel.jsonl", "base": base}[target]
    before = tree(project)
    done = orc("compile", str(child), "-o", str(output), cwd=project)
    clean_failure(done, "would replace", "orc never replaces an input", code=2)
    assert tree(project) == before


def test_a_character_device_is_written_through_never_replaced(project):
    node = project / "null"
    _mknod(node, 3)  # what /dev/null is
    done = orc("compile", f"{RECIPE}.yaml", "-o", str(node), cwd=project)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(os.lstat(node).st_mode) and [p.name for p in project.iterdir() if p.name.startswith(".null")] == []


def test_a_fifo_is_written_through(project):
    fifo = project / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    done = orc("compile", f"{RECIPE}.yaml", "-o", str(fifo), cwd=project)
    received = reader.communicate(timeout=60)[0]
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(received)["passes"]["lora"]["type"] == "LoRA"


def test_a_symlink_keeps_pointing_at_the_file_it_names(project):
    real = project / "real.json"
    real.write_text("old")
    (project / "link.json").symlink_to(real)
    done = orc("compile", f"{RECIPE}.yaml", "-o", "link.json", cwd=project)
    assert done.returncode == 0, done.stderr
    assert (project / "link.json").is_symlink() and json.loads(real.read_text())["workflow_id"]


@pytest.mark.parametrize("command, written", [
    (["compile", f"{RECIPE}.yaml", "-o", "into"], f"into/{RECIPE}.json"),
    (["schema", "-o", "into"], "into/recipe.schema.json"),
    (["import", "config.json", "-o", "into"], "into/config.yaml"),
])
def test_output_an_existing_folder_writes_the_documented_name_inside(project, command, written):
    shutil.copy(ROOT / "tests" / "golden" / f"{RECIPE}.json", project / "config.json")
    (project / "into").mkdir()
    done = orc(*command, cwd=project)
    assert done.returncode == 0, done.stderr
    assert (project / written).is_file() and [p.name for p in (project / "into").iterdir()] == [Path(written).name]


# -- checked before any work: a file on the way, a name too long ----------------------------------------------


@pytest.mark.parametrize("command", [
    ["compile", f"{RECIPE}.yaml", "-o", "blocker/w.json"],
    ["schema", "-o", "blocker/schema.json"],
    ["import", "config.json", "-o", "blocker/r.yaml"],
    ["new", "--from", "tiny-cpu", "fresh", "--dir", "blocker/sub"],
])
def test_a_parent_that_is_a_file_is_one_clear_line(project, command):
    shutil.copy(ROOT / "tests" / "golden" / f"{RECIPE}.json", project / "config.json")
    (project / "blocker").write_text("a file")
    before = tree(project)
    done = orc(*command, cwd=project)
    clean_failure(done, "blocker is a file, not a folder")
    assert tree(project) == before


def test_compile_and_run_whose_output_is_under_a_file_stops_before_running(project):
    recipe = project / f"{RECIPE}.yaml"
    recipe.write_text(recipe.read_text().replace("out/model", "blocker/model"))
    (project / "blocker").write_text("a file")
    before = tree(project)
    done = orc("compile-and-run", recipe.name, cwd=project)
    clean_failure(done, "blocker")
    assert tree(project) == before  # no staging folder, no log, no manifest


@pytest.mark.parametrize("command", [
    ["new", "--from", "tiny-cpu", "n" * 300],
    ["compile", f"{RECIPE}.yaml", "-o", "w" * 300 + ".json"],
    ["schema", "-o", "s" * 300 + ".json"],
])
def test_a_name_too_long_is_one_clear_line(project, command):
    before = tree(project)
    done = orc(*command, cwd=project)
    clean_failure(done, "is too long")
    assert tree(project) == before


# -- read-only places (a real read-only file system) ----------------------------------------------------------


@needs_mount
@pytest.mark.parametrize("command", [
    ["compile", f"{RECIPE}.yaml", "-o", "ro/w.json"],
    ["schema", "-o", "ro/sub/schema.json"],
    ["import", "config.json", "-o", "ro/r.yaml"],
    ["new", "--from", "tiny-cpu", "fresh", "--dir", "ro"],
    ["compile-and-run", "ro-output.yaml"],
])
def test_a_read_only_place_is_one_clear_line(project, command):
    shutil.copy(ROOT / "tests" / "golden" / f"{RECIPE}.json", project / "config.json")
    recipe = (project / f"{RECIPE}.yaml").read_text()
    (project / "ro-output.yaml").write_text(recipe.replace("out/model", "ro/model"))
    (project / "ro").mkdir()
    before = tree(project)
    done = orc_on_mount(project / "ro", "ro", *command, cwd=project)
    clean_failure(done, "not writable")
    assert len(done.stderr.strip().splitlines()) <= 2, done.stderr
    assert tree(project) == before


# -- full disks -----------------------------------------------------------------------------------------------


@needs_mount
@pytest.mark.parametrize("command, name", [
    (["compile", f"{RECIPE}.yaml", "-o", "full/w.json"], "w.json"),
    (["schema", "-o", "full/schema.json"], "schema.json"),
    (["new", "--from", "tiny-cpu", "fresh", "--dir", "full"], "fresh.yaml"),
])
def test_a_full_disk_is_one_clear_line_and_leaves_no_partial_file(project, command, name):
    done = orc_on_mount(project / "full", "size=8k", *command, cwd=project, fill=True)
    clean_failure(done, "no space left")
    assert (project / "full.listing").read_text().split() == ["fill"]  # no partial file, no temporary, no copied input
    assert name in done.stderr or "tiny-phi3" in done.stderr  # the line names what could not be written


@pytest.mark.parametrize("command", [
    ["compile", f"{RECIPE}.yaml"],
    ["explain", f"{RECIPE}.yaml"],
    ["codes"],
    ["passes", "-v"],
])
def test_stdout_on_a_full_disk_is_one_clear_line(project, command):
    with open("/dev/full", "w") as full:  # opened for writing: never replaced
        done = orc(*command, cwd=project, stdout=full)
    clean_failure(done, "no space left on the disk")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_full_device_as_output_is_one_clear_line(project):
    node = project / "full"
    _mknod(node, 7)  # what /dev/full is
    done = orc("compile", f"{RECIPE}.yaml", "-o", str(node), cwd=project)
    clean_failure(done, f"{node}: no space left on the disk")
    assert stat.S_ISCHR(os.lstat(node).st_mode)


# -- orc try: arguments first, a broken model as a broken model -----------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--max-tokens", "0"], "--max-tokens 0 is out of range"),
    (["--max-tokens", "-5"], "--max-tokens -5 is out of range"),
    (["--max-tokens", "99999999999"], "is out of range"),
    (["--prompt", "   "], "--prompt is empty"),
])
def test_try_checks_its_arguments_before_reading_the_model(tmp_path, args, message):
    prompt = [] if "--prompt" in args else ["--prompt", "hi"]
    done = orc("try", str(tmp_path / "nowhere"), *prompt, *args, cwd=tmp_path)
    clean_failure(done, message, code=2)


@pytest.fixture(scope="module")
def built_model(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("built")
    recipe = recipe_copy(folder, RECIPE)
    done = orc("compile-and-run", str(recipe), "-q", cwd=folder, timeout=600)
    assert done.returncode == 0, done.stderr
    return folder / "out" / "model"


def _corrupt(model: Path, how: str) -> None:
    if how == "bad genai_config.json":
        (model / "genai_config.json").write_text("{not json")
    elif how == "genai_config.json without a model":
        (model / "genai_config.json").write_text("{}")
    elif how == "truncated weights":
        with open(model / "model.onnx.data", "r+b") as data:
            data.truncate(1000)
    elif how == "truncated graph":
        with open(model / "model.onnx", "r+b") as graph:
            graph.truncate(500)
    elif how == "no tokenizer":
        (model / "tokenizer.json").unlink()
    elif how == "no genai_config.json":
        (model / "genai_config.json").unlink()


@pytest.mark.integration
@pytest.mark.parametrize("how, message", [
    ("bad genai_config.json", "cannot be read as JSON"),
    ("genai_config.json without a model", "has no 'model' section"),
    ("truncated weights", "onnxruntime-genai cannot load"),
    ("truncated graph", "onnxruntime-genai cannot load"),
    ("no tokenizer", "tokenizer.json"),
    ("no genai_config.json", "no genai_config.json"),
    ("missing folder", "does not exist"),
])
def test_try_reports_a_broken_model_as_a_broken_model(built_model, tmp_path, how, message):
    model = tmp_path / "model"
    if how != "missing folder":
        shutil.copytree(built_model, model)
        _corrupt(model, how)
    done = orc("try", str(model), "--prompt", "hi", "--max-tokens", "3", cwd=tmp_path)
    clean_failure(done, "orc try: broken model:", message)


@pytest.mark.integration
def test_try_bounds_max_tokens_by_the_context_length_and_still_generates(built_model, tmp_path):
    too_many = orc("try", str(built_model), "--prompt", "hi", "--max-tokens", "5000", cwd=tmp_path)
    clean_failure(too_many, "not below the model's context length (2048)", code=2)
    fine = orc("try", str(built_model), "--prompt", "hi", "--max-tokens", "2", cwd=tmp_path)
    assert fine.returncode == 0 and "2 tokens generated" in fine.stderr, fine.stderr


# -- a core install (no Olive, torch or onnxruntime-genai): which extra to install -----------------------------

BLOCKER = """
import sys
class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('torch', 'olive', 'transformers', 'onnxruntime', 'onnxruntime_genai', 'peft', 'datasets'):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NotInstalled())
sys.argv = ['orc', *sys.argv[1:]]
from orc_olive.cli.main import main
sys.exit(main())
"""


@pytest.mark.parametrize("command, code", [
    (["validate", "--olive", f"{RECIPE}.yaml"], 1),
    (["compile", "--olive", f"{RECIPE}.yaml"], 1),
    (["import", "--check", "config.json"], 1),
    (["try", "model", "--prompt", "hi"], 1),
    (["compile-and-run", f"{RECIPE}.yaml"], 4),  # compiled, not run (exit_codes.EXIT_NOT_RUN)
])
def test_a_missing_extra_says_which_to_install(project, command, code):
    shutil.copy(ROOT / "tests" / "golden" / f"{RECIPE}.json", project / "config.json")
    (project / "model").mkdir()
    before = tree(project)
    done = subprocess.run([sys.executable, "-c", BLOCKER, *command], cwd=project, capture_output=True, text=True, timeout=120)
    clean_failure(done, "pip install 'orc-olive[run]'", "is not installed", code=code)
    assert tree(project) == before
