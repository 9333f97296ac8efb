"""`orc report`: the page from a manifest (one run, two compared), read back as a DOM; rendered in headless
Chromium where it is installed; and the real tiny run (piped, --format json) writing its page, its manifest
valid against schemas/run-manifest.schema.json, and `orc try` keeping its sample generation."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from orc_olive.run.manifest_schema import MANIFEST_SCHEMA_FILE
from orc_olive.run.report import load, render, report_path

from .conftest import ROOT, recipe_copy

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no headless Chromium on this machine: install it (Debian/Ubuntu: apt-get install -y chromium) to test the page in a browser"
)


def manifest(name: str = "tiny", losses: tuple[float, ...] = (6.3, 6.2, 6.25, 6.1, 6.0), metrics: dict | None = None, **extra) -> dict:
    history = [{"step": i + 1, "loss": v, "learning_rate": 2e-4, "grad_norm": 0.3, "epoch": (i + 1) / 8} for i, v in enumerate(losses)]
    steps = [
        {"id": "lora", "type": "LoRA", "status": "succeeded", "cached": False, "seconds": 9.8, "olive_seconds": 9.7, "train_loss": losses[-1],
         "eval_loss": 6.24, "model_bytes": 36000, "training_steps": len(losses), "total_training_steps": len(losses), "loss_history": history,
         "eval_history": [{"step": 2, "eval_loss": 6.243, "epoch": 0.25}, {"step": 4, "eval_loss": 6.24, "epoch": 0.5}]},
        {"id": "model_builder", "type": "ModelBuilder", "status": "succeeded", "cached": False, "seconds": 0.6, "olive_seconds": 0.5,
         "train_loss": None, "eval_loss": None, "model_bytes": 380000, "training_steps": None, "total_training_steps": None,
         "loss_history": [], "eval_history": []},
    ]
    data = {
        "status": "succeeded", "cause": "", "run_id": "20261202T000000Z-1", "recipe": "tiny.yaml", "name": name,
        "fingerprint": {"recipes": {"/nowhere/tiny.yaml": "0" * 64}, "workflow_sha256": "0" * 64, "inputs": {}},
        "versions": {"orc": "0.1.0", "olive-ai": "0.13.0", "onnxruntime-genai-cuda": None},
        "started": "2026-12-02T00:00:00+00:00", "ended": "2026-12-02T00:00:30+00:00", "seconds": 30.0, "steps": steps,
        "metrics": {"latency-avg": 0.5, "size-bytes": 351407.0} if metrics is None else metrics,
        "model_size": {"input": "/m/tiny-phi3", "input_bytes": 617260, "output_bytes": 394745}, "peak_memory_bytes": 600 * 2**20,
        "output": f"/out/{name}", "output_files": {"model.onnx": {"bytes": 18058, "sha256": "0" * 64}}, "adapters": [],
        "log": "/out/x.olive.log", "workflow": "/out/x.workflow.json",
    }
    return {**data, **extra}


class Dom(HTMLParser):
    """The elements of a page: (tag, attributes, text inside) for each, in document order."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[list] = []
        self._open: list[list] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        element = [tag, dict(attrs), ""]
        self.elements.append(element)
        if tag not in ("meta", "br", "rect", "line", "polyline", "path", "circle"):
            self._open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.elements.append([tag, dict(attrs), ""])

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data):
        for element in self._open:
            element[2] += data

    def all(self, tag: str, cls: str | None = None) -> list[list]:
        return [e for e in self.elements if e[0] == tag and (cls is None or cls in e[1].get("class", "").split())]


def _points(polyline: list) -> list[str]:
    return polyline[1]["points"].split()


def _check_page(dom: Dom, logged: int, steps: list[str], metrics: dict[str, str]) -> None:
    """What the page must show: one polyline point per logged loss, the step rows, the metric cells."""
    lines = dom.all("polyline", "loss")
    assert len(lines) == 1 and len(_points(lines[0])) == logged
    assert len(_points(dom.all("polyline", "eval-loss")[0])) == 2
    assert [row[1]["data-step"] for row in dom.all("tr", "step")] == steps
    cells = {td[1]["data-metric"]: td[2].strip() for td in dom.all("td", "metric-value") if td[1]["data-run"] == "0"}
    assert cells == metrics


