"""Compose the recipe that gets validated: bases (`extends:`), a variant, `--set` overrides and
`${env:...}`/`${var:...}` references, all on the located YAML tree so positions survive merging.

    recipe file --extends (deep merge, bases first)--> variant overlay --> --set --> interpolation
                --> Document (data, positions, origin file of every value, secrets)

Merging: mappings merge key by key, lists are replaced, and `steps` merge by step `id:`: an overriding
list whose steps all name base ids patches those steps in place; any other list replaces the steps,
each step with a base id still inheriting that base step's settings.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence, Union

from orc_olive.diagnostics import Diagnostic, OrcError, Path_, one_of, suggest
from orc_olive.source.interpolate import interpolate
from orc_olive.source.loader import MAX_BYTES, Document, hidden, load_bytes
from orc_olive.source.located import Node, from_document, step_key, to_document
from orc_olive.source.overrides import apply_sets, type_by_schema
from orc_olive.source.reading import TooLarge, read_regular

if TYPE_CHECKING:
    from pydantic import BaseModel

# The recipe models, or a function that gives them: called only when `--set` or a value from the
# environment needs typing (the cheap no-op composes a plain recipe without importing any model).
Model = Union["type[BaseModel]", Callable[[], "type[BaseModel]"]]
Reader = Callable[[str], bytes]  # a recipe path -> its bytes; raises FileNotFoundError when absent, OSError when unreadable
VARIANT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_EXTENDS_DEPTH = 16  # a base of a base of ...: a family is two or three files deep


def read_disk(path: str) -> bytes:
    """A recipe's bytes: a regular file only (a FIFO or a device is refused unread), at most MAX_BYTES."""
    return read_regular(Path(path), MAX_BYTES)


def _error(node: Node, path: Path_, message: str, hint: str = "", code: str = "extends", *, at_key: bool = False) -> Diagnostic:
    pos = node.key_pos if at_key and node.key_pos else node.pos
    return Diagnostic(message, node.file, pos.line, pos.column, path, hint, code=code)


def _unreadable(display: str, exc: OSError, entry: Node | None, where: Path_) -> Diagnostic:
    """The file cannot be read (not a regular file, too large, no permission): at the `extends:` entry
    that names it, or on the recipe itself."""
    code = "too_large" if isinstance(exc, TooLarge) else "io"
    why = f"{exc.strerror or exc}" + (" for a recipe" if isinstance(exc, TooLarge) else "")
    if entry is None:
        return Diagnostic(f"cannot read file: {why}", display, code=code)
    return _error(entry, where, f"cannot read base recipe {entry.value}: {why}", f"looked for {display}" if display != entry.value else "", code)


def merge(base: Node, over: Node, path: Path_ = ()) -> Node:
    if base.is_map and over.is_map:
        out = dict(base.value)
        for key, value in over.value.items():
            if key not in out:
                out[key] = value
            elif path == () and key == "steps":
                out[key] = merge_steps(out[key], value)
            else:
                out[key] = merge(out[key], value, path + (key,))
        return Node(out, over.file, over.pos, over.key_pos or base.key_pos)
    return over


def merge_steps(base: Node, over: Node) -> Node:
    if not (base.is_list and over.is_list):
        return over
    by_id = {step_id: i for i, (_, step_id) in enumerate(map(step_key, base.value)) if step_id}
    keys = [step_key(item) for item in over.value]

    def merged(item: Node, kind: str | None, step_id: str | None) -> Node:
        if step_id not in by_id:
            return item
        original = base.value[by_id[step_id]]
        return merge(original, item, ("steps", by_id[step_id])) if step_key(original)[0] == kind else item

    if over.value and all(step_id in by_id for _, step_id in keys):  # a patch of some base steps
        out = list(base.value)
        for item, (kind, step_id) in zip(over.value, keys):
            assert step_id is not None  # every step_id is a key of by_id
            out[by_id[step_id]] = merged(item, kind, step_id)
        return Node(out, over.file, over.pos, over.key_pos)
    return Node([merged(item, kind, step_id) for item, (kind, step_id) in zip(over.value, keys)], over.file, over.pos, over.key_pos)


def _extends_entries(node: Node, errors: list[Diagnostic]) -> list[Node]:
    entries = [node] if isinstance(node.value, str) else node.value if node.is_list else None
    if entries is None or not entries or any(not isinstance(e.value, str) or not e.value for e in entries):
        errors.append(_error(node, ("extends",), "'extends' must be a recipe path or a list of them", "e.g. extends: base.yaml (relative to this file)"))
        return []
    return entries


def _chain(display: str, reader: Reader, stack: list[str], errors: list[Diagnostic], named_by: Node | None = None, named_at: Path_ = ()) -> Node | None:
    """The file at `display` (named by the `extends:` entry `named_by` at `named_at`) merged over its bases;
    None when it could not be loaded."""
    try:
        root = from_document(load_bytes(reader(display), display))
    except FileNotFoundError:
        raise
    except OSError as exc:
        errors.append(_unreadable(display, exc, named_by, named_at))
        return None
    except OrcError as exc:
        errors.extend(exc.diagnostics)
        return None
    extends = root.value.pop("extends", None)
    if extends is None:
        return root
    merged: Node | None = None
    for index, entry in enumerate(_extends_entries(extends, errors)):
        where: Path_ = ("extends",) if entry is extends else ("extends", index)
        base_display = os.path.normpath(os.path.join(os.path.dirname(display), entry.value))
        identity = os.path.realpath(base_display)
        if len(stack) > MAX_EXTENDS_DEPTH:
            errors.append(_error(entry, where, f"extends goes more than {MAX_EXTENDS_DEPTH} bases deep", "a family is a base and a few recipes that extend it", "too_large"))
            continue
        if identity in stack:
            cycle = " -> ".join([os.path.basename(p) for p in stack[stack.index(identity):]] + [os.path.basename(identity)])
            errors.append(_error(entry, where, f"extends cycle: {cycle}", "a recipe cannot extend itself, directly or through its bases"))
            continue
        try:
            base = _chain(base_display, reader, stack + [identity], errors, entry, where)
        except FileNotFoundError:
            errors.append(_error(entry, where, f"base recipe not found: {entry.value}", f"looked for {base_display}", "missing_base"))
            continue
        if base is not None:
            merged = base if merged is None else merge(merged, base)
    return root if merged is None else merge(merged, root)


