"""`orc import`: an Olive workflow config (current or older layout) -> a recipe that compiles back to it.

Each part of the config becomes a typed recipe section when one exists (a model, datasets, a target,
typed steps, `evaluate:`), a `pass:` step for other passes, and an `olive:` block for everything else.
A typed section is kept only when it compiles back to exactly what the config held: the importer
compiles its own recipe and moves whatever came out different, or did not pass orc's checks, into the
`olive:` block (or a step's `olive:`), so the recipe always compiles to the same workflow.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orc_olive.checks.olive_files import files_may_be_absent
from orc_olive.diagnostics import Diagnostic, OrcError, Path_
from orc_olive.importer import legacy, yaml_emit
from orc_olive.importer.config_file import data_problem, read_config  # noqa: F401  (read_config: part of this module's interface)
from orc_olive.importer.typed import (
    added_evaluator_types,
    same_config,
    same_data,
    same_evaluators,
    same_pass,
    step_for,
    typed_dataset,
    typed_evaluate,
    typed_model,
    typed_target,
)
from orc_olive.recipe.olive_block import SYSTEM_FIELDS
from orc_olive.source.loader import load_text

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
EVALUATOR_FIELDS = ("evaluators", "evaluator")
# Config fields the builder places itself (typed, or carried under `olive:` when they do not type)
HANDLED = {"input_model", "data_configs", "passes", "output_dir", "cache_dir", "log_severity_level", "evaluate_input_model",
           "clean_cache", "no_artifacts", "workflow_id", *SYSTEM_FIELDS, *EVALUATOR_FIELDS}  # fmt: skip
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
    workflow: dict[str, Any] | None = None  # what `text` compiles to, once the import settled
    output_dir: str = ""  # the output folder orc chose, where the config writes into the folder Olive runs in
    absent: list[Diagnostic] = field(default_factory=list)  # files the carried parts name that are not there (yet): warnings

    @property
    def ok(self) -> bool:
        return not self.errors


def import_file(path: Path, output: Path | None = None) -> Imported:
    """Import `path` as a recipe to be written at `output` (default: beside the config, as NAME.recipe.yaml)."""
    path = Path(path)
    output = Path(output) if output else path.with_name(path.stem + ".recipe.yaml")
    return import_config(read_config(path), path, output)


SHAPES = {"input_model": dict, "passes": dict, "data_configs": list, "systems": dict, "evaluators": dict, "engine": dict}


def shape_problems(config: dict[str, Any]) -> list[str]:
    """What keeps `config` from being read as an Olive workflow at all (each part then has its own checks)."""
    problems = [f"`{key}` must be a {'mapping' if kind is dict else 'list'}" for key, kind in SHAPES.items()
                if key in config and not isinstance(config[key], kind)]  # fmt: skip
    if "input_model" not in config or "passes" not in config:
        problems.append("an Olive workflow config has `input_model` and `passes`")
    raw_configs = config.get("data_configs")
    configs = raw_configs if isinstance(raw_configs, list) else []
    names = [d.get("name") if isinstance(d, dict) else None for d in configs]
    if any(not isinstance(n, str) for n in names) or len(set(names)) != len(names):
        problems.append("each of `data_configs` must be a mapping with a `name` of its own")
    return problems


def import_config(config: dict[str, Any], source: Path, output: Path) -> Imported:
    bad_data = data_problem(config)  # read_config has refused these already, located; data given as it is may hold them
    if bad_data is not None:
        return Imported(str(source), errors=[Diagnostic(f"cannot import: {bad_data[0]}", str(source), 1, 1, bad_data[1], code="import")])
    problems = shape_problems(config)
    if problems:
        why = "; ".join(problems)
        return Imported(str(source), errors=[Diagnostic(f"cannot import: {why}", str(source), 1, 1, code="import")])
    modern, notes = legacy.modernise(config)
    result = Imported(str(source), modern=modern, notes=notes)
    if not modern.get("passes"):
        result.unsupported += [str(n) for n in notes if n.kind == legacy.DROPPED]
        why = "it has no passes" if not config.get("passes") else "none of its passes is in Olive 0.13"
        result.errors = [Diagnostic(f"cannot import: {why}, and a recipe has at least one step", str(source), 1, 1, code="import")]
        return result
    moved = os.path.relpath(source.resolve().parent, output.resolve().parent)
    target = _rebase(modern, moved, source.parent) if moved != "." else modern
    builder = _Builder(target, _slug(source.stem), result)
    builder.build()
    recipe_file = str(output)
    for _ in range(MAX_ROUNDS):
        text = builder.text(source, moved)
        compiled, errors, result.absent = _compile(text, recipe_file)
        if errors:
            if not builder.demote(errors):
                result.errors = errors
                break
            continue
        if not builder.reconcile(compiled):
            result.workflow = compiled  # nothing changed since `text` was compiled
            break
    else:
        result.errors = [Diagnostic("the imported recipe did not settle (please report this)", recipe_file, 1, 1, code="import")]
    result.recipe = builder.recipe()
    result.output_dir = builder.chosen_output
    result.text = builder.text(source, moved)
    if result.ok and result.text != text:  # comments added after the last compile: place the warnings in the text written
        result.absent = _compile(result.text, recipe_file)[2]
    result.unsupported += [str(n) for n in notes if n.kind == legacy.DROPPED]
    return result


def _compile(text: str, file: str) -> tuple[dict[str, Any] | None, list[Diagnostic], list[Diagnostic]]:
    """(workflow, errors, the files the `olive:` block names that are not there: the config's to provide)."""
    from orc_olive.build.compile import compile_document  # deferred: build imports every earlier stage

    try:
        document = load_text(text, file)
    except OrcError as exc:  # a key orc's YAML loader refuses (such as `<<`): report it, do not crash
        return None, list(exc.diagnostics), []
    with files_may_be_absent() as absent:
        result = compile_document(document)
    return result.workflow, result.diagnostics.errors, absent


def _slug(stem: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return slug if slug and slug[0].isalnum() else f"imported-{slug}".rstrip("-")


def _in_place(output_dir: Any) -> bool:
    """The config writes its output into the folder Olive runs in (no output_dir, or '.'): the folder that
    holds the recipe, which orc's output guard refuses (a run replaces the whole output folder)."""
    return output_dir is None or (isinstance(output_dir, str) and os.path.normpath(output_dir.strip() or ".") == ".")


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
        self.loose_data: set[str] = set()  # datasets rewritten from an older layout: compared as Olive reads them
        self.reasons: dict[Path_, str] = {}  # why a part is not typed, by its place in the config
        self.added_types: dict[str, str] = {}  # evaluators given without a type: the type orc writes
        self.chosen_output = ""  # the output folder orc chose, where the config writes into the folder it runs in

    # -- first guess: every part typed where it looks typeable ------------------------------------------
    def build(self) -> None:
        config = self.config
        self.model = typed_model(config.get("input_model"))
        if self.model is None:
            self.olive["input_model"] = config.get("input_model")
        rewritten = {n.path[1] for n in self.result.notes if n.path[:1] == ("data_configs",) and len(n.path) > 1}  # older layouts
        for index, data_config in enumerate(config.get("data_configs") or []):
            dataset = typed_dataset(data_config, loose=index in rewritten)
            if dataset is not None and index in rewritten:
                self.loose_data.add(data_config["name"])
            if dataset is not None:
                self.datasets[data_config["name"]] = dataset
            else:
                self.olive_data.append(data_config)
        self.target = typed_target(config)
        if self.target is None:
            self._carry(*SYSTEM_FIELDS)
        for name, pass_config in (config.get("passes") or {}).items():
            self.step_names.append(name)
            self.steps.append(step_for(name, pass_config, self.result.unsupported))
        self.evaluate = typed_evaluate(config)
        if self.evaluate is None:
            self._carry(*EVALUATOR_FIELDS)
        self._engine()
        for key in config:
            if key not in HANDLED:
                self.olive[key] = config[key]

    def _carry(self, *keys: str) -> None:
        for key in keys:
            if key in self.config or key in SYSTEM_FIELDS:
                self.olive[key] = self.config.get(key)

    # A typed section that does not compile back to the config is carried under `olive:` as written.
    def _untype_target(self) -> None:
        self.target = None
        self._carry(*SYSTEM_FIELDS)

    def _untype_evaluate(self) -> None:
        self.evaluate, self.added_types = None, {}
        self._carry(*EVALUATOR_FIELDS)

    def _untype_model(self) -> None:
        self.model, self.olive["input_model"] = None, self.config.get("input_model")

    def _engine(self) -> None:
        config = self.config
        if _in_place(config.get("output_dir")):
            # Olive writes into the folder it runs in; a run replaces orc's output folder, so it is one of its own
            self.chosen_output = f"{self.name}-output"
            self.output["dir"] = self.chosen_output
        for key, section, name in (("output_dir", "output", "dir"), ("cache_dir", "output", "cache")):
            if key == "output_dir" and self.chosen_output:
                continue
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
                if "pass" in self.steps[path[1]] and error.code == "order":
                    continue  # a plain pass that cannot take the model it gets: no other form of it, or of the target, can
                if "pass" in self.steps[path[1]] and self.target is not None:
                    # already a plain pass: what a check objects to may be the typed target (AWQ on a CPU target)
                    self._untype_target()
                    self.reasons[("systems",)] = f"kept as Olive systems, as written: {error.message}"
                    changed = True
                elif self._demote_step(path[1]):
                    self.reasons[("passes", self.step_names[path[1]])] = f"kept as an Olive pass, as written: {error.message}"
                    changed = True
            elif path[:1] == ("datasets",) and len(path) > 1 and path[1] in self.datasets:
                self._demote_dataset(str(path[1]))
                self.reasons[("data_configs", str(path[1]))] = f"kept as an Olive data config, as written: {error.message}"
                changed = True
            elif path[:1] == ("model",) and self.model is not None:
                self._untype_model()
                changed = True
            elif path[:1] == ("target",) and self.target is not None:
                self._untype_target()
                changed = True
            elif path[:1] == ("evaluate",) and self.evaluate is not None:
                self._untype_evaluate()
                changed = True
        return changed

    def _demote_step(self, index: int) -> bool:
        name = self.step_names[index]
        current = self.steps[index]
        demoted = step_for(name, self.config["passes"][name], self.result.unsupported, carry_all="pass" in current)
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
            if not same_pass(compiled_passes.get(name), passes[name]):
                changed |= self._demote_step(index)
        compiled_data = {d.get("name"): d for d in compiled.get("data_configs") or []}
        for name in list(self.datasets):
            original = next(d for d in config.get("data_configs") or [] if d.get("name") == name)
            if not same_data(compiled_data.get(name), original, loose=name in self.loose_data):
                self._demote_dataset(name)
                changed = True
        if self.model is not None and not same_config(compiled.get("input_model"), config.get("input_model")):
            self._untype_model()
            changed = True
        for key in sorted(set(compiled) | set(config)):
            if key in ("passes", "data_configs", "input_model") or key in self.olive or (key == "output_dir" and self.chosen_output):
                continue
            if key == "evaluators" and self.evaluate is not None and same_evaluators(compiled.get(key), config.get(key)):
                # the same, but for the evaluator type orc writes where the config gave none
                self.added_types = added_evaluator_types(compiled.get(key), config.get(key))
                continue
            if compiled.get(key, OLIVE_DEFAULTS.get(key)) != config.get(key, OLIVE_DEFAULTS.get(key)):
                if key in SYSTEM_FIELDS:
                    self._untype_target()
                elif key in EVALUATOR_FIELDS:
                    self._untype_evaluate()
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
        from orc_olive.importer.comments import comments_for, header_for

        recipe = self.recipe()
        comments = comments_for(recipe, self.step_names, self.result, self.reasons)
        header = header_for(source, moved, self.result) + comments.pop((), [])
        if self.chosen_output:
            comments.setdefault(("output", "dir"), []).append(
                f"the config {'names no output_dir, so Olive would write' if self.config.get('output_dir') is None else 'writes'} into the folder"
                " it runs in; a run replaces the whole output folder, so orc puts the model in a folder of its own (a change from the config)")
        if self.evaluate is not None and self.added_types:
            name, kind = next(iter(self.added_types.items()))
            comments.setdefault(("evaluate",), []).append(
                f"the config's evaluator '{name}' has no type, on which Olive 0.13 fails at start-up: orc writes {kind} (the final model's form)")
        return yaml_emit.dump(recipe, comments, header)
