"""`orc import`: an Olive workflow config (current or older layout) -> a recipe that compiles back to it.

Each part of the config becomes a typed recipe section when one exists (a model, datasets, a target,
typed steps, `evaluate:`), a `pass:` step for other passes, and an `olive:` block for everything else.
A typed section is kept only when it compiles back to exactly what the config held: the importer
compiles its own recipe and moves whatever came out different, or did not pass orc's checks, into the
`olive:` block (or a step's `olive:`), so the recipe always compiles to the same workflow.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import catalog, legacy, yaml_emit
from .context import _data_config as render_dataset
from .diagnostics import Diagnostic, Path_, dotted
from .loader import load_text
from .pass_models import generic_model
from .recipe import Dataset, Evaluate, ModelSpec
from .steps import STEP_KINDS

# Values Olive 0.13 uses when a field is left out, where orc always writes the field.
OLIVE_DEFAULTS: dict[str, Any] = {
    "workflow_id": "default_workflow",
    "output_dir": ".",
    "cache_dir": ".olive-cache",
    "log_severity_level": 1,
    "evaluate_input_model": True,
    "clean_cache": False,
    "no_artifacts": False,
    "data_configs": [],
}
# The recipe's own defaults (recipe.Output, recipe.Engine): left out of imported recipes.
RECIPE_DEFAULTS: dict[str, Any] = {"dir": "outputs", "cache": ".olive-cache", "log_level": 1, "evaluate_input_model": False,
                                   "clean_cache": False, "no_artifacts": False}  # fmt: skip
SYSTEM_FIELDS = ("systems", "host", "target")
EVALUATOR_FIELDS = ("evaluators", "evaluator")
# Fields holding paths relative to the folder Olive runs in; moved along when the recipe is written elsewhere.
PATH_KEYS = {"user_script", "script_dir", "data_dir", "data_files", "output_dir", "cache_dir", "model_path", "adapter_path",
             "model_script", "dockerfile", "build_context_path", "requirements_file"}  # fmt: skip
MAX_ROUNDS = 8


@dataclass
class Imported:
    source: str
    recipe: dict[str, Any] = field(default_factory=dict)
    modern: dict[str, Any] = field(default_factory=dict)  # the config in Olive 0.13's layout (before rebasing)
    notes: list[legacy.Note] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)  # what could not be carried, with why
    errors: list[Diagnostic] = field(default_factory=list)  # the recipe does not compile (a bug, or an unsupported config)
    text: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


def read_config(path: Path) -> dict[str, Any]:
    """An Olive workflow config from JSON or YAML; ValueError with a readable reason otherwise."""
    import yaml

    text = path.read_text(encoding="utf-8")
    try:
        # read as Olive reads it (yaml.safe_load, YAML 1.1 scalars), so the recipe means what the config meant
        data = yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ValueError(f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict) or "passes" not in data or "input_model" not in data:  # the rest: shape_problems
        raise ValueError(f"{path}: not an Olive workflow config (it needs `input_model` and `passes`)")
    return data


def import_file(path: Path, output: Path | None = None) -> Imported:
    """Import `path` as a recipe to be written at `output` (default: beside the config)."""
    path = Path(path)
    output = Path(output) if output else path.with_suffix(".yaml")
    return import_config(read_config(path), path, output)


SHAPES = {"input_model": dict, "passes": dict, "data_configs": list, "systems": dict, "evaluators": dict, "engine": dict}


def shape_problems(config: dict[str, Any]) -> list[str]:
    """What keeps `config` from being read as an Olive workflow at all (each part then has its own checks)."""
    problems = [f"`{key}` must be a {'mapping' if kind is dict else 'list'}" for key, kind in SHAPES.items()
                if key in config and not isinstance(config[key], kind)]  # fmt: skip
    if "input_model" not in config or "passes" not in config:
        problems.append("an Olive workflow config has `input_model` and `passes`")
    configs = config.get("data_configs") if isinstance(config.get("data_configs"), list) else []
    names = [d.get("name") if isinstance(d, dict) else None for d in configs]
    if any(not isinstance(n, str) for n in names) or len(set(names)) != len(names):
        problems.append("each of `data_configs` must be a mapping with a `name` of its own")
    return problems


def import_config(config: dict[str, Any], source: Path, output: Path) -> Imported:
    problems = shape_problems(config)
    if problems:
        why = "; ".join(problems)
        return Imported(str(source), errors=[Diagnostic(f"cannot import: {why}", str(source), 1, 1, code="import")])
    modern, notes = legacy.modernise(config)
    result = Imported(str(source), modern=modern, notes=notes)
    moved = os.path.relpath(source.resolve().parent, output.resolve().parent)
    target = _rebase(modern, moved, source.parent) if moved != "." else modern
    builder = _Builder(target, _slug(source.stem), result)
    builder.build()
    recipe_file = str(output)
    for _ in range(MAX_ROUNDS):
        text = builder.text(source, moved)
        compiled, errors = _compile(text, recipe_file)
        if errors:
            if not builder.demote(errors):
                result.errors = errors
                break
            continue
        if not builder.reconcile(compiled):
            break
    else:
        result.errors = [Diagnostic("the imported recipe did not settle (please report this)", recipe_file, 1, 1, code="import")]
    result.recipe = builder.recipe()
    result.text = builder.text(source, moved)
    result.unsupported += [str(n) for n in notes if n.kind == legacy.DROPPED]
    return result


def _compile(text: str, file: str) -> tuple[dict[str, Any] | None, list[Diagnostic]]:
    from .pipeline import compile_document  # deferred: pipeline imports the whole compiler

    result = compile_document(load_text(text, file))
    return result.workflow, [d for d in result.diagnostics.items if d.severity == "error"]


def _slug(stem: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return slug if slug and slug[0].isalnum() else f"imported-{slug}".rstrip("-")


def _rebase(data: Any, moved: str, source_dir: Path, key: str = "") -> Any:
    """Relative paths of a config in another folder, as seen from the recipe's folder."""
    if isinstance(data, dict):
        return {k: _rebase(v, moved, source_dir, k) for k, v in data.items()}
    if isinstance(data, list):
        return [_rebase(v, moved, source_dir, key) for v in data]
    if key in PATH_KEYS and isinstance(data, str) and data and not os.path.isabs(data) and "://" not in data:
        # a model_path may be a Hugging Face id (org/name): moved only when it is a local path that exists
        if key != "model_path" or (source_dir / data).exists():
            return os.path.normpath(os.path.join(moved, data))
    return data


