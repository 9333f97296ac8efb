"""What Olive's data components read, from the installed olive-ai, for the pass catalog (catalog_gen.py).

Olive's HuggingfaceContainer pre-processes text-generation data with
`text_generation_huggingface_pre_process(dataset, model_name, trust_remote_code, **kwargs)`, which drops
`task` and validates the rest against `TextGenParams`, logging "Keys ... are not part of TextGenParams.
Ignoring them" for anything else (`source_max_len`, `corpus_strategy`, `dataset_type` of older
configs). The keys it reads and their defaults are recorded here, so that orc can warn without Olive.
"""

from __future__ import annotations

import inspect
from typing import Any

# The one key the function reads by hand (it pops `task` before validating); not visible to introspection.
POPPED = ("task",)


def text_generation_params() -> dict[str, Any]:
    """{"component", "arguments": the function's own parameters, "params": TextGenParams field -> default}."""
    from olive.data.component.pre_process_data import text_generation_huggingface_pre_process
    from olive.data.component.text_generation import TextGenParams

    from orc_olive.olive.catalog_gen import json_value, stable_repr

    signature = inspect.signature(text_generation_huggingface_pre_process)
    arguments = [name for index, (name, p) in enumerate(signature.parameters.items()) if index and p.kind is not p.VAR_KEYWORD]
    params: dict[str, Any] = {}
    for name, field in TextGenParams.model_fields.items():
        default = field.get_default(call_default_factory=True)
        try:
            params[name] = json_value(default)
        except Exception:  # noqa: BLE001 - a default with no JSON form is recorded by its repr
            params[name] = stable_repr(default)
    return {
        "component": text_generation_huggingface_pre_process.__name__,
        "arguments": sorted([*arguments, *POPPED]),
        "params": dict(sorted(params.items())),
    }
