"""The fidelity harness: each section of a compiled workflow handed to the Olive 0.13 code that consumes it.

`olive run` parses the workflow with RunConfig, then (olive/workflows/run/run.py, olive/engine/engine.py)
creates the engine and its accelerator spec, builds the input model's handler, validates each pass's
config for that accelerator (no-search mode: `generate_config(..., disable_search=True)`, then
`validate_config`, which prunes the pass when False), and loads and pre-processes data through data
containers. The checks here call the same functions, offline: no download, no training, no model run.
Models and data not on disk get the parse only; a hub model's tokenizer is replaced by the tiny one in
examples/tiny-phi3 so its data can still be tokenized. Olive logs and ignores keys it does not read
("Keys ... are not part of ... Ignoring them"): every such warning is a failure here.
"""

from __future__ import annotations

import copy
import inspect
import json
import logging
import os
import re
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Iterator

from .conftest import ROOT

TINY = ROOT / "examples" / "tiny-phi3"
LOCAL_DATA_FORMATS = ("json", "csv", "parquet", "text")  # datasets' own loaders for local files
IGNORED = ("are not part of", "Ignoring")  # Olive's words when it drops a key it does not read


class OliveWarnings(logging.Handler):
    """Olive's warnings while a check runs (Olive's logger does not propagate to pytest's)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    @property
    def ignored_keys(self) -> list[str]:
        return [m for m in self.messages if all(word in m for word in IGNORED)]


@contextmanager
def olive_session(base: Path) -> Iterator[OliveWarnings]:
    """Run from the recipe's folder (Olive resolves relative paths from the working folder), with Olive's
    warnings collected and the environment (the engine sets cache variables) restored afterwards."""
    cwd, env = os.getcwd(), dict(os.environ)
    handler = OliveWarnings()
    logger = logging.getLogger("olive")
    logger.addHandler(handler)
    os.chdir(base)
    try:
        yield handler
    finally:
        os.chdir(cwd)
        logger.removeHandler(handler)
        os.environ.clear()
        os.environ.update(env)


def workflow_for_olive(workflow: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """The compiled workflow as Olive would read it from disk, with its cache and output in `scratch`
    (the engine creates its cache folder; nothing is written beside the recipe)."""
    data = json.loads(json.dumps(workflow))
    data["cache_dir"] = str(scratch / "cache")
    data["output_dir"] = str(scratch / "output")
    return data


def run_config(workflow: dict[str, Any]) -> Any:
    from olive.workflows.run.config import RunConfig

    return RunConfig.parse_file_or_obj(copy.deepcopy(workflow))


def package_config() -> Any:
    from olive.package_config import OlivePackageConfig

    return OlivePackageConfig.parse_file_or_obj(OlivePackageConfig.get_default_config_path())


def accelerator(rc: Any) -> Any:
    """The accelerator spec the engine runs with (run.py's run_engine), without probing this machine's EPs.
    A Docker target's normalisation creates the system, which needs the `docker` package: without it, the
    spec is the one the target declares (Olive runs the workflow inside the container then)."""
    from olive.hardware.accelerator import AcceleratorSpec
    from olive.systems.accelerator_creator import create_accelerator
    from olive.systems.common import SystemType
    from olive.workflows.run.run import is_execution_provider_required

    target = rc.engine.target
    if target.type == SystemType.Docker and find_spec("docker") is None:
        declared = target.config.accelerators[0]
        return AcceleratorSpec(declared.device, declared.execution_providers[0])
    return create_accelerator(rc.engine.target, skip_supported_eps_check=True, is_ep_required=is_execution_provider_required(rc, package_config()))


def searches(rc: Any) -> bool:
    """Whether the engine searches pass parameters (Engine._compute_*_pass_configs)."""
    strategy = rc.engine.search_strategy
    return bool(strategy) and getattr(strategy, "include_pass_params", True) is not False


# --- the input model -------------------------------------------------------------------------------


def is_hub_id(name: str) -> bool:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError:
        return False
    return True


def check_model(rc: Any) -> list[str]:
    """ModelConfig -> its resources (Olive's resource parse) -> the model handler where the model is on disk."""
    problems: list[str] = []
    model = rc.input_model
    resources = {key: path for key, path in model.get_resource_paths().items() if path is not None}
    on_disk = True
    for key, resource in resources.items():
        if resource.is_local_resource():
            if not Path(resource.get_path()).exists():
                problems.append(f"{key}: {resource.get_path()} does not exist")
        elif resource.is_string_name():
            on_disk = False
            if model.type.lower() == "hfmodel" and key == "model_path" and not is_hub_id(resource.get_path()):
                problems.append(f"{key}: {resource.get_path()!r} is neither on disk nor a Hugging Face repo id (Olive would ask the hub for it)")
        else:  # an AzureML registry model: parsed, never downloaded here
            on_disk = False
    if problems or not on_disk:
        return problems
    handler = model.create_model()  # HfModelHandler reads the model's config here
    if model.type.lower() == "hfmodel":
        handler.get_hf_tokenizer()
    return problems


# --- data ------------------------------------------------------------------------------------------


def local_files(params: dict[str, Any]) -> list[str]:
    """The local data files a `huggingface_dataset` component loads with one of datasets' file loaders."""
    files = params.get("data_files")
    names = [files] if isinstance(files, str) else list(files.values()) if isinstance(files, dict) else files or []
    flat = [n for name in names for n in ([name] if isinstance(name, str) else name)]
    return flat if params.get("data_name") in LOCAL_DATA_FORMATS else []


def data_container(data_config: Any) -> tuple[Any, bool]:
    """The DataConfig's container, with the tiny model standing in for a model that is not on disk (its
    tokenizer, its config for dummy data); and whether its data can be made offline (local files, dummy data)."""
    config = copy.deepcopy(data_config)
    for component in (config.load_dataset_config, config.pre_process_data_config):
        name = component.params.get("model_name") if component is not None else None
        if isinstance(name, str) and not Path(name).exists():
            component.params["model_name"] = str(TINY)
    load = config.load_dataset_config
    files = local_files(load.params) if load is not None and load.type == "huggingface_dataset" else []
    local = load is not None and ("dummy" in str(load.type) or (bool(files) and all(Path(f).exists() for f in files)))
    return config.to_data_container(), local


def check_data(rc: Any, name: str, max_length: int | None) -> list[str]:
    """DataConfig -> DataContainer; data made offline is loaded, pre-processed and batched: sequences of the
    length the recipe asks for (text generation: its max_length; dummy prompts: their seq_len)."""
    data_config = next(dc for dc in rc.data_configs if dc.name == name)
    container, local = data_container(data_config)
    load = data_config.load_dataset_config
    # `${{inputs.NAME}}`: an AzureML job's input, filled in by the job (tests/test_azureml_cloud.py loads it so)
    missing = [f for f in (local_files(load.params) if load is not None else []) if not Path(f).exists() and not f.startswith("${{inputs.")]
    if missing:
        return [f"{name}: data file {', '.join(missing)} does not exist (Olive's load fails)"]
    if not local:
        return []
    dataset = container.pre_process(container.load_dataset())
    if len(dataset) == 0:
        return [f"{name}: pre-processing gives no sequences (Olive would train or evaluate on nothing)"]
    problems: list[str] = []
    params = container.config.pre_process_params
    if "max_seq_len" in params:  # text generation
        expected = params["max_seq_len"]
        if max_length is not None and expected != max_length:
            problems.append(f"{name}: Olive reads max_seq_len {expected}, the recipe says max_length {max_length}")
        padded = params.get("pad_to_max_len", True) or str(params.get("strategy", "join")).startswith("join")
    else:
        expected, padded = container.config.load_dataset_params.get("seq_len"), True
    samples = [dataset[i] for i in range(min(len(dataset), 8))]  # (inputs, label) pairs
    lengths = {len(inputs["input_ids"]) for inputs, _ in samples}
    if expected is not None and (lengths != {expected} if padded else max(lengths) > expected):
        problems.append(f"{name}: sequences of {sorted(lengths)} tokens, expected {'' if padded else 'at most '}{expected}")
    batch = next(iter(container.dataloader(dataset)))
    if not isinstance(batch, (tuple, list)) or "input_ids" not in batch[0]:
        problems.append(f"{name}: the data loader's batch has no input_ids: {type(batch).__name__}")
    return problems


# --- evaluators ------------------------------------------------------------------------------------


def read_keys(cls: type) -> set[str]:
    """The arguments an evaluator's constructor reads: its named parameters, and the keys it takes from
    **kwargs (`kwargs.get("name")`), through its base classes."""
    keys: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if not inspect.isfunction(init):  # not defined there, or object's own
            continue
        keys |= {n for n, p in inspect.signature(init).parameters.items() if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        keys |= set(re.findall(r"kwargs\.get\(\s*[\"'](\w+)[\"']", inspect.getsource(init)))
    return keys


def create_engine(rc: Any) -> Any:
    """run.py's engine, initialised (its start-up prepares the evaluators' and passes' resources)."""
    engine = rc.engine.create_engine(package_config(), rc.workflow_id)
    engine.set_input_passes_configs(rc.passes or {})
    engine.initialize()
    return engine


def check_evaluator(rc: Any, name: str, framework: str) -> list[str]:
    """OliveEvaluatorConfig as the engine starts it; the evaluator class it creates for the evaluated
    model's framework; each metric's data container and local resources."""
    from olive.evaluator.olive_evaluator import OliveEvaluatorConfig
    from olive.resource_path import find_all_resources

    config = rc.evaluators[name] if name in (rc.evaluators or {}) else rc.engine.evaluator
    engine = create_engine(rc)
    prepared = engine.cache.prepare_resources_for_local(OliveEvaluatorConfig.model_validate(config.model_dump()))
    problems = [f"{'.'.join(map(str, key))}: {path.get_path()} does not exist"
                for key, path in find_all_resources(prepared.model_dump()).items() if path.is_local_resource() and not Path(path.get_path()).exists()]

    class Model:  # the evaluator is chosen by the model's framework where the config names no type
        pass

    model = Model()
    model.framework = framework  # type: ignore[attr-defined]
    evaluator = prepared.create_evaluator(model)
    if evaluator is None:
        problems.append(f"no Olive evaluator for type {prepared.type!r} / framework {framework}")
    unread = sorted(set(prepared.type_args or {}) - read_keys(type(evaluator)))
    if unread:
        problems.append(f"{type(evaluator).__name__} does not read {', '.join(unread)} (Olive ignores it)")
    for metric in prepared.metrics:
        if metric.data_config is not None:
            data_container(metric.data_config)
    return problems


# --- passes ----------------------------------------------------------------------------------------


def check_pass(rc: Any, name: str) -> list[str]:
    """Each configuration of the pass: its own config class (unknown keys are ones Olive would ignore),
    `generate_config` as the engine calls it, `validate_config` (False: Olive prunes the pass and writes
    no model), and the pass object."""
    from olive.common.config_utils import validate_config
    from olive.workflows.run.config import RunPassConfig

    spec = accelerator(rc)
    problems: list[str] = []
    for index, pass_config in enumerate(rc.passes[name]):
        where = f"{name}[{index}]" if len(rc.passes[name]) > 1 else name
        pass_config = validate_config(pass_config.model_dump(), RunPassConfig)
        pass_cls = package_config().import_pass_module(pass_config.type)
        config_class, _ = pass_cls.get_config_class(spec, not searches(rc))
        unknown = sorted(set(pass_config.config or {}) - set(config_class.model_fields))
        if unknown:
            problems.append(f"{where}: {pass_cls.__name__} has no parameter {', '.join(unknown)} (Olive ignores it)")
        if searches(rc):
            pass_cls.get_config_params(spec, pass_config.config, False)
            continue
        config = pass_cls.generate_config(spec, pass_config.config, {}, True)
        if not pass_cls.validate_config(config, spec):
            problems.append(f"{where}: {pass_cls.__name__}.validate_config refuses it for {spec}: Olive prunes the pass")
            continue
        pass_cls(spec, config, None).config.to_json()
    return problems


# --- systems ---------------------------------------------------------------------------------------


def check_systems(rc: Any) -> list[str]:
    """SystemConfig of each system; a local system created; the accelerator spec the engine makes from the
    target is the one the target declares (Olive replaces a device/provider pair it does not accept)."""
    from olive.systems.common import SystemType

    for system in (rc.systems or {}).values():
        if system.type == SystemType.Local:
            system.create_system()
    declared = copy.deepcopy(rc.engine.target.config.accelerators or [])  # the normalizer rewrites them in place
    spec = accelerator(rc)
    if declared:
        device, providers = str(declared[0].device).lower(), declared[0].execution_providers or []
        if str(spec.accelerator_type).lower() != device or (providers and spec.execution_provider != providers[0]):
            return [f"the target declares {device} / {providers[0] if providers else '-'}, Olive runs {spec}"]
    return []
