"""A join strategy over less text than one sequence: a warning, where it can be told cheaply.

Olive's text-generation pre-processing (join, join-sliding-window, and its default strategy, join) joins
the tokens of every text, each followed by the joiner "\\n\\n", and cuts sequences of max_length from
them; with no more tokens than max_length it makes no sequence at all (join-random: fewer), and the step
trains or evaluates on nothing without a word (olive/data/component/text_generation.py).

Told only where it is cheap: local data files (JSON, JSON lines, CSV, text; parquet when pyarrow is
installed) of at most COUNT_LIMIT_BYTES in all, read whole. The UTF-8 bytes of the texts bound their
tokens from above (each token of a byte-level, SentencePiece or WordPiece tokenizer covers at least one
byte, or is one byte's fallback; a SentencePiece text may start with one more): when that bound is no
more than max_length, no tokenizer is needed. Otherwise, when the model is a local folder with a
tokenizer.json and the `tokenizers` package is importable, the tokens are counted as Olive counts them
(without special tokens), for data small enough that the count could fall short.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Iterator

from orc_olive.checks.base import at
from orc_olive.checks.data_columns import COUNT_LIMIT_BYTES, data_files
from orc_olive.diagnostics import Diagnostic
from orc_olive.recipe.datasets import Dataset
from orc_olive.recipe.derived import data_format
from orc_olive.recipe.models import Recipe
from orc_olive.source.loader import Document

JOINER = "\n\n"  # TextGenParams.joiner
PER_TEXT = 1  # a tokenizer may add one token at a text's start (SentencePiece's '▁')
SPECIAL_TEXT = 8  # add_special_tokens: "{bos} {text} {eos}": two special tokens, two spaces, and margin
TOKENIZE_BYTES_PER_TOKEN = 32  # tokenize only data under this many bytes per max_length token: more is surely enough


def join_too_short(recipe: Recipe, doc: Document, base: Path) -> Iterator[Diagnostic]:
    if recipe.model is None or (recipe.model.task or "text-generation").removesuffix("-with-past") != "text-generation":
        return  # only text generation's pre-processing joins; an `olive:` input model's task is its own
    for name, dataset in recipe.datasets.items():
        strategy = dataset.strategy or "join"  # Olive's default
        if not strategy.startswith("join") or dataset.chat_template not in (None, False) or not dataset.file_list:
            continue
        texts = _texts(dataset, base)
        if texts is None:
            continue
        found = _count(texts, dataset, recipe, base)
        if found is None:
            continue
        tokens, holds, bound = found
        limit = dataset.max_length
        if tokens < limit or (tokens == limit and strategy != "join-random"):
            shown = f"'{dataset.strategy}'" if dataset.strategy else "join (Olive's default strategy)"
            where = ("datasets", name) + (("strategy",) if dataset.strategy else ())
            yield at(doc, where, f"strategy {shown} joins the data's texts and cuts sequences of max_length {limit} tokens, but the data holds {holds}:"
                     " Olive makes no sequence from it, and a step using it trains or evaluates on nothing",
                     f"use strategy: line-by-line (a sequence per row), more data, or a max_length under the data's token count"
                     f" ({'at most ' if bound else ''}{tokens})", "no_sequences", "warning")


def _texts(dataset: Dataset, base: Path) -> list[str] | None:
    """Every text Olive's pre-processing makes from the dataset's local files (the whole split and more:
    a slice of it holds fewer), or None when that cannot be told cheaply."""
    fmt = data_format(dataset)
    paths: list[Path] = []
    for file in dataset.file_list:
        matches = data_files(base, file)
        if not matches:
            return None  # missing (reported by local_files) or in the cloud
        paths += matches
    try:
        if sum(p.stat().st_size for p in paths) > COUNT_LIMIT_BYTES:
            return None
        rows = [row for path in paths for row in _rows(path, fmt)]
    except Exception:  # noqa: BLE001 - an unreadable file: nothing to say here (other checks report it)
        return None
    texts = []
    for row in rows:
        try:
            text = dataset.template.format(**row) if dataset.template is not None else " ".join(row[c] for c in dataset.columns or ["text"])
        except (KeyError, IndexError, ValueError, TypeError, AttributeError):
            return None  # a column the check of templates and columns reports
        if text:  # Olive drops empty texts
            texts.append(text)
    return texts


def _rows(path: Path, fmt: str) -> list[dict[str, Any]]:
    if fmt == "parquet":
        import pyarrow.parquet as pq  # ImportError: not told

        return list(pq.read_table(path).to_pylist())
    text = path.read_text(encoding="utf-8-sig")
    if fmt == "text":
        return [{"text": line} for line in text.splitlines()]
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text), delimiter="\t" if path.suffix.lower() == ".tsv" else ","))
    if fmt != "json":
        raise ValueError(fmt)
    data = json.loads(text) if text.lstrip().startswith("[") else [json.loads(line) for line in text.splitlines() if line.strip()]
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise ValueError("not rows")
    return data


def _count(texts: list[str], dataset: Dataset, recipe: Recipe, base: Path) -> tuple[int, str, bool] | None:
    """(tokens, what the data holds in words, whether tokens is only a bound): an upper bound from the bytes, else the tokenizer's exact count;
    None when neither can tell that there are too few."""
    # each text, then the joiner (tokenized on its own: its bytes, and a start token of its own)
    extra = PER_TEXT + (SPECIAL_TEXT if dataset.add_special_tokens else 0) + len(JOINER.encode()) + PER_TEXT
    bound = sum(len(text.encode("utf-8")) + extra for text in texts)
    if bound <= dataset.max_length:
        return bound, f"at most {bound} tokens ({len(texts)} text(s) of {bound - extra * len(texts)} bytes in all)", True
    if bound > TOKENIZE_BYTES_PER_TOKEN * dataset.max_length:
        return None
    tokenizer = _tokenizer(recipe, base)
    if tokenizer is None:
        return None
    encoder, bos, eos = tokenizer
    if dataset.add_special_tokens:
        if bos is None or eos is None:
            return None
        texts = [f"{bos} {text} {eos}" for text in texts]
    joiner = len(encoder.encode(JOINER, add_special_tokens=False).ids)
    counted = sum(len(e.ids) + joiner for e in encoder.encode_batch(texts, add_special_tokens=False))
    return counted, f"{counted} tokens (counted with the model's tokenizer)", False


def _tokenizer(recipe: Recipe, base: Path) -> tuple[Any, str | None, str | None] | None:
    """The local model's tokenizer (tokenizers' Tokenizer), with its BOS and EOS texts; None without one."""
    path = recipe.model.path_ if recipe.model is not None else None
    folder = base / path if path else None
    if folder is None or not (folder / "tokenizer.json").is_file():
        return None
    try:
        from tokenizers import Tokenizer
    except ImportError:
        return None
    try:
        encoder = Tokenizer.from_file(str(folder / "tokenizer.json"))
    except Exception:  # noqa: BLE001 - a tokenizer file it cannot read: not told
        return None
    special: dict[str, Any] = {}
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        try:
            found = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(found, dict):
            special = {**found, **special}
    return encoder, _token_text(special.get("bos_token")), _token_text(special.get("eos_token"))


def _token_text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


JOIN_CHECKS = [join_too_short]
