"""Load YAML safely, with YAML 1.2 core-schema scalars and the position of every key and value.

libyaml (PyYAML's C parser) composes the nodes when it is installed: 6-8x faster than the pure-Python
parser, with the same nodes and marks. Whatever it refuses, and any document with a problem at all,
is loaded again by the pure-Python parser, which words every error and its position (load_text).

PyYAML resolves scalars with YAML 1.1 rules (`on`/`yes` are booleans, `1e-4` is a string). We compose
the node graph with an empty resolver and type plain scalars ourselves with the YAML 1.2 core schema,
so `learning_rate: 1e-4` is a float and `on` stays the string "on". Every key's and value's position
is kept by path, so any later error can point at a line and column.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python parser does it all
    CParser = None

from orc_olive.diagnostics import Diagnostic, OrcError, Path_
from orc_olive.secrecy import looks_like_token, redact, secret_problem

MAX_BYTES = 2 * 1024 * 1024  # a recipe is a page of YAML; anything this big is a mistake
MAX_NODES = 200_000  # bounds alias expansion ("billion laughs")
MAX_DEPTH = 64  # bounds nesting, so no later stage (pydantic, JSON, Jinja) recurses without end
MAX_DIGITS = 1000  # digits of an integer: far beyond any setting, well within what Python converts (4300)

_STR = "tag:yaml.org,2002:str"
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")
_EXPLICIT = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


@dataclass(frozen=True, slots=True)  # slots: a position is kept for every key and value (a third of their memory)
class Position:
    line: int  # 1-based
    column: int  # 1-based

    def __reduce__(self) -> tuple[type[Position], tuple[int, int]]:  # pickled and copied alike on every Python >= 3.10
        return Position, (self.line, self.column)

    def __deepcopy__(self, memo: dict[int, Any]) -> Position:  # immutable: the copy of a tree shares its positions
        return self


@dataclass
class Document:
    """A loaded YAML document: plain Python data plus where each piece sits in the file."""

    file: str
    data: Any
    values: dict[Path_, Position] = field(default_factory=dict)
    keys: dict[Path_, Position] = field(default_factory=dict)
    # For values merged in from other files (see compose.py): path -> file it came from.
    origins: dict[Path_, str] = field(default_factory=dict)
    # Secret values that came from the environment (value -> variable name): masked whenever printed.
    secrets: dict[str, str] = field(default_factory=dict)
    from_env: set[Path_] = field(default_factory=set)  # paths of values that are whole ${env:NAME} references

    def locate(self, path: Path_, *, key: bool = False) -> tuple[str, Position]:
        """The file and position of `path`, falling back to the nearest parent that exists."""
        probe = tuple(path)
        while True:
            table = self.keys if key and probe in self.keys else self.values
            if probe in table:
                return self.origins.get(probe, self.file), table[probe]
            if not probe:
                return self.file, Position(1, 1)
            probe = probe[:-1]


class _Loader(Reader, Scanner, Parser, Composer, BaseResolver):
    """Composes nodes only: no constructor, no implicit typing, no Python tags."""

    def __init__(self, stream: str):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        BaseResolver.__init__(self)


if CParser is not None:

    class _CLoader(CParser, BaseResolver):
        """libyaml's composer with the same empty resolver: every plain scalar is a str node, typed by _Builder."""

        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            BaseResolver.__init__(self)


# What the pure-Python parser refuses or counts differently (non-printable characters, NEL/LS/PS line
# breaks, a BOM inside, tabs: libyaml takes a tab as a separator where PyYAML refuses it): such text
# takes the pure path, so its error and positions are PyYAML's.
_FAST_UNSAFE = re.compile("[^\x0A\x0D\x20-\x7E\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]|[\x85\u2028\u2029\uFEFF]")


