"""The s_sem judge client against an in-test OpenAI-compatible server with logprobs."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from tests.judge_server import judge_server
from verifiers.domains.swe.judge import Judge, JudgeFailure, yes_no
from verifiers.domains.swe.settings import SweJudgeSettings


async def started(url: str, **settings: Any) -> Judge:
    judge = Judge(SweJudgeSettings(url=url, **{"retries": 0, **settings}))
    await judge.start()
    return judge


async def test_p_yes_sums_variants_and_normalises_over_yes_and_no() -> None:
    async with judge_server(p_yes=0.8) as server:
        judge = await started(server.url)
        try:
            score = await judge.score("the issue", "gold diff", "candidate diff")
        finally:
            await judge.close()
    assert score.p_yes == pytest.approx(0.72) and score.p_no == pytest.approx(0.18)
    assert score.s_sem == pytest.approx(0.8)
    [request] = server.requests
    assert request["logprobs"] is True and request["top_logprobs"] == 20 and request["max_tokens"] == 1
    assert request["model"] == "kimi-dev-72b" and request["temperature"] == 0
    prompt = request["messages"][-1]["content"]
    assert "the issue" in prompt and "gold diff" in prompt and "candidate diff" in prompt


async def test_raw_p_yes_and_custom_template() -> None:
    async with judge_server(p_yes=0.5) as server:
        judge = await started(server.url, normalize=False, system_prompt="Be strict.",
                              prompt_template="Same fix?\n{golden_patch}\n{candidate_patch}\nYes or No.")
        try:
            score = await judge.score("ignored issue", "G", "C")
        finally:
            await judge.close()
    assert score.s_sem == pytest.approx(0.45)
    messages = server.requests[0]["messages"]
    assert messages == [{"role": "system", "content": "Be strict."},
                        {"role": "user", "content": "Same fix?\nG\nC\nYes or No."}]


def test_template_without_patch_fields_is_rejected() -> None:
    with pytest.raises(ValueError, match="prompt_template"):
        Judge(SweJudgeSettings(url="http://judge/v1", prompt_template="Is {issue} fixed?"))
    with pytest.raises(ValueError, match="prompt_template"):
        Judge(SweJudgeSettings(url="http://judge/v1", prompt_template="{golden_patch} {candidate_patch} {oops}"))


async def test_cached_by_prediction_and_reference_and_shared_in_flight() -> None:
    async with judge_server(delay_s=0.2) as server:
        judge = await started(server.url)
        try:
            first = await asyncio.gather(*(judge.score("i", "gold", "cand") for _ in range(5)))
            again = await judge.score("i", "gold", "cand")
            other = await judge.score("i", "gold", "other cand")
        finally:
            await judge.close()
    assert len(server.requests) == 2
    assert len({s.s_sem for s in first}) == 1 and again == first[0] and other == first[0]


async def test_concurrency_is_bounded() -> None:
    async with judge_server(delay_s=0.2) as server:
        judge = await started(server.url, concurrency=2)
        try:
            await asyncio.gather(*(judge.score("i", "gold", f"cand {n}") for n in range(6)))
        finally:
            await judge.close()
    assert len(server.requests) == 6 and server.max_in_flight == 2


async def test_timeout_then_failure() -> None:
    async with judge_server(delay_s=1.5) as server:
        judge = await started(server.url, timeout_s=0.3, retries=1)
        try:
            with pytest.raises(JudgeFailure, match="timed out"):
                await judge.score("i", "gold", "cand")
        finally:
            await judge.close()
    assert len(server.requests) == 2


async def test_5xx_is_retried_until_it_answers() -> None:
    async with judge_server(failures_before_ok=2) as server:
        judge = await started(server.url, retries=2)
        try:
            score = await judge.score("i", "gold", "cand")
        finally:
            await judge.close()
    assert len(server.requests) == 3 and score.s_sem == pytest.approx(0.8)


@pytest.mark.parametrize(("mode", "message", "attempts"), [
    ("not_json", "not JSON", 2),
    ("no_logprobs", "malformed judge reply", 2),
    ("neither", "neither yes nor no", 1),
    ("bad_request", "HTTP 400", 1),
])
async def test_malformed_replies_fail_with_a_reason(mode: str, message: str, attempts: int) -> None:
    async with judge_server(mode=mode) as server:
        judge = await started(server.url, retries=1)
        try:
            with pytest.raises(JudgeFailure, match=message):
                await judge.score("i", "gold", "cand")
        finally:
            await judge.close()
    assert len(server.requests) == attempts


async def test_unreachable_judge_fails() -> None:
    judge = await started("http://127.0.0.1:9/v1", retries=1, timeout_s=2)
    try:
        with pytest.raises(JudgeFailure, match="unreachable"):
            await judge.score("i", "gold", "cand")
    finally:
        await judge.close()


@pytest.mark.parametrize("reply", [
    {}, {"choices": []}, {"choices": [{"logprobs": None}]}, {"choices": [{"logprobs": {"content": []}}]},
    {"choices": [{"logprobs": {"content": [{"token": "Yes", "logprob": "high"}]}}]},
    {"choices": [{"logprobs": {"content": [{"token": "Yes", "logprob": 0.5}]}}]},
    {"choices": [{"logprobs": {"content": [{"token": 7, "logprob": -0.1}]}}]},
])
def test_yes_no_rejects_malformed_replies(reply: Any) -> None:
    with pytest.raises(JudgeFailure, match="malformed"):
        yes_no(reply, normalize=True, min_mass=1e-4)


def test_yes_no_uses_the_sampled_token_when_top_logprobs_are_missing() -> None:
    reply = {"choices": [{"logprobs": {"content": [{"token": " No", "logprob": math.log(0.9)}]}}]}
    assert yes_no(reply, normalize=True, min_mass=1e-4).s_sem == 0.0
