"""verl's compute_score and TRL's async reward function, called as those trainers call them."""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import json
import sys

import pytest

from adapters.client import ServiceClient
from adapters.trl import make_reward_func
from tests.conftest import ROOT, free_port

CODE_LABEL = json.dumps({"domain": "code", "tests": {"inputs": ["1 2\n"], "outputs": ["3\n"]}})
ADD = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"


@pytest.fixture
async def closing():
    """Closes, at the end of the test, the client sessions a test opened on its own event loop."""
    closers: list = []
    yield closers.append
    for close in closers:
        await close()


def load_verl_reward(monkeypatch, url: str, closing):
    """As verl's get_custom_reward_fn: import `reward.custom_reward_function.path` as a module, take `name`."""
    monkeypatch.setenv("CASCADE_VERIFIERS_URL", url)
    monkeypatch.setenv("CASCADE_VERIFIERS_BACKOFF_S", "0.05")
    monkeypatch.setenv("CASCADE_VERIFIERS_ATTEMPTS", "2")
    spec = importlib.util.spec_from_file_location("custom_module", ROOT / "adapters" / "verl.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "custom_module", module)
    spec.loader.exec_module(module)
    closing(module.close)
    return module.compute_score


async def test_verl_compute_score(monkeypatch, server, closing):
    compute_score = load_verl_reward(monkeypatch, server, closing)
    assert inspect.iscoroutinefunction(compute_score)  # verl awaits it in its reward loop
    reward_kwargs = {"default_domain": "math"}
    calls = [
        ("nvidia/Nemotron-Cascade-RL-Math", "6*7 is \\boxed{42}", json.dumps({"domain": "math", "answer": "42"})),
        ("openai/gsm8k", "<think>hm</think>\\boxed{41}", "42"),
        ("codeforces", ADD, CODE_LABEL),
        ("nvidia/Nemotron-Cascade-RL-Math", "\\boxed{42}", {"domain": "math"}),  # label without its answer
    ]
    results = await asyncio.gather(*(
        compute_score(data_source=ds, solution_str=s, ground_truth=gt, extra_info={"index": i, "split": "train"},
                      **reward_kwargs)
        for i, (ds, s, gt) in enumerate(calls)))
    assert [r["score"] for r in results] == [1.0, 0.0, 1.0, 0.0]
    assert [r["verifier_correct"] for r in results] == [1.0, 0.0, 1.0, 0.0]
    assert results[3]["verifier_error"] == 1.0 and results[3]["masked"] == 0.0
    assert len({tuple(sorted(r)) for r in results}) == 1  # verl aligns extra keys across samples
    assert all(isinstance(v, float) for r in results for v in r.values())


async def test_verl_service_down_is_masked(monkeypatch, closing):
    compute_score = load_verl_reward(monkeypatch, f"http://127.0.0.1:{free_port()}", closing)
    result = await compute_score(data_source="math", solution_str="\\boxed{1}", ground_truth="1", extra_info=None)
    assert result["masked"] == 1.0 and result["verifier_infra_error"] == 1.0 and result["score"] == 0.0


async def test_trl_reward_function(server, closing):
    logged: dict[str, float] = {}
    client = ServiceClient(url=server, backoff_s=0.05)
    closing(client.close)
    reward = make_reward_func(client=client)
    assert inspect.iscoroutinefunction(reward) and reward.__name__ == "cascade_verifiers"
    prompts = [[{"role": "user", "content": "6*7?"}]] * 3 + [[{"role": "user", "content": "Add."}]] * 2
    completions = [
        [{"role": "assistant", "content": "\\boxed{42}"}],          # conversational dataset
        [{"role": "assistant", "content": "\\boxed{40}"}],
        [{"role": "assistant", "content": "<think>never closed"}],
        [{"role": "assistant", "content": ADD}],
        [{"role": "assistant", "content": "```python\nprint(0)\n```"}],
    ]
    labels = ["42", "42", json.dumps({"domain": "math", "answer": "42"}), CODE_LABEL, json.loads(CODE_LABEL)]
    rewards = await reward(prompts=prompts, completions=completions, completion_ids=[[1, 2]] * 5,
                           label=labels, trainer_state=None, log_metric=logged.__setitem__,
                           log_extra=lambda column, values: None)
    assert rewards == [1.0, 0.0, 0.0, 1.0, 0.0]
    assert logged["verifier_correct"] == pytest.approx(0.4) and logged["verifier_format_error"] == pytest.approx(0.2)


async def test_trl_bad_label_is_an_error_for_that_sample_only(server, closing):
    client = ServiceClient(url=server, backoff_s=0.05)
    closing(client.close)
    reward = make_reward_func(client=client)
    rewards = await reward(prompts=["p"] * 3, completions=["\\boxed{42}"] * 3,
                           label=["42", json.dumps({"domain": "code", "tests": 5}), "42"])
    assert rewards == [1.0, 0.0, 1.0]


async def test_trl_service_down_gives_none_which_trl_excludes(closing):
    client = ServiceClient(url=f"http://127.0.0.1:{free_port()}", attempts=2, backoff_s=0.05)
    closing(client.close)
    reward = make_reward_func(client=client)
    assert await reward(prompts=["p", "q"], completions=["\\boxed{1}", "\\boxed{2}"], label=["1", "2"]) == [None, None]


async def test_trl_missing_label_column_names_it():
    reward = make_reward_func(label_column="answer_json")
    with pytest.raises(KeyError, match="answer_json"):
        await reward(prompts=["p"], completions=["c"], label=["1"])
