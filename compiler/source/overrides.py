"""`--set PATH=VALUE` overrides, and typing text values (from the command line or the environment) by
the schema the caller gives (the recipe models, passed in so that this stage does not import them): `max_steps=10` becomes the integer 10, `path=10` stays the string "10".

A path is dotted; `steps.NAME` picks a step by its id, or by its kind when only one step has it
(`steps.lora.training.max_steps`), or by index (`steps.0`).
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from orc_olive.diagnostics import Diagnostic, OrcError, Path_, one_of, suggest
from orc_olive.source.loader import MAX_BYTES, MAX_DEPTH, NumberTooLong, Position, hide_secrets, load_text, scalar_value
from orc_olive.source.located import Node, from_document, step_key

if TYPE_CHECKING:
    from pydantic import BaseModel

MISSING = object()
NO_POSITION = Position(0, 0)  # shown as the `--set ...` text alone, without line and column


def _members(annotation: Any) -> list[Any]:
    """The alternatives an annotation accepts, with Optional/Union/Annotated taken apart."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin is typing.Union or str(origin) == "types.UnionType":
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]


def _is_model(annotation: Any) -> bool:
    from pydantic import BaseModel  # imported when an override is typed, not to compose a plain recipe

    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    fields = {(f.alias or n): f.annotation for n, f in model.model_fields.items()}
    return fields


def child_annotation(annotation: Any, part: str | int) -> Any:
    """The annotation one step below `annotation`, or MISSING when `part` cannot be there."""
    for member in _members(annotation):
        if member is Any:
            return Any
        if _is_model(member):
            fields = _fields(member)
            if isinstance(part, str) and part in fields:
                return fields[part]
            if member.model_config.get("extra") == "allow" and isinstance(part, str):
                return Any
        origin = typing.get_origin(member)
        if origin is dict and isinstance(part, str):
            return typing.get_args(member)[1]
        if origin is list and isinstance(part, int):
            return typing.get_args(member)[0]
    return MISSING


def annotation_at(model: type[BaseModel], path: Path_) -> Any:
    current: Any = model
    for part in path:
        current = child_annotation(current, part)
        if current is MISSING:
            return MISSING
    return current


def accepts_text(annotation: Any) -> bool:
    members = _members(annotation)
    return any(m is str or typing.get_origin(m) is typing.Literal for m in members)


def typed(annotation: Any, text: str) -> Any:
    """`text` as the schema wants it: kept as text where text is valid, else read as a YAML scalar."""
    if annotation is not MISSING and accepts_text(annotation):
        return text
    return scalar_value(text)


def _keys_hint(annotation: Any, part: str, existing: Iterable[str]) -> str:
    keys = [k for m in _members(annotation) if _is_model(m) for k in _fields(m)] + list(existing)
    return suggest(part, keys) or (one_of(keys) if keys else "this value has no fields")


def label(arg: str) -> str:
    """How an override is named in messages and as the origin of its value: `--set PATH`, never its
    value (which may be a token), and a path part that looks like a secret redacted."""
    return "--set " + ".".join(hide_secrets(part) for part in arg.partition("=")[0].strip().split("."))


class _Setter:
    def __init__(self, root: Node, model: type[BaseModel], arg: str):
        self.root = root
        self.model = model
        self.arg = arg
        self.origin = label(arg)

    def fail(self, path: Path_, message: str, hint: str = "") -> OrcError:
        shown = tuple(hide_secrets(p) if isinstance(p, str) else p for p in path)
        return OrcError([Diagnostic(hide_secrets(message), self.origin, 0, 0, shown, hide_secrets(hint), code="bad_override")])

    def resolve(self, parts: list[str]) -> tuple[Path_, Any]:
        """The concrete data path of a dotted override path, checked against the schema and the data."""
        path: Path_ = ()
        annotation: Any = self.model
        node: Node | None = self.root
        index = 0
        while index < len(parts):
            part: str | int = parts[index]
            if path == ("steps",):
                position, kind = self.step(node, str(part))
                path += (position, kind)
                annotation = child_annotation(child_annotation(annotation, position), kind)
                node = node.value[position].value.get(kind) if node else None
                index += 2 if index + 1 < len(parts) and parts[index + 1] == kind else 1
                continue
            if isinstance(part, str) and part.isdigit() and any(typing.get_origin(m) is list for m in _members(annotation)):
                part = int(part)
            below = child_annotation(annotation, part)
            existing = list(node.value) if node is not None and node.is_map else []
            if below is MISSING:
                raise self.fail(path + (part,), f"unknown field '{part}'", _keys_hint(annotation, str(part), []))
            if isinstance(part, int) and (node is None or not node.is_list or part >= len(node.value)):
                raise self.fail(path + (part,), f"no item [{part}] here", f"the list has {len(node.value) if node and node.is_list else 0} items")
            named_models = any(typing.get_origin(m) is dict for m in _members(annotation)) and any(_is_model(m) for m in _members(below))
            if named_models and part not in existing and index + 1 < len(parts):
                raise self.fail(path + (part,), f"no entry named '{part}'", suggest(str(part), existing) or (one_of(existing) if existing else "none are declared"))
            path += (part,)
            annotation = below
            node = self.child(node, part)
            index += 1
        return path, annotation

    @staticmethod
    def child(node: Node | None, part: str | int) -> Node | None:
        if node is None:
            return None
        if node.is_map and isinstance(part, str):
            return node.value.get(part)
        if node.is_list and isinstance(part, int) and part < len(node.value):
            return node.value[part]
        return None

    def step(self, steps: Node | None, name: str) -> tuple[int, str]:
        items = steps.value if steps is not None and steps.is_list else []
        keys = [step_key(item) for item in items]
        kinds, ids = [kind or "" for kind, _ in keys], [step_id for _, step_id in keys]
        if name.isdigit() and int(name) < len(items):
            return int(name), kinds[int(name)]
        if name in ids:
            position = ids.index(name)
            return position, kinds[position]
        if name.isdigit():
            raise self.fail(("steps", int(name)), f"no step [{name}]", f"the recipe has {len(items)} steps, [0] to [{len(items) - 1}]")
        matches = [i for i, kind in enumerate(kinds) if kind == name]
        if len(matches) == 1:
            return matches[0], name
        if matches:
            raise self.fail(("steps", name), f"{len(matches)} steps are '{name}' steps", "give the one you mean an `id:` and use that, or use its index")
        names = [i for i in ids if i] + [k for k in kinds if k]
        raise self.fail(("steps", name), f"no step with id or kind '{name}'", suggest(name, names) or (one_of(names) if names else "the recipe has no steps"))

    def assign(self, path: Path_, value: Node) -> None:
        node = self.root
        for part in path[:-1]:
            below = node.value[part] if node.is_list else node.value.get(part)
            if below is None or not (below.is_map or below.is_list):
                below = Node({}, self.origin, NO_POSITION, NO_POSITION)
                node.value[part] = below
            node = below
        value.key_pos = NO_POSITION
        node.value[path[-1]] = value


