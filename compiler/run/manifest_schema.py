"""The run manifest's JSON Schema (schemas/run-manifest.schema.json), generated from these models so
that other tools can read what a run kept. Regenerate with `python -m orc_olive.run.manifest_schema`
(`--check` fails when the committed file differs); tests/test_manifest.py checks it, and that a real
run's manifest validates against it. Fields may be added by later versions: readers ignore what they
do not know (the schema allows more properties).
"""

from __future__ import annotations

import json
import sys
from typing import Literal, Optional

from pydantic import BaseModel, Field

from orc_olive.resources import SCHEMAS_DIR

MANIFEST_SCHEMA_FILE = SCHEMAS_DIR / "run-manifest.schema.json"


class LossPoint(BaseModel):
    """One logged training step (the trainer's log dict); null where the trainer did not log the value or it was not finite."""

    step: int = Field(description="the training step the trainer logged at (1-based)")
    loss: Optional[float] = Field(description="the training loss")
    learning_rate: Optional[float] = Field(description="the learning rate at that step")
    grad_norm: Optional[float] = Field(description="the gradient norm at that step")
    epoch: Optional[float] = Field(description="the epoch (fractional) at that step")


class EvalPoint(BaseModel):
    """One evaluation on the step's evaluation data (a dataset's hold-out)."""

    step: Optional[int] = Field(description="the training step it came after")
    eval_loss: Optional[float] = Field(description="the loss on the evaluation data")
    epoch: Optional[float] = Field(description="the epoch (fractional)")


class StepRow(BaseModel):
    """One recipe step, as the run's closing table shows it, with everything measured for it."""

    id: str = Field(description="the step's name in the recipe (the Olive pass's name in the workflow)")
    type: str = Field(description="the Olive pass type")
    status: Literal["pending", "running", "succeeded", "failed", "pruned", "interrupted"] = Field(description="how the step ended")
    cached: bool = Field(description="Olive reused the step's output from its cache")
    seconds: Optional[float] = Field(description="wall time orc measured for the step")
    olive_seconds: Optional[float] = Field(description="the time Olive reported for the step")
    train_loss: Optional[float] = Field(description="the final training loss (the trainer's train_loss, else the last logged loss)")
    eval_loss: Optional[float] = Field(description="the last loss on the evaluation data")
    model_bytes: Optional[int] = Field(description="the size of the model the step produced")
    training_steps: Optional[int] = Field(description="training steps done (from the trainer's progress bar)")
    total_training_steps: Optional[int] = Field(description="training steps planned")
    loss_history: list[LossPoint] = Field(description="every logged training step, in order")
    eval_history: list[EvalPoint] = Field(description="every evaluation, in order")


class Fingerprint(BaseModel):
    """What decides whether a re-run is needed (secrets in paths masked)."""

    recipes: dict[str, str] = Field(description="each recipe file (absolute path) -> SHA-256")
    workflow_sha256: str = Field(description="SHA-256 of the compiled workflow")
    inputs: dict[str, str] = Field(description="data files (SHA-256) and local model folders (a stamp of names, sizes, times)")


class OutputFile(BaseModel):
    bytes: int = Field(description="the file's size")
    sha256: str = Field(description="the file's SHA-256")


class ModelSize(BaseModel):
    """The model's size before and after the run."""

    input: Optional[str] = Field(description="the local input model folder (null for a hub or registry model)")
    input_bytes: Optional[int] = Field(description="the input folder's size in bytes")
    output_bytes: Optional[int] = Field(description="the output folder's size in bytes (null when the run failed)")


class Sample(BaseModel):
    """The last generation `orc try` made with the model in place."""

    prompt: str = Field(description="what was asked")
    text: str = Field(description="what the model generated")
    adapter: Optional[str] = Field(description="the adapter that was active")
    tokens: int = Field(description="how many tokens were generated")
    at: str = Field(description="when (ISO 8601, UTC)")


class RestoredFrom(BaseModel):
    """Where a restored model was kept (run/store.py)."""

    run_id: Optional[str] = Field(description="the run that made the model")
    entry: str = Field(description="its entry in the store beside the output (<output>.store/<entry>)")


class RunManifest(BaseModel):
    """The record of one `orc compile-and-run` (models/x.manifest.json, models/x.runs/<run-id>.manifest.json)."""

    status: Literal["succeeded", "failed", "interrupted"] = Field(description="how the run ended")
    cause: str = Field(description="why it did not succeed, in one line (empty when it did)")
    run_id: str = Field(description="the run's id (its start time), the name of its own record files")
    recipe: str = Field(description="the recipe file as given")
    name: str = Field(description="the recipe's name")
    fingerprint: Fingerprint
    versions: dict[str, Optional[str]] = Field(description="orc and the packages the run used (null: not installed)")
    started: str = Field(description="start time (ISO 8601, UTC)")
    ended: str = Field(description="end time (ISO 8601, UTC)")
    seconds: float = Field(description="the run's wall time")
    steps: list[StepRow] = Field(description="one row per recipe step, in order")
    metrics: dict[str, float] = Field(description="the final model's evaluation by Olive's '<metric>-<measure>' names")
    model_size: ModelSize
    peak_memory_bytes: Optional[int] = Field(description="the largest resident memory of Olive's processes, where the system reports it")
    output: str = Field(description="the output folder")
    output_files: dict[str, OutputFile] = Field(description="every file of the output folder (empty when the run failed)")
    adapters: list[str] = Field(description="adapter files kept beside the model")
    log: str = Field(description="this run's Olive log")
    workflow: str = Field(description="this run's compiled workflow")
    sample: Optional[Sample] = Field(default=None, description="the last `orc try` generation with this model, if any")
    restored_from: Optional[RestoredFrom] = Field(default=None, description="set when no step ran: the model was put back from the store (--keep-outputs)")


def manifest_schema() -> dict:
    schema = RunManifest.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def manifest_schema_text() -> str:
    return json.dumps(manifest_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = manifest_schema_text()
    if "--check" in argv:
        same = MANIFEST_SCHEMA_FILE.is_file() and MANIFEST_SCHEMA_FILE.read_text(encoding="utf-8") == text
        print(f"{MANIFEST_SCHEMA_FILE} is {'up to date' if same else 'out of date: run python -m orc_olive.run.manifest_schema'}", file=sys.stderr)
        return 0 if same else 1
    from orc_olive.files import write_atomic

    write_atomic(MANIFEST_SCHEMA_FILE, text)
    print(f"wrote {MANIFEST_SCHEMA_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
