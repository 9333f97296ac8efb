"""Template context -> Olive workflow JSON, through one sandboxed Jinja environment.

Values enter the JSON only through `tojson`, so text that looks like a template (`{{ ... }}`) stays
literal text: Jinja never renders its own output, and the sandbox blocks attribute tricks in templates.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from orc_olive.resources import TEMPLATES_DIR

ENTRY_TEMPLATE = "workflow.json.j2"


def to_json(value: Any) -> str:
    # Jinja's own tojson sorts keys (Olive runs passes in mapping order) and HTML-escapes '<' and '>'
    # (which would garble chat templates such as <|user|>); this keeps order and text as written.
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    env.filters["tojson"] = to_json
    return env


def render_text(context: dict[str, Any], template: str = ENTRY_TEMPLATE) -> str:
    return environment().get_template(template).render(**context)


def render_workflow(context: dict[str, Any]) -> dict[str, Any]:
    """Render and parse at once: a template that yields invalid JSON is a bug we want to see here."""
    return json.loads(render_text(context))


def dump_workflow(workflow: dict[str, Any]) -> str:
    """The canonical text of a compiled workflow: stable indentation, order as built, trailing newline."""
    return json.dumps(workflow, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
