"""Generate the Olive catalogs that orc checks recipes against, from the installed olive-ai.

Writes two deterministic JSON files:

* ``olive-passes.json``: every pass registered in Olive's ``olive_config.json`` with its parameters
  (JSON schema fragment, default, required, description) taken from the pass's ``default_config``.
* ``olive-run-config.schema.json``: the JSON schema of Olive's ``RunConfig``, loosened where Olive's
  "before" validators accept shorthands the plain pydantic schema would reject. It is a light check
  for installs without Olive; Olive's own validation stays the authority.

Run: ``python -m orc_olive.olive.catalog_gen [--out schemas]``.
"""

from __future__ import annotations

import argparse
import enum
import importlib
import inspect
import json
import math
import re
import sys
import warnings
from pathlib import Path, PurePath
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from orc_olive.olive.data_catalog import text_generation_params
from orc_olive.olive.run_config import quiet_olive

GENERATED_BY = "python -m orc_olive.olive.catalog_gen"
PASSES_FILE = "olive-passes.json"
RUN_CONFIG_FILE = "olive-run-config.schema.json"


class _LenientSchema(GenerateJsonSchema):
    """Types JSON schema cannot express (callables, arbitrary classes) become ``{}`` (any value)."""

    def handle_invalid_for_json_schema(self, schema, error_info):
        return {}


class _NotJson(Exception):
    """A default value that has no faithful JSON form."""


# --------------------------------------------------------------------------- JSON conversion helpers


