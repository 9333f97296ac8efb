"""Loaded YAML document -> validated Recipe, with pydantic's errors turned into located diagnostics."""

from __future__ import annotations

import re
import typing
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from orc_olive import catalog
from orc_olive.codes import code_for_pydantic
from orc_olive.diagnostics import Diagnostic, Path_, one_of, suggest
from orc_olive.recipe.hints import unknown_field_hint
from orc_olive.recipe.lazy import recipe_model_for
from orc_olive.recipe.models import PATTERN_RULES, PassStep, Recipe
from orc_olive.recipe.pass_models import generic_model
from orc_olive.source.loader import Document


def parse_recipe(doc: Document) -> tuple[Recipe | None, list[Diagnostic]]:
    """Validate the document against the recipe models; `pass:` steps against their Olive pass."""
    diagnostics: list[Diagnostic] = []
    model = recipe_model_for(doc.data)  # the full Recipe, built for the kinds it uses
    try:
        recipe = model.model_validate(doc.data)
    except ValidationError as exc:
        diagnostics.extend(_diagnostics(doc, exc, (), model))  # its annotations name the models (error hints walk them)
        recipe = None
    # `pass:` steps are checked even when the rest failed, so one run shows every problem.
    steps = doc.data.get("steps") if isinstance(doc.data, dict) else None
    for index, item in enumerate(steps if isinstance(steps, list) else []):  # `steps: 8` is the model's error
        if isinstance(item, dict) and isinstance(item.get("pass"), dict):
            diagnostics.extend(check_pass_step(doc, item["pass"], ("steps", index, "pass")))
    return (recipe if not diagnostics else None), diagnostics


def check_pass_step(doc: Document, params: dict[str, Any], path: Path_) -> list[Diagnostic]:
    pass_type = params.get("type")
    if not isinstance(pass_type, str):
        return []  # the recipe model reports a missing or mistyped `type`
    name = catalog.canonical_pass_name(pass_type)
    if name is None:
        file, pos = doc.locate(path + ("type",))
        hint = suggest(pass_type, catalog.pass_names()) or "run `orc passes` to list them"
        return [Diagnostic(f"unknown Olive pass type '{pass_type}'", file, pos.line, pos.column, path + ("type",), hint, code="unknown_pass")]
    model = generic_model(name)
    try:
        model.model_validate(params)
    except ValidationError as exc:
        return list(_diagnostics(doc, exc, path, model))
    return []


def _diagnostics(doc: Document, exc: ValidationError, prefix: Path_, root: type[BaseModel]) -> Iterable[Diagnostic]:
    data = _at_path(doc.data, prefix)
    pass_type = data.get("type") if prefix[-1:] == ("pass",) and isinstance(data, dict) else None
    merged: dict[tuple, list[ErrorDetails]] = {}
    for error in exc.errors(include_url=False):
        path = prefix + _data_path(data, tuple(error["loc"]), error["type"] == "missing")
        family = "type" if error["type"].endswith("_type") or error["type"] == "literal_error" else error["type"]
        merged.setdefault((path, family), []).append(error)
    for (path, _), errors in merged.items():
        first = errors[0]
        kind = first["type"]
        message, hint = _message(first, tuple(first["loc"]), root, path, pass_type)
        if len(errors) > 1:  # one value failing every member of a union: one message, every option
            expected = " or ".join(dict.fromkeys(_expected(e) for e in errors))
            message, hint = f"wrong type: got {_type_name(first['input'])} {_short(first['input'])}", f"expected {expected}"
        if message.startswith("@") and ": " in message:  # a model rule's "@field: ..." is about that field's value
            field_, message = message[1:].split(": ", 1)
            path = path + (field_,)
        if kind == "missing":  # at the key of the mapping that lacks it (the value that requires it)
            file, pos = doc.locate(path[:-1], key=True)
        else:
            file, pos = doc.locate(path, key=kind == "extra_forbidden")
        code = code_for_pydantic(kind) if len(errors) == 1 else "wrong_type"
        yield Diagnostic(message, file, pos.line, pos.column, path, hint, code=code)


def _at_path(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def _data_path(data: Any, loc: tuple, missing: bool) -> Path_:
    """pydantic's loc names union members and Python field names; keep only the parts that exist in the data."""
    path: list[str | int] = []
    for i, part in enumerate(loc):
        part = "pass" if part == "pass_" else part
        last = i == len(loc) - 1
        if isinstance(data, dict) and isinstance(part, str) and (part in data or (last and missing)):
            path.append(part)
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            path.append(part)
            data = data[part]
        elif last and isinstance(data, dict) and isinstance(part, str):
            path.append(part)
    return tuple(path)


_TYPE_WORDS = {"int": "an integer", "float": "a number", "string": "a string", "bool": "true or false", "list": "a list",
               "dict": "a mapping", "model": "a mapping", "none": "null", "model_attributes": "a mapping"}


def _expected(error: ErrorDetails) -> str:
    if error["type"] == "literal_error":
        return error["ctx"]["expected"]
    base = error["type"].removesuffix("_type")
    return _TYPE_WORDS.get(base, base.replace("_", " "))


def _type_name(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number", list: "a list", dict: "a mapping", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _message(error: ErrorDetails, loc: tuple, root: type[BaseModel], path: Path_ = (), pass_type: Any = None) -> tuple[str, str]:
    kind = error["type"]
    name = str(loc[-1]) if loc else ""
    if kind == "missing":
        return f"required field '{name}' is missing", ""
    if kind == "extra_forbidden":
        allowed = allowed_keys(root, loc[:-1])
        hint = unknown_field_hint(name, path or loc, allowed, pass_type if isinstance(pass_type, str) else None)  # old names: recipe/hints.py
        return f"unknown field '{name}'", hint or (one_of(allowed) if allowed else "")
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"invalid value {error['input']!r}", f"expected {expected}"
    if kind == "string_pattern_mismatch":
        return _pattern_message(error["input"], error["ctx"]["pattern"])
    if kind.endswith("_type"):
        return f"wrong type: got {_type_name(error['input'])} {_short(error['input'])}", f"expected {_expected(error)}"
    return error["msg"].removeprefix("Value error, "), ""


def _pattern_message(value: str, pattern: str) -> tuple[str, str]:
    if pattern not in PATTERN_RULES:
        return f"{value!r} does not match the pattern {pattern}", ""
    rule, invalid, lower = PATTERN_RULES[pattern]
    fixed = re.sub(invalid, "-", value.lower() if lower else value).strip("-")
    return f"{value!r} is not a valid name: use {rule}", (f"e.g. '{fixed}'" if fixed and re.match(pattern, fixed) else f"pattern {pattern}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def allowed_keys(model: Any, loc: tuple) -> list[str]:
    """The field names (by alias) valid at `loc` under `model`, walking the model's annotations."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {(f.alias or n): f for n, f in current.model_fields.items()}
            fields.update(current.model_fields)
            if part not in fields:
                return []
            current = fields[part].annotation
        elif typing.get_origin(current) in (list, dict):
            current = typing.get_args(current)[-1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        if current is PassStep:
            return ["type", "id"]
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """Optional[X] / Union[X, list[X]] -> the first model or container inside."""
    while typing.get_origin(annotation) is typing.Union or str(typing.get_origin(annotation)) == "types.UnionType":
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        annotation = models[0] if models else args[0]
    return annotation
