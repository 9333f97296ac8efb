import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = Path(os.environ.get("ORC_CORPUS", SHARED / "corpus"))  # the conformance configs, beside the checkout
RECIPES = sorted((ROOT / "recipes").glob("*.yaml"))

# Olive waits on unreachable telemetry and hub calls without these.
for key, value in {"CI": "1", "OLIVE_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1"}.items():
    os.environ.setdefault(key, value)


def pytest_configure(config):
    """The test set-up installs the browser the report page is tested in (Debian's chromium) where it can:
    in CI, as root, with apt-get. Elsewhere, or when that fails, the browser tests skip and say why.
    A developer's ORC_WARM=1 is dropped: runs go to a warm worker only in the tests that ask for one."""
    os.environ.pop("ORC_WARM", None)
    wanted = os.environ.get("CI") or os.environ.get("ORC_INSTALL_BROWSER")
    if not wanted or shutil.which("chromium") or not shutil.which("apt-get") or os.geteuid() != 0:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], env=env, capture_output=True, timeout=900, check=False)
    except (OSError, subprocess.SubprocessError):
        pass  # the browser tests skip, naming what to install


def recipe_copy(tmp: Path, name: str, data: Path | None = None) -> Path:
    """A copy of recipes/<name>.yaml in `tmp` that uses the shipped model and `data` (default: a copy of
    the travel sample in `tmp`), writing its output to tmp/out/model and its cache to tmp/cache. The data
    path stays relative to the recipe, so it resolves from the recipe's folder wherever orc is started."""
    if data is None:
        data = tmp / "travel.jsonl"
        shutil.copy(ROOT / "examples" / "data" / "data_sample_travel.jsonl", data)
    text = (ROOT / "recipes" / f"{name}.yaml").read_text()
    text = text.replace("../examples/tiny-phi3", str(ROOT / "examples" / "tiny-phi3"))
    text = text.replace("../examples/data/data_sample_travel.jsonl", os.path.relpath(data, tmp))
    text = text.replace(f"../models/{name}", "out/model").replace("../.olive-cache", "cache")
    assert "out/model" in text
    recipe = tmp / f"{name}.yaml"
    recipe.write_text(text)
    return recipe


@pytest.fixture
def orc_cmd():
    return [sys.executable, "-m", "orc_olive"]


def locations(data, prefix=()):
    """Every path in nested data (mappings and lists), the root first: where a mutation can strike."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from locations(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from locations(value, prefix + (i,))


def parent_of(data, path):
    """The container that holds the value at `path`."""
    for part in path[:-1]:
        data = data[part]
    return data


@pytest.fixture
def workers(tmp_path, monkeypatch):
    """Warm workers (run/worker.py) of this test only: in its own ORC_WORKER_DIR, stopped and killed at the end; add pids to kill."""
    from orc_olive.run import worker_client

    folder = tmp_path / "workers"
    monkeypatch.setenv("ORC_WORKER_DIR", str(folder))
    seen: set[int] = set()
    yield seen
    for path in folder.glob("*.sock") if folder.is_dir() else ():
        status = worker_client.ask(path, {"op": "status"})
        if status:
            seen.add(status["pid"])
            worker_client.stop(path)
    for pid in seen:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
