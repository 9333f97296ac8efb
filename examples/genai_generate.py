#!/usr/bin/env python
"""Greedy-generate a few tokens with onnxruntime-genai from an Olive/ModelBuilder output folder.

Usage::

    python examples/genai_generate.py MODEL_DIR [--adapter FILE.onnx_adapter [--adapter-name NAME]] [--tokens N]

Exits non-zero if the model, tokenizer or adapter cannot be loaded or no token is produced.
"""

import argparse
import sys

import onnxruntime_genai as og

PROMPT = "<|user|>\nWhat should I pack for a weekend in Paris?<|end|>\n<|assistant|>\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir")
    p.add_argument("--adapter", help="path to an .onnx_adapter file")
    p.add_argument("--adapter-name", default="travel")
    p.add_argument("--tokens", type=int, default=10)
    p.add_argument("--prompt", default=PROMPT)
    args = p.parse_args()

    model = og.Model(args.model_dir)
    tokenizer = og.Tokenizer(model)
    input_ids = tokenizer.encode(args.prompt)

    params = og.GeneratorParams(model)
    params.set_search_options(max_length=len(input_ids) + args.tokens, do_sample=False)
    generator = og.Generator(model, params)
    if args.adapter:
        adapters = og.Adapters(model)
        adapters.load(args.adapter, args.adapter_name)
        generator.set_active_adapter(adapters, args.adapter_name)
    generator.append_tokens(input_ids)

    new_tokens = []
    while not generator.is_done():
        generator.generate_next_token()
        new_tokens.append(int(generator.get_next_tokens()[0]))

    print(f"onnxruntime-genai {og.__version__}; adapter={args.adapter_name if args.adapter else None}")
    print(f"prompt tokens: {len(input_ids)}; generated {len(new_tokens)} tokens: {new_tokens}")
    print(f"text: {tokenizer.decode(new_tokens)!r}")
    return 0 if new_tokens else 1


if __name__ == "__main__":
    sys.exit(main())
