"""What orc accepts, Olive runs: every shipped recipe and every valid recipe the tests compile, compiled
with orc's library API, and each compiled section handed to the Olive 0.13 code that consumes it
(tests/fidelity.py says which): the input model, each data config (loaded and tokenized where the data
is local), each evaluator, each pass configuration, the systems. One test per recipe and section, so a
failure names both. Offline and on CPU: nothing is downloaded, trained or run.

A case marked xfail(strict=True) is a known mismatch in another part of orc, named in its reason."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from orc_olive.build.compile import Result, compile_file, compile_variants
from orc_olive.diagnostics import Diagnostics
from orc_olive.recipe.forms import recipe_forms

from . import fidelity
from .conftest import CORPUS, RECIPES, ROOT

CASES_DIR = ROOT / "tests" / "cases"
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("ORC_")}  # the family's defaults apply
DATA = (ROOT / "examples" / "data" / "data_sample_travel.jsonl").as_posix()
TINY = (ROOT / "examples" / "tiny-phi3").as_posix()

# Typed features the recipes above do not use, one small recipe each (JSON is YAML; paths absolute).
FEATURES: dict[str, str] = {
    # issue 14: ModelBuilder's metadata-only mode on the ONNX model of an earlier export
    "model-builder-metadata-only": f"""
name: mb-metadata
model: {{path: {TINY}, task: text-generation}}
target: {{device: cpu}}
steps:
  - onnx_conversion: {{target_opset: 17}}
  - model_builder: {{precision: fp32, metadata_only: true}}
""",
    # issue 14: OrtSessionParamsTuning's lists are a search space, searched with a strategy and an evaluator
    "session-params-search": f"""
name: session-search
model: {{path: {TINY}, task: text-generation}}
datasets:
  travel: {{files: {DATA}, template: "{{prompt}} {{response}}", max_length: 32}}
target: {{device: cpu}}
steps:
  - onnx_conversion: {{}}
  - pass: {{type: OrtSessionParamsTuning, data_config: travel, execution_mode_list: [0, 1], opt_level_list: [0, 99], intra_thread_num_list: [1]}}
evaluate:
  metrics:
    - {{name: latency, type: latency, dataset: travel, measures: [{{name: avg, priority: 1}}]}}
olive:
  search_strategy: {{execution_order: joint, sampler: sequential}}
""",
    "csv-columns-join": f"""
name: csv-join
model: {{path: {TINY}, task: text-generation}}
datasets:
  qa: {{files: {(CASES_DIR / 'data' / 'qa.csv').as_posix()}, format: csv, columns: [question, answer], max_length: 8, strategy: join}}
target: {{device: cpu}}
steps:
  - lora: {{dataset: qa, r: 4, torch_dtype: float32, training: {{max_steps: 1}}}}
""",
    "parquet-template": f"""
name: parquet
model: {{path: {TINY}, task: text-generation}}
datasets:
  instr: {{files: {(CASES_DIR / 'data' / 'instructions.parquet').as_posix()}, format: parquet, template: "{{instruction}} {{output}}", max_length: 16, strategy: line-by-line}}
target: {{device: cpu}}
steps:
  - lora: {{dataset: instr, torch_dtype: float32}}
  - merge_adapters: {{}}
  - onnx_conversion: {{}}
  - pass: {{type: OnnxDynamicQuantization}}
""",
    # two short rows joined into sequences of 64 tokens: not one sequence comes out, and orc warns so (no_sequences)
    "join-shorter-than-one-sequence": f"""
name: join-short
model: {{path: {TINY}, task: text-generation}}
datasets:
  instr: {{files: {(CASES_DIR / 'data' / 'instructions.parquet').as_posix()}, format: parquet, template: "{{instruction}} {{output}}", max_length: 64, strategy: join}}
target: {{device: cpu}}
steps:
  - lora: {{dataset: instr, torch_dtype: float32}}
""",
    "evaluate-perplexity-accuracy": f"""
name: eval-ppl
model: {{path: {TINY}, task: text-generation}}
datasets:
  travel: {{files: {DATA}, template: "{{prompt}} {{response}}", max_length: 32, strategy: line-by-line, holdout: 0.25}}
