"""The fingerprint that decides whether a re-run can be skipped: recipe, data, and output on disk."""

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
