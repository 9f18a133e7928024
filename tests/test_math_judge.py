"""The math judge fallback against an in-test chat-completions judge (real math-verify workers).

Who is asked: samples math-verify calls `incorrect` or cannot read, never a symbolic `correct`,
never two unequal number literals, never a sample without an answer. What decides: the judge's
yes/no. A judge that is down, slow or malformed leaves the symbolic verdict or masks the sample,
as configured; a repeated question is answered from the cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import running_server
from tests.judge_server import JudgeServer, judge_server
from verifiers.engine import Engine
from verifiers.sample import Sample
from verifiers.settings import Settings
from verifiers.verdict import Status, Verdict

CHATML = "<|im_start|>system\nBe helpful.<|im_end|>\n<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n"

# (name, reference, response, prompt): one of each path through the math verifier.
SAMPLES = [
    ("symbolic correct", r"\frac{1}{2}", r"so \boxed{0.5}", None),
    ("words", r"\frac{1}{2}", r"\boxed{\text{one half}}", "What is 1/2 of 1?"),
    ("number word", "5", r"\boxed{\text{five}}", None),
    ("wrong", r"\frac{1}{2}", r"\boxed{\frac{1}{3}}", None),
    ("unequal literals", "42", r"\boxed{43}", None),
    ("distinct tiny numbers", r"\frac{1}{2004!}", r"\boxed{\frac{1}{2006!}}", None),
    ("inequality", "[2, 5]", r"\boxed{2 \le x \le 5}", CHATML.format(q="Solve |x - 3.5| <= 1.5.")),
    ("no answer extracted", "7", "I could not finish this one.", None),
    ("unclosed thinking", "7", r"<think> \boxed{7}", None),
]
# What the judge is shown of each sample it is asked about: the box's content, or the response's tail.
ASKED = {"words": r"\text{one half}", "number word": r"\text{five}", "wrong": r"\frac{1}{3}",
         "inequality": r"2 \le x \le 5", "no answer extracted": "I could not finish this one."}


def samples(engine: Engine) -> list[Sample[Any]]:
    return [Sample("math", response, engine.parse_label("math", {"answer": reference}), prompt=prompt)
            for _, reference, response, prompt in SAMPLES]


def asked_answers(server: JudgeServer) -> list[str]:
    return [re.search(r"<final_answer>\n(.*)\n</final_answer>", r["messages"][-1]["content"], re.DOTALL)[1]
            for r in server.requests]


def settings(url: str | None, **math: Any) -> Settings:
    judge = {"url": url, "retries": 0, "timeout_s": 2, "model": "judge-7b"} if url else {}
    return Settings(domains=["math"], math={"workers": 1, "judge": judge, **math})


async def score(url: str | None, **math: Any) -> tuple[list[Verdict], Engine]:
    async with Engine(settings(url, **math)) as engine:
        return await engine.score(samples(engine)), engine


def metric(engine: Engine, name: str, **labels: str) -> float:
    return engine.metrics.registry.get_sample_value(name, labels) or 0.0


async def test_the_judge_is_asked_exactly_about_what_math_verify_rejects_and_flips_those() -> None:
    off, _ = await score(None)
    async with judge_server(p_yes=0.9) as server:
        on, engine = await score(server.url)
    names = [name for name, *_ in SAMPLES]
    assert sorted(asked_answers(server)) == sorted(ASKED.values())
    changed = {name for name, a, b in zip(names, off, on, strict=True) if a.status is not b.status}
    assert changed == set(ASKED)  # with a judge that says yes, every asked sample and no other flips
    for name, verdict in zip(names, on, strict=True):
        if name in ASKED:
            assert verdict.status is Status.CORRECT and verdict.details["decided_by"] == "judge"
            assert verdict.details["judge_score"] == pytest.approx(0.9) and verdict.details["judge_model"] == "judge-7b"
    by_name = dict(zip(names, on, strict=True))
    assert by_name["symbolic correct"].details["decided_by"] == "symbolic"
    assert by_name["unequal literals"].details["decided_by"] == "symbolic"
    assert by_name["distinct tiny numbers"].status is Status.INCORRECT
    unclosed = by_name["unclosed thinking"]
    assert unclosed.status is Status.FORMAT_ERROR and "decided_by" not in unclosed.details
    assert by_name["no answer extracted"].details["symbolic"] == "format_error"
    assert metric(engine, "verifiers_judge_outcomes_total", domain="math", outcome="flipped") == len(ASKED)


async def test_the_judge_decides_both_ways_and_sees_the_question() -> None:
    def p_yes(prompt: str) -> float:  # a judge that reads numbers in words
        return 0.95 if "one half" in prompt or "five" in prompt else 0.1

    async with judge_server(p_yes_for=p_yes) as server:
        verdicts, engine = await score(server.url)
    by_name = dict(zip((n for n, *_ in SAMPLES), verdicts, strict=True))
    assert [by_name[n].status for n in ("words", "number word", "wrong", "inequality")] == [
        Status.CORRECT, Status.CORRECT, Status.INCORRECT, Status.INCORRECT]
    assert by_name["wrong"].details["decided_by"] == "judge" and by_name["wrong"].details["judge_score"] < 0.5
    prompts = {answer: r["messages"][-1]["content"] for answer, r in zip(asked_answers(server), server.requests,
                                                                          strict=True)}
    assert "<problem>\nWhat is 1/2 of 1?\n</problem>" in prompts[r"\text{one half}"]  # the label has no question:
    assert "<problem>\nSolve |x - 3.5| <= 1.5.\n</problem>" in prompts[r"2 \le x \le 5"]  # the prompt's user turn
    assert "<reference_answer>\n[2, 5]\n</reference_answer>" in prompts[r"2 \le x \le 5"]
    assert metric(engine, "verifiers_judge_outcomes_total", domain="math", outcome="upheld") == 3


async def test_question_from_the_label_wins_over_the_prompt() -> None:
    async with judge_server() as server, Engine(settings(server.url)) as engine:
        label = engine.parse_label("math", {"answer": "5", "question": "How many sides has a pentagon?"})
        await engine.score([Sample("math", r"\boxed{\text{five}}", label, prompt=CHATML.format(q="ignored"))])
    assert "<problem>\nHow many sides has a pentagon?\n</problem>" in server.requests[0]["messages"][-1]["content"]


async def test_threshold() -> None:
    async with judge_server(p_yes=0.6) as server:
        lenient, _ = await score(server.url)
        strict, _ = await score(server.url, judge={"url": server.url, "retries": 0, "threshold": 0.7})
    assert lenient[1].status is Status.CORRECT and strict[1].status is Status.INCORRECT


@pytest.mark.parametrize(("behaviour", "reason"), [
    ({"mode": "not_json"}, "not JSON"),
    ({"mode": "no_logprobs"}, "malformed judge reply"),
    ({"mode": "neither"}, "neither yes nor no"),
    ({"delay_s": 3.0}, "timed out"),
    (None, "unreachable"),
])
@pytest.mark.parametrize("fallback", ["symbolic", "infra_error"])
async def test_a_failing_judge_follows_the_fallback(behaviour: dict[str, Any] | None, reason: str,
                                                   fallback: str) -> None:
    off, _ = await score(None)
    if behaviour is None:
        on, engine = await score("http://127.0.0.1:9/v1", fallback=fallback)
    else:
        async with judge_server(**behaviour) as server:
            on, engine = await score(server.url, fallback=fallback)
    names = [name for name, *_ in SAMPLES]
    for name, before, after in zip(names, off, on, strict=True):
        if name not in ASKED:
            assert after.status is before.status
        elif fallback == "symbolic":
            assert (after.status, after.reward) == (before.status, before.reward)  # the symbolic verdict stands
            assert after.details["decided_by"] == "symbolic" and reason in after.details["judge"]
        else:
            assert after.status is Status.INFRA_ERROR and after.mask and reason in after.details["reason"]
            assert after.details["symbolic"] == before.status.value
    assert metric(engine, "verifiers_judge_outcomes_total", domain="math", outcome="failed") == len(ASKED)


async def test_a_repeated_question_is_answered_from_the_cache() -> None:
    # A GRPO group: 16 samples, the same two answers the symbolic check rejects; then the same again.
    async with judge_server() as server, Engine(settings(server.url)) as engine:
        label = engine.parse_label("math", {"answer": "5"})
        group = [Sample("math", rf"\boxed{{\text{{{words}}}}}", label) for words in ["five", "five sides"] * 8]
        first = await engine.score(group)
        again = await engine.score(group)
    assert len(server.requests) == 2
    assert all(v.status is Status.CORRECT for v in first + again)
    assert metric(engine, "verifiers_cache_total", cache="math_judge", result="miss") == 2
    assert metric(engine, "verifiers_cache_total", cache="math_judge", result="hit") == 30


def test_the_judge_budget_must_fit_the_backstop() -> None:
    with pytest.raises(ValueError, match=r"math\.judge"):
        Settings(math={"judge": {"url": "http://judge/v1", "timeout_s": 60, "retries": 2}})
    Settings(math={"judge": {"url": "http://judge/v1", "timeout_s": 60, "retries": 2}}, domains=["code"])


async def test_through_openrlhf_with_a_judge() -> None:
    yes_to: Callable[[str], float] = lambda prompt: 0.9 if "one half" in prompt else 0.2  # noqa: E731
    async with judge_server(p_yes_for=yes_to) as server:
        env = {"VERIFIERS_DOMAINS": '["math"]', "VERIFIERS_MATH__WORKERS": "1",
               "VERIFIERS_MATH__JUDGE__URL": server.url}
        with running_server(env=env) as url:
            async with httpx.AsyncClient(timeout=60) as client:
                prompt = CHATML.format(q="Half of one?")
                replies = [(await client.post(f"{url}/get_reward", json={
                    "query": [prompt + answer + "<|im_end|>"], "prompts": [prompt], "labels": [r"\frac{1}{2}"]})).json()
                    for answer in (r"\boxed{\text{one half}}", r"\boxed{\frac{1}{3}}", r"\boxed{\frac{2}{4}}")]
                ready = (await client.get(f"{url}/ready")).json()["domains"]["math"]
    assert [r["rewards"] for r in replies] == [[1.0], [0.0], [1.0]]
    assert len(server.requests) == 2 and ready["judge"] == server.url and ready["fallback"] == "symbolic"
