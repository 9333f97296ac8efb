"""Reading the columns of local data files from their first rows only."""

import json

import pytest

from orc_olive.checks.data_columns import HEAD_BYTES, columns, count_rows, data_files, placeholders


def test_placeholders_are_the_str_format_fields_and_literal_braces_are_text():
    assert placeholders("<|user|>{prompt} {{ 7 * 7 }} {response}{prompt}") == ["prompt", "response"]
    assert placeholders("{row[0]} {item.name}") == ["row", "item"]
    with pytest.raises(ValueError):
        placeholders("{prompt")
    with pytest.raises(ValueError):
        placeholders("{} {0}")


def test_jsonl_and_json_array_columns_merge_the_first_rows(tmp_path):
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text('{"prompt": "p", "response": "r"}\n\n{"prompt": "p", "extra": 1}\n', encoding="utf-8")
    array = tmp_path / "a.json"
    array.write_text(json.dumps([{"q": 1}, {"a": 2}]), encoding="utf-8")
    assert columns(jsonl, "json") == ["prompt", "response", "extra"]
    assert columns(array, "json") == ["q", "a"]
    assert count_rows(jsonl, "json") == 2 and count_rows(array, "json") == 2


def test_only_the_head_of_a_big_file_is_read(tmp_path):
    # Rows that fill more than the head, then bytes that are not JSON at all: only the head is parsed.
    big = tmp_path / "big.jsonl"
    row = json.dumps({"prompt": "x" * 200, "response": "y"}) + "\n"
    big.write_bytes(row.encode() * (2 * HEAD_BYTES // len(row)) + b"\xff\xfe not json {{{")
    assert columns(big, "json") == ["prompt", "response"]


def test_csv_header_and_tsv(tmp_path):
    csv_file = tmp_path / "d.csv"
    csv_file.write_text("question, answer\n1,2\n3,4\n", encoding="utf-8")
    tsv = tmp_path / "d.tsv"
    tsv.write_text("a\tb\n1\t2\n", encoding="utf-8")
    assert columns(csv_file, "csv") == ["question", "answer"] and count_rows(csv_file, "csv") == 2
    assert columns(tsv, "csv") == ["a", "b"]


def test_parquet_schema(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"instruction": ["a"], "output": ["b"]}), path)
    assert columns(path, "parquet") == ["instruction", "output"]


def test_unreadable_files_give_none_never_an_exception(tmp_path):
    garbage = tmp_path / "g.json"
    garbage.write_bytes(b"\x00\x01 not json")
    scalars = tmp_path / "s.jsonl"
    scalars.write_text("1\n2\n", encoding="utf-8")
    not_parquet = tmp_path / "x.parquet"
    not_parquet.write_text("nope", encoding="utf-8")
    assert columns(garbage, "json") is None
    assert columns(scalars, "json") is None
    assert columns(not_parquet, "parquet") is None
    assert columns(tmp_path / "missing.csv", "csv") is None
    assert count_rows(tmp_path / "missing.csv", "csv") is None
    assert columns(garbage, "text") == ["text"]


def test_data_files_expand_glob_patterns_and_the_manifest_hashes_each_match(tmp_path):
    from orc_olive.recipe.models import Recipe
    from orc_olive.run.manifest import fingerprint

    (tmp_path / "data").mkdir()
    for name in ("b.jsonl", "a.jsonl", "c.csv"):
        (tmp_path / "data" / name).write_text('{"text": "x"}\n', encoding="utf-8")
    assert data_files(tmp_path, "data/*.jsonl") == [tmp_path / "data" / "a.jsonl", tmp_path / "data" / "b.jsonl"]
    assert data_files(tmp_path, "data/c.csv") == [tmp_path / "data" / "c.csv"]
    assert data_files(tmp_path, "data/*.parquet") == [] and data_files(tmp_path, "data/none.csv") == []
    recipe = Recipe.model_validate({"name": "g", "model": {"path": "some/model"}, "steps": [{"model_builder": {"precision": "int4"}}],
                                    "datasets": {"d": {"files": ["data/*.jsonl", "data/gone.csv"], "template": "{text}"}}})
    assert sorted(fingerprint([], "", recipe, tmp_path)["inputs"]) == ["data:data/a.jsonl", "data:data/b.jsonl", "data:data/gone.csv"]
