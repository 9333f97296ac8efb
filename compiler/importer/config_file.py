"""Reading an Olive workflow config for `orc import`, with the recipe loader's guards.

A config is read as Olive reads it (JSON, or YAML with PyYAML's safe rules, YAML 1.1 scalars), but only
from a regular file of at most MAX_BYTES, and only when it stays within the loader's bounds: nesting
(MAX_DEPTH: 100,000 nested brackets are an error, not a RecursionError), expanded size (MAX_NODES: a
YAML alias bomb is refused from its node graph, before anything is built from it), integers of at most
MAX_DIGITS digits, and finite numbers (JSON's NaN and Infinity, YAML's .nan and .inf, or 1e999 cannot
be written into a recipe or a workflow). Every refusal is one located diagnostic.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from orc_olive.diagnostics import Diagnostic, OrcError, Path_, dotted
from orc_olive.source.loader import MAX_BYTES, MAX_DEPTH, MAX_DIGITS, MAX_NODES, hide_secrets
from orc_olive.source.reading import TooLarge, read_regular

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
# JSON outside strings: a string (skipped), a bracket, a constant or a number
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|([\[\]{}])|(-?Infinity|NaN)|(-?[0-9][0-9.eE+-]*)')


class _Refused(Exception):
    def __init__(self, message: str, position: int | None = None, line: int = 0, column: int = 0, path: Path_ = (), code: str = "too_large",
                 literal: str = ""):  # fmt: skip
        self.message, self.position, self.line, self.column, self.path, self.code = message, position, line, column, path, code
        self.literal = literal  # the JSON number it is about


def read_config(path: Path) -> dict[str, Any]:
    """An Olive workflow config from JSON or YAML; an OrcError located in the file otherwise."""
    path = Path(path)

    def fail(message: str, line: int = 0, column: int = 0, code: str = "import", where: Path_ = ()) -> OrcError:
        return OrcError([Diagnostic(message, str(path), line, column, where, code=code)])

    try:
        raw = read_regular(path, MAX_BYTES)
    except FileNotFoundError:
        raise fail("file not found", code="io") from None
    except TooLarge:
        raise fail(f"file is over the {MAX_BYTES} byte limit for a workflow config", code="too_large") from None
    except OSError as exc:
        raise fail(f"cannot read file: {exc.strerror or exc}", code="io") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"file is not valid UTF-8 (byte offset {exc.start})", code="encoding") from None
    try:
        data = _yaml(text) if path.suffix.lower() in (".yaml", ".yml") else _json(text)
        _measure(data)
    except _Refused as exc:
        line, column = (_line_column(text, exc.position) if exc.position is not None else (exc.line, exc.column))
        raise fail(exc.message, line, column, exc.code, exc.path) from None
    if not isinstance(data, dict) or "passes" not in data or "input_model" not in data:  # the rest: shape_problems
        raise fail("not an Olive workflow config (it needs `input_model` and `passes`)", 1, 1)
    return data


def _line_column(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


# -- JSON ------------------------------------------------------------------------------------------------
def _too_long(literal: str) -> None:
    digits = len(literal.lstrip("-"))
    if digits > MAX_DIGITS:
        raise _Refused(f"an integer of {digits} digits is over the limit of {MAX_DIGITS} digits", code="out_of_range", literal=literal)


def _json_int(literal: str) -> int:
    _too_long(literal)
    return int(literal)


def _json_float(literal: str) -> float:
    if len(literal) > MAX_DIGITS:
        raise _Refused(f"a number of {len(literal)} characters is over the limit of {MAX_DIGITS}", code="out_of_range", literal=literal)
    value = float(literal)
    if not math.isfinite(value):
        raise _Refused(f"{literal} is beyond what a number in a workflow can hold (it reads as infinity)", code="out_of_range", literal=literal)
    return value


def _json_constant(literal: str) -> Any:
    raise _Refused(f"{literal} is not a number a workflow can hold (Olive's JSON has no NaN or infinity)", code="out_of_range", literal=literal)


def _json(text: str) -> Any:
    try:
        return json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except json.JSONDecodeError as exc:
        raise _Refused(f"not valid JSON: {hide_secrets(exc.msg)}", line=exc.lineno, column=exc.colno, code="import") from None
    except RecursionError:  # deeper than the stack: found again without recursing, to say where
        raise _Refused(f"the config is nested more than {MAX_DEPTH} levels deep", _json_too_deep(text)) from None
    except _Refused as exc:
        exc.position = _json_number_at(text, exc.literal)
        raise


def _json_too_deep(text: str) -> int | None:
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        if match[1]:
            depth += 1 if match[1] in "[{" else -1
            if depth > MAX_DEPTH:
                return match.start()
    return None


def _json_number_at(text: str, literal: str) -> int | None:
    """Where the first number or constant written as `literal` sits, outside strings (json reads in order)."""
    for match in _JSON_TOKEN.finditer(text):
        if literal in (match[2], match[3]):
            return match.start()
    return None


# -- YAML ------------------------------------------------------------------------------------------------
def _yaml(text: str) -> Any:
    try:
        loader = yaml.SafeLoader(text)  # its reader refuses control characters at once
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", None)
        raise _Refused(f"not valid YAML: {exc}", position, line=1, column=1, code="import") from None
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise _Refused(f"the config is nested more than {MAX_DEPTH} levels deep", line=loader.line + 1, column=loader.column + 1) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = hide_secrets(str(exc.problem or exc.context or "invalid YAML"))
            raise _Refused(f"not valid YAML: {message}", line=mark.line + 1 if mark else 0, column=mark.column + 1 if mark else 0, code="import") from None
        except yaml.YAMLError as exc:
            raise _Refused(f"not valid YAML: {hide_secrets(str(exc))}", code="import") from None
        if node is None:
            return None
        _check_nodes(loader, node)
        try:
            return loader.construct_document(node)
        except yaml.YAMLError as exc:  # a tag safe_load does not take, a bad merge key...
            mark = getattr(exc, "problem_mark", None)
            raise _Refused(f"not valid YAML: {hide_secrets(str(getattr(exc, 'problem', None) or exc))}",
                           line=mark.line + 1 if mark else 0, column=mark.column + 1 if mark else 0, code="import") from None
    finally:
        loader.dispose()


def _check_nodes(loader: yaml.SafeLoader, root: Node) -> None:
    """The node graph within bounds, aliases counted each time they are used, without recursing."""
    stack: list[tuple[Node, int]] = [(root, 0)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if count > MAX_NODES:
            raise _Refused(f"the config expands to more than {MAX_NODES} values", line=line, column=column)
        if depth > MAX_DEPTH:
            raise _Refused(f"the config is nested more than {MAX_DEPTH} levels deep (or an alias refers to itself)", line=line, column=column)
        if isinstance(node, ScalarNode):
            _check_scalar(loader, node, line, column)
        elif isinstance(node, SequenceNode):
            stack.extend((child, depth + 1) for child in reversed(node.value))
        elif isinstance(node, MappingNode):
            stack.extend((part, depth + 1) for pair in reversed(node.value) for part in reversed(pair))


def _check_scalar(loader: yaml.SafeLoader, node: ScalarNode, line: int, column: int) -> None:
    if node.tag == _INT_TAG:
        digits = len(node.value.lstrip("+-").replace("_", ""))
        if digits > MAX_DIGITS:
            raise _Refused(f"an integer of {digits} digits is over the limit of {MAX_DIGITS} digits", code="out_of_range", line=line, column=column)
    elif node.tag == _FLOAT_TAG:
        try:
            value = loader.construct_yaml_float(node)
        except (ValueError, OverflowError):
            return  # construct_document reports it
        if not math.isfinite(value):
            raise _Refused(f"{node.value} is not a number a workflow can hold (Olive's JSON has no NaN or infinity)", code="out_of_range", line=line, column=column)


# -- either ----------------------------------------------------------------------------------------------
_MAX_BITS = int(MAX_DIGITS * 3.33)  # an integer of MAX_DIGITS decimal digits


def data_problem(data: Any) -> tuple[str, Path_] | None:
    """What keeps data given as it is (import_config's config) from being imported: (why, where), or None."""
    try:
        _measure(data)
    except _Refused as exc:
        return exc.message, exc.path
    return None


def _measure(data: Any) -> None:
    """Nesting, size and numbers of the built data (a JSON config's, or data given as it is), without recursing."""
    stack: list[tuple[Path_, Any]] = [((), data)]
    count = 0
    while stack:
        path, value = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise _Refused(f"the config holds more than {MAX_NODES} values", line=1, column=1, path=path)
        if len(path) > MAX_DEPTH:
            raise _Refused(f"the config is nested more than {MAX_DEPTH} levels deep, at {dotted(path[:8])}...", line=1, column=1, path=path[:MAX_DEPTH])
        if isinstance(value, float) and not math.isfinite(value):
            raise _Refused(f"{value} is not a number a workflow can hold (Olive's JSON has no NaN or infinity)", line=1, column=1, path=path, code="out_of_range")
        if isinstance(value, int) and value.bit_length() > _MAX_BITS:
            raise _Refused(f"an integer of more than {MAX_DIGITS} digits is over the limit", line=1, column=1, path=path, code="out_of_range")
        if isinstance(value, dict):
            stack.extend((path + (str(key),), child) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((path + (index,), child) for index, child in enumerate(value))