class _Builder:
    """Holds the recipe under construction: typed parts, steps, and the `olive:` block."""

    def __init__(self, config: dict[str, Any], name: str, result: Imported):
        self.config = config
        self.name = name
        self.result = result
        self.model: dict[str, Any] | None = None
        self.datasets: dict[str, dict[str, Any]] = {}
        self.target: dict[str, Any] | None = None
        self.steps: list[dict[str, Any]] = []
        self.step_names: list[str] = []
        self.evaluate: dict[str, Any] | None = None
        self.output: dict[str, Any] = {}
        self.engine: dict[str, Any] = {}
        self.olive: dict[str, Any] = {}
        self.olive_data: list[dict[str, Any]] = []
        self.reasons: dict[Path_, str] = {}  # why a part is not typed, by its place in the config

    # -- first guess: every part typed where it looks typeable ------------------------------------------
    def build(self) -> None:
        config = self.config
        self.model = _typed_model(config.get("input_model"))
        if self.model is None:
            self.olive["input_model"] = config.get("input_model")
        for data_config in config.get("data_configs") or []:
            dataset = _typed_dataset(data_config)
            if dataset is not None:
                self.datasets[data_config["name"]] = dataset
            else:
                self.olive_data.append(data_config)
        self.target = _typed_target(config)
        if self.target is None:
            self._carry(*SYSTEM_FIELDS)
        for name, pass_config in (config.get("passes") or {}).items():
            self.step_names.append(name)
            self.steps.append(_step(name, pass_config, self.result))
        self.evaluate = _typed_evaluate(config)
        if self.evaluate is None:
            self._carry(*EVALUATOR_FIELDS)
        self._engine()
        for key in config:
            if key not in self._handled():
                self.olive[key] = config[key]

    def _handled(self) -> set[str]:
        return {"input_model", "data_configs", "passes", "output_dir", "cache_dir", "log_severity_level", "evaluate_input_model",
                "clean_cache", "no_artifacts", "workflow_id", *SYSTEM_FIELDS, *EVALUATOR_FIELDS}  # fmt: skip

    def _carry(self, *keys: str) -> None:
        for key in keys:
            if key in self.config or key in ("systems", "host", "target"):
                self.olive[key] = self.config.get(key)

    def _engine(self) -> None:
        config = self.config
        for key, section, name in (("output_dir", "output", "dir"), ("cache_dir", "output", "cache")):
            value = config.get(key, OLIVE_DEFAULTS[key])
            if isinstance(value, str):
                getattr(self, section)[name] = value
            else:
                self.olive[key] = value
        for key, name in (("log_severity_level", "log_level"), ("evaluate_input_model", "evaluate_input_model"),
                          ("clean_cache", "clean_cache"), ("no_artifacts", "no_artifacts")):  # fmt: skip
            value = config.get(key, OLIVE_DEFAULTS[key])
            valid = isinstance(value, bool) if key != "log_severity_level" else type(value) is int and 0 <= value <= 4
            if valid:
                self.engine[name] = value
            else:
                self.olive[key] = value
        workflow_id = config.get("workflow_id", OLIVE_DEFAULTS["workflow_id"])
        if workflow_id != self.name:
            self.olive["workflow_id"] = workflow_id

    # -- corrections from compiling -----------------------------------------------------------------------
    def demote(self, errors: list[Diagnostic]) -> bool:
        """Move each part that orc's checks reject into the `olive:` block; False when nothing could move."""
        changed = False
        for error in errors:
            path = error.path
            if path[:1] == ("steps",) and len(path) > 1 and isinstance(path[1], int):
                step_changed = self._demote_step(path[1])
                if step_changed:
                    self.reasons[("passes", self.step_names[path[1]])] = f"kept as an Olive pass, as written: {error.message}"
                changed |= step_changed
            elif path[:1] == ("datasets",) and len(path) > 1 and path[1] in self.datasets:
                self._demote_dataset(str(path[1]))
                self.reasons[("data_configs", str(path[1]))] = f"kept as an Olive data config, as written: {error.message}"
                changed = True
            elif path[:1] == ("model",) and self.model is not None:
                self.model, self.olive["input_model"] = None, self.config.get("input_model")
                changed = True
            elif path[:1] == ("target",) and self.target is not None:
                self.target = None
                self._carry(*SYSTEM_FIELDS)
                changed = True
            elif path[:1] == ("evaluate",) and self.evaluate is not None:
                self.evaluate = None
                self._carry(*EVALUATOR_FIELDS)
                changed = True
        return changed

    def _demote_step(self, index: int) -> bool:
        name = self.step_names[index]
        current = self.steps[index]
        demoted = _step(name, self.config["passes"][name], self.result, carry_all="pass" in current)
        if demoted == current:
            return False
        self.steps[index] = demoted
        return True

    def _demote_dataset(self, name: str) -> None:
        del self.datasets[name]
        self.olive_data.append(next(d for d in self.config.get("data_configs") or [] if d.get("name") == name))

    def reconcile(self, compiled: dict[str, Any] | None) -> bool:
        """Compare the compiled workflow with the config; carry what differs. True when something changed."""
        if compiled is None:
            return False
        config, changed = self.config, False
        compiled_passes, passes = compiled.get("passes") or {}, config.get("passes") or {}
        for index, name in enumerate(self.step_names):
            if not _same_pass(compiled_passes.get(name), passes[name]):
                changed |= self._demote_step(index)
        compiled_data = {d.get("name"): d for d in compiled.get("data_configs") or []}
        for name in list(self.datasets):
            original = next(d for d in config.get("data_configs") or [] if d.get("name") == name)
            if not _same(compiled_data.get(name), _without_empty(original)):
                self._demote_dataset(name)
                changed = True
        if self.model is not None and compiled.get("input_model") != config.get("input_model"):
            self.model, self.olive["input_model"] = None, config.get("input_model")
            changed = True
        for key in sorted(set(compiled) | set(config)):
            if key in ("passes", "data_configs", "input_model") or key in self.olive:
                continue
            if compiled.get(key, OLIVE_DEFAULTS.get(key)) != config.get(key, OLIVE_DEFAULTS.get(key)):
                if key in SYSTEM_FIELDS:
                    self.target = None
                    self._carry(*SYSTEM_FIELDS)
                elif key in EVALUATOR_FIELDS:
                    self.evaluate = None
                    self._carry(*EVALUATOR_FIELDS)
                else:
                    self.olive[key] = config.get(key)
                changed = True
        return changed

    # -- output ----------------------------------------------------------------------------------------------
    def recipe(self) -> dict[str, Any]:
        recipe: dict[str, Any] = {"name": self.name, "description": f"Imported from the Olive config {Path(self.result.source).name}"}
        if self.model is not None:
            recipe["model"] = self.model
        if self.datasets:
            recipe["datasets"] = self.datasets
        if self.target is not None:
            recipe["target"] = self.target
        recipe["steps"] = self.steps
        if self.evaluate is not None:
            recipe["evaluate"] = self.evaluate
        output = {k: v for k, v in self.output.items() if v != RECIPE_DEFAULTS.get(k)}
        engine = {k: v for k, v in self.engine.items() if v != RECIPE_DEFAULTS.get(k)}
        if output:
            recipe["output"] = output
        if engine:
            recipe["engine"] = engine
        olive = dict(self.olive)
        if self.olive_data:
            olive["data_configs"] = self.olive_data
        if olive:
            recipe["olive"] = olive
        return recipe

    def text(self, source: Path, moved: str) -> str:
        from .import_comments import comments_for, header_for

        recipe = self.recipe()
        comments = comments_for(recipe, self.step_names, self.result, self.reasons)
        header = header_for(source, moved, self.result) + comments.pop((), [])
        return yaml_emit.dump(recipe, comments, header)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _same_pass(compiled: Any, original: Any) -> bool:
    """The same pass entry, a config alone meaning the same as a group of one (as Olive reads them)."""
    compiled_list = compiled if isinstance(compiled, list) else [compiled]
    original_list = original if isinstance(original, list) else [original]
    if len(compiled_list) != len(original_list):
        return False
    for a, b in zip(compiled_list, original_list):
        if not isinstance(a, dict) or not isinstance(b, dict) or str(a.get("type", "")).lower() != str(b.get("type", "")).lower():
            return False
        if not _same({**a, "type": ""}, {**b, "type": ""}):
            return False
    return True


