#!/usr/bin/env python
"""Multi-LoRA serving with onnxruntime-genai 0.14: one base model, named adapters switched per request.

Loads the base model of an orc output folder (`recipes/tiny-cpu-multi-lora.yaml`; the flat layout or
`output.layout: model`, the Olive CLI's `<dir>/model/`), loads every `<name>.onnx_adapter` beside it under its
name, and answers the same prompt with each adapter in turn::

    python examples/multi_lora_app.py models/tiny-cpu-multi-lora [--adapter travel --adapter tone] [--tokens N]

Exits non-zero when the model or an adapter cannot be loaded, or an adapter generates nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import onnxruntime_genai as og

PROMPT = "<|user|>\nWhat should I pack for a weekend in Paris?<|end|>\n<|assistant|>\n"


def model_folder(folder: Path) -> Path:
    """`folder`, or `folder/model` when the model is there (the Olive CLI's layout)."""
    return folder / "model" if not (folder / "genai_config.json").is_file() and (folder / "model" / "genai_config.json").is_file() else folder


def answer(model: og.Model, tokenizer: og.Tokenizer, adapters: og.Adapters, name: str, prompt: str, tokens: int) -> str:
    params = og.GeneratorParams(model)
    input_ids = tokenizer.encode(prompt)
    params.set_search_options(max_length=len(input_ids) + tokens)
    generator = og.Generator(model, params)
    generator.set_active_adapter(adapters, name)  # this request's adapter; the base model is shared
    generator.append_tokens(input_ids)
    stream = tokenizer.create_stream()
    pieces = []
    while not generator.is_done():
        generator.generate_next_token()
        pieces.append(stream.decode(generator.get_next_tokens()[0]))
    return "".join(pieces)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("output_dir", type=Path)
    p.add_argument("--adapter", action="append", help="an adapter's name (default: every <name>.onnx_adapter)")
    p.add_argument("--tokens", type=int, default=8)
    p.add_argument("--prompt", default=PROMPT)
    args = p.parse_args()

    folder = model_folder(args.output_dir)
    files = {f.stem: f for f in sorted(folder.glob("*.onnx_adapter"))}
    names = args.adapter or list(files)
    missing = [name for name in names if name not in files]
    if not names or missing:
        print(f"no adapter {', '.join(missing) or ''} in {folder} (adapters: {', '.join(files) or 'none'})", file=sys.stderr)
        return 1
    model = og.Model(str(folder))
    tokenizer = og.Tokenizer(model)
    adapters = og.Adapters(model)
    for name in names:
        adapters.load(str(files[name]), name)  # loaded once, by name
    for name in names:
        text = answer(model, tokenizer, adapters, name, args.prompt, args.tokens)
        print(f"[{name}] {text!r}")
        if not text:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
