"""Make the recipe JSON Schema fit composed recipes, so editors do not flag what orc accepts:

- a number, boolean or choice may be a `${env:NAME}` / `${var:name}` reference (typed when composed);
- a recipe with `extends:` is partial: nothing is required (its bases give the rest), and
- each `variants:` entry is such a partial recipe.

Only definitions that require something get a partial twin (`XPartial`), to keep the file small.
"""

from __future__ import annotations

import copy
from typing import Any

REFERENCE = {"type": "string", "pattern": r"^\$\{(env|var):[^}]+\}$", "description": "A ${env:NAME}, ${env:NAME:-default} or ${var:name} reference."}
SCALAR_TYPES = ("integer", "number", "boolean")
ROOT_KEYS = ("additionalProperties", "properties", "type")


def _allow_references(node: Any) -> Any:
    if isinstance(node, list):
        return [_allow_references(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: (_allow_references(value) if key not in ("default", "examples", "const", "enum") else value) for key, value in node.items()}
    if out.get("type") in SCALAR_TYPES or "enum" in out or "const" in out:
        outer = {k: out.pop(k) for k in ("title", "description", "default", "examples") if k in out}
        return {"anyOf": [out, REFERENCE], **outer}
    return out


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _partial(node: Any, names: set[str]) -> Any:
    """A copy that requires nothing and refers to the partial twins of `names`."""
    if isinstance(node, list):
        return [_partial(item, names) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "required":
            continue
        if key == "$ref" and value.rsplit("/", 1)[-1] in names:
            out[key] = value + "Partial"
        elif key in ("default", "examples"):
            out[key] = value
        else:
            out[key] = _partial(value, names)
    return out


def composable(schema: dict[str, Any]) -> dict[str, Any]:
    schema = _allow_references(copy.deepcopy(schema))
    defs = schema.setdefault("$defs", {})
    needing = {name for name, body in defs.items() if "required" in set(_keys(body))}
    while True:  # a definition that refers to one needing a twin needs one too
        more = {name for name, body in defs.items() if _refs(body) & needing} - needing
        if not more:
            break
        needing |= more
    for name in sorted(needing):
        defs[name + "Partial"] = _partial(defs[name], needing)
    full = {key: schema.pop(key) for key in (*ROOT_KEYS, "required", "anyOf") if key in schema}
    partial = {key: _partial(full[key], needing) for key in ROOT_KEYS if key in full}
    partial["properties"]["variants"]["additionalProperties"] = {"$ref": "#/$defs/RecipePartial"}
    full["properties"]["variants"]["additionalProperties"] = {"$ref": "#/$defs/RecipePartial"}
    defs["RecipePartial"] = {"description": "Recipe settings merged over a base or a recipe: every field optional.", **partial}
    schema["if"] = {"required": ["extends"]}
    schema["then"] = {"$ref": "#/$defs/RecipePartial"}
    schema["else"] = full
    return schema


def _keys(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            if key not in ("default", "examples"):
                yield from _keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)
