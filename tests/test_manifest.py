"""The fingerprint that decides whether a re-run can be skipped: recipe, data, and output on disk."""

import os
from pathlib import Path

from orc_olive.build.compile import compile_file
from orc_olive.run import manifest

from .conftest import recipe_copy


def _fingerprint(recipe):
    result = compile_file(recipe)
    assert result.ok
    return manifest.fingerprint([recipe], result.text, result.recipe, result.base_dir)


def test_any_change_to_recipe_or_data_changes_the_fingerprint(tmp_path):
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    first = _fingerprint(recipe)
    assert first == _fingerprint(recipe)

    with (tmp_path / "travel.jsonl").open("a") as data:
        data.write('{"prompt": "one more", "response": "row"}\n')
    after_data = _fingerprint(recipe)
    assert after_data["inputs"] != first["inputs"] and after_data["workflow_sha256"] == first["workflow_sha256"]

    recipe.write_text(recipe.read_text() + "# a comment changes the recipe, not the workflow\n")
    after_comment = _fingerprint(recipe)
    assert after_comment["recipes"] != after_data["recipes"] and after_comment["workflow_sha256"] == after_data["workflow_sha256"]

    recipe.write_text(recipe.read_text().replace("max_steps: 4", "max_steps: 5"))
    assert _fingerprint(recipe)["workflow_sha256"] != after_comment["workflow_sha256"]


def test_up_to_date_needs_a_succeeded_manifest_and_every_output_file(tmp_path):
    output = tmp_path / "model"
    output.mkdir()
    (output / "model.onnx").write_bytes(b"x" * 10)
    current = {"recipes": {"r.yaml": "abc"}, "workflow_sha256": "def", "inputs": {}}
    written = {"status": "succeeded", "fingerprint": current, "output_files": manifest.output_listing(output)}
    assert manifest.up_to_date(written, current, output)
    assert not manifest.up_to_date({**written, "status": "failed"}, current, output)
    assert not manifest.up_to_date(written, {**current, "workflow_sha256": "changed"}, output)
    (output / "model.onnx").write_bytes(b"x" * 9)
    assert not manifest.up_to_date(written, current, output)
    (output / "model.onnx").unlink()
    assert not manifest.up_to_date(written, current, output)


def test_a_file_corrupted_in_place_at_the_same_size_is_not_up_to_date(tmp_path):
    output = tmp_path / "model"
    output.mkdir()
    (output / "model.onnx").write_bytes(b"weights-0123456789")
    (output / "genai_config.json").write_text("{}")
    current = {"recipes": {}, "workflow_sha256": "w", "inputs": {}}
    written = {"status": "succeeded", "fingerprint": current, "output_files": manifest.output_listing(output)}
    assert written["output_files"]["model.onnx"] == {"bytes": 18, "sha256": manifest.sha256_file(output / "model.onnx")}
    assert manifest.up_to_date(written, current, output)

    stat = (output / "model.onnx").stat()
    (output / "model.onnx").write_bytes(b"weights-0123456788")  # one byte flipped, same size
    os.utime(output / "model.onnx", ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same time
    assert not manifest.up_to_date(written, current, output)

    (output / "model.onnx").write_bytes(b"weights-0123456789")
    assert manifest.up_to_date(written, current, output)
    (output / "stray.txt").write_text("a file the run did not make")
    assert not manifest.up_to_date(written, current, output)


def test_a_manifest_with_sizes_only_never_counts_as_up_to_date(tmp_path):
    output = tmp_path / "model"
    output.mkdir()
    (output / "model.onnx").write_bytes(b"x" * 10)
    current = {"recipes": {}, "workflow_sha256": "w", "inputs": {}}
    older = {"status": "succeeded", "fingerprint": current, "output_files": {"model.onnx": 10}}
    assert not manifest.up_to_date(older, current, output)


def test_the_recipe_counts_the_same_however_it_is_named(tmp_path, monkeypatch):
    recipe = recipe_copy(tmp_path, "tiny-cpu-lora-int4")
    monkeypatch.chdir(tmp_path)
    result = compile_file(recipe)
    by_absolute = manifest.fingerprint([recipe], result.text, result.recipe, result.base_dir)
    by_relative = manifest.fingerprint([Path(recipe.name)], result.text, result.recipe, result.base_dir)
    assert by_absolute == by_relative


def test_the_manifest_schema_is_generated_and_up_to_date():
    import json

    import jsonschema

    from orc_olive.run.manifest_schema import MANIFEST_SCHEMA_FILE, manifest_schema_text

    from .test_report import manifest

    assert MANIFEST_SCHEMA_FILE.read_text(encoding="utf-8") == manifest_schema_text(), "run `python -m orc_olive.run.manifest_schema`"
    validator = jsonschema.Draft202012Validator(json.loads(manifest_schema_text()))
    validator.validate(manifest())
    wrong = manifest()
    wrong["steps"][0]["loss_history"][0]["step"] = "one"
    assert not validator.is_valid(wrong), "the schema says what each field holds"
