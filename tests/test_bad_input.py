"""Bad input, safely: a clear, located error (or correct literal output), never a traceback, a hang,
or a partial output file."""

import json
import subprocess

import pytest

from orc_olive.build.compile import compile_file
from orc_olive.source.loader import MAX_BYTES, MAX_NODES

from .conftest import ROOT

VALID = """\
name: ok
model: {path: some/model}
steps:
  - model_builder: {precision: int4}
"""


def compile_bytes(tmp_path, data: bytes, name="recipe.yaml"):
    path = tmp_path / name
    path.write_bytes(data)
    return compile_file(path)


def only_error(result):
    assert not result.ok and result.workflow is None
    assert len(result.diagnostics.errors) >= 1
    return result.diagnostics.errors[0]


@pytest.mark.parametrize(
    "text, code, line, message",
    [
        ("name: x\nsteps: [\n", "yaml_syntax", 3, "YAML syntax error"),
        ("name: x\n\tmodel: y\n", "yaml_syntax", 2, "YAML syntax error"),
        ("- name: x\n- model: y\n", "not_mapping", 1, "a recipe must be a YAML mapping"),
        ("just a string\n", "not_mapping", 1, "a recipe must be a YAML mapping"),
        ("", "not_mapping", 1, "the recipe is empty"),
        ("# only a comment\n", "not_mapping", 1, "the recipe is empty"),
        (VALID + "---\nname: second\n", "yaml_syntax", 5, "expected a single document"),
        (VALID + "name: again\n", "duplicate_key", 5, "duplicate key 'name'"),
        ("name: !!python/object:os.system x\n" + VALID[8:], "yaml", 1, "YAML tag 'tag:yaml.org,2002:python/object:os.system' is not allowed"),
        ("a: &a [*a]\n", "yaml", 1, "recursive YAML alias"),
        ("name: x\nkey: \x00\n", "yaml_syntax", 2, "YAML error"),
        ('name: x\nmodel: {path: "a\\ud800b"}\n', "yaml", 2, "a lone UTF-16 surrogate escape"),
        ('name: x\nmodel: {load_kwargs: {"\\udc00": 1}}\n', "yaml", 2, "a lone UTF-16 surrogate escape"),
    ],
    ids=["unclosed", "tab", "list", "scalar", "empty", "comment-only", "two-documents", "duplicate-key", "python-tag", "recursive-alias", "nul", "lone-surrogate", "lone-surrogate-key"],
)
def test_malformed_documents_give_one_located_error(tmp_path, text, code, line, message):
    error = only_error(compile_bytes(tmp_path, text.encode("utf-8")))
    assert (error.code, error.line) == (code, line) and message in error.message, error


def test_alias_bomb_is_stopped_quickly(tmp_path):
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]  # 10**9 nodes if expanded
    error = only_error(compile_bytes(tmp_path, ("\n".join(bomb) + "\n").encode()))
    assert error.code == "too_large" and f"more than {MAX_NODES} nodes" in error.message and error.line >= 1


@pytest.mark.parametrize("depth", [70, 100_000], ids=["past-the-limit", "past-the-stack"])
def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path, depth):
    error = only_error(compile_bytes(tmp_path, ("name: x\nsteps: " + "[" * depth + "]" * depth + "\n").encode()))
    assert error.code == "too_large" and "nested more than 64 levels deep" in error.message and error.line == 2


def test_huge_file_is_refused_before_parsing(tmp_path):
    error = only_error(compile_bytes(tmp_path, VALID.encode() + b"#" * MAX_BYTES))
    assert error.code == "too_large" and "byte limit" in error.message


@pytest.mark.parametrize(
    "data, line, column",
    [
        (VALID.replace("ok", "caf\xe9").encode("latin-1"), 1, 10),
        (VALID.encode("utf-16"), 1, 1),
        (b"name: x\nmodel: {path: \xff\xfe}\n", 2, 15),
    ],
    ids=["latin-1", "utf-16", "binary"],
)
def test_wrong_encodings_say_where_the_bad_byte_is(tmp_path, data, line, column):
    error = only_error(compile_bytes(tmp_path, data))
    assert error.code == "encoding" and (error.line, error.column) == (line, column) and "not valid UTF-8" in error.message


def test_json_surrogate_pair_escapes_are_one_character(tmp_path):
    # JSON is YAML: a JSON writer escapes U+1F600 as a surrogate pair, which must come out as one character.
    result = compile_bytes(tmp_path, VALID.replace("ok", "ok\ndescription: \"\\ud83d\\ude00\"").encode())
    assert result.ok and result.recipe.description == "\U0001F600"


def test_a_utf8_bom_is_accepted(tmp_path):
    assert compile_bytes(tmp_path, b"\xef\xbb\xbf" + VALID.encode()).ok


def test_template_syntax_in_values_comes_out_as_literal_text(tmp_path):
    template = "{{ 7 * 7 }} {% for x in range(3) %}{prompt}{% endfor %} {{ ''.__class__ }} <|end|> \"q\" \\n"
    recipe = (
        "name: literal\n"
        "description: \"{{ config.items() }}\"\n"
        "model: {path: \"./{{model}}\"}\n"
        "datasets:\n"
        f"  d: {{hf: \"org/{{{{x}}}}\", template: {json.dumps(template)}}}\n"
        "steps:\n"
        "  - lora: {dataset: d, r: 8, torch_dtype: float32}\n"
    )
    (tmp_path / "{{model}}").mkdir()  # a local model folder (a hub id cannot hold braces)
    (tmp_path / "{{model}}" / "config.json").write_text('{"model_type": "phi3"}')
    result = compile_bytes(tmp_path, recipe.encode())
    assert result.ok, [str(d) for d in result.diagnostics]
    data = result.workflow["data_configs"][0]
    assert data["pre_process_data_config"]["text_template"] == template
    assert data["load_dataset_config"]["data_name"] == "org/{{x}}"
    assert result.workflow["input_model"]["model_path"] == "./{{model}}"
    assert "49" not in result.text  # nothing was evaluated


def test_cli_reports_bad_input_without_traceback_and_writes_nothing(tmp_path, orc_cmd):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: &a [*a]\n")
    out = tmp_path / "out.json"
    for command in (["validate", str(bad)], ["compile", str(bad), "-o", str(out)]):
        run = subprocess.run([*orc_cmd, *command], capture_output=True, text=True, cwd=ROOT)
        assert run.returncode == 1 and "Traceback" not in run.stderr and f"{bad}:1:" in run.stderr
    assert not out.exists()
