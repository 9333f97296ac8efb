"""Every diagnostic code orc reports, with what it means: the one table that `orc codes`, the README and
the tests read. A code is stable once published: tools filter on it (`--format json`, GitHub annotations).
"""

from __future__ import annotations

# code -> what it means. Grouped by the stage that finds it.
CODES: dict[str, str] = {
    # reading the recipe (source/)
    "io": "a recipe, a base it extends or a config to import cannot be read (not found, not a regular file, no permission)",
    "encoding": "the file is not valid UTF-8",
    "too_large": "the file, its nesting, its alias or ${var:} expansion or its chain of bases is over orc's limits for a recipe",
    "yaml_syntax": "the YAML does not parse",
    "yaml": "YAML that parses but that a recipe may not hold (tags, merge keys, non-string keys, recursive aliases)",
    "duplicate_key": "a key appears twice in one mapping",
    "not_mapping": "the recipe is empty or is not a mapping of keys to values",
    "extends": "a base in `extends:` is missing, not a string, or part of a cycle; or a composition key is misplaced",
    "variants": "`variants:` or one of its entries is not a mapping",
    "unknown_variant": "`--variant` names a variant the recipe does not have",
    "bad_override": "a `--set PATH=VALUE` whose path or value is wrong",
    "interpolation": "a `${env:...}`/`${var:...}` reference that cannot be resolved, or a bad `vars:` entry",
    # the recipe models (recipe/)
    "missing_field": "a required field is missing",
    "unknown_field": "a key the recipe format (or the Olive pass) does not have; the hint names the nearest valid one",
    "wrong_type": "a value of the wrong type (a string where a number belongs, a list where a mapping belongs, ...)",
    "invalid_value": "a value outside the accepted choices",
    "out_of_range": "a number or length outside its bounds (e.g. max_length must be greater than 0)",
    "bad_name": "a name that breaks its rule (recipe name, step id, system name); the hint suggests a fixed name",
    "unknown_pass": "a `pass:` step whose `type` is not an Olive 0.13 pass",
    "invalid": "a value a recipe rule refuses; the message says which rule",
    # checks of the recipe (checks/)
    "literal_secret": "a token or credential written literally in the recipe; it belongs in an environment variable",
    "unknown_dataset": "a step or metric names a dataset that is not declared",
    "invalid_name": "a dataset name Olive would refuse at run time",
    "duplicate_id": "two steps have the same id",
    "unknown_provider": "an execution provider Olive does not know",
    "provider_device": "an execution provider that does not run on the target's device",
    "azureml": "an AzureML setting of the wrong form (ids, names, the environment reference)",
    "order": "a step cannot take the model form the steps before it produce (e.g. a PyTorch pass after ONNX export)",
    "needs_cuda": "a pass that needs a CUDA GPU on a target without one",
    "unsupported": "a combination Olive or onnxruntime-genai skips or fails on (ModelBuilder precisions, QLoRA into int4)",
    "cpu_dtype": "warning: half-precision training on a CPU",
    "missing_file": "a data file, model folder, docker context or python_env interpreter that does not exist",
    "unknown_column": "a template placeholder or `columns:` entry that is not a column of the data",
    "template": "a dataset template that cannot be read",
    "short_training": "warning: the training steps cover only a small share of one epoch of the data",
    "no_sequences": "warning: a join strategy over less text than one max_length sequence: Olive makes no sequence from the dataset",
    "olive_field": "an `olive:` key or value that Olive's RunConfig schema refuses, or a name that clashes",
    "olive_data": "a key of a data config under `olive: data_configs` that Olive 0.13 ignores or another key overrides (a warning), or that its data loading refuses; the hint names the key it reads",
    "evaluation": "an `evaluate:` section Olive 0.13 would refuse or fail on: an unknown evaluator or measure, broken ranks, a metric without the data it needs or with data the final model cannot take",
    "eval_input_model": "warning: `evaluate_input_model` with an evaluator that cannot run the input model (Olive 0.13 uses one evaluator type for both)",
    "no_eval_data": "warning: training arguments ask for evaluation (eval_strategy, eval_steps) on a step without evaluation data; Olive turns evaluation off",
    "output_dir": "an `output.dir` orc may not replace: it is or holds the recipe, an input, the project, home or `/`, a file, or a folder orc did not make",
    "adapters": "named `adapters:` that cannot share one base model (rank, target modules or modules_to_save differ), or steps that cannot give them one (not exactly one lora/qlora step, merge_adapters after it, no ONNX model at the end)",
    "chain": "a `model: {from: ...}` that cannot be used: the producing recipe is missing, has errors, builds on this one (a cycle), or yields a model this recipe cannot take",
    # the compiled workflow (render/, olive/, build/)
    "render": "the workflow cannot be rendered (e.g. a number JSON cannot hold)",
    "olive_schema": "the compiled workflow is not valid for Olive's RunConfig",
    "azureml_spec": "azure-ai-ml rejects the AzureML job spec orc made",
    # import and the command line
    "import": "an Olive config that cannot be imported as a recipe",
    "import_dropped": "warning: a part of an imported Olive config that the recipe does not carry (with the reason)",
    "usage": "a command-line argument that is wrong",
    "cannot_write": "an output orc cannot write there: a part of its path is a file, the place is read-only, a name is too long",
}

# pydantic's error types -> orc's codes (anything else is `invalid`).
PYDANTIC_CODES: dict[str, str] = {
    "missing": "missing_field",
    "extra_forbidden": "unknown_field",
    "literal_error": "invalid_value",
    "enum": "invalid_value",
    "string_pattern_mismatch": "bad_name",
    "greater_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "too_short": "out_of_range",
    "too_long": "out_of_range",
    "string_too_short": "out_of_range",
    "string_too_long": "out_of_range",
}


def code_for_pydantic(error_type: str) -> str:
    if error_type.endswith("_type") or error_type.endswith("_parsing"):
        return "wrong_type"
    return PYDANTIC_CODES.get(error_type, "invalid")


def table() -> str:
    """The codes as a Markdown table (the README holds this text; a test keeps them equal)."""
    rows = [f"| `{code}` | {meaning} |" for code, meaning in CODES.items()]
    return "\n".join(["| code | meaning |", "|---|---|", *rows]) + "\n"