def _without_empty(data_config: dict[str, Any]) -> dict[str, Any]:
    """An empty component config means Olive's default component, as does leaving it out."""
    return {k: v for k, v in data_config.items() if v != {}}


def _typed_model(model: Any) -> dict[str, Any] | None:
    if not isinstance(model, dict) or str(model.get("type", "")).lower() != "hfmodel":
        return None
    if set(model) - {"type", "model_path", "task", "load_kwargs", "adapter_path"} or not isinstance(model.get("model_path"), str):
        return None
    load_kwargs = dict(model.get("load_kwargs") or {})
    typed: dict[str, Any] = {"path": model["model_path"]}
    if "task" in model:
        typed["task"] = model["task"]
    if load_kwargs.get("trust_remote_code") is True:
        typed["trust_remote_code"] = load_kwargs.pop("trust_remote_code")
    if load_kwargs:
        typed["load_kwargs"] = load_kwargs
    if "adapter_path" in model:
        typed["adapter_path"] = model["adapter_path"]
    try:
        ModelSpec.model_validate(typed)
    except ValidationError:
        return None
    return typed


DATASET_LOAD = {"data_name", "split", "data_files"}
DATASET_PRE = {"text_template", "text_cols", "chat_template", "max_seq_len", "add_special_tokens", "max_samples", "strategy"}


