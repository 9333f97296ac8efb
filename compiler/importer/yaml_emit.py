"""A small, deterministic YAML writer with comments, for the recipes `orc import` writes.

Block style for mappings and lists, flow style for short lists and mappings of scalars, and strings
quoted whenever a YAML reader (orc's YAML 1.2 loader or a YAML 1.1 one such as PyYAML) could read them
as anything but the same string. Comments are given by path and written on their own lines above the
key or list item they belong to.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

import yaml

from orc_olive.diagnostics import Path_
from orc_olive.source.loader import scalar_value

FLOW_WIDTH = 100
_PLAIN = re.compile(r"^[A-Za-z0-9_./$()+=@~-][A-Za-z0-9_ ./$<>()+=@~:-]*$")
_FLOW_UNSAFE = set(",[]{}#&*!|>'\"%@`")


class _Comments(dict[Path_, list[str]]):
    """Comments by path, and every path that has a comment below it (so that check is one look-up)."""

    def __init__(self, comments: dict[Path_, list[str]]):
        super().__init__(comments)
        self.parents = {path[:i] for path in comments for i in range(len(path))}


def dump(data: dict[str, Any], comments: dict[Path_, list[str]] | None = None, header: list[str] | None = None) -> str:
    lines = [_comment(text, 0) for text in header or []]
    lines += _mapping(data, (), 0, _Comments(comments or {}))
    return "\n".join(lines) + "\n"


def _comment(text: str, indent: int) -> str:
    # a comment is one line of printable text: other characters are shown escaped, never written raw
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return " " * indent + ("# " + text if text else "#")


def scalar(value: Any, flow: bool = False) -> str:
    """One scalar as YAML text that every reader reads back as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"{value} cannot be written to a recipe")
        text = repr(value)
        mantissa, _, exponent = text.partition("e")
        # "1.0e-05", not "1e-05": YAML 1.1 readers take an exponent without a dot for a string
        return f"{mantissa if '.' in mantissa else mantissa + '.0'}e{exponent}" if exponent else text
    text = str(value)
    if _is_plain(text) and not (flow and _FLOW_UNSAFE & set(text)):
        return text
    # A JSON string is a YAML double-quoted scalar; characters YAML will not take raw are escaped.
    return "".join(c if c.isprintable() or c == " " else _escape(c) for c in json.dumps(text, ensure_ascii=False))


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


# Words every YAML reader takes as something other than a string; any other identifier is a plain string.
_NOT_TEXT_WORDS = {w for word in ("yes", "no", "true", "false", "on", "off", "null", "y", "n") for w in (word, word.title(), word.upper())}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# A YAML 1.1 reader (libyaml's when PyYAML has it: the same data, many times faster) and orc's own.
_YAML11 = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=1 << 16)  # each distinct value is checked once, however often it is written
def _is_plain(text: str) -> bool:
    if _IDENTIFIER.match(text):  # the common case (keys, pass types), decided without a YAML reader
        return text not in _NOT_TEXT_WORDS
    if not _PLAIN.match(text) or text != text.strip() or ": " in text or text.endswith(":") or " #" in text:
        return False
    try:
        return yaml.load(text, Loader=_YAML11) == text and scalar_value(text) == text  # noqa: S506 - a safe loader
    except (yaml.YAMLError, ValueError):  # ValueError: a number past Python's (or orc's) digit limit: quoted
        return False


def _key(key: Any) -> str:
    return scalar(str(key), flow=True)


def _flow(value: Any) -> str | None:
    """A one-line flow form of a short list or mapping of scalars, or None."""
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        text = "[" + ", ".join(scalar(v, flow=True) for v in value) + "]"
    elif isinstance(value, dict) and all(not isinstance(v, (dict, list)) for v in value.values()):
        text = "{" + ", ".join(f"{_key(k)}: {scalar(v, flow=True)}" for k, v in value.items()) + "}"
    else:
        return None
    return text if len(text) <= FLOW_WIDTH else None


def _mapping(data: dict[str, Any], path: Path_, indent: int, comments: dict[Path_, list[str]]) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for key, value in data.items():
        here = path + (key,)
        lines += [_comment(text, indent) for text in comments.get(here, [])]
        lines += _entry(f"{pad}{_key(key)}:", value, here, indent, comments)
    return lines


def _entry(prefix: str, value: Any, path: Path_, indent: int, comments: dict[Path_, list[str]]) -> list[str]:
    if isinstance(value, dict) and value:
        flow = _flow(value)
        if flow is not None and len(prefix) + len(flow) <= FLOW_WIDTH and not _has_comments(path, comments):
            return [f"{prefix} {flow}"]
        return [prefix] + _mapping(value, path, indent + 2, comments)
    if isinstance(value, list) and value:
        flow = _flow(value)
        if flow is not None and len(prefix) + len(flow) <= FLOW_WIDTH and not _has_comments(path, comments):
            return [f"{prefix} {flow}"]
        return [prefix] + _sequence(value, path, indent + 2, comments)
    if isinstance(value, dict):
        return [f"{prefix} {{}}"]
    if isinstance(value, list):
        return [f"{prefix} []"]
    return [f"{prefix} {scalar(value)}"]


def _sequence(items: list[Any], path: Path_, indent: int, comments: dict[Path_, list[str]]) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for index, item in enumerate(items):
        here = path + (index,)
        lines += [_comment(text, indent) for text in comments.get(here, [])]
        if isinstance(item, dict) and item:
            body = _mapping(item, here, indent + 2, comments)
            first = body[0]
            while first.lstrip().startswith("#"):  # comments of the first key go above the dash
                lines.append(first)
                body = body[1:]
                first = body[0]
            lines.append(f"{pad}- {first[indent + 2:]}")
            lines += body[1:]
        elif isinstance(item, list) and item:
            flow = _flow(item)
            lines += [f"{pad}- {flow}"] if flow else [f"{pad}-"] + _sequence(item, here, indent + 2, comments)
        else:
            lines.append(f"{pad}- {'{}' if item == {} else '[]' if item == [] else scalar(item)}")
    return lines


def _has_comments(path: Path_, comments: dict[Path_, list[str]]) -> bool:
    """A comment sits somewhere below `path` (then the value cannot be written in flow style)."""
    if isinstance(comments, _Comments):
        return path in comments.parents
    return any(p[: len(path)] == path and len(p) > len(path) for p in comments)
