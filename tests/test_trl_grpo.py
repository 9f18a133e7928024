"""One real TRL GRPO step on CPU with the service as the reward.

A tiny randomly initialised Qwen2 policy (built from a config: no weights are downloaded) and the
byte-level tokenizer of the OpenRLHF harness; TRL's GRPOTrainer generates, calls our async reward
function the way it calls any reward function, normalises per group and takes an optimizer step.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from datasets import Dataset
from transformers import Qwen2Config, Qwen2ForCausalLM
from trl import GRPOConfig, GRPOTrainer

from adapters.client import STATUSES, ServiceClient
from adapters.trl import make_reward_func
from tests.openrlhf_harness import byte_level_tokenizer


@pytest.mark.slow
def test_grpo_step_with_the_service_as_reward(server, tmp_path):
    tokenizer = byte_level_tokenizer()
    model = Qwen2ForCausalLM(Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=1, max_position_embeddings=256, pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id))
    label = json.dumps({"domain": "math", "answer": "42"})
    dataset = Dataset.from_list([{"prompt": [{"role": "user", "content": "What is 6*7?"}], "label": label}] * 4)
    client = ServiceClient(url=server)
    reward = make_reward_func(client=client)
    seen: list[tuple[int, list[str], list]] = []

    async def cascade_verifiers(prompts, completions, **columns):
        rewards = await reward(prompts=prompts, completions=completions, **columns)
        seen.append((len(completions), sorted(columns), rewards))
        return rewards

    args = GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=2,
                      max_completion_length=8, max_steps=1, logging_steps=1, report_to=[], use_cpu=True,
                      save_strategy="no", bf16=False)
    trainer = GRPOTrainer(model=model, reward_funcs=[cascade_verifiers], args=args, train_dataset=dataset,
                          processing_class=tokenizer)
    trainer.train()
    # TRL's loop lives as long as the process; the session the reward opened on it is closed there.
    asyncio.run_coroutine_threadsafe(client.close(), trainer.async_loop).result()

    [(n, columns, rewards)] = seen
    assert n == 4 and {"label", "trainer_state", "log_metric"} <= set(columns)
    assert all(r in (0.0, 1.0) for r in rewards)  # a verdict for every completion, none masked
    logged = trainer.state.log_history[0]
    assert logged["rewards/cascade_verifiers/mean"] == pytest.approx(sum(rewards) / n)
    assert sum(logged[f"verifier_{s}"] for s in STATUSES) == pytest.approx(1.0)
    assert logged["verifier_infra_error"] == 0.0