def _inline_refs(schema: dict) -> dict:
    """Replace every ``$ref`` by its ``$defs`` entry so that a fragment stands alone."""
    defs = schema.pop("$defs", {})

    def walk(node, seen: frozenset):
        if isinstance(node, list):
            return [walk(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        rest = {key: walk(value, seen) for key, value in node.items() if key != "$ref"}
        if "$ref" not in node:
            return rest
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:  # a recursive type: stop expanding, accept anything below this point
            return rest
        return {**walk(defs[name], seen | {name}), **rest}

    return walk(schema, frozenset())


def type_schema(type_: Any) -> dict:
    """JSON schema fragment (no $ref) for a Python type; ``{}`` where pydantic cannot describe it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # non-serializable defaults inside nested models only warn
        # Any failure means "cannot describe": the fragment degrades to {} rather than stopping generation.
        try:
            adapter = TypeAdapter(type_)
        except Exception:  # noqa: BLE001
            try:  # plain classes (e.g. onnxruntime FusionOptions) inside a Union: let the rest through
                adapter = TypeAdapter(type_, config=ConfigDict(arbitrary_types_allowed=True))
            except Exception:  # noqa: BLE001
                return {}
        try:
            return _inline_refs(adapter.json_schema(schema_generator=_LenientSchema))
        except Exception:  # noqa: BLE001
            return {}


def json_value(value: Any) -> Any:
    """JSON-safe form of a default value; raises _NotJson for objects with no faithful JSON form."""
    if isinstance(value, enum.Enum):  # before str/int: Olive's enums subclass str
        return json_value(value.value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        raise _NotJson
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((json_value(item) for item in value), key=json.dumps)
    if isinstance(value, dict):
        return {_json_key(key): json_value(item) for key, item in value.items()}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise _NotJson


def _json_key(key: Any) -> str:
    key = json_value(key)
    return key if isinstance(key, str) else json.dumps(key)


def stable_repr(value: Any) -> str:
    """repr without memory addresses, so the output does not change between runs."""
    if inspect.isroutine(value) or inspect.isclass(value):
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', repr(value))}"
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))


# --------------------------------------------------------------------------- pass catalog


def _search_choices(param) -> list:
    """All values a (conditional) search parameter can take, minus Olive's internal markers."""
    from olive.search.search_parameter import Conditional, SearchParameter, SpecialParamValue

    nested = [*param.support.values(), param.default] if isinstance(param, Conditional) else param.get_support()
    choices, seen = [], set()
    for item in nested:
        for choice in _search_choices(item) if isinstance(item, SearchParameter) else [item]:
            if isinstance(choice, SpecialParamValue):
                continue
            key = json.dumps(json_value(choice), sort_keys=True)
            if key not in seen:
                seen.add(key)
                choices.append(json_value(choice))
    return choices


def param_entry(name: str, param) -> dict:
    from olive.common.config_utils import ParamCategory
    from olive.search.search_parameter import SearchParameter

    entry: dict[str, Any] = {
        "schema": type_schema(param.type_),
        "required": bool(param.required),
        "description": inspect.cleandoc(param.description) if param.description else param.description,
    }
    if name.endswith("data_config"):  # RunConfig replaces a name string by that entry of data_configs
        name_ref = {"type": "string", "description": "Name of an entry in the workflow's data_configs."}
        schema = entry["schema"]
        entry["schema"] = (
            {**schema, "anyOf": [*schema["anyOf"], name_ref]} if "anyOf" in schema else {"anyOf": [schema, name_ref]}
        )
    if param.category != ParamCategory.NONE:  # object: may name a function in user_script; path/data: resolved
        entry["category"] = param.category.value
    default = param.default_value
    if isinstance(default, SearchParameter):  # ConditionalDefault: the default depends on other params
        entry["default"] = None
        entry["search_values"] = _search_choices(default)
        entry["conditional_default"] = json_value(default.to_json())
    else:
        try:
            entry["default"] = json_value(default)
        except _NotJson:
            entry["default_repr"] = stable_repr(default)
    if param.search_defaults is not None:  # used only when the workflow enables search
        entry["search_defaults"] = json_value(param.search_defaults.to_json())
    return entry


def _model_types(annotation: Any, known: set[str]) -> list[str]:
    """Olive model types named by a _run_for_config annotation (e.g. HfModelHandler -> HfModel).

    Annotations may be strings (postponed evaluation, TYPE_CHECKING imports), so read the text.
    OliveModelHandler (any model) is not a concrete type and yields nothing, i.e. unknown.
    """
    text = annotation if isinstance(annotation, str) else repr(annotation)
    names = {f"{name}Model" for name in re.findall(r"(\w+)ModelHandler\b", text)}
    return sorted(name for name in names if name.lower() in known)


def pass_entry(info: dict, accelerator_spec, known_models: set[str]) -> dict:
    from olive.passes import PassModuleConfig

    defaults = PassModuleConfig.model_fields
    entry = {
        "module": info["module_path"],
        "importable": True,
        "input_model": [],
        "output_model": None,
        "params": {},
    }
    # Copy olive_config.json's fields as written ("*" = all); absent ones take PassModuleConfig defaults.
    for field in sorted(set(defaults) - {"module_path"}):
        value = info[field] if field in info else defaults[field].get_default(call_default_factory=True)
        entry[field] = json_value(value)

    module_path, class_name = info["module_path"].rsplit(".", 1)
    try:
        cls = getattr(importlib.import_module(module_path), class_name)
    except Exception as exc:  # noqa: BLE001  # a missing optional dependency must not hide the pass
        entry.update(importable=False, import_error=f"{type(exc).__name__}: {exc}")
        return entry

    annotations = inspect.get_annotations(cls._run_for_config)
    entry["input_model"] = _model_types(annotations.get("model", ""), known_models)
    outputs = _model_types(annotations.get("return", ""), known_models)
    entry["output_model"] = outputs[0] if len(outputs) == 1 else (outputs or None)
    try:
        config = cls.default_config(accelerator_spec)
    except Exception as exc:  # noqa: BLE001  # e.g. a pass that rejects the CPU accelerator
        entry["params_error"] = f"{type(exc).__name__}: {exc}"
        return entry
    entry["params"] = {param: param_entry(param, value) for param, value in config.items()}
    return entry


def pass_catalog() -> dict:
    import olive
    import olive.model  # registers the model handler types in REGISTRY
    from olive.hardware.accelerator import AcceleratorSpec, Device
    from olive.model.config.registry import REGISTRY
    from olive.package_config import OlivePackageConfig

    # OlivePackageConfig lowercases pass names; the raw file keeps Olive's canonical spelling.
    with open(OlivePackageConfig.get_default_config_path(), encoding="utf-8") as f:
        package = json.load(f)
    known_models = set(REGISTRY)
    # Parameter sets do not depend on the accelerator; a few defaults do (OpenVINO target_device,
    # OrtSessionParamsTuning device/providers_list, OrtTransformersOptimization use_gpu): CPU is recorded.
    spec = AcceleratorSpec(accelerator_type=Device.CPU, execution_provider="CPUExecutionProvider")
    passes = {name: pass_entry(info, spec, known_models) for name, info in package["passes"].items()}
    return {
        "$comment": (
            "Generated from the installed olive-ai; do not edit. Params are default_config() for "
            "CPU/CPUExecutionProvider. 'schema' describes the param's own type; Olive also accepts null, "
            "'DEFAULT_VALUE'/'SEARCHABLE_VALUES' and search-parameter objects for optional params, and, "
            "when search is enabled, a list of values for a param with search_defaults. "
            "Pass names are matched case-insensitively by Olive. output_model is a list when the pass "
            "may return several model types."
        ),
        "generated_by": GENERATED_BY,
        "olive_version": olive.__version__,
        "accelerator_spec": {"accelerator_type": "cpu", "execution_provider": "CPUExecutionProvider"},
        "execution_providers": execution_providers(),
        "extra_dependencies": package.get("extra_dependencies", {}),
        "passes": passes,
        "training_arguments": training_arguments(),
        "text_generation_params": text_generation_params(),  # what Olive's text-generation pre-processing reads
    }


def execution_providers() -> dict[str, list[str]]:
    """The execution providers Olive manages per device; the CPU provider serves every device too."""
    from olive.hardware.constants import DEVICE_TO_EXECUTION_PROVIDERS, ExecutionProvider

    cpu = ExecutionProvider.CPUExecutionProvider.value
    return {device: sorted({str(ep.value) for ep in eps} | {cpu}) for device, eps in DEVICE_TO_EXECUTION_PROVIDERS.items()}


def training_arguments() -> dict:
    """LoRA/QLoRA `training_args` keys: Olive's HFTrainingArguments fields plus every init field of
    transformers.TrainingArguments (Olive passes those through, and silently drops any other key)."""
    import dataclasses
    import typing

    import transformers
    from olive.passes.pytorch.lora import HFTrainingArguments

    hints = typing.get_type_hints(transformers.TrainingArguments)
    out = {}
    for f in dataclasses.fields(transformers.TrainingArguments):
        if not f.init or f.name.startswith("_"):
            continue
        entry = {"schema": type_schema(hints.get(f.name, Any)), "description": f.metadata.get("help", "")}
        if f.default is not dataclasses.MISSING:
            entry["default"] = json_value(f.default)
        out[f.name] = entry
    for name, field in HFTrainingArguments.model_fields.items():
        if name == "extra_args":  # Olive's own catch-all: recipes give those keys directly
            continue
        out[name] = {"schema": type_schema(field.annotation), "description": field.description or "", "default": json_value(field.default)}
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------- run config schema


def _nested_config_classes() -> dict[str, str]:
    """Class name -> nested field for every NestedConfig: Olive gathers unknown keys into that field."""
    from olive.common.config_utils import NestedConfig

    found, todo = {}, [NestedConfig]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        found[cls.__name__] = cls._nested_field_name
    return found


def run_config_schema() -> dict:
    import olive
    from olive.workflows.run.config import RunConfig

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = RunConfig.model_json_schema(schema_generator=_LenientSchema)

    # NestedConfig's before-validator builds the nested field (e.g. input_model.config, the root's
    # engine) out of the flat keys, so it is never required as written.
    nested = _nested_config_classes()
    for name, model in [("RunConfig", schema), *schema.get("$defs", {}).items()]:
        field = nested.get(name)
        if field and field in model.get("required", []):
            model["required"].remove(field)
            if not model["required"]:
                del model["required"]
    # RunConfig.patch_passes wraps a single pass dict into a list.
    items = schema["properties"]["passes"]["additionalProperties"]
    schema["properties"]["passes"]["additionalProperties"] = {"anyOf": [items, items["items"]]}
    # RunConfig resolves references by name (engine.host/target/evaluator, a metric's data_config, ...)
    # to the systems, evaluators and data_configs defined at the top level, so a name string is accepted.
    # The top-level definitions themselves stay objects.
    named = {"SystemConfig", "OliveEvaluatorConfig", "DataConfig"}

    def allow_names(node):
        if isinstance(node, list):
            for item in node:
                allow_names(item)
        elif isinstance(node, dict):
            for value in node.values():
                allow_names(value)
            if node.get("$ref", "").rsplit("/", 1)[-1] in named:
                node["anyOf"] = [{"$ref": node.pop("$ref")}, {"type": "string"}]

    allow_names(schema["$defs"])
    allow_names([schema["properties"]["engine"], schema["properties"]["passes"]])
    _sort_any_of(schema)

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": (
            f"Generated by {GENERATED_BY} from olive-ai {olive.__version__} RunConfig; do not edit. "
            "A looser check than Olive's own validators."
        ),
        **schema,
    }


def _sort_any_of(node: Any) -> None:
    """Every anyOf in one order: pydantic writes a Union's members in the order typing cached them first,
    which depends on what the process imported before (CacheConfig | dict came out either way round)."""
    for value in node if isinstance(node, list) else node.values() if isinstance(node, dict) else ():
        _sort_any_of(value)
    if isinstance(node, dict) and isinstance(node.get("anyOf"), list):
        node["anyOf"].sort(key=lambda option: json.dumps(option, sort_keys=True))


# --------------------------------------------------------------------------- entry points


def _write_json(path: Path, data: dict) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:  # same bytes on every OS
        f.write(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def generate(out_dir: Path) -> list[Path]:
    """Write both catalogs into out_dir and return their paths."""
    quiet_olive()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, build in ((PASSES_FILE, pass_catalog), (RUN_CONFIG_FILE, run_config_schema)):
        path = out_dir / file_name
        _write_json(path, build())
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=GENERATED_BY, description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("schemas"), help="output folder (default: schemas)")
    args = parser.parse_args(argv)
    for path in generate(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