def test_one_run_page_holds_the_curve_steps_metrics_sizes_versions():
    text = render([(Path("/out/tiny.manifest.json"), manifest())])
    dom = Dom(text)
    _check_page(dom, 5, ["lora", "model_builder"], {"latency-avg": "0.5", "size-bytes": "351407"})
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", ""), "self-contained: nothing to fetch"
    assert "602.8 KB" in text and "385.5 KB" in text and "600.0 MB" in text  # sizes in and out, peak memory
    assert "/nowhere/tiny.yaml is no longer there" in text
    assert [e[2] for e in dom.all("text", "name")] == ["model", "lora", "model_builder", "output"]  # the pipeline
    assert render([(Path("/out/tiny.manifest.json"), manifest())]) == text, "the same manifest gives the same page"


def test_two_runs_share_one_plot_and_show_metric_deltas():
    a = manifest("a", losses=(6.3, 6.2, 6.1), metrics={"latency-avg": 0.5, "only-a": 1.0})
    b = manifest("b", losses=(6.4, 6.0, 5.9, 5.8), metrics={"latency-avg": 0.4})
    dom = Dom(render([(Path("/a.manifest.json"), a), (Path("/b.manifest.json"), b)]))
    lines = dom.all("polyline", "loss")
    assert [len(_points(line)) for line in lines] == [3, 4]
    assert [line[1]["data-series"] for line in lines] == ["A: lora training loss", "B: lora training loss"]
    assert lines[0][1]["stroke"] != lines[1][1]["stroke"]
    deltas = [td[2] for td in dom.all("td", "delta")]
    assert deltas == ["-0.1 (-20.0%)", ""], "B - A where both have the metric"
    cells = [(td[1]["data-metric"], td[1]["data-run"], td[2]) for td in dom.all("td", "metric-value")]
    assert cells == [("latency-avg", "0", "0.5"), ("latency-avg", "1", "0.4"), ("only-a", "0", "1"), ("only-a", "1", "-")]
    assert len(dom.all("table", "steps")) == 2


def test_values_from_a_manifest_cannot_inject_markup():
    hostile = manifest(name="<script>alert(1)</script>", cause="</pre><img src=x onerror=alert(1)>", status="failed",
                       sample={"prompt": "<b>hi</b>", "text": "\x1b[31m<i>", "adapter": None, "tokens": 3, "at": "now"})
    hostile["steps"][0]["id"] = '"><svg onload=alert(1)>'
    text = render([(Path("/x.manifest.json"), hostile)])
    assert "<script>alert" not in text and "<img" not in text and "<svg onload" not in text and "<b>hi" not in text
    assert "&lt;script&gt;" in text and "&lt;b&gt;hi&lt;/b&gt;" in text


def test_an_older_manifest_without_history_still_gives_a_page():
    old = manifest()
    for row in old["steps"]:
        for key in ("loss_history", "eval_history", "type", "training_steps", "total_training_steps"):
            row.pop(key)
    for key in ("model_size", "peak_memory_bytes", "name"):
        old.pop(key)
    text = render([(Path("/out/model.manifest.json"), old)])
    assert "No losses were logged" in text and "17.6 KB" in text  # the output's size from its file list


def _orc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orc_olive", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_report_command_writes_beside_the_manifest_and_says_what_is_wrong(tmp_path):
    (tmp_path / "m.manifest.json").write_text(json.dumps(manifest()))
    done = _orc("report", str(tmp_path / "m"))
    assert done.returncode == 0 and done.stderr.strip() == f"wrote {tmp_path / 'm.report.html'}"
    assert (tmp_path / "m.report.html").read_text().startswith("<!DOCTYPE html>")
    (tmp_path / "n.manifest.json").write_text(json.dumps(manifest("n")))
    done = _orc("report", str(tmp_path / "m.manifest.json"), str(tmp_path / "n"))
    assert done.returncode == 0 and (tmp_path / "m-vs-n.report.html").is_file()

    missing = _orc("report", str(tmp_path / "gone"))
    assert missing.returncode == 1 and "no run manifest" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "bad.json").write_text("[1, 2")
    assert "is not JSON" in _orc("report", str(tmp_path / "bad.json")).stderr
    (tmp_path / "other.json").write_text("{}")
    assert "is not an orc run manifest" in _orc("report", str(tmp_path / "other.json")).stderr
    three = _orc("report", *(str(tmp_path / "m") for _ in range(3)))
    assert three.returncode == 2 and "give one run, or two" in three.stderr
    onto = _orc("report", str(tmp_path / "m"), "-o", str(tmp_path / "m.manifest.json"))
    assert onto.returncode == 2 and json.loads((tmp_path / "m.manifest.json").read_text())["name"] == "tiny"


def browse(page: Path, shot: Path) -> Dom:
    """The page as headless Chromium builds it (its DOM after parsing), and a screenshot of it."""
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", f"--user-data-dir={shot.parent / 'chromium-profile'}"]
    url = page.resolve().as_uri()
    shown = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr[-2000:]
    made = subprocess.run([*flags, "--window-size=1100,2400", f"--screenshot={shot}", url], capture_output=True, text=True, timeout=120)
    assert made.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", made.stderr[-2000:]
    return Dom(shown.stdout)