def _typed_dataset(data: Any) -> dict[str, Any] | None:
    """A recipe dataset that renders back to exactly this data config, or None."""
    if not isinstance(data, dict) or data.get("type") != "HuggingfaceContainer" or not isinstance(data.get("name"), str):
        return None
    load, pre = data.get("load_dataset_config") or {}, data.get("pre_process_data_config") or {}
    loader = data.get("dataloader_config") or {}
    if set(load) - DATASET_LOAD or set(pre) - DATASET_PRE or set(loader) - {"batch_size"}:
        return None
    typed: dict[str, Any] = {}
    files = load.get("data_files")
    if files is not None:
        typed["files"] = files if isinstance(files, str) else list(files)
        typed["format"] = load.get("data_name")
    else:
        typed["hf"] = load.get("data_name")
    for ours, theirs in (("split", "split"), ("template", "text_template"), ("columns", "text_cols"), ("max_length", "max_seq_len"),
                         ("max_samples", "max_samples"), ("add_special_tokens", "add_special_tokens"), ("strategy", "strategy")):  # fmt: skip
        if theirs in pre or theirs in load:
            typed[ours] = {**load, **pre}[theirs]
    if "batch_size" in loader:
        typed["batch_size"] = loader["batch_size"]
    try:
        dataset = Dataset.model_validate(typed)
        rendered = render_dataset(data["name"], dataset)
    except (ValidationError, KeyError, IndexError):
        return None
    return typed if _same(rendered, _without_empty(data)) else None


