"""`orc try`: stream a generation from a built model with onnxruntime-genai, as the lab's app.py does."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from orc_olive.run.model_check import adapter_files

PHI3_CHAT = "<|user|>\n{prompt}<|end|>\n<|assistant|>\n"


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


def generate(model_dir: Path, prompt: str, *, adapter: str | None = None, max_tokens: int = 64, raw: bool = False, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if not (model_dir / "genai_config.json").is_file():
        print(f"orc try: {model_dir} holds no onnxruntime-genai model (no genai_config.json)", file=sys.stderr)
        return 1
    import onnxruntime_genai as og

    model = og.Model(str(model_dir))
    tokenizer = og.Tokenizer(model)
    tokens = tokenizer.encode(prompt if raw else chat_prompt(tokenizer, prompt))
    params = og.GeneratorParams(model)
    params.set_search_options(max_length=len(tokens) + max_tokens)
    generator = og.Generator(model, params)
    if adapter:
        file = resolve_adapter(model_dir, adapter)
        if file is None:
            names = ", ".join(p.stem for p in adapter_files(model_dir)) or "none"
            print(f"orc try: no adapter '{adapter}' in {model_dir} (adapters: {names})", file=sys.stderr)
            return 1
        adapters = og.Adapters(model)
        adapters.load(str(file), file.stem)
        generator.set_active_adapter(adapters, file.stem)
    generator.append_tokens(tokens)
    stream = tokenizer.create_stream()
    produced = 0
    while not generator.is_done():
        generator.generate_next_token()
        out.write(stream.decode(generator.get_next_tokens()[0]))
        out.flush()
        produced += 1
    out.write("\n")
    print(f"orc try: {produced} tokens generated", file=sys.stderr)
    return 0 if produced else 1
