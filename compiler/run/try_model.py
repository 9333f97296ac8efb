"""`orc try`: stream a generation from a built model with onnxruntime-genai, as the lab's app.py does.

The arguments are checked first (onnxruntime-genai aborts the process on `max_length` equal to the
prompt's length), and a model that onnxruntime-genai cannot load or run (a bad genai_config.json,
truncated weights, no tokenizer) is reported as a broken model, in one line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from orc_olive.diagnostics import printable
from orc_olive.run.model_check import adapter_files, model_folder

PHI3_CHAT = "<|user|>\n{prompt}<|end|>\n<|assistant|>\n"
MAX_TOKENS_LIMIT = 1_000_000  # above any context length a model here has


def chat_prompt(tokenizer, prompt: str) -> str:
    try:
        return tokenizer.apply_chat_template(json.dumps([{"role": "user", "content": prompt}]), add_generation_prompt=True)
    except Exception:  # noqa: BLE001 - older onnxruntime-genai or no template: the Phi-3 format the labs use
        return PHI3_CHAT.format(prompt=prompt)


def resolve_adapter(model_dir: Path, name: str) -> Path | None:
    as_path = Path(name)
    if as_path.suffix == ".onnx_adapter" and as_path.is_file():
        return as_path
    return next((p for p in adapter_files(model_dir) if p.stem == name or p.name == name), None)


def argument_problems(prompt: str, max_tokens: int) -> list[str]:
    """What is wrong with `orc try`'s arguments, before any model is read."""
    problems = []
    if not prompt.strip():
        problems.append("--prompt is empty: give the text to ask")
    if not 1 <= max_tokens <= MAX_TOKENS_LIMIT:
        problems.append(f"--max-tokens {max_tokens} is out of range: give 1 to {MAX_TOKENS_LIMIT} (and at most the model's context length)")
    return problems


def _say(text: str) -> None:
    print(printable(f"orc try: {text}", newlines=True), file=sys.stderr)


class BrokenModel(Exception):
    """The model folder holds no model onnxruntime-genai can load and run."""


def model_config(model_dir: Path) -> dict[str, Any]:
    """genai_config.json, read; a BrokenModel when it is missing or not a model's config."""
    if not model_dir.is_dir():
        raise BrokenModel(f"{model_dir} is not a folder" if model_dir.exists() else f"{model_dir} does not exist")
    file = model_dir / "genai_config.json"
    if not file.is_file():
        raise BrokenModel(f"{model_dir} holds no onnxruntime-genai model (no genai_config.json)")
    try:
        config = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BrokenModel(f"{file} cannot be read as JSON: {exc}") from None
    if not isinstance(config, dict) or not isinstance(config.get("model"), dict):
        raise BrokenModel(f"{file} has no 'model' section")
    return config


def context_length(config: dict[str, Any]) -> int | None:
    value = config["model"].get("context_length")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def generate(model_dir: Path, prompt: str, *, adapter: str | None = None, max_tokens: int = 64, raw: bool = False, out: TextIO | None = None) -> int:
    """Stream a generation to `out`; 0 when tokens came, 1 for a broken model or a missing adapter, 2 for bad arguments."""
    out = out or sys.stdout
    problems = argument_problems(prompt, max_tokens)
    for problem in problems:
        _say(problem)
    if problems:
        return 2
    model_dir = model_folder(model_dir)  # issue 15: `<dir>/model/` (output.layout: model) too
    try:
        limit = context_length(model_config(model_dir))
        if limit is not None and max_tokens >= limit:
            _say(f"--max-tokens {max_tokens} is not below the model's context length ({limit}): give at most {limit - 1}")
            return 2
        return _stream(model_dir, prompt, adapter, max_tokens, limit, raw, out)
    except BrokenModel as exc:
        _say(f"broken model: {exc}")
        return 1


def _stream(model_dir: Path, prompt: str, adapter: str | None, max_tokens: int, limit: int | None, raw: bool, out: TextIO) -> int:
    import onnxruntime_genai as og

    file = None
    if adapter:
        file = resolve_adapter(model_dir, adapter)
        if file is None:
            names = ", ".join(p.stem for p in adapter_files(model_dir)) or "none"
            _say(f"no adapter '{adapter}' in {model_dir} (adapters: {names})")
            return 1
    try:
        model = og.Model(str(model_dir))
        tokenizer = og.Tokenizer(model)
        tokens = tokenizer.encode(prompt if raw else chat_prompt(tokenizer, prompt))
        if limit is not None and len(tokens) >= limit:
            _say(f"the prompt is {len(tokens)} tokens: the model's context length is {limit}")
            return 2
        params = og.GeneratorParams(model)
        params.set_search_options(max_length=min(len(tokens) + max_tokens, limit or len(tokens) + max_tokens))
        generator = og.Generator(model, params)
        if file is not None:
            adapters = og.Adapters(model)
            adapters.load(str(file), file.stem)
            generator.set_active_adapter(adapters, file.stem)
        generator.append_tokens(tokens)
        stream = tokenizer.create_stream()
    except Exception as exc:  # noqa: BLE001 - onnxruntime-genai raises RuntimeError for any model it cannot load
        raise BrokenModel(f"onnxruntime-genai cannot load {model_dir}: {str(exc).strip()[:500]}") from None
    produced, pieces = 0, []
    while not generator.is_done():
        try:
            generator.generate_next_token()
            piece = stream.decode(generator.get_next_tokens()[0])
        except Exception as exc:  # noqa: BLE001 - weights that load but cannot run
            raise BrokenModel(f"onnxruntime-genai cannot run {model_dir}: {str(exc).strip()[:500]}") from None
        out.write(printable(piece, newlines=True))  # generated text never drives the terminal
        out.flush()
        produced += 1
        pieces.append(piece)
    out.write("\n")
    _say(f"{produced} tokens generated")
    if produced:
        from orc_olive.run.manifest import keep_sample

        kept = keep_sample(model_dir, prompt, "".join(pieces), file.stem if file is not None else None, produced)
        if kept:
            _say(kept)
    return 0 if produced else 1