target: {{device: cpu}}
steps:
  - lora: {{dataset: travel, r: 4, torch_dtype: float32, training: {{max_steps: 1}}}}
  - merge_adapters: {{}}
evaluate:
  metrics:
    - {{name: ppl, type: perplexity, dataset: travel, measures: [{{name: perplexity, priority: 1}}]}}
    - {{name: latency, type: latency, dataset: travel, measures: [{{name: avg, priority: 2}}]}}
""",
    "evaluate-lm-eval": f"""
name: eval-lm
model: {{path: {TINY}, task: text-generation}}
target: {{device: cpu}}
steps:
  - model_builder: {{precision: int4}}
evaluate:
  lm_eval: {{tasks: [arc_easy], limit: 8, backend: ortgenai, batch_size: 2, max_length: 128}}
""",
    "docker-target": f"""
name: docker
model: {{path: {TINY}, task: text-generation}}
target: {{device: cpu, system: docker, docker: {{dockerfile: Dockerfile, build_context: {(CASES_DIR / 'data' / 'docker').as_posix()}}}}}
steps:
  - model_builder: {{precision: int4}}
""",
    "python-env-target": f"""
name: python-env
model: {{path: {TINY}, task: text-generation}}
target: {{device: cpu, system: python_env, python_env: {{python_environment_path: {Path(sys.executable).parent.as_posix()}}}}}
steps:
  - model_builder: {{precision: int4}}
""",
    "hub-dataset-gpu": """
name: hub-data
model: {path: microsoft/Phi-3-mini-4k-instruct, task: text-generation}
datasets:
  codes: {hf: nampdn-ai/tiny-codes, split: "train[:1%]", template: "{prompt} {response}", max_length: 256}
target: {device: gpu, provider: CUDAExecutionProvider}
steps:
  - qlora: {dataset: codes, r: 16}
  - merge_adapters: {}
  - model_builder: {precision: fp16}
