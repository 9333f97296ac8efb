"""libyaml is the loader's fast path: the same data, the same positions of every key and value, and the
same diagnostics (the pure-Python parser words every problem) on every shipped recipe, every test
recipe, and over a thousand random edits of them."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from orc_olive.diagnostics import OrcError
from orc_olive.source import loader
from orc_olive.source.loader import load_text

from .conftest import RECIPES, ROOT

pytestmark = pytest.mark.skipif(loader.CParser is None, reason="PyYAML without libyaml")

TEST_YAML = sorted(p for p in (ROOT / "tests").rglob("*.yaml") if "golden" not in p.parts)
ALL = RECIPES + TEST_YAML + sorted((ROOT / "examples").rglob("*.yaml"))


def _outcome(text: str, fast: bool) -> object:
    try:
        doc = load_text(text, "r.yaml", fast=fast)
    except OrcError as exc:
        return ("error", [(d.message, d.line, d.column, d.path, d.hint, d.code) for d in exc.diagnostics])
    except RecursionError:  # pragma: no cover - the pure loader turns this into a diagnostic
        return ("recursion",)
    return ("ok", repr(doc.data), doc.values, doc.keys)


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig", "surrogateescape")


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_fast_and_pure_loaders_agree(path):
    text = _read(path)
    assert _outcome(text, True) == _outcome(text, False)


def test_the_shipped_recipes_take_the_fast_path_and_a_broken_one_does_not():
    for path in RECIPES:
        assert loader._fast_load(_read(path), str(path)) is not None, path
    assert loader._fast_load("name: x\nsteps: [a\n", "r.yaml") is None  # a syntax error: the pure parser words it
    assert loader._fast_load("a: 1\na: 2\n", "r.yaml") is None  # a duplicate key: _Builder's error, from the pure path


MUTATIONS = [":", "-", "[", "]", "{", "}", "'", '"', "\t", "#", "&a", "*a", "!!int ", "|", ">", "\n", " ", "  ", "\\", "\u00e9", "\x85", "\u2028", "\x07", "%"]


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_mutated_recipes_load_the_same_either_way(path):
    """Random edits (a character deleted, inserted, a line doubled or dropped): the outcome is the same."""
    rng = random.Random(path.name)
    text = _read(path)
    for _ in range(150):
        mutated = text
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(mutated) + 1)
            action = rng.random()
            if action < 0.35:
                mutated = mutated[:at] + mutated[at + 1:]
            elif action < 0.8:
                mutated = mutated[:at] + rng.choice(MUTATIONS) + mutated[at:]
            else:
                lines = mutated.splitlines(keepends=True)
                i = rng.randrange(len(lines))
                lines[i:i + 1] = [lines[i]] * rng.choice([0, 2])
                mutated = "".join(lines)
        assert _outcome(mutated, True) == _outcome(mutated, False), mutated


def test_plain_and_quoted_scalars_keep_their_types_on_the_fast_path():
    text = "a: 1e-4\nb: '1e-4'\nc: on\nd: !!float 3\ne: null\nf: \"\"\ng: 0x1F\nh: |\n  x\n"
    doc = load_text(text, "r.yaml")
    assert doc.data == {"a": 1e-4, "b": "1e-4", "c": "on", "d": 3.0, "e": None, "f": "", "g": 31, "h": "x\n"}
    assert _outcome(text, True) == _outcome(text, False)
