#!/usr/bin/env python
"""Create the tiny random Phi-3 model used by the examples and tests.

Writes ``examples/tiny-phi3/``:

* a random 2-layer ``Phi3ForCausalLM`` (hidden 64, 4 heads of size 16, intermediate 128,
  vocab 512, context 2048; about 145k parameters) saved as ``model.safetensors``;
* a byte-level BPE tokenizer (vocab 512) trained with the ``tokenizers`` library on the
  example texts in ``examples/data/``, with the Phi-3 chat special tokens
  ``<|endoftext|>`` (0), ``<|user|>`` (1), ``<|assistant|>`` (2), ``<|end|>`` (3).

The ``tokenizer_config.json`` is written by hand with ``"tokenizer_class":
"PreTrainedTokenizerFast"`` because transformers 5 writes ``"TokenizersBackend"``, a class
name that onnxruntime-genai's tokenizer loader does not know.

The model is only meant to exercise pipelines: its outputs are noise.

Usage (from the repository root)::

    .venv/bin/python examples/make_tiny_model.py            # writes examples/tiny-phi3
    .venv/bin/python examples/make_tiny_model.py --out DIR  # writes DIR instead
"""

import argparse
import json
import random
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data"

SEED = 1234
VOCAB_SIZE = 512
SPECIAL_TOKENS = ["<|endoftext|>", "<|user|>", "<|assistant|>", "<|end|>"]
ENDOFTEXT_ID, USER_ID, ASSISTANT_ID, END_ID = range(4)

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)


def training_texts() -> list[str]:
    """Texts the tokenizer is trained on: the example data, in chat format and raw."""
    texts = []
    with open(DATA_DIR / "data_sample_travel.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                texts.append(f"<|user|>\n{rec['prompt']}<|end|>\n<|assistant|>\n{rec['response']}<|end|>")
    with open(DATA_DIR / "phrase_classification.json", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                texts.append(f"<|user|>\n{rec['phrase']}<|end|>\n<|assistant|>\n{rec['tone']}<|end|>")
    # a little generic text so common words and digits get merges too
    texts.append("The quick brown fox jumps over the lazy dog. 0123456789 Hello, world! How are you today?")
    return texts


def make_tokenizer(out: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=1,
        special_tokens=SPECIAL_TOKENS,  # ids 0..3, in this order
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(training_texts(), trainer=trainer)
    assert tok.get_vocab_size() == VOCAB_SIZE, tok.get_vocab_size()
    for i, t in enumerate(SPECIAL_TOKENS):
        assert tok.token_to_id(t) == i, (t, tok.token_to_id(t))
    tok.save(str(out / "tokenizer.json"))

    added_tokens_decoder = {
        str(i): {
            "content": t,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for i, t in enumerate(SPECIAL_TOKENS)
    }
    tokenizer_config = {
        "add_bos_token": False,
        "add_eos_token": False,
        "added_tokens_decoder": added_tokens_decoder,
        "bos_token": "<|endoftext|>",
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|endoftext|>",
        "model_max_length": 2048,
        "pad_token": "<|endoftext|>",
        "padding_side": "right",
        "tokenizer_class": "PreTrainedTokenizerFast",
        "unk_token": None,
    }
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n", encoding="utf-8")
    special_tokens_map = {
        "bos_token": "<|endoftext|>",
        "eos_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
    }
    (out / "special_tokens_map.json").write_text(json.dumps(special_tokens_map, indent=2) + "\n", encoding="utf-8")


def make_model(out: Path) -> int:
    import numpy as np
    import torch
    from transformers import GenerationConfig, Phi3Config, Phi3ForCausalLM

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)

    config = Phi3Config(
        vocab_size=VOCAB_SIZE,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,  # head_dim 16
        num_key_value_heads=4,
        max_position_embeddings=2048,
        original_max_position_embeddings=2048,  # equal -> ModelBuilder uses Phi3MiniModel (no LongRoPE)
        rms_norm_eps=1e-5,
        bos_token_id=ENDOFTEXT_ID,
        eos_token_id=[ENDOFTEXT_ID, END_ID],
        pad_token_id=ENDOFTEXT_ID,
        tie_word_embeddings=False,
        initializer_range=0.02,
        use_cache=True,
    )
    config.architectures = ["Phi3ForCausalLM"]
    model = Phi3ForCausalLM(config).to(torch.float32).eval()
    model.save_pretrained(out, safe_serialization=True)
    GenerationConfig(
        bos_token_id=ENDOFTEXT_ID,
        eos_token_id=[ENDOFTEXT_ID, END_ID],
        pad_token_id=ENDOFTEXT_ID,
        do_sample=False,
    ).save_pretrained(out)
    return sum(p.numel() for p in model.parameters())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE / "tiny-phi3", help="output folder")
    args = parser.parse_args()

    out: Path = args.out
    readme = out / "README.md"
    keep_readme = readme.read_text(encoding="utf-8") if readme.exists() else None
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    if keep_readme is not None:
        readme.write_text(keep_readme, encoding="utf-8")

    make_tokenizer(out)
    n_params = make_model(out)
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {out} ({n_params} parameters, {size} bytes)")


if __name__ == "__main__":
    main()
