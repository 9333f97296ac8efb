"""The recipe's `datasets:` entries: where the data is and how Olive turns it into token sequences.

Each field maps onto one parameter of Olive 0.13's HuggingfaceContainer (load_dataset's arguments,
or TextGenParams of the text-generation pre-processing); render/datasets.py places them.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, protected_namespaces=(), populate_by_name=True)


HOLDOUT_SUFFIX = "_holdout"  # the Olive data config of a dataset's held-out part: <name>_holdout
# Cloud data (an AzureML job's inputs): a datastore path, or a workspace data asset with its version or label.
DATASTORE_URI = re.compile(r"^azureml://datastores/(?P<datastore>[A-Za-z0-9_]{1,255})/paths/(?P<path>[^\s]+)$")
DATA_ASSET_URI = re.compile(r"^azureml:(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]{0,254})(?::(?P<version>[A-Za-z0-9_.-]+)|@(?P<label>latest))$")
CLOUD_FORMS = "azureml://datastores/<datastore>/paths/<path> or azureml:<data-asset>:<version> (or azureml:<data-asset>@latest)"


def is_cloud(file: str) -> bool:
    """A file in AzureML (a datastore path or a data asset), read only inside an AzureML job."""
    return file.startswith("azureml:")


def cloud_is_file(file: str) -> bool:
    """A datastore path with a file extension is a uri_file input; a folder or a data asset (whose type
    `az ml data create` defaults to uri_folder) a uri_folder one."""
    match = DATASTORE_URI.match(file)
    return match is not None and not file.endswith("/") and bool(PurePosixPath(match.group("path")).suffix)


class Dataset(_Strict):
    files: Optional[Union[StrictStr, list[StrictStr]]] = Field(
        None,
        description=f"Data file(s), relative to the recipe file; on an azureml target also {CLOUD_FORMS} (a job input).",
        examples=["data/data_sample_travel.jsonl", "azureml://datastores/workspaceblobstore/paths/data/train.jsonl"],
    )
    hf: Optional[StrictStr] = Field(None, description="A Hugging Face dataset id, instead of files.", examples=["nampdn-ai/tiny-codes"])
    subset: Optional[StrictStr] = Field(
        None, examples=["mrpc"], description="The configuration (subset) of the Hugging Face dataset, e.g. glue's mrpc (load_dataset's name)."
    )
    format: Optional[Literal["json", "csv", "parquet", "text"]] = Field(
        None, examples=["json"], description="The files' format; taken from the file extension when left out (.jsonl and .json are json)."
    )
    split: StrictStr = Field("train", examples=["train", "train[:80%]"], description="The split to use.")
    holdout: Optional[float] = Field(
        None,
        gt=0,
        lt=1,
        examples=[0.3],
        description=(
            "Keep this fraction of the split out of training (the last part): training steps train on the rest and evaluate"
            " on it (their eval_dataset), and `evaluate:` metrics naming this dataset measure on it."
        ),
    )
    template: Optional[StrictStr] = Field(
        None,
        description="A text template with {column} placeholders that builds each training text.",
        examples=["<|user|>\n{prompt}<|end|>\n<|assistant|>\n{response}<|end|>"],
    )
    columns: Optional[list[StrictStr]] = Field(
        None,
        examples=[["text"], ["prompt", "response"]],
        description="Text columns joined into each training text (instead of a template).",
    )
    chat_template: Optional[Union[StrictBool, StrictStr]] = Field(
        None,
        examples=[True, "{% for m in messages %}{{ m['content'] }}{% endfor %}"],
        description="Build each text from a chat (the `messages_column`) with the tokenizer's chat template (true) or this Jinja template.",
    )
    messages_column: Optional[StrictStr] = Field(None, examples=["conversation"], description="The column that holds each chat (default: messages).")
    max_length: int = Field(1024, gt=0, examples=[512, 2048], description="The maximum sequence length in tokens.")
    pad_to_max_len: Optional[StrictBool] = Field(
        None, examples=[False], description="Pad every sequence to max_length (Olive's default: true; ignored by the join strategies)."
    )
    use_attention_mask: Optional[StrictBool] = Field(None, examples=[False], description="Give each sequence an attention mask (Olive's default: true).")
    max_samples: Optional[int] = Field(None, gt=0, examples=[1000], description="Use at most this many samples.")
    batch_size: int = Field(1, gt=0, examples=[1, 8], description="The data loader's batch size.")
    add_special_tokens: StrictBool = Field(False, examples=[True], description="Add the tokenizer's BOS/EOS tokens to each text.")
    strategy: Optional[Literal["line-by-line", "line-by-line-random", "join", "join-random", "join-sliding-window"]] = Field(
        None, examples=["line-by-line"], description="How texts become sequences (Olive's default is join)."
    )
    seed: Optional[int] = Field(
        None, ge=0, examples=[42], description="The random strategies' seed (Olive requires one for them; orc writes 0 when none is given)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> "Dataset":
        if (self.files is None) == (self.hf is None):
            raise ValueError("give exactly one of 'files' (local data) or 'hf' (a Hugging Face dataset id)")
        texts = [name for name in ("template", "columns", "chat_template") if getattr(self, name) not in (None, False)]
        if len(texts) > 1:
            raise ValueError(f"give one of 'template', 'columns' or 'chat_template', not {' and '.join(texts)} (Olive would use only the first)")
        if self.messages_column is not None and self.chat_template in (None, False):
            raise ValueError("'messages_column' is read only with 'chat_template'")
        for file in self.file_list:
            if is_cloud(file) and not (DATASTORE_URI.match(file) or DATA_ASSET_URI.match(file)):
                raise ValueError(f"'{file}' is not an AzureML data address: write {CLOUD_FORMS}")
            if is_cloud(file) and not cloud_is_file(file) and self.format is None:
                raise ValueError(f"'{file}' is a folder or a data asset, with no file extension to tell its format: give `format:` (json, csv, parquet or text)")
        if self.strategy is not None and "random" in self.strategy and self.max_samples is None:
            raise ValueError(f"strategy '{self.strategy}' needs 'max_samples' (Olive refuses a random strategy without it): e.g. max_samples: 1000")
        if self.seed is not None and (self.strategy is None or "random" not in self.strategy):
            raise ValueError("'seed' is read only by the random strategies (line-by-line-random, join-random)")
        if self.subset is not None and self.hf is None:
            raise ValueError("'subset' names a configuration of a Hugging Face dataset: use it with 'hf:'")
        if self.holdout is not None and abs(self.holdout * 100 - round(self.holdout * 100)) > 1e-9:
            raise ValueError(f"'holdout' is a whole percentage of the split (load_dataset slices by whole percents): e.g. {round(self.holdout, 2)}, not {self.holdout}")
        if self.holdout is not None and "[" in self.split:
            raise ValueError(f"'holdout' slices the split itself: give the split without a slice (e.g. '{self.split.split('[')[0]}'), not '{self.split}'")
        return self

    @property
    def file_list(self) -> list[str]:
        if self.files is None:
            return []
        return [self.files] if isinstance(self.files, str) else list(self.files)

    def cloud_inputs(self, name: str) -> dict[str, str]:
        """The AzureML job input (name -> address) of each cloud file: `<dataset>`, or `<dataset>_<i>` for several."""
        files = self.file_list
        return {(name if len(files) == 1 else f"{name}_{i}"): file for i, file in enumerate(files) if is_cloud(file)}

    def olive_files(self, name: str) -> list[str]:
        """The data files Olive reads: a cloud file is the job input's mounted path, `${{inputs.<input>}}`
        (with `/*` for a folder), which the job's command fills in before `olive run`."""
        by_address = {file: input_name for input_name, file in self.cloud_inputs(name).items()}
        out = []
        for file in self.file_list:
            if file in by_address:
                file = "${{inputs.%s}}" % by_address[file] + ("" if cloud_is_file(file) else "/*")
            out.append(file)
        return out

    def split_parts(self) -> tuple[str, str | None]:
        """The split to train on, and the held-out split (None without `holdout`), in load_dataset's slice syntax."""
        if self.holdout is None:
            return self.split, None
        cut = 100 - round(self.holdout * 100)
        return f"{self.split}[:{cut}%]", f"{self.split}[{cut}%:]"
