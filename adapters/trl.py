"""TRL async reward function for `GRPOTrainer(reward_funcs=...)`, backed by the service.

    from adapters.trl import cascade_reward            # label column "label", default domain math
    trainer = GRPOTrainer(model=..., reward_funcs=[cascade_reward], train_dataset=ds, args=GRPOConfig(...))

TRL (>= 1.x) calls `reward_func(prompts=, completions=, completion_ids=, **columns)` where every
other dataset column arrives as a list (one entry per completion) together with `trainer_state`,
`log_metric` and `log_extra`; async functions are awaited concurrently on TRL's event loop. Here
the label column (a JSON label as written by `adapters.openrlhf.convert`, a label object, or a bare math
answer) goes to the service with each completion and its prompt in one `/score` request. A sample the service
could not score (masked `infra_error`) is returned as `None`, which TRL excludes from this
function's reward instead of counting it as a wrong answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from adapters.client import STATUSES, ServiceClient, native_item

RewardFunc = Callable[..., Awaitable[list[float | None]]]


def _text(completion: Any) -> str:
    """A completion as text: a string, or a conversational completion (a list of messages)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        return "".join(str(m.get("content", "")) for m in completion if isinstance(m, dict))
    return str(completion)


def _prompt_text(prompt: Any) -> str | None:
    """The prompt for domains that read it (the reward model): a string as is; for a conversational
    prompt the last user turn, which is the whole prompt for the single-turn RL datasets."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list):
        users = [m.get("content") for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        if users and isinstance(users[-1], str):
            return users[-1]
    return None


def make_reward_func(label_column: str = "label", default_domain: str = "math",
                     client: ServiceClient | None = None, name: str = "cascade_verifiers") -> RewardFunc:
    """An async TRL reward function reading labels from `label_column`; `name` is what TRL logs."""
    state: dict[str, ServiceClient] = {}

    async def reward(prompts: list[Any], completions: list[Any], completion_ids: Any = None,
                     **columns: Any) -> list[float | None]:
        if label_column not in columns:
            raise KeyError(f"dataset has no {label_column!r} column (columns: {sorted(columns)})")
        service = state.setdefault("client", client or ServiceClient())
        items = []
        for prompt, completion, label in zip(prompts, completions, columns[label_column], strict=True):
            item = native_item(_text(completion), label, default_domain)
            text = _prompt_text(prompt)
            if text is not None:
                item["prompt"] = text
            items.append(item)
        results = await service.score(items)
        log_metric = columns.get("log_metric")
        if callable(log_metric) and results:
            for status in STATUSES:
                log_metric(f"verifier_{status}", sum(r["status"] == status for r in results) / len(results))
        return [None if r.get("mask") else float(r["reward"]) for r in results]

    reward.__name__ = reward.__qualname__ = name
    return reward


cascade_reward = make_reward_func()
