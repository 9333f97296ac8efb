"""A small JSON Schema (2020-12) validator for the keywords the generated RunConfig schema uses.

Importing `jsonschema` (attrs, referencing, rpds) costs more than everything else `orc validate` does
for one recipe, and the schema of Olive's RunConfig uses only a handful of keywords. A schema with any
other keyword is refused (`supports` is False) and olive_check.py falls back to jsonschema;
tests/test_schema_lite.py checks that both agree on valid and broken workflows.
"""

from __future__ import annotations

from typing import Any, Iterator

ANNOTATIONS = {"title", "description", "default", "$comment", "$schema", "format", "examples", "$defs"}
ASSERTIONS = {"type", "enum", "anyOf", "$ref", "properties", "additionalProperties", "required", "items", "prefixItems", "minItems", "maxItems"}

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
}


def _keywords(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            yield key
            if key in ("properties", "$defs"):
                for sub in value.values():
                    yield from _keywords(sub)
            elif key in ("anyOf", "prefixItems"):
                for sub in value:
                    yield from _keywords(sub)
            elif key in ("items", "additionalProperties"):
                yield from _keywords(value)


def supports(schema: dict[str, Any]) -> bool:
    return set(_keywords(schema)) <= ANNOTATIONS | ASSERTIONS


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


class Validator:
    def __init__(self, schema: dict[str, Any]):
        if not supports(schema):
            raise ValueError("schema uses keywords this validator does not implement")
        self.root = schema

    def _resolve(self, ref: str) -> dict[str, Any]:
        node: Any = self.root
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def errors(self, value: Any, schema: Any = None, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
        """(path, message) for every violation, like jsonschema's iter_errors."""
        schema = self.root if schema is None else schema
        if schema is True or schema == {}:
            return
        if schema is False:
            yield path, f"{value!r} is not allowed here"
            return
        if "$ref" in schema:
            yield from self.errors(value, self._resolve(schema["$ref"]), path)
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(_TYPES[t](value) for t in types):
                yield path, f"{value!r} is not of type {', '.join(repr(t) for t in types)}"
                return
        if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
            yield path, f"{value!r} is not one of {schema['enum']!r}"
        if "anyOf" in schema and not any(next(self.errors(value, sub, path), None) is None for sub in schema["anyOf"]):
            yield path, f"{value!r} is not valid under any of the given schemas"
        if isinstance(value, dict):
            yield from self._object(value, schema, path)
        if isinstance(value, list):
            yield from self._array(value, schema, path)

    def _object(self, value: dict, schema: dict, path: tuple) -> Iterator[tuple[tuple, str]]:
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                yield path, f"{name!r} is a required property"
        for key, item in value.items():
            if key in properties:
                yield from self.errors(item, properties[key], path + (key,))
            elif "additionalProperties" in schema:
                extra = schema["additionalProperties"]
                if extra is False:
                    yield path, f"Additional properties are not allowed ({key!r} was unexpected)"
                else:
                    yield from self.errors(item, extra, path + (key,))

    def _array(self, value: list, schema: dict, path: tuple) -> Iterator[tuple[tuple, str]]:
        if "minItems" in schema and len(value) < schema["minItems"]:
            yield path, f"{value!r} should have at least {schema['minItems']} items"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            yield path, f"{value!r} should have at most {schema['maxItems']} items"
        prefix = schema.get("prefixItems", [])
        for i, item in enumerate(value):
            sub = prefix[i] if i < len(prefix) else schema.get("items")
            if sub is not None:
                yield from self.errors(item, sub, path + (i,))
