"""Peek into local data files: the column names of the first rows, and how many rows there are.

Only the head of a file is read for columns (a recipe check must stay well under a second on any
data set); rows are counted only in files small enough to count quickly. Nothing here raises on a
bad file: an unreadable file gives None and the caller says nothing about it.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import re
import string
from pathlib import Path

HEAD_BYTES = 256 * 1024  # how much of a file is read to find its columns
HEAD_ROWS = 50  # how many rows' keys are merged into the column list
COUNT_LIMIT_BYTES = 8 * 1024 * 1024  # rows are counted only in files up to this size


_GLOB = re.compile(r"[*?\[]")


def is_pattern(file: str) -> bool:
    return bool(_GLOB.search(file))


def data_files(base: Path, file: str) -> list[Path]:
    """The files a `files:` entry names: the file itself, or what its glob pattern matches (Olive passes
    patterns on to `datasets`, which expands them)."""
    if is_pattern(file):
        return sorted(Path(p) for p in glob.glob(str(base / file), recursive=True) if Path(p).is_file())
    return [base / file] if (base / file).is_file() else []


def placeholders(template: str) -> list[str]:
    """The column names a str.format template uses (Olive fills text_template with str.format).

    Raises ValueError for a template str.format cannot parse (a lone '{' or '}')."""
    names: list[str] = []
    for _, field, _, _ in string.Formatter().parse(template):
        if field is None:
            continue
        base = field.split(".", 1)[0].split("[", 1)[0]
        if base == "" or base.isdigit():
            raise ValueError(f"placeholder '{{{field}}}' has no column name")
        names.append(base)
    return list(dict.fromkeys(names))


def _json_rows(head: str) -> list[dict] | None:
    """Rows of a JSON array or JSON-lines text, decoding only what the head holds."""
    text = head.lstrip()
    decoder = json.JSONDecoder()
    rows: list = []
    if text.startswith("["):
        pos = 1
        while len(rows) < HEAD_ROWS:
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(text) or text[pos] == "]":
                break
            try:
                row, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError:
                break  # the head ends inside a row
            rows.append(row)
    else:
        for line in text.splitlines()[:HEAD_ROWS]:
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                if rows:
                    break  # the last line was cut by the head
                return None
    if not rows or not all(isinstance(r, dict) for r in rows):
        return None
    return rows


def _read_head(path: Path) -> str:
    with path.open("rb") as handle:
        raw = handle.read(HEAD_BYTES)
    return raw.decode("utf-8-sig", errors="ignore")


def columns(path: Path, fmt: str) -> list[str] | None:
    """The columns found in the first rows of a local data file, in first-seen order; None if unknown."""
    try:
        if fmt == "json":
            rows = _json_rows(_read_head(path))
            return None if rows is None else list(dict.fromkeys(k for row in rows for k in row))
        if fmt == "csv":
            delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
            header = next(csv.reader(io.StringIO(_read_head(path)), delimiter=delimiter), None)
            return [h.strip() for h in header] if header else None
        if fmt == "parquet":
            try:
                import pyarrow.parquet as pq  # only when a recipe names a parquet file
            except ImportError:
                return None
            return list(pq.read_schema(path).names)
        if fmt == "text":
            return ["text"]  # the datasets text loader gives one column named 'text'
    except Exception:  # noqa: BLE001 - any unreadable file: no column check, never a traceback
        return None
    return None


def count_rows(path: Path, fmt: str) -> int | None:
    """The number of rows in a small local JSON/JSONL/CSV file; None when unknown or too big to count."""
    try:
        if path.stat().st_size > COUNT_LIMIT_BYTES or fmt not in ("json", "csv"):
            return None
        text = path.read_text(encoding="utf-8-sig", errors="ignore")
        if fmt == "csv":
            return max(sum(1 for _ in csv.reader(io.StringIO(text))) - 1, 0)
        if text.lstrip().startswith("["):
            data = json.loads(text)
            return len(data) if isinstance(data, list) else None
        return sum(1 for line in text.splitlines() if line.strip())
    except Exception:  # noqa: BLE001
        return None