def _typed_target(config: dict[str, Any]) -> dict[str, Any] | None:
    """A recipe target for one local system with one accelerator and provider, used as host and target."""
    systems = config.get("systems")
    if not isinstance(systems, dict) or len(systems) != 1:
        return None
    ((name, system),) = systems.items()
    if not isinstance(system, dict) or system.get("type") != "LocalSystem" or set(system) != {"type", "accelerators"}:
        return None
    accelerators = system["accelerators"]
    if not isinstance(accelerators, list) or len(accelerators) != 1 or not isinstance(accelerators[0], dict):
        return None
    accelerator = accelerators[0]
    providers = accelerator.get("execution_providers")
    if set(accelerator) != {"device", "execution_providers"} or accelerator["device"] not in ("cpu", "gpu", "npu"):
        return None
    if not isinstance(providers, list) or len(providers) != 1 or config.get("host") != name or config.get("target") != name:
        return None
    target = {"device": accelerator["device"], "provider": providers[0]}
    return target if name == "local_system" else {**target, "name": name}


def _step(name: str, value: Any, result: Imported, carry_all: bool | None = None) -> dict[str, Any]:
    """The step for one entry of `passes`: a pass config, or a list of them (a pass group).

    carry_all None: the first guess (typed if possible); False: a checked `pass:` step; True: a `pass:`
    step with every field under its `olive:`.
    """
    configs = value if isinstance(value, list) else [value]
    if not configs or not all(isinstance(c, dict) for c in configs):
        result.unsupported.append(f"passes.{name}: not a pass config or a list of them")
        return {"pass": {"type": str(configs[0].get("type")) if configs and isinstance(configs[0], dict) else "", "id": name}}
    first, group = configs[0], configs[1:]
    step = _typed_step(name, first, result) if carry_all is None else _pass_step(name, first, result, carry_all=carry_all)
    if group:
        (params,) = step.values()
        params["group"] = group
    return step


def _typed_step(name: str, pass_config: dict[str, Any], result: Imported) -> dict[str, Any]:
    """A typed step when the pass has one and every field maps onto it; otherwise a `pass:` step."""
    olive_type = catalog.canonical_pass_name(str(pass_config.get("type", "")))
    for key, kind in STEP_KINDS.items():
        if kind.olive_type != olive_type:
            continue
        from .recipe import TYPED_STEP_MODELS

        to_recipe = {olive: ours for ours, olive in kind.renames.items()}
        params = {to_recipe.get(k, k): v for k, v in pass_config.items() if k != "type"}
        if name != key:
            params = {"id": name, **params}
        try:
            TYPED_STEP_MODELS[key].model_validate(params)
        except ValidationError:
            break
        return {key: params}
    return _pass_step(name, pass_config, result)


def _pass_step(name: str, pass_config: dict[str, Any], result: Imported, carry_all: bool = False) -> dict[str, Any]:
    """A `pass:` step; parameters orc cannot check (or, with carry_all, all of them) go under its `olive:`."""
    pass_type = str(pass_config.get("type", ""))
    canonical = catalog.canonical_pass_name(pass_type)
    if canonical is None:
        result.unsupported.append(f"passes.{name}: pass type '{pass_type}' is not an Olive 0.13 pass")
        canonical = pass_type
    params = {k: v for k, v in pass_config.items() if k != "type"}
    carried: dict[str, Any] = {}
    if carry_all or canonical not in catalog.catalog()["passes"]:
        carried, params = params, {}
    else:
        model = generic_model(canonical)
        for _ in range(len(params) + 1):
            try:
                model.model_validate({"type": canonical, **params})
                break
            except ValidationError as exc:
                bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"] and str(e["loc"][0]) in params}
                if not bad:
                    carried, params = {**carried, **params}, {}
                    break
                carried.update({k: params.pop(k) for k in sorted(bad)})
    step: dict[str, Any] = {"type": canonical, "id": name, **params}
    if carried:
        step["olive"] = carried
    return {"pass": step}


def _typed_evaluate(config: dict[str, Any]) -> dict[str, Any] | None:
    evaluators = config.get("evaluators")
    if not isinstance(evaluators, dict) or len(evaluators) != 1:
        return None
    (name, evaluator), = evaluators.items()
    if config.get("evaluator") != name or not isinstance(evaluator, dict) or set(evaluator) != {"metrics"}:
        return None
    metrics = []
    for metric in evaluator["metrics"] or []:
        if not isinstance(metric, dict) or not isinstance(metric.get("data_config", ""), str):
            return None
        typed = {("dataset" if k == "data_config" else "measures" if k == "sub_types" else k): v for k, v in metric.items()}
        metrics.append(typed)
    typed_evaluate = {"name": name, "metrics": metrics}
    try:
        Evaluate.model_validate(typed_evaluate)
    except ValidationError:
        return None
    return typed_evaluate


def note_path(path: Path_) -> str:
    return dotted(path) or "(top)"
