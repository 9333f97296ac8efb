"""A YAML tree whose every value remembers the file and position it came from.

Composition (extends, variants, --set, interpolation) works on this tree rather than on plain data,
so that after merging several files an error still points at the file and line that gave the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from orc_olive.diagnostics import Path_
from orc_olive.source.loader import Document, Position


@dataclass
class Node:
    value: Any  # dict[str, Node] | list[Node] | a scalar
    file: str
    pos: Position
    key_pos: Position | None = None  # where its key sits, when it is a mapping value

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)


_START = Position(1, 1)


def from_document(doc: Document) -> Node:
    return _from_document(doc, doc.data, ())


def _from_document(doc: Document, value: Any, path: Path_) -> Node:
    # A module function, not a closure that calls itself: such a closure is a reference cycle that would
    # keep the whole Document (a position per value) alive until the cycle collector runs (issue 19).
    pos = doc.values.get(path, _START)
    file = doc.origins.get(path, doc.file)
    if isinstance(value, dict):
        inner: Any = {k: _from_document(doc, v, path + (k,)) for k, v in value.items()}
    elif isinstance(value, list):
        inner = [_from_document(doc, v, path + (i,)) for i, v in enumerate(value)]
    else:
        inner = value
    return Node(inner, file, pos, doc.keys.get(path))


def from_value(value: Any, file: str, pos: Position) -> Node:
    """A tree for a value that has no YAML source of its own (e.g. from the command line)."""
    if isinstance(value, dict):
        return Node({k: from_value(v, file, pos) for k, v in value.items()}, file, pos, pos)
    if isinstance(value, list):
        return Node([from_value(v, file, pos) for v in value], file, pos)
    return Node(value, file, pos)


def plain(node: Node) -> Any:
    if node.is_map:
        return {k: plain(v) for k, v in node.value.items()}
    if node.is_list:
        return [plain(v) for v in node.value]
    return node.value


def walk(node: Node, path: Path_ = ()) -> Iterator[tuple[Path_, Node]]:
    yield path, node
    if node.is_map:
        for key, child in node.value.items():
            yield from walk(child, path + (key,))
    elif node.is_list:
        for index, child in enumerate(node.value):
            yield from walk(child, path + (index,))


def to_document(root: Node, file: str) -> Document:
    """Back to a Document: plain data, positions by path, and the origin of every value from elsewhere."""
    doc = Document(file=file, data=plain(root))
    for path, node in walk(root):
        doc.values[path] = node.pos
        if node.key_pos is not None and path:
            doc.keys[path] = node.key_pos
        if node.file != file:
            doc.origins[path] = node.file
    return doc


def step_key(item: Node) -> tuple[str | None, str | None]:
    """(kind, id) of a step item, when it has the one-key shape."""
    if not (item.is_map and len(item.value) == 1):
        return None, None
    kind, params = next(iter(item.value.items()))
    step_id = params.value.get("id") if params.is_map else None
    return kind, (step_id.value if step_id is not None and isinstance(step_id.value, str) else None)