def _pos(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


class NumberTooLong(ValueError):
    """An integer with more than MAX_DIGITS digits."""

    def __init__(self, digits: int):
        super().__init__(f"an integer of {digits} digits is over the limit of {MAX_DIGITS} digits")
        self.digits = digits


def _integer(digits: str, base: int) -> int:
    if len(digits.lstrip("+-")) > MAX_DIGITS:
        raise NumberTooLong(len(digits.lstrip("+-")))
    return int(digits, base)


def scalar_value(text: str) -> Any:
    """Type a plain scalar by the YAML 1.2 core schema; NumberTooLong for an integer past MAX_DIGITS."""
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        return _integer(text, 10)
    if _OCT.match(text):
        return _integer(text[2:], 8)
    if _HEX.match(text):
        return _integer(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


class _Builder:
    def __init__(self, file: str):
        self.doc = Document(file=file, data=None)
        self.errors: list[Diagnostic] = []
        self.count = 0
        self.active: set[int] = set()

    def error(self, node: Node, path: Path_, message: str, hint: str = "", code: str = "yaml") -> None:
        p = _pos(node)
        self.errors.append(Diagnostic(message, self.doc.file, p.line, p.column, path, hint, code=code))

    def build(self, node: Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge(node)
        if len(path) > MAX_DEPTH:
            raise _TooLarge(node, f"the document is nested more than {MAX_DEPTH} levels deep", "a recipe is a few levels of mappings and lists")
        self.doc.values.setdefault(path, _pos(node))
        if node.tag not in _EXPLICIT:
            self.error(node, path, f"YAML tag '{node.tag}' is not allowed", "recipes hold plain data only")
            return None
        if isinstance(node, ScalarNode):
            if _SURROGATE.search(node.value):
                return self._surrogates(node, path)
            try:
                if not node.style and node.tag == _STR:  # plain: style None (pure parser) or '' (libyaml)
                    return scalar_value(node.value)
                return self._explicit_scalar(node, path)
            except NumberTooLong as exc:
                self.error(node, path, str(exc), "a number in a recipe has a few digits", code="out_of_range")
                return None
        if id(node) in self.active:
            self.error(node, path, "recursive YAML alias", "an anchor cannot contain itself")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            return self._mapping(node, path)
        finally:
            self.active.discard(id(node))

    def _surrogates(self, node: ScalarNode, path: Path_) -> str | None:
        """JSON-style escapes of a character beyond U+FFFF ("\\ud83d\\ude00") arrive as two surrogates:
        join them, as JSON does; a lone surrogate is no character and could never be written out."""
        try:
            return node.value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            self.error(node, path, "a lone UTF-16 surrogate escape (\\ud800-\\udfff) is not a character", "write the character itself")
            return None

    def _explicit_scalar(self, node: ScalarNode, path: Path_) -> Any:
        if node.tag == _STR:
            return node.value
        typed = scalar_value(node.value)
        tag_types: dict[str, type | tuple[type, ...]] = {
            "tag:yaml.org,2002:int": int,
            "tag:yaml.org,2002:float": (float, int),
            "tag:yaml.org,2002:bool": bool,
            "tag:yaml.org,2002:null": type(None),
        }
        expected = tag_types.get(node.tag)
        if expected is None or not isinstance(typed, expected):
            self.error(node, path, f"'{node.value}' is not a valid {node.tag.rsplit(':', 1)[-1]}")
            return None
        if node.tag.endswith(":float"):
            assert isinstance(typed, (float, int))  # the tag's types, checked above
            return float(typed)
        return typed

    def _mapping(self, node: MappingNode, path: Path_) -> dict:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, path, "mapping keys must be plain strings")
                continue
            key = key_node.value if not _SURROGATE.search(key_node.value) else self._surrogates(key_node, path)
            if key is None:
                continue
            if key == "<<":
                self.error(key_node, path, "YAML merge keys ('<<') are not supported", "use 'extends:' to share settings")
                continue
            if key in out:
                first = self.doc.keys[path + (key,)]
                self.error(
                    key_node, path + (key,), f"duplicate key '{key}'", f"first defined at line {first.line}", code="duplicate_key"
                )
                continue
            self.doc.keys[path + (key,)] = _pos(key_node)
            out[key] = self.build(value_node, path + (key,))
        return out


class _TooLarge(Exception):
    def __init__(self, node: Node, message: str = f"the document expands to more than {MAX_NODES} nodes", hint: str = "YAML aliases repeated too often?"):
        self.node, self.message, self.hint = node, message, hint


def load_text(text: str, file: str = "<recipe>", *, fast: bool = True) -> Document:
    """Parse YAML text into a Document; raises OrcError with every problem found.

    With `fast`, libyaml composes a document that has no problem; a document with any problem (or text
    the pure reader treats differently) is loaded by the pure-Python parser, whose diagnostics stand."""
    doc = _fast_load(text, file) if fast else None
    return doc if doc is not None else _pure_load(text, file)


def _fast_load(text: str, file: str) -> Document | None:
    """The document as libyaml composes it, or None where the pure loader must decide."""
    if CParser is None or _FAST_UNSAFE.search(text):
        return None
    loader = _CLoader(text)
    try:
        node = loader.get_single_node()
    except Exception:  # noqa: BLE001 - every refusal is worded by the pure loader
        return None
    if not isinstance(node, MappingNode):  # empty, or not a mapping: the pure loader words it
        return None
    builder = _Builder(file)
    try:
        builder.doc.data = builder.build(node, ())
    except _TooLarge:
        return None
    return None if builder.errors else builder.doc


def _pure_load(text: str, file: str) -> Document:
    builder = _Builder(file)
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        except RecursionError:  # PyYAML composes recursively: thousands of nested brackets exhaust the stack
            raise OrcError([Diagnostic(f"the document is nested more than {MAX_DEPTH} levels deep", file, loader.line + 1, loader.column + 1,
                                       (), "a recipe is a few levels of mappings and lists", code="too_large")]) from None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = (exc.problem or exc.context or "invalid YAML").strip()
        if exc.context and exc.problem:
            message = f"{exc.context.strip()}: {message}"
        hint = _source_line(text, line)
        message = hide_secrets(message)
        raise OrcError([Diagnostic(f"YAML syntax error: {message}", file, line, col, (), hint, code="yaml_syntax")]) from None
    except yaml.YAMLError as exc:  # reader errors (control characters) carry a position too
        pos = getattr(exc, "position", None)
        raise OrcError([Diagnostic(f"YAML error: {exc}", file, 1 if pos is None else text.count("\n", 0, pos) + 1, 1, (), code="yaml_syntax")]) from None
    if node is None:
        raise OrcError([Diagnostic("the recipe is empty", file, 1, 1, (), "a recipe is a YAML mapping with name, model, steps", code="not_mapping")])
    if not isinstance(node, MappingNode):
        p = _pos(node)
        raise OrcError([Diagnostic("a recipe must be a YAML mapping (key: value pairs)", file, p.line, p.column, (), code="not_mapping")])
    try:
        builder.doc.data = builder.build(node, ())
    except _TooLarge as exc:
        p = _pos(exc.node)
        raise OrcError([Diagnostic(exc.message, file, p.line, p.column, (), exc.hint, code="too_large")]) from None
    if builder.errors:
        raise OrcError(hidden(builder.errors))
    return builder.doc


def load_bytes(raw: bytes, name: str) -> Document:
    """Decode and parse a recipe's bytes (from a file, or from git for `orc diff --rev`)."""
    if len(raw) > MAX_BYTES:
        raise OrcError([Diagnostic(f"file is over the {MAX_BYTES} byte limit for a recipe", name, code="too_large")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise OrcError([Diagnostic("file is not valid UTF-8", name, line, col, (), f"byte 0x{raw[exc.start]:02x} at offset {exc.start}", code="encoding")]) from None
    return load_text(text, name)


_WORD = re.compile(r"[A-Za-z0-9_\-.+/=:~%?&]{8,}")
_KEY_VALUE = re.compile(r"^\s*-?\s*[\"']?([A-Za-z0-9_\-.]+)[\"']?\s*:\s*[\"']?([^\s\"'#,}\]]{8,})")


def _secret_word(word: str) -> bool:
    return looks_like_token(word) or secret_problem("", word) is not None


def holds_secret_value(line: str) -> bool:
    """Whether a source line holds what looks like a secret: a token anywhere, or a credential key's value."""
    pair = _KEY_VALUE.match(line)
    if pair and secret_problem(pair[1], pair[2]) is not None:
        return True
    return any(_secret_word(word.strip(":=?&")) for word in _WORD.findall(line))


def hide_secrets(text: str) -> str:
    """`text` with every word that looks like a secret redacted (PyYAML quotes aliases, tags and keys)."""
    return _WORD.sub(lambda m: redact(m[0]) if _secret_word(m[0].strip(":=?&")) else m[0], text)


def hidden(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics with secret-looking words redacted from their messages, hints and paths: what the
    source stage reports quotes keys, names and values before any later check can scrub them."""
    return [replace(d, message=hide_secrets(d.message), hint=hide_secrets(d.hint), path=tuple(hide_secrets(p) if isinstance(p, str) else p for p in d.path))
            for d in diagnostics]  # fmt: skip


def _source_line(text: str, line: int) -> str:
    lines = text.splitlines()
    if 1 <= line <= len(lines):
        shown = lines[line - 1].strip()
        if holds_secret_value(shown):
            return f"line {line} is not shown: it holds what looks like a secret"
        return f"line {line}: {shown[:80]}"
    return ""