@needs_chromium
def test_the_page_in_a_real_browser(tmp_path):
    page = tmp_path / "tiny.report.html"
    page.write_text(render([(tmp_path / "tiny.manifest.json", manifest())]))
    dom = browse(page, tmp_path / "tiny.png")
    _check_page(dom, 5, ["lora", "model_builder"], {"latency-avg": "0.5", "size-bytes": "351407"})
    assert dom.all("svg", "chart") and dom.all("svg", "pipeline")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The tiny eval recipe, run once with piped output and --format json."""
    pytest.importorskip("olive")
    tmp = tmp_path_factory.mktemp("report-run")
    recipe = recipe_copy(tmp, "tiny-cpu-lora-int4-eval")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    done = subprocess.run([sys.executable, "-m", "orc_olive", "compile-and-run", str(recipe), "--format", "json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return tmp, done


@pytest.mark.integration
def test_piped_output_has_no_escape_sequences_and_stdout_is_the_manifest(tiny_run):
    tmp, done = tiny_run
    assert "\x1b" not in done.stderr and "\r" not in done.stderr, "pipes get plain lines"
    assert "(step 4/4," in done.stderr and f"report: {tmp / 'out' / 'model.report.html'}" in done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "succeeded" and summary["report"] == str(tmp / "out" / "model.report.html")
    written = json.loads((tmp / "out" / "model.manifest.json").read_text())
    assert {k: v for k, v in summary.items() if k not in ("report", "manifest")} == written


@pytest.mark.integration
def test_the_tiny_runs_manifest_keeps_everything_measured_and_validates(tiny_run):
    tmp, _ = tiny_run
    data = json.loads((tmp / "out" / "model.manifest.json").read_text())
    jsonschema.Draft202012Validator(json.loads(MANIFEST_SCHEMA_FILE.read_text())).validate(data)
    lora = data["steps"][0]
    assert [p["step"] for p in lora["loss_history"]] == [1, 2, 3, 4] and all(p["learning_rate"] for p in lora["loss_history"])
    assert [p["step"] for p in lora["eval_history"]] == [2, 4] and (lora["training_steps"], lora["total_training_steps"]) == (4, 4)
    assert data["metrics"]["latency-avg"] > 0 and data["versions"]["olive-ai"] == "0.13.0"
    assert data["model_size"]["input_bytes"] > data["model_size"]["output_bytes"] > 0
    assert data["peak_memory_bytes"] > 50 * 2**20


@pytest.mark.integration
def test_the_tiny_runs_page_in_a_browser_and_its_sample_generation(tiny_run):
    tmp, _ = tiny_run
    path, data = load(tmp / "out" / "model")
    page = report_path(path)
    assert page == tmp / "out" / "model.report.html" and page.is_file()
    pytest.importorskip("onnxruntime_genai")
    tried = _orc("try", str(tmp / "out" / "model"), "--prompt", "Where should I go in Paris?", "--max-tokens", "8")
    assert tried.returncode == 0 and "kept the prompt and the generated text" in tried.stderr, tried.stderr
    sample = json.loads(path.read_text())["sample"]
    assert sample["prompt"] == "Where should I go in Paris?" and sample["tokens"] == 8 and sample["text"]
    text = page.read_text()
    assert "Where should I go in Paris?" in text, "the page is refreshed with the sample"
    if CHROMIUM is None:
        pytest.skip("no headless Chromium on this machine: install it (Debian/Ubuntu: apt-get install -y chromium) to test the page in a browser")
    dom = browse(page, tmp / "report.png")
    _check_page(dom, 4, ["lora", "merge_adapters", "model_builder"], {k: f"{v:.6g}" for k, v in data["metrics"].items()})


def test_compile_and_run_format_json_says_what_happened_when_nothing_ran(tmp_path):
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    dry = _orc("compile-and-run", str(recipe), "--dry-run", "--format", "json")
    assert dry.returncode == 0 and json.loads(dry.stdout) == {
        "status": "dry run", "cause": "", "manifest": str(tmp_path / "out" / "model.manifest.json"), "report": None}
    (tmp_path / "bad.yaml").write_text("name: x\nsteps: []\n")
    bad = _orc("compile-and-run", str(tmp_path / "bad.yaml"), "--format", "json")
    summary = json.loads(bad.stdout)
    assert bad.returncode == 1 and summary["status"] == "invalid" and summary["diagnostics"][0]["path"] == "steps"
