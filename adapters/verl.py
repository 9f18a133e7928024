"""verl custom reward: `compute_score` that asks the Cascade Verifiers service.

verl config (>= 0.7.1; legacy key `custom_reward_function` at the top level):

    reward:
      custom_reward_function:
        path: /opt/cascade-verifiers/adapters/verl.py
        name: compute_score
        reward_kwargs: {default_domain: math}    # optional, merged into every call

verl calls `compute_score(data_source=, solution_str=, ground_truth=, extra_info=, **reward_kwargs)`
per sample and awaits it when it is a coroutine function. `solution_str` is the response only
(decoded without special tokens); `ground_truth` is the parquet row's `reward_model.ground_truth`:
the label converted by `adapters.openrlhf.convert` (a JSON string with `domain`), a label object, or a bare
math answer; `extra_info["prompt"]` (or `["question"]`), when the data has it, is sent as the
prompt (the reward model reads it). The returned dict's `score` is the reward; the other keys (all numeric, the same for
every sample) are logged by verl as reward extra info: `acc` (the 0..1 score), one flag per verdict
status, and `masked` (the service failed for this sample; its reward is the infra reward).

The trainer environment needs this repository importable (`pip install --no-deps -e .` or Ray's
`working_dir`) and the `CASCADE_VERIFIERS_*` variables of `adapters.client` set.
"""

from __future__ import annotations

from typing import Any

from adapters.client import ServiceClient, flags, native_item

_client: ServiceClient | None = None


def _shared_client() -> ServiceClient:
    global _client
    if _client is None:
        _client = ServiceClient()
    return _client


async def compute_score(data_source: str, solution_str: str, ground_truth: Any, extra_info: dict | None = None,
                        default_domain: str = "math", **kwargs: Any) -> dict[str, float]:
    item = native_item(solution_str, ground_truth, default_domain)
    extra = extra_info or {}
    prompt = extra.get("prompt", extra.get("question"))  # the reward model reads it, if the data has it
    if isinstance(prompt, str):
        item["prompt"] = prompt
    if isinstance(extra.get("group_id"), str):
        item["group_id"] = extra["group_id"]
    [result] = await _shared_client().score([item])
    return {"score": float(result["reward"]), "acc": float(result["score"]), **flags(result)}


async def close() -> None:
    """Close the shared session of the running loop. verl's reward loop lives as long as the run;
    a script that scores under short-lived loops (`asyncio.run` per batch) calls this before each
    loop ends, or the loop's connections stay open until the session is garbage-collected."""
    if _client is not None:
        await _client.close()
