"""No secret, and no form derived from one, in anything orc prints; no control character from a recipe
reaches the terminal raw. Every case greps all of orc's output for the secret in any case, with any
separators, and for any prefix long enough to identify it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from orc_olive.checks.secrets import scrub
from orc_olive.diagnostics import Diagnostic, format_github, format_text, printable
from orc_olive.output.formats import render
from orc_olive.secrecy import EXAMPLE_WITHOUT_SECRET, mask

from .conftest import recipe_copy

ORC = [sys.executable, "-m", "orc_olive"]
RECIPE = "tiny-cpu-lora-int4"
TOKEN = "hf_SuperSecretValue1234567890abcdefXYZ"  # a Hugging Face token's shape
GITHUB = "ghp_Abcdefghijklmnopqrstuvwxyz0123456789"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def leaked(text: str, secret: str) -> bool:
    """The secret in `text` in any case and with any separators, or 10 of its letters and digits in a row."""
    def squash(value: str) -> str:
        return re.sub(r"[^a-z0-9]", "", value.lower())
    return squash(secret)[3:13] in squash(text)  # past a 3-character prefix such as 'hf_' (redact shows those)


def orc(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([*ORC, *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120)


# -- the mask hides derived forms --------------------------------------------------------------------------


@pytest.mark.parametrize("form", [
    TOKEN,
    TOKEN.upper(),
    TOKEN.lower(),
    TOKEN.lower().replace("_", "-"),  # what a name hint makes of it
    TOKEN[:14] + "...",  # a truncated quote
    TOKEN[:20] + "XYZ_more",  # a prefix running into other characters
    json.dumps(TOKEN)[1:-1],
    "Bearer " + TOKEN.replace("_", "."),
])
def test_mask_hides_every_form_derived_from_a_secret(form):
    masked = mask(f"the value '{form}' is wrong", {TOKEN: "HF_TOKEN"})
    assert "<masked ${env:HF_TOKEN}>" in masked and not leaked(masked, TOKEN), masked


@pytest.mark.parametrize("text", ["hf_other value", "a model named hf-super", "SuperSecret"])
def test_mask_leaves_text_that_does_not_identify_the_secret(text):
    assert mask(text, {TOKEN: "HF_TOKEN"}) == text


def test_a_hint_built_from_a_secret_gets_a_fixed_example():
    d = Diagnostic(f"'{TOKEN}' is not a valid name", hint=f"e.g. '{TOKEN.lower().replace('_', '-')}'")
    from orc_olive.checks.secrets import LiteralSecret

    (scrubbed,) = scrub([d], [LiteralSecret(("name",), TOKEN, "a Hugging Face token", "HF_TOKEN")])
    assert scrubbed.hint == EXAMPLE_WITHOUT_SECRET and not leaked(scrubbed.message + scrubbed.hint, TOKEN)
    assert mask(f"e.g. '{TOKEN.lower()}'", {TOKEN: "HF_TOKEN"}) == EXAMPLE_WITHOUT_SECRET


# -- through the command line, in every format -----------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    recipe_copy(tmp_path, RECIPE)
    return tmp_path


def _with(project: Path, old: str, new: str) -> str:
    recipe = project / f"{RECIPE}.yaml"
    text = recipe.read_text()
    assert old in text
    recipe.write_text(text.replace(old, new, 1))
    return recipe.name


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
@pytest.mark.parametrize("where", ["env", "literal"])
def test_a_secret_used_as_the_name_is_never_echoed(project, fmt, where):
    value = "${env:HF_TOKEN}" if where == "env" else TOKEN
    recipe = _with(project, "name: tiny-cpu-lora-int4", f"name: {value}")
    before = (project / recipe).read_bytes()
    done = orc("validate", "--format", fmt, recipe, cwd=project, env={"HF_TOKEN": TOKEN})
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "is not a valid name" in output, output
    assert EXAMPLE_WITHOUT_SECRET in output and not leaked(output, TOKEN), output
    assert (project / recipe).read_bytes() == before


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_token_used_as_a_key_is_reported_not_echoed(project, fmt):
    recipe = _with(project, "  travel:\n", f"  {GITHUB}:\n    hf: some/dataset\n  travel:\n")
    done = orc("validate", "--format", fmt, recipe, cwd=project)
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "a GitHub token is written literally" in output, output
    assert not leaked(output, GITHUB), output


def test_a_secret_from_the_environment_is_masked_where_compile_prints_it(project):
    recipe = _with(project, "task: text-generation", "task: text-generation\n  load_kwargs: {token: '${env:HF_TOKEN}'}")
    done = orc("compile", recipe, cwd=project, env={"HF_TOKEN": TOKEN})
    assert done.returncode == 0, done.stderr
    assert "<masked ${env:HF_TOKEN}>" in done.stdout and not leaked(done.stdout + done.stderr, TOKEN)


# -- control characters are shown escaped ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
@pytest.mark.parametrize("control, shown", [("\x1b[2J", "\\x1b[2J"), ("\x9b2J", "\\x9b2J"), ("\u202e", "\\u202e"), ("\r", "\\r"), ("\x07", "\\x07")])
def test_control_characters_in_a_dataset_reference_are_shown_escaped(project, fmt, control, shown):
    quoted = json.dumps(f"tr{control}avel")  # a YAML double-quoted string reads JSON's escapes
    recipe = _with(project, "dataset: travel", f"dataset: {quoted}")
    done = orc("validate", "--format", fmt, recipe, cwd=project)
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "unknown dataset" in output, output
    assert not RAW_CONTROL.search(output), repr(output)
    message = next(r["message"] for r in json.loads(done.stdout) if "unknown dataset" in r["message"]) if fmt == "json" else output
    assert shown in message, repr(output)


def test_a_file_name_with_control_characters_is_shown_escaped(tmp_path):
    (tmp_path / "evil\x1b[2J.yaml").write_text("name: x\n")
    done = orc("validate", "evil\x1b[2J.yaml", cwd=tmp_path)
    assert done.returncode == 1 and "evil\\x1b[2J.yaml" in done.stderr and not RAW_CONTROL.search(done.stderr), repr(done.stderr)


def test_every_format_escapes_every_field():
    d = Diagnostic("bad\x1b[31m value\nsecond line", "f\x1b.yaml", 3, 4, ("datasets", "a\x07"), "hint\x9b")
    for line in (format_text(d), format_github(d), render([d], "json")):
        assert not RAW_CONTROL.search(line), repr(line)
    assert format_text(d).splitlines()[1].startswith("    second line")  # a later line never passes for a diagnostic
    assert printable("tab\tkept") == "tab\tkept" and printable("a\nb") == "a\\nb"
