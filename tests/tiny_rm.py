"""Tiny randomly initialised reward models built at test time (no hub access, ~100 KB).

A byte-level BPE tokenizer is trained here on a few sentences and given a ChatML template; a
Qwen2 model of a few layers is built from a config with a fixed seed. `classification` saves a
`Qwen2ForSequenceClassification` (the OpenRLHF / HF `score` head, optionally with `mean`/`std` in
its config); `causal_lm` saves a `Qwen2ForCausalLM` scored at the logit of token 0, like
nvidia/Qwen2.5-CascadeRL-RM-72B.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM, Qwen2ForSequenceClassification

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Write a short poem about the sea, in exactly three lines.",
    "Reward models score the final assistant turn of a conversation.",
    "def add(a, b):\n    return a + b\n",
    "Answer: 42. The capital of France is Paris; numbers 0123456789.",
]


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(_CORPUS * 4, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    fast.chat_template = CHATML
    return fast


def build_tiny_rm(path: Path, head: str = "classification", *, hidden: int = 32, layers: int = 2,
                  seed: int = 0, mean: float | None = None, std: float | None = None) -> Path:
    """Save a tiny reward model and its tokenizer under `path`; return `path`."""
    tokenizer = tiny_tokenizer()
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=8192, num_labels=1,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=False,
        initializer_range=0.2,  # the default 0.02 leaves every score near 0
    )
    if mean is not None and std is not None:
        config.mean, config.std = mean, std
    torch.manual_seed(seed)
    cls = Qwen2ForCausalLM if head == "causal_lm" else Qwen2ForSequenceClassification
    model = cls(config).eval()
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