def load_composed_tree(path: str, reader: Reader = read_disk) -> Node:
    """The recipe merged over all its bases (variants, overrides and references untouched)."""
    errors: list[Diagnostic] = []
    try:
        root = _chain(path, reader, [os.path.realpath(path)], errors)
    except FileNotFoundError:
        raise OrcError([Diagnostic("file not found", path, code="io")]) from None
    if errors or root is None:
        raise OrcError(hidden(errors))
    return root


def variant_names(root: Node) -> list[str]:
    variants = root.value.get("variants")
    return list(variants.value) if variants is not None and variants.is_map else []


def _apply_variant(root: Node, variant: str | None, errors: list[Diagnostic]) -> None:
    variants = root.value.pop("variants", None)
    if variants is None:
        if variant is not None:
            errors.append(Diagnostic(f"--variant {variant}: the recipe has no variants", root.file, 1, 1, ("variants",), code="unknown_variant"))
        return
    if not variants.is_map or not variants.value:
        errors.append(_error(variants, ("variants",), "'variants' must be a mapping of variant names to recipe settings", code="variants"))
        return
    names = list(variants.value)
    for name, overlay in variants.value.items():
        if not VARIANT_NAME.match(name):
            errors.append(_error(overlay, ("variants", name), f"invalid variant name '{name}'", "lower-case letters, digits and dashes", "variants"))
        if not overlay.is_map:
            errors.append(_error(overlay, ("variants", name), f"variant '{name}' must be a mapping of recipe settings", code="variants"))
    if variant is None:
        errors.append(_error(variants, ("variants",), "the recipe has variants: choose one with --variant NAME, or use --all-variants", one_of(names), "variant_required", at_key=True))
        return
    if variant not in variants.value:
        errors.append(_error(variants, ("variants",), f"unknown variant '{variant}'", suggest(variant, names) or one_of(names), "unknown_variant", at_key=True))
        return
    overlay = variants.value[variant]
    if errors or not overlay.is_map:
        return
    _name_variant(root, overlay, variant)
    merged = merge(root, overlay)
    root.value = merged.value


def _name_variant(root: Node, overlay: Node, variant: str) -> None:
    """Each variant gets its own workflow name and output folder, unless the variant sets them."""
    where = overlay.key_pos or overlay.pos
    if "name" not in overlay.value and "name" in root.value and isinstance(root.value["name"].value, str):
        name = root.value["name"]
        root.value["name"] = Node(f"{name.value}-{variant}", name.file, name.pos, name.key_pos)
    output = overlay.value.get("output")
    if output is None or not output.is_map or "dir" not in output.value:
        current = root.value.get("output")
        if current is None or not current.is_map:
            current = Node({}, overlay.file, where, where)
            root.value["output"] = current
        old = current.value.get("dir")
        base_dir = old.value if old is not None and isinstance(old.value, str) else "outputs"
        current.value["dir"] = Node(f"{base_dir}-{variant}", old.file if old else overlay.file, old.pos if old else where, old.key_pos if old else where)


def compose(
    path: str,
    model: Model,
    *,
    sets: Sequence[str] = (),
    variant: str | None = None,
    env: Mapping[str, str] | None = None,
    reader: Reader = read_disk,
    tree: Node | None = None,
) -> Document:
    """The Document that `model` (the recipe models, or a function giving them) validates, `--set` values and values from the
    environment typed by its fields; raises OrcError with every problem found.
    `tree` is the recipe's load_composed_tree when the caller has it already; it is changed in place."""
    root = load_composed_tree(path, reader) if tree is None else tree
    errors: list[Diagnostic] = []
    _apply_variant(root, variant, errors)
    if sets:
        errors += apply_sets(root, _model(model), sets)
    for key in ("extends", "variants"):  # read from the files already; one set later would do nothing
        if key in root.value:
            errors.append(_error(root.value[key], (key,), f"'{key}' cannot be set by a variant or --set", "put it at the top of a recipe file", at_key=True))
    found = interpolate(root, os.environ if env is None else env)
    errors += found.errors
    if errors:
        raise OrcError(hidden(errors))
    if found.from_env:
        errors += type_by_schema(root, _model(model), found.from_env)
    if errors:
        raise OrcError(hidden(errors))
    doc = to_document(root, path)
    doc.secrets = found.secrets
    doc.from_env = found.from_env
    return doc


def _model(model: Model) -> type[BaseModel]:
    """The model that types values: its `typing_model()` where it has one (the recipe models make the models of
    step kinds and named adapters on first use: models.Later)."""
    found = model if isinstance(model, type) else model()
    typing_model = getattr(found, "typing_model", None)
    return typing_model() if callable(typing_model) else found