def _value_node(text: str, annotation: Any, origin: str, path: Path_) -> Node:
    """The node for an override's value: YAML for a flow list or mapping, else text typed by the schema."""
    if len(text) > MAX_BYTES:
        raise OrcError([Diagnostic(f"the value is over the {MAX_BYTES} byte limit for a recipe", origin, 0, 0, path, code="too_large")])
    if text.lstrip().startswith(("[", "{")):  # a YAML flow list or mapping
        try:
            parsed = from_document(load_text(f"value: {text}", origin)).value["value"]
        except OrcError as exc:
            raise OrcError([Diagnostic(f"the value is not valid YAML: {d.message}", origin, 0, 0, path, code=_code(d.code)) for d in exc.diagnostics]) from None
        _relocate(parsed, origin)
        return parsed
    try:
        return Node(typed(annotation, text), origin, NO_POSITION)
    except NumberTooLong as exc:
        raise OrcError([Diagnostic(str(exc), origin, 0, 0, path, "a number in a recipe has a few digits", code="out_of_range")]) from None


def _code(code: str) -> str:
    return code if code in ("too_large", "out_of_range") else "bad_override"


def _relocate(node: Node, origin: str) -> None:
    node.file, node.pos = origin, NO_POSITION
    node.key_pos = NO_POSITION if node.key_pos else None
    children = node.value.values() if node.is_map else node.value if node.is_list else []
    for child in children:
        _relocate(child, origin)


def apply_sets(root: Node, model: type[BaseModel], sets: Sequence[str]) -> list[Diagnostic]:
    """Apply every `--set` in order (later ones win), typed by `model`'s fields; returns every problem found."""
    problems: list[Diagnostic] = []
    for arg in sets:
        setter = _Setter(root, model, arg)
        dotted_path, eq, text = arg.partition("=")
        parts = dotted_path.strip().split(".")
        if not eq or not all(parts):
            problems.append(Diagnostic("an override is PATH=VALUE", setter.origin, 0, 0, (), "e.g. --set target.device=cpu", code="bad_override"))
            continue
        if len(parts) > MAX_DEPTH:
            problems.append(Diagnostic(f"the path is more than {MAX_DEPTH} levels deep", setter.origin, 0, 0, (), code="too_large"))
            continue
        try:
            path, annotation = setter.resolve(parts)
            value = _value_node(text, annotation, setter.origin, path)
        except OrcError as exc:
            problems.extend(exc.diagnostics)
            continue
        setter.assign(path, value)
    return problems


def type_by_schema(root: Node, model: type[BaseModel], paths: Iterable[Path_]) -> list[Diagnostic]:
    """Turn whole values that came in as text (from the environment) into the type the schema wants;
    returns the values that cannot be (an integer with too many digits)."""
    problems = []
    for path in sorted(paths, key=str):
        node: Node | None = root
        for part in path:
            node = _Setter.child(node, part)
        if node is not None and isinstance(node.value, str):
            try:
                node.value = typed(annotation_at(model, path), node.value)
            except NumberTooLong as exc:
                problems.append(Diagnostic(f"the value from the environment is too long: {exc}", node.file, node.pos.line, node.pos.column, path, code="out_of_range"))
    return problems

