"""What OpenRLHF's rollout actor hands to its SingleTurnAgentExecutor, minus the GPU.

`SingleTurnAgentExecutor.execute` (openrlhf/utils/agent.py, 0.11.2) needs a Hugging Face tokenizer
and a vLLM engine. The tokenizer is real: a byte-level BPE built here (no hub access), so decoding
prompt + response tokens gives back the text, special tokens included, as in a real run. The vLLM
engine is the only stand-in: it "generates" a scripted response by tokenizing it, which is what
the executor would receive from vLLM for that text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

SPECIAL = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]


def byte_level_tokenizer() -> PreTrainedTokenizerFast:
    """A small byte-level BPE tokenizer covering every string, with ChatML special tokens."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(["Compute the answer. \\boxed{42} def main(): print(input())"] * 10, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")


@dataclass
class ScriptedEngine:
    """vLLM's `llm_engine.generate(token_ids, sampling_params, multi_modal_data=None)` for one text."""

    tokenizer: PreTrainedTokenizerFast
    response: str
    finish_reason: str = "stop"
    calls: list[list[int]] = field(default_factory=list)

    async def generate(self, token_ids: list[int], sampling_params: Any, multi_modal_data: Any = None) -> Any:
        self.calls.append(list(token_ids))
        ids = self.tokenizer(text=self.response, add_special_tokens=False)["input_ids"]
        out = SimpleNamespace(token_ids=ids, text=self.response, finish_reason=self.finish_reason, logprobs=None)
        return SimpleNamespace(outputs=[out])


def sampling_params(max_tokens: int = 256) -> SimpleNamespace:
    """The two attributes of vLLM's SamplingParams that the executor reads."""
    return SimpleNamespace(max_tokens=max_tokens, logprobs=None)
