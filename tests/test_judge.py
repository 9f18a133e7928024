"""The shared judge client (here with the SWE prompt) against an in-test OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from tests.judge_server import judge_server
from verifiers.domains.swe.judge_prompt import PROMPT
from verifiers.domains.swe.settings import SweJudgeSettings
from verifiers.judge import Judge, JudgeFailure, JudgeScore, yes_no
from verifiers.metrics import Metrics


async def started(url: str, **settings: Any) -> Judge:
    judge = Judge(SweJudgeSettings(url=url, **{"retries": 0, **settings}), PROMPT, "swe")
    await judge.start()
    return judge


def ask(issue: str, golden_patch: str, candidate_patch: str) -> dict[str, str]:
    return {"issue": issue, "golden_patch": golden_patch, "candidate_patch": candidate_patch}


async def test_p_yes_sums_variants_and_normalises_over_yes_and_no() -> None:
    async with judge_server(p_yes=0.8) as server:
        judge = await started(server.url)
        try:
            score = await judge.score(ask("the issue", "gold diff", "candidate diff"))
        finally:
            await judge.close()
    assert score.p_yes == pytest.approx(0.72) and score.p_no == pytest.approx(0.18)
    assert score.score == pytest.approx(0.8)
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
            score = await judge.score(ask("ignored issue", "G", "C"))
        finally:
            await judge.close()
    assert score.score == pytest.approx(0.45)
    messages = server.requests[0]["messages"]
    assert messages == [{"role": "system", "content": "Be strict."},
                        {"role": "user", "content": "Same fix?\nG\nC\nYes or No."}]


def test_template_without_patch_fields_is_rejected() -> None:
    with pytest.raises(ValueError, match="prompt_template"):
        Judge(SweJudgeSettings(url="http://judge/v1", prompt_template="Is {issue} fixed?"), PROMPT, "swe")
    with pytest.raises(ValueError, match="prompt_template"):
        Judge(SweJudgeSettings(url="http://judge/v1", prompt_template="{golden_patch} {candidate_patch} {oops}"),
              PROMPT, "swe")


async def test_cached_by_prediction_and_reference_and_shared_in_flight() -> None:
    async with judge_server(delay_s=0.2) as server:
        judge = await started(server.url)
        try:
            first = await asyncio.gather(*(judge.score(ask("i", "gold", "cand")) for _ in range(5)))
            again = await judge.score(ask("i", "gold", "cand"))
            other = await judge.score(ask("i", "gold", "other cand"))
        finally:
            await judge.close()
    assert len(server.requests) == 2
    assert len({s.score for s in first}) == 1 and again == first[0] and other == first[0]


async def test_concurrency_is_bounded() -> None:
    async with judge_server(delay_s=0.2) as server:
        judge = await started(server.url, concurrency=2)
        try:
            await asyncio.gather(*(judge.score(ask("i", "gold", f"cand {n}")) for n in range(6)))
        finally:
            await judge.close()
    assert len(server.requests) == 6 and server.max_in_flight == 2


async def test_timeout_then_failure() -> None:
    async with judge_server(delay_s=1.5) as server:
        judge = await started(server.url, timeout_s=0.3, retries=1)
        try:
            with pytest.raises(JudgeFailure, match="timed out"):
                await judge.score(ask("i", "gold", "cand"))
        finally:
            await judge.close()
    assert len(server.requests) == 2


async def test_5xx_is_retried_until_it_answers() -> None:
    async with judge_server(failures_before_ok=2) as server:
        judge = await started(server.url, retries=2)
        try:
            score = await judge.score(ask("i", "gold", "cand"))
        finally:
            await judge.close()
    assert len(server.requests) == 3 and score.score == pytest.approx(0.8)


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
                await judge.score(ask("i", "gold", "cand"))
        finally:
            await judge.close()
    assert len(server.requests) == attempts


async def test_unreachable_judge_fails() -> None:
    judge = await started("http://127.0.0.1:9/v1", retries=1, timeout_s=2)
    try:
        with pytest.raises(JudgeFailure, match="unreachable"):
            await judge.score(ask("i", "gold", "cand"))
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
    assert yes_no(reply, normalize=True, min_mass=1e-4).score == 0.0


async def test_a_question_waiting_for_a_slot_counts_against_its_budget() -> None:
    # One slot, each answer takes 1 s, the budget is one 1.5 s attempt: the first question is
    # answered, the second waits ~1 s for the slot and then runs out of budget (never the engine's
    # backstop: the domain's fallback applies).
    async with judge_server(delay_s=1.0) as server:
        judge = await started(server.url, concurrency=1, timeout_s=1.5)
        try:
            first, second = await asyncio.gather(judge.score(ask("i", "gold", "a")), judge.score(ask("i", "gold", "b")),
                                                 return_exceptions=True)
        finally:
            await judge.close()
    assert isinstance(first, JudgeScore) and first.score == pytest.approx(0.8)
    assert isinstance(second, JudgeFailure) and "request slots" in str(second)


async def test_cache_lookups_and_latency_are_counted() -> None:
    metrics = Metrics()
    async with judge_server() as server:
        judge = Judge(SweJudgeSettings(url=server.url, retries=0), PROMPT, "swe", metrics)
        await judge.start()
        try:
            for _ in range(3):
                await judge.score(ask("i", "gold", "cand"))
        finally:
            await judge.close()
    value = metrics.registry.get_sample_value
    assert value("verifiers_cache_total", {"cache": "swe_judge", "result": "miss"}) == 1
    assert value("verifiers_cache_total", {"cache": "swe_judge", "result": "hit"}) == 2
    assert value("verifiers_judge_latency_seconds_count", {"domain": "swe"}) == 1
