"""When are two Olive workflows the same? Parse both with Olive 0.13's RunConfig and compare the results.

`normalise` parses a workflow the way `olive run` would (from its own folder, so relative paths
resolve the same), fills Olive's defaults and dumps it to plain JSON. `differences` lists the field paths where two normalised workflows differ; mapping key
order never counts.

User scripts that a config names but that are absent (`user_script`, `script_dir`) would stop the
parse. Such a workflow is parsed in a scratch folder where each missing
script is an empty file and each custom data component it would register is a stub that takes any
arguments; both sides of a comparison get the same stubs, so they compare on equal terms.
Likewise, metrics of the `huggingface_metrics` backend are parsed with a stand-in for the `evaluate`
package whose load() accepts any name: the real one fetches each metric from the Hugging Face hub,
which says nothing about whether two workflows are the same.

Imports Olive; callers import this module only when they need it.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import sys
import tempfile
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from orc_olive.diagnostics import dotted
from orc_olive.olive.run_config import quiet_olive

SCRIPT_KEYS = ("user_script", "script_dir")
COMPONENTS = ("load_dataset_config", "pre_process_data_config", "post_process_data_config", "dataloader_config")
_DEPTH = 4  # scratch folders nest this deep, so '../' paths in a config stay inside them


@dataclass
class Normalised:
    data: dict[str, Any] | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.data is not None


def script_references(data: Any) -> Iterator[tuple[str, str]]:
    """Every (key, path) of a user_script / script_dir anywhere in a config."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in SCRIPT_KEYS and isinstance(value, str):
                yield key, value
            else:
                yield from script_references(value)
    elif isinstance(data, list):
        for value in data:
            yield from script_references(value)


def _missing_scripts(workflow: dict[str, Any], base: Path) -> list[tuple[str, str]]:
    return sorted({(k, p) for k, p in script_references(workflow) if not (base / p).exists()})


def _register_stub_components(workflow: dict[str, Any]) -> None:
    """Custom data components (named by `type` in a data config) that Olive does not know: register stubs."""
    from olive.data.registry import Registry

    register = {
        "load_dataset_config": (Registry.get_load_dataset_component, Registry.register_dataset),
        "pre_process_data_config": (Registry.get_pre_process_component, Registry.register_pre_process),
        "post_process_data_config": (Registry.get_post_process_component, Registry.register_post_process),
        "dataloader_config": (Registry.get_dataloader_component, Registry.register_dataloader),
    }
    for data_config in workflow.get("data_configs") or []:
        if not isinstance(data_config, dict) or not data_config.get("user_script"):
            continue
        for component in COMPONENTS:
            name = (data_config.get(component) or {}).get("type") if isinstance(data_config.get(component), dict) else None
            if not isinstance(name, str):
                continue
            get, reg = register[component]
            try:
                known = get(name) is not None
            except Exception:  # noqa: BLE001 - Olive raises KeyError or returns None for unknown names
                known = False
            if not known:
                reg(name)(_stub_component)


def _stub_component(*args: Any, **kwargs: Any) -> Any:
    return args[0] if args else None


def normalise(workflow: dict[str, Any], base: Path | str) -> Normalised:
    """Olive's RunConfig view of `workflow` as plain JSON, or the reason Olive rejects it."""
    quiet_olive()
    from olive.workflows.run.config import RunConfig

    base = Path(base).resolve()
    workflow = json.loads(json.dumps(workflow))  # Olive's validators mutate their input
    missing = _missing_scripts(workflow, base)
    result = Normalised()
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="orc-normalise-") as scratch:
        work = base
        if missing:
            work = Path(scratch).resolve().joinpath(*(f"d{i}" for i in range(_DEPTH)))
            work.mkdir(parents=True)
            _mirror(base, work, workflow)
            for kind, path in missing:
                target = work / path
                if kind == "script_dir":
                    target.mkdir(parents=True, exist_ok=True)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.touch()
            _register_stub_components(workflow)
        saved = sys.modules.get("evaluate")
        olive_logger = logging.getLogger("olive")
        level = olive_logger.level
        try:
            olive_logger.setLevel(logging.ERROR)  # Olive warns on every older field; the caller reports differences itself
            os.chdir(work)
            sys.modules["evaluate"] = _offline_evaluate()
            parsed = RunConfig.parse_file_or_obj(copy.deepcopy(workflow))
            data = _plain(parsed)
        except Exception as exc:  # noqa: BLE001 - any rejection by Olive is the answer, not a crash
            result.error = " ".join(str(exc).split())[:1000] or type(exc).__name__
            return result
        finally:
            os.chdir(cwd)
            olive_logger.setLevel(level)
            if saved is None:
                sys.modules.pop("evaluate", None)
            else:
                sys.modules["evaluate"] = saved
        if work != base:
            data = _rebase(data, Path(scratch).resolve(), work, base)
    result.data = _canonical(data)
    return result


def _offline_evaluate() -> types.ModuleType:
    module = types.ModuleType("evaluate", "stand-in for huggingface/evaluate while a workflow is parsed (see the module doc)")
    module.load = lambda *args, **kwargs: None  # type: ignore[attr-defined]
    return module


def _plain(value: Any) -> Any:
    """RunConfig as plain JSON data, field by field.

    Olive's own to_json runs field serializers that fail on some of its defaults (a metric's `backend`
    or `metric_config` left null), so the models are walked directly; both sides of a comparison are
    dumped the same way.
    """
    from enum import Enum

    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        fields = {name: _plain(getattr(value, name, None)) for name in type(value).model_fields}
        return {**fields, **{str(k): _plain(v) for k, v in (value.model_extra or {}).items()}}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _rebase(data: Any, scratch: Path, work: Path, base: Path) -> Any:
    """Paths Olive resolved inside the scratch folder, as the same paths under the workflow's real folder."""
    if isinstance(data, dict):
        return {k: _rebase(v, scratch, work, base) for k, v in data.items()}
    if isinstance(data, list):
        return [_rebase(v, scratch, work, base) for v in data]
    if isinstance(data, str) and (data == str(scratch) or data.startswith(str(scratch) + os.sep)):
        return os.path.normpath(os.path.join(base, os.path.relpath(data, work)))
    return data


def _canonical(data: dict[str, Any]) -> dict[str, Any]:
    """Order that carries no meaning is dropped: data configs are found by name. Pass order does count."""
    configs = data.get("data_configs")
    if isinstance(configs, list) and all(isinstance(c, dict) and "name" in c for c in configs):
        data["data_configs"] = {c["name"]: c for c in configs}
    passes = data.get("passes")
    if isinstance(passes, dict):
        data["pass_order"] = list(passes)
    return data


def _mirror(base: Path, work: Path, workflow: dict[str, Any]) -> None:
    """Link the scripts that do exist into the scratch folder, so only the missing ones are stubs."""
    for _, path in script_references(workflow):
        source, target = base / path, work / path
        if source.exists() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source.resolve(), target_is_directory=source.is_dir())


def differences(left: Any, right: Any, path: tuple = ()) -> list[str]:
    """Dotted paths where two JSON values differ (mapping order ignored, lists by position)."""
    if isinstance(left, dict) and isinstance(right, dict):
        out: list[str] = []
        for key in sorted(set(left) | set(right), key=str):
            if key not in left or key not in right:
                out.append(dotted(path + (key,)))
            else:
                out += differences(left[key], right[key], path + (key,))
        return out
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return [dotted(path) or "(top)"]
        return [d for i, (a, b) in enumerate(zip(left, right)) for d in differences(a, b, path + (i,))]
    if left != right or type(left) is not type(right):
        return [dotted(path) or "(top)"]
    return []