""",
}


def _inline_cases() -> dict[str, str]:
    """The valid recipes other tests write inline."""
    from .test_bad_input import VALID
    from .test_compose import BASE
    from .test_pre_commit_hook import GOOD

    return {"test_compose-BASE": BASE, "test_bad_input-VALID": VALID, "test_pre_commit_hook-GOOD": GOOD}


def _imported() -> list[tuple[str, Result]]:
    """The recipes `orc import` makes of the Olive configs the tests import (the Korean seed, and where the
    shared corpus is present the CLI's configs and the cookbook's), and of examples/olive-configs (run from
    examples/, as their README says: their relative paths start there)."""
    from orc_olive.importer.convert import import_config, read_config

    examples = ROOT / "examples"
    sources = [(path, examples / path.name) for path in sorted((examples / "olive-configs").glob("*.json"))]
    seeds = [CASES_DIR / "import" / "korean-seed" / "config.json", *sorted((CORPUS / "olive-cli-0.13").glob("*.json")),
             *sorted((CORPUS / "phi3cookbook").rglob("phrase-classification.json"))]
    sources += [(path, path) for path in seeds]
    out = []
    for path, runs_at in sources:
        recipe = runs_at.with_name(runs_at.stem + ".recipe.yaml")  # never written: compiled from the imported text
        imported = import_config(read_config(path), runs_at, recipe)
        label = f"imported/{path.parent.name}-{path.stem}"
        if not imported.ok:
            out.append((label, Result(file=str(recipe), diagnostics=Diagnostics(list(imported.errors)))))
            continue
        out.append((label, compile_file(recipe, reader=lambda p, text=imported.text, at=str(recipe): text.encode() if p == at else Path(p).read_bytes())))
    return out


def _from_text(name: str, text: str) -> Result:
    path = ROOT / "tests" / f"{name}.inline.yaml"  # never on disk: the reader gives the text
    return compile_file(path, reader=lambda p: text.encode() if p == str(path) else Path(p).read_bytes())


def _results() -> list[tuple[str, Result]]:
    out: list[tuple[str, Result]] = []
    for recipe in RECIPES:
        out += [(f"recipes/{recipe.stem}" + (f".{r.variant}" if r.variant else ""), r) for r in compile_variants(recipe)]
    for recipe in sorted((ROOT / "examples" / "family").glob("*.yaml")):
        out += [(f"family/{recipe.stem}" + (f".{r.variant}" if r.variant else ""), r) for r in compile_variants(recipe, env=CLEAN_ENV)]
    out += [(f"warnings/{case.stem}", compile_file(case)) for case in sorted((CASES_DIR / "warnings").glob("*.yaml"))]
    out += [(f"inline/{name}", _from_text(name, text)) for name, text in _inline_cases().items()]
    out += [(f"feature/{name}", _from_text(name, text)) for name, text in FEATURES.items()]
    out += _imported()
    return out


RESULTS = dict(_results())


def _sections(result: Result) -> list[str]:
    workflow = result.workflow or {}
    names = ["model", "systems"]
    names += [f"data:{dc['name']}" for dc in workflow.get("data_configs") or []]
    names += [f"evaluator:{name}" for name in workflow.get("evaluators") or {}]
    names += [f"pass:{name}" for name in workflow.get("passes") or {}]
    return names


# case id -> why it fails today (a mismatch in another part of orc; strict: it must start passing when fixed)
KNOWN: dict[str, str] = {}  # none today


def _params() -> list[Any]:
    params = []
    for label, result in RESULTS.items():
        if not result.ok and label.startswith("imported/"):
            continue  # a config orc does not import, or whose recipe orc refuses, is not a valid recipe
        for section in _sections(result) if result.ok else ["compiles"]:
            case_id = f"{label}::{section}"
            marks = [pytest.mark.xfail(strict=True, reason=KNOWN[case_id])] if case_id in KNOWN else []
            params.append(pytest.param(label, section, id=case_id, marks=marks))
    return params


@pytest.fixture(scope="module")
def olive() -> None:
    pytest.importorskip("olive")


def _max_length(result: Result, data_config: str) -> int | None:
    """The max_length of the recipe dataset a data config comes from (its name, or its name and a suffix
    such as a hold-out's); None for data configs of `olive:` or of an evaluator's synthetic prompts."""
    assert result.recipe is not None
    names = [n for n in result.recipe.datasets if data_config == n or data_config.startswith(n + "_")]
    return result.recipe.datasets[max(names, key=len)].max_length if names else None


def _final_framework(result: Result) -> str:
    """The framework of the model Olive evaluates: the last step's output (the input model without steps)."""
    assert result.recipe is not None
    forms = recipe_forms(result.recipe)
    form = forms[-1].after if forms else None
    return "ONNX" if (form or "").startswith("onnx") else "PyTorch"


@pytest.mark.parametrize("label,section", _params())
def test_olive_consumes_the_compiled_section(label, section, olive, tmp_path):
    result = RESULTS[label]
    assert result.ok and result.workflow is not None, [str(d) for d in result.diagnostics.errors]
    workflow = fidelity.workflow_for_olive(result.workflow, tmp_path)
    kind, _, name = section.partition(":")
    with fidelity.olive_session(result.base_dir) as warnings:
        rc = fidelity.run_config(workflow)
        if kind == "model":
            problems = fidelity.check_model(rc)
        elif kind == "systems":
            problems = fidelity.check_systems(rc)
        elif kind == "data":
            problems = [p for p in fidelity.check_data(rc, name, _max_length(result, name)) if not _warned_no_sequences(p, result, name)]
        elif kind == "evaluator":
            problems = fidelity.check_evaluator(rc, name, _final_framework(result))
        else:
            problems = fidelity.check_pass(rc, name)
    assert problems == [], f"{label} {section}: " + "; ".join(problems)
    unwarned = _not_warned(warnings.ignored_keys, result)
    assert unwarned == [], f"{label} {section}: Olive ignores keys orc wrote: {unwarned}"


def _warned_no_sequences(problem: str, result: Result, data_config: str) -> bool:
    """Olive makes no sequence from a dataset for which orc warned just that (no_sequences)."""
    if not problem.startswith(f"{data_config}: pre-processing gives no sequences"):
        return False
    warned = {d.path[1] for d in result.diagnostics.warnings if d.code == "no_sequences" and len(d.path) > 1}
    return any(data_config == name or data_config.startswith(f"{name}_") for name in warned)


def _not_warned(ignored: list[str], result: Result) -> list[str]:
    """Olive's 'Keys {...} are not part of ...' messages, less those whose every key orc warned about (a
    carried data config's keys that Olive ignores: the warnings/ cases)."""
    warned = {str(d.path[-1]) for d in result.diagnostics.warnings if d.code == "olive_data" and d.path}
    out = []
    for message in ignored:
        keys = set(re.findall(r"'([^']+)'", message.partition("}")[0]))
        if not keys or keys - warned:
            out.append(message)
    return out


def test_every_kind_of_recipe_is_in_the_harness():
    labels = {label.split("/")[0] for label in RESULTS}
    assert labels == {"recipes", "family", "warnings", "inline", "feature", "imported"}
    assert len([label for label in RESULTS if label.startswith("recipes/")]) >= len(RECIPES)
    refused = {label: [str(d) for d in r.diagnostics.errors] for label, r in RESULTS.items() if not r.ok and not label.startswith("imported/")}
    assert refused == {}


def test_each_known_mismatch_names_a_case_of_the_harness():
    """An entry whose case is gone (fixed by refusing the recipe, or renamed) must go too."""
    ids = {p.id for p in _params()}
    stale = [case for case in KNOWN if case not in ids and not (case.startswith("imported/olive-cli") and not CORPUS.is_dir())]
    assert stale == []



# --- issue 14's false refusals, at orc's end -----------------------------------------------------------


@pytest.mark.parametrize("metadata_only", [False, True], ids=["build", "metadata-only"])
@pytest.mark.parametrize("after_onnx", [False, True], ids=["on-pytorch", "on-onnx"])
def test_model_builder_typed_and_pass_steps_agree(after_onnx, metadata_only):
    """ModelBuilder builds from PyTorch, or (metadata_only) annotates an ONNX model; Olive raises otherwise."""
    refused = {}
    for form in ("model_builder", "pass"):
        step = {"precision": "fp32", **({"metadata_only": True} if metadata_only else {})}
        step = {form: {"type": "ModelBuilder", **step} if form == "pass" else step}
        steps = ([{"onnx_conversion": {}}] if after_onnx else []) + [step]
        text = f"name: mb\nmodel: {{path: {TINY}}}\ntarget: {{device: cpu}}\nsteps: {steps}\n"
        result = _from_text(f"mb-{form}", text)
        refused[form] = [d.message for d in result.diagnostics.errors if d.code == "order"]
        assert [d for d in result.diagnostics.errors if d.code != "order"] == []
    assert bool(refused["model_builder"]) == bool(refused["pass"]) == (after_onnx != metadata_only), refused


def test_a_search_list_compiles_as_the_list_olive_searches():
    workflow = RESULTS["feature/session-params-search"].workflow
    assert workflow is not None
    tuning = workflow["passes"]["pass"]
    assert (tuning["execution_mode_list"], tuning["opt_level_list"], tuning["intra_thread_num_list"]) == ([0, 1], [0, 99], [1])

# --- the harness can fail: each check sees a mismatch planted in a compiled workflow ---------------------


def _planted(tmp_path, change, check):
    """Run `check(run_config)` on the tiny recipe's workflow after `change(workflow)`: (problems or the
    exception Olive raised, Olive's ignored-key warnings)."""
    result = RESULTS["recipes/tiny-cpu-lora-int4"]
    workflow = fidelity.workflow_for_olive(result.workflow, tmp_path)
    change(workflow)
    with fidelity.olive_session(result.base_dir) as warnings:
        try:
            found: Any = check(fidelity.run_config(workflow))
        except Exception as exc:  # noqa: BLE001 - what Olive raises is the finding
            found = f"{type(exc).__name__}: {exc}"
    return found, warnings.ignored_keys


def test_the_harness_sees_an_unknown_pass_parameter(olive, tmp_path):
    found, _ = _planted(tmp_path, lambda w: w["passes"]["lora"].update(lora_r=8), lambda rc: fidelity.check_pass(rc, "lora"))
    assert found == ["lora: LoRA has no parameter lora_r (Olive ignores it)"]


def test_the_harness_sees_a_pass_olive_would_prune(olive, tmp_path):
    found, _ = _planted(tmp_path, lambda w: w["passes"]["model_builder"].update(precision="fp16"), lambda rc: fidelity.check_pass(rc, "model_builder"))
    assert found == ["model_builder: ModelBuilder.validate_config refuses it for cpu-cpu: Olive prunes the pass"]


def test_a_list_for_a_searchable_parameter_fails_in_olive_without_a_search(olive, tmp_path):
    # why orc refuses `r: [8, 16]` (and OrtSessionParamsTuning's *_list lists) without a search strategy:
    # Olive's no-search mode validates the list as one value (feature/session-params-search passes with one)
    found, _ = _planted(tmp_path, lambda w: w["passes"]["lora"].update(r=[8, 16]), lambda rc: fidelity.check_pass(rc, "lora"))
    assert isinstance(found, str) and found.startswith("ValidationError") and "r.int" in found


def test_the_harness_sees_data_olive_reads_otherwise(olive, tmp_path):
    def change(w):
        w["data_configs"][0]["pre_process_data_config"].update(source_max_len=64)

    found, ignored = _planted(tmp_path, change, lambda rc: fidelity.check_data(rc, "travel", 64))
    assert found == ["travel: Olive reads max_seq_len 128, the recipe says max_length 64"]
    assert ignored == ["Keys {'source_max_len'} are not part of TextGenParams. Ignoring them."]
    missing, _ = _planted(tmp_path, lambda w: w["data_configs"][0]["pre_process_data_config"].update(text_template="{nope}"),
                          lambda rc: fidelity.check_data(rc, "travel", 128))
    assert missing == "KeyError: 'nope'"


@pytest.mark.parametrize("path,problem", [
    ("model-cache/microsoft/phi-3-mini", "is neither on disk nor a Hugging Face repo id"),
    ("azureml://registries/azureml/models/Phi-3.5-mini-instruct/versions/4", "is neither on disk nor a Hugging Face repo id"),
    ("microsoft/Phi-3.5-mini-instruct", None),  # a hub id: parsed, not fetched
])
def test_the_harness_sees_a_model_path_olive_cannot_fetch(olive, tmp_path, path, problem):
    found, _ = _planted(tmp_path, lambda w: w["input_model"].update(model_path=path), fidelity.check_model)
    assert found == ([f"model_path: {path!r} {problem} (Olive would ask the hub for it)"] if problem else [])


def test_an_azureml_registry_model_is_parsed_not_fetched(olive, tmp_path):
    registry = {"type": "azureml_registry_model", "config": {"registry_name": "azureml-msr", "name": "microsoft/Phi-3-mini-4k-instruct", "version": 11}}
    found, _ = _planted(tmp_path, lambda w: w["input_model"].update(model_path=registry), fidelity.check_model)
    assert found == []


def test_the_harness_sees_the_evaluator_olive_cannot_start(olive, tmp_path):
    # the typed evaluator of issue 14 before its fix: no `type`, and a metric on a dataset
    def change(w):
        w["evaluators"] = {"evaluator": {"metrics": [{"name": "latency", "type": "latency", "data_config": "travel", "sub_types": [{"name": "avg"}]}]}}
        w["evaluator"] = "evaluator"

    found, _ = _planted(tmp_path, change, lambda rc: fidelity.check_evaluator(rc, "evaluator", "ONNX"))
    assert found == "AttributeError: 'NoneType' object has no attribute 'lower'"


def test_the_harness_sees_a_target_olive_runs_on_another_provider(olive, tmp_path):
    def change(w):
        w["systems"]["local_system"]["accelerators"][0]["execution_providers"] = ["CUDAExecutionProvider"]

    found, _ = _planted(tmp_path, change, fidelity.check_systems)
    assert found == ["the target declares cpu / CUDAExecutionProvider, Olive runs cpu-cpu"]


def test_the_harness_sees_an_evaluator_argument_olive_ignores(olive, tmp_path):
    def change(w):
        w["evaluators"] = {"evaluator": {"type": "LMEvaluator", "tasks": ["arc_easy"], "limit": 8, "backend": "ort"}}
        w["evaluator"] = "evaluator"

    found, _ = _planted(tmp_path, change, lambda rc: fidelity.check_evaluator(rc, "evaluator", "ONNX"))
    assert found == ["LMEvaluator does not read backend (Olive ignores it)"]
