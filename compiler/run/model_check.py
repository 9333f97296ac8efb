"""Is the model a run produced really there and loadable? Decided from files, not from Olive's word."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

ADAPTER_SUFFIXES = (".onnx_adapter",)


@dataclass
class ModelReport:
    kind: str  # onnx-genai | onnx | hf | hf+adapter | missing
    ok: bool
    detail: str = ""
    adapters: list[Path] = field(default_factory=list)

    def moved(self, old: Path, new: Path) -> "ModelReport":
        """The same report for the model after its folder moved from `old` to `new` (nothing is reloaded)."""
        return replace(self, adapters=[new / adapter.relative_to(old) for adapter in self.adapters])


def adapter_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in ADAPTER_SUFFIXES)


def model_folder(folder: Path) -> Path:
    """The folder that holds the model: `folder`, or `folder/model` in the Olive CLI's layout (issue 15)."""
    if not (folder / "genai_config.json").is_file() and (folder / "model" / "genai_config.json").is_file():
        return folder / "model"
    return folder


def check_model(folder: Path) -> ModelReport:
    if not folder.is_dir() or not any(folder.iterdir()):
        return ModelReport("missing", False, f"no model in {folder}")
    adapters = adapter_files(folder)
    if (folder / "genai_config.json").is_file():
        return _check_genai(folder, adapters)
    onnx_files = sorted(folder.glob("*.onnx"))
    if onnx_files:
        return _check_onnx(onnx_files[0], adapters)
    if (folder / "adapter" / "adapter_config.json").is_file():
        weights = list((folder / "adapter").glob("adapter_model.*"))
        ok = bool(weights) and (folder / "model").is_dir()
        return ModelReport("hf+adapter", ok, "" if ok else "adapter weights or base model missing", [folder / "adapter"])
    if (folder / "model" / "config.json").is_file() and not (folder / "config.json").exists():  # issue 15: Olive saves an HF model as <out>/model
        return check_model(folder / "model")
    if (folder / "config.json").is_file():
        weights = [p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin")]
        try:
            json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except ValueError as exc:
            return ModelReport("hf", False, f"config.json is not valid JSON: {exc}")
        return ModelReport("hf", bool(weights), "" if weights else "no weight files next to config.json")
    return ModelReport("missing", False, f"no model files in {folder}")


def _check_genai(folder: Path, adapters: list[Path]) -> ModelReport:
    try:
        import onnxruntime_genai as og
    except ImportError:
        return ModelReport("onnx-genai", (folder / "model.onnx").is_file(), "onnxruntime-genai is not installed: checked files only", adapters)
    try:
        model = og.Model(str(folder))
        if adapters:
            loaded = og.Adapters(model)
            for adapter in adapters:
                loaded.load(str(adapter), adapter.stem)
    except Exception as exc:  # noqa: BLE001 - any load failure means the output is not usable
        return ModelReport("onnx-genai", False, f"onnxruntime-genai cannot load it: {exc}", adapters)
    return ModelReport("onnx-genai", True, "loaded with onnxruntime-genai", adapters)


def _check_onnx(path: Path, adapters: list[Path]) -> ModelReport:
    try:
        import onnxruntime as ort
    except ImportError:
        return ModelReport("onnx", True, "onnxruntime is not installed: checked files only", adapters)
    try:
        ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001
        return ModelReport("onnx", False, f"onnxruntime cannot load {path.name}: {exc}", adapters)
    return ModelReport("onnx", True, "loaded with onnxruntime", adapters)
