"""`${env:NAME}`, `${env:NAME:-default}` and `${var:name}` in recipe strings.

A string that is exactly one reference takes the referenced value whole (a `vars:` entry keeps its YAML
type; an environment value is typed later by the schema); a reference inside longer text is spliced in
as text. `$${...}` stays a literal `${...}`. Values from the environment that look like secrets are
recorded so that everything orc prints can mask them.

References can multiply a small file (ten copies of a variable that holds ten copies of another...), so
what they produce is bounded: the text spliced in (MAX_EXPANDED characters in all), the nodes copied in
(MAX_COPIED), the nesting they reach (MAX_DEPTH) and how deep variables refer to variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from orc_olive.diagnostics import Diagnostic, Path_, one_of, suggest
from orc_olive.secrecy import is_secret
from orc_olive.source.loader import MAX_BYTES, MAX_DEPTH, MAX_NODES
from orc_olive.source.located import Node

REFERENCE = re.compile(r"\$(\$?)\{(env|var):([^}]*)\}")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_EXPANDED = MAX_BYTES  # characters that references may splice into texts, in all: as much as a whole recipe
MAX_COPIED = MAX_NODES // 4  # nodes whole-value references may copy in, in all
MAX_CHAIN = 16  # a variable whose value refers to a variable whose value refers to ...


@dataclass
class Interpolated:
    secrets: dict[str, str] = field(default_factory=dict)  # secret value -> its environment variable
    from_env: set[Path_] = field(default_factory=set)  # paths of whole values that came from the environment
    errors: list[Diagnostic] = field(default_factory=list)


class _Failed(Exception):
    pass


def _clone(node: Node) -> Node:
    """A copy of a tree (positions are immutable, so they are shared); far quicker than copy.deepcopy."""
    if node.is_map:
        return Node({key: _clone(child) for key, child in node.value.items()}, node.file, node.pos, node.key_pos)
    if node.is_list:
        return Node([_clone(child) for child in node.value], node.file, node.pos, node.key_pos)
    return Node(node.value, node.file, node.pos, node.key_pos)


def _size(node: Node) -> tuple[int, int]:
    """(nodes, nesting depth) of a tree."""
    if node.is_map or node.is_list:
        children = [_size(child) for child in (node.value.values() if node.is_map else node.value)]
        return 1 + sum(n for n, _ in children), 1 + max((d for _, d in children), default=0)
    return 1, 0


class _Interpolator:
    def __init__(self, variables: dict[str, Node], env: Mapping[str, str], out: Interpolated):
        self.variables = variables
        self.env = env
        self.out = out
        self.resolved: dict[str, Node] = {}
        self.sizes: dict[str, tuple[int, int]] = {}  # a resolved variable's (nodes, depth)
        self.active: list[str] = []
        self.spliced = 0  # characters spliced into texts so far
        self.copied = 0  # nodes copied in by whole-value references so far
        self.exceeded = False

    def error(self, node: Node, path: Path_, message: str, hint: str = "", code: str = "interpolation") -> None:
        self.out.errors.append(Diagnostic(message, node.file, node.pos.line, node.pos.column, path, hint, code=code))

    def too_large(self, node: Node, path: Path_, message: str) -> _Failed:
        if not self.exceeded:  # once: every later reference would be over the bound as well
            self.error(node, path, message, "references repeated inside references multiply the recipe", "too_large")
        self.exceeded = True
        return _Failed()

    def tree(self, node: Node, path: Path_) -> Node:
        if node.is_map:
            node.value = {k: self.tree(v, path + (k,)) for k, v in node.value.items()}
        elif node.is_list:
            node.value = [self.tree(v, path + (i,)) for i, v in enumerate(node.value)]
        elif isinstance(node.value, str) and "${" in node.value:
            return self.scalar(node, path)
        return node

    def scalar(self, node: Node, path: Path_) -> Node:
        text = node.value
        whole = REFERENCE.fullmatch(text)
        try:
            if whole and not whole[1]:
                source, ref = whole[2], whole[3]
                if source == "var":
                    found = self.copy(ref, self.var(ref, node, path), node, path)
                    found.key_pos = node.key_pos
                    if ("vars", ref) in self.out.from_env:  # still text from the environment: typed later, here
                        self.out.from_env.add(path)
                    return found
                value = self.env_value(ref, node, path)
                self.out.from_env.add(path)
                return Node(value, node.file, node.pos, node.key_pos)
            start = self.spliced
            return Node(REFERENCE.sub(lambda m: self.counted(self.splice(m, node, path), start, text, node, path), text), node.file, node.pos, node.key_pos)
        except _Failed:
            return node

    def copy(self, name: str, value: Node, node: Node, path: Path_) -> Node:
        """A whole-value reference: the variable's tree copied in, within the node and depth bounds."""
        if name not in self.sizes:
            self.sizes[name] = _size(value)
        nodes, depth = self.sizes[name]
        self.copied += nodes
        if self.copied > MAX_COPIED:
            raise self.too_large(node, path, f"variable references copy more than {MAX_COPIED} values into the recipe")
        if len(path) + depth > MAX_DEPTH:
            raise self.too_large(node, path, f"variable '{name}' here nests the recipe more than {MAX_DEPTH} levels deep")
        return _clone(value)

    def counted(self, piece: str, start: int, text: str, node: Node, path: Path_) -> str:
        """`piece`, spliced into `text`: counted against MAX_EXPANDED before the text is built."""
        self.spliced += len(piece)
        if self.spliced - start + len(text) > MAX_EXPANDED or self.spliced > MAX_EXPANDED:
            raise self.too_large(node, path, f"variable references expand the recipe's texts to more than {MAX_EXPANDED} characters")
        return piece

    def splice(self, match: re.Match, node: Node, path: Path_) -> str:
        if match[1]:  # `$${...}` is an escaped, literal `${...}`
            return match[0][1:]
        if match[2] == "env":
            return self.env_value(match[3], node, path)
        value = self.var(match[3], node, path)
        if value.is_map or value.is_list:
            self.error(node, path, f"variable '{match[3]}' is a {'mapping' if value.is_map else 'list'} and cannot be part of a text", "use it as the whole value")
            raise _Failed
        scalar = value.value
        return {True: "true", False: "false", None: ""}.get(scalar, str(scalar)) if isinstance(scalar, (bool, type(None))) else str(scalar)

    def env_value(self, ref: str, node: Node, path: Path_) -> str:
        name, has_default, default = ref.partition(":-")
        if not NAME.match(name):
            self.error(node, path, f"'${{env:{ref}}}' does not name an environment variable", "write ${env:NAME} or ${env:NAME:-default}")
            raise _Failed
        value = self.env.get(name)
        if not value:  # unset or empty, as in the shell's ${NAME:-default}
            if not has_default:
                self.error(node, path, f"environment variable '{name}' is not set", f"set it, or give a default: ${{env:{name}:-value}}")
                raise _Failed
            value = default
        elif is_secret(name, value):
            self.out.secrets[value] = name
        return value

    def var(self, name: str, node: Node, path: Path_) -> Node:
        if name in self.resolved:
            return self.resolved[name]
        if name not in self.variables:
            hint = suggest(name, self.variables) or (one_of(self.variables) if self.variables else "declare it under 'vars:'")
            self.error(node, path, f"unknown variable '{name}'", hint)
            raise _Failed
        if name in self.active:
            cycle = " -> ".join(self.active[self.active.index(name):] + [name])
            self.error(node, path, f"variables refer to each other in a cycle: {cycle}")
            raise _Failed
        if len(self.active) >= MAX_CHAIN:
            self.error(node, path, f"variables refer to variables more than {MAX_CHAIN} deep (from '{self.active[0]}')", "refer to the value itself", "too_large")
            raise _Failed
        self.active.append(name)
        try:
            self.resolved[name] = self.tree(self.variables[name], ("vars", name))
        finally:
            self.active.pop()
        return self.resolved[name]


def interpolate(root: Node, env: Mapping[str, str]) -> Interpolated:
    """Replace every reference in `root` (in place); `vars:` is consumed and removed."""
    out = Interpolated()
    vars_node = root.value.pop("vars", None)
    variables: dict[str, Node] = {}
    if vars_node is not None and not vars_node.is_map:
        out.errors.append(Diagnostic("'vars' must be a mapping of names to values", vars_node.file, vars_node.pos.line, vars_node.pos.column, ("vars",), code="interpolation"))
    elif vars_node is not None:
        for name, value in vars_node.value.items():
            if not NAME.match(name):
                pos = value.key_pos or value.pos
                out.errors.append(Diagnostic(f"invalid variable name '{name}'", value.file, pos.line, pos.column, ("vars", name), "letters, digits and '_', not starting with a digit", code="interpolation"))
            variables[name] = value
    worker = _Interpolator(variables, env, out)
    for key, child in list(root.value.items()):
        root.value[key] = worker.tree(child, (key,))
    return out

