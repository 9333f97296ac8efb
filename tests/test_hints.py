"""Hints for old Olive / cookbook names (recipe/hints.py) and the warnings on `olive: data_configs` keys
that Olive ignores (checks/olive_data.py)."""

import re

import pytest

from orc_olive import catalog
from orc_olive.build.compile import compile_document
from orc_olive.checks.olive_data import text_generation_keys
from orc_olive.recipe import hints
from orc_olive.recipe.models import Dataset, ModelSpec, Output, Target
from orc_olive.source.loader import load_text


def diagnostics(text, tmp_path):
    result = compile_document(load_text(text, str(tmp_path / "r.yaml")))
    return {d.dotted_path: d for d in result.diagnostics}


BASE = "name: r\nmodel: {path: some/model}\ndatasets: {d: {hf: org/data, template: '{text}'}}\ntarget: {device: gpu}\n"


@pytest.mark.parametrize(
    "word, choices, expected",
    [
        ("batch_size", ["auto_find_batch_size", "per_device_train_batch_size"], None),  # contains it, but another field
        ("trust_remote", ["trust_remote_code", "task"], "trust_remote_code"),
        ("devise", ["device", "provider"], "device"),
        ("Device", ["device"], "device"),
        ("lorra", ["lora", "qlora"], "lora"),
        ("max_step", ["max_steps", "eval_steps"], "max_steps"),
        ("xyz", ["device"], None),
    ],
)
def test_strict_closest_offers_misspellings_only(word, choices, expected):
    assert hints.strict_closest(word, choices) == expected


def test_training_batch_size_is_not_sent_to_auto_find_batch_size(tmp_path):
    found = diagnostics(BASE + "steps:\n  - lora: {dataset: d, training: {batch_size: 4, max_step: 3}}\n", tmp_path)
    assert found["steps[0].lora.training.batch_size"].hint == "the training batch is `per_device_train_batch_size`"
    assert found["steps[0].lora.training.max_step"].hint == "did you mean 'max_steps'?"
    assert "auto_find_batch_size" not in str(found["steps[0].lora.training.batch_size"])


def test_the_table_wins_over_a_spelling_match(tmp_path):
    # evaluation_strategy is also close to eval_strategy in spelling; the table says why it changed
    found = diagnostics(BASE + "steps:\n  - lora: {dataset: d, training: {evaluation_strategy: steps}}\n", tmp_path)
    assert found["steps[0].lora.training.evaluation_strategy"].hint == "renamed in transformers: write `eval_strategy`"


def test_old_names_in_each_section(tmp_path):
    text = BASE.replace("{device: gpu}", "{device: gpu, execution_providers: [CUDAExecutionProvider]}").replace(
        "{path: some/model}", "{path: some/model, model_loading_args: {trust_remote_code: true}}"
    )
    text += "steps:\n  - qlora: {dataset: d, lora_alpha: 16}\n  - awq: {data_config: d}\n"
    text += "plot_pareto_frontier: true\nengine: {log_severity_level: 0}\noutput: {cache_dir: c}\n"
    found = diagnostics(text, tmp_path)
    assert found["target.execution_providers"].hint == "write `provider`, one execution provider"
    assert found["model.model_loading_args"].hint.startswith("write `load_kwargs`")
    assert found["steps[0].qlora.lora_alpha"].hint == "Olive's older name: write `alpha`"
    assert found["steps[1].awq.data_config"].hint == "Olive's name: a `awq` step writes `dataset`"
    assert found["plot_pareto_frontier"].hint == "an Olive workflow field: give it under `olive:` (olive.plot_pareto_frontier)"
    assert found["engine.log_severity_level"].hint == "Olive's log level is `engine.log_level`"
    assert found["output.cache_dir"].hint == "write `cache`"


def test_double_quant_on_qlora_is_valid_and_on_lora_points_to_qlora(tmp_path):
    found = diagnostics(BASE + "steps:\n  - lora: {dataset: d, double_quant: true}\n  - qlora: {dataset: d, double_quant: true}\n", tmp_path)
    assert "belongs to qlora" in found["steps[0].lora.double_quant"].hint
    assert "steps[1].qlora.double_quant" not in found


def test_an_unknown_key_with_no_hint_lists_the_valid_ones(tmp_path):
    found = diagnostics(BASE + "steps:\n  - lora: {dataset: d, zzzz: 1}\n", tmp_path)
    assert found["steps[0].lora.zzzz"].hint.startswith("valid: ")


def keys(model):
    return {field.alias or name for name, field in model.model_fields.items()}


# Every "write `X`" in the table names a field that exists in that section: the table cannot drift.
SECTION_FIELDS = {
    "_DATASET": keys(Dataset),
    "_MODEL": keys(ModelSpec),
    "_TARGET": keys(Target),
    "_OUTPUT": keys(Output),
    "_TRAINING": set(catalog.catalog()["training_arguments"]),
    "_ADAPTER": {"r", "alpha", "dropout", "training", "dataset", "eval_dataset"},
}


@pytest.mark.parametrize("table", sorted(SECTION_FIELDS))
def test_every_new_name_in_the_table_exists(table):
    named = {m for hint in getattr(hints, table).values() for m in re.findall(r"write `([a-z_]+)", hint)}
    assert named, table
    assert named <= SECTION_FIELDS[table], named - SECTION_FIELDS[table]
    # and no old name in it is a valid field (it would never be reported as unknown)
    assert not set(getattr(hints, table)) & SECTION_FIELDS[table] - {"batch_size"}


def test_the_known_pre_processing_keys_come_from_olive():
    component, known, defaults = text_generation_keys()
    assert component == "text_generation_huggingface_pre_process"
    assert {"max_seq_len", "strategy", "text_template", "text_cols", "pad_to_max_len", "use_attention_mask", "task", "model_name"} <= known
    assert not {"source_max_len", "corpus_strategy", "dataset_type"} & known
    assert defaults["max_seq_len"] == 1024 and defaults["add_special_tokens"] is True


CARRIED = """name: r
model: {{path: some/model{task}}}
target: {{device: gpu}}
steps:
  - lora: {{dataset: d}}
olive:
  data_configs:
    - name: d
      type: HuggingfaceContainer
      load_dataset_config: {{data_name: org/data, split: train}}
      pre_process_data_config: {{{pre}source_max_len: 2048, text_template: '{{a}}', max_seq_len: 512}}
"""


def test_olive_data_warnings_follow_what_olive_reads(tmp_path):
    found = diagnostics(CARRIED.format(task="", pre=""), tmp_path)
    source = found["olive.data_configs[0].pre_process_data_config.source_max_len"]
    assert source.severity == "warning" and source.code == "olive_data"
    assert source.hint == "'max_seq_len' is given too, and is the one Olive reads: remove 'source_max_len'"
    # another task, or a pre-processing of its own: Olive reads other keys, not checked here
    assert not [d for d in diagnostics(CARRIED.format(task=", task: text-classification", pre=""), tmp_path).values() if d.code == "olive_data"]
    assert not [d for d in diagnostics(CARRIED.format(task="", pre="type: my_pre_process, "), tmp_path).values() if d.code == "olive_data"]
