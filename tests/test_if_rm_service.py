"""if_rm through the real service: ifeval + a tiny served RM, groups over OpenRLHF and /score."""

from __future__ import annotations

import asyncio
import json
import math
import statistics
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import free_port, running_server, wait_until_ready
from tests.tiny_rm import build_tiny_rm
from verifiers.engine import Engine
from verifiers.sample import Sample
from verifiers.settings import Settings

PROMPT = "<|im_start|>user\nDescribe the sea without using any commas.<|im_end|>\n<|im_start|>assistant\n"
IF_LABEL = {"instruction_id_list": ["punctuation:no_comma"], "kwargs": [None]}
RESPONSES = [
    f"<think>plan {i}</think>" + ("The sea is blue and wide" if i % 3 else "The sea, blue and wide") + " " + "deep " * i
    for i in range(16)
]
GROUP_DEADLINE_S = 8  # generous: the 16 requests of the full-group test must all join before it


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = build_tiny_rm(tmp_path_factory.mktemp("rm") / "model", "classification", seed=7)
    env = {"VERIFIERS_DOMAINS": '["ifeval", "rm", "if_rm"]', "VERIFIERS_RM__LOCAL__MODEL_PATH": str(model),
           "VERIFIERS_IF_RM__GROUP_DEADLINE_S": str(GROUP_DEADLINE_S), "VERIFIERS_ENGINE__ITEM_DEADLINE_S": "30"}
    with running_server(env) as url:
        wait_until_ready(url)
        yield url


def by_hand(url: str, prompt: str, responses: list[str]) -> list[float]:
    """The formula from the peers' own verdicts: 1 + sigmoid(z(rm)) if R_IF = 1 else 0, z over all."""
    items = [{"domain": d, "prompt": prompt, "response": r, "label": IF_LABEL if d == "ifeval" else {}}
             for d in ("ifeval", "rm") for r in responses]
    results = httpx.post(f"{url}/score", json={"items": items}, timeout=60).json()["results"]
    passed = [r["status"] == "correct" for r in results[: len(responses)]]
    rm = [r["reward"] for r in results[len(responses):]]
    mean, std = statistics.fmean(rm), statistics.pstdev(rm)
    assert std > 1e-3 and 0 < sum(passed) < len(passed)  # the test means something
    return [1 + 1 / (1 + math.exp(-(s - mean) / std)) if ok else 0.0 for s, ok in zip(rm, passed)]


def test_sixteen_concurrent_openrlhf_requests_form_one_group(service: str) -> None:
    label = json.dumps({"domain": "if_rm", **IF_LABEL, "group_size": 16})

    async def send_all() -> list[dict]:
        async with httpx.AsyncClient(timeout=60) as client:
            replies = await asyncio.gather(*(
                client.post(f"{service}/get_reward", json={"query": [PROMPT + r + "<|im_end|>"], "prompts": [PROMPT],
                                                           "labels": [label]}) for r in RESPONSES))
        return [r.json() for r in replies]

    replies = asyncio.run(send_all())
    assert [r["rewards"][0] for r in replies] == pytest.approx(by_hand(service, PROMPT, RESPONSES), abs=1e-5)
    assert all(r["extra_logs"]["verifier_infra_error"] == [0.0] for r in replies)


def test_a_list_for_one_prompt_through_score_says_how_it_was_normalised(service: str) -> None:
    prompt = PROMPT.replace("sea", "lake")
    items = [{"domain": "if_rm", "prompt": prompt, "response": r, "label": {**IF_LABEL, "group_size": 8}}
             for r in RESPONSES[:8]]
    results = httpx.post(f"{service}/score", json={"items": items}, timeout=60).json()["results"]
    assert [r["reward"] for r in results] == pytest.approx(by_hand(service, prompt, RESPONSES[:8]), abs=1e-5)
    group = results[0]["details"]["group"]
    assert (group["key"], group["group_size"], group["arrived"], group["complete"], group["normalised_over"]) == \
        ("prompt", 8, 8, True, 8)
    assert "partial" not in group


def test_a_group_that_never_completes_is_released_at_its_deadline(service: str) -> None:
    items = [{"domain": "if_rm", "prompt": PROMPT, "response": r, "group_id": "step-7/prompt-3",
              "label": {**IF_LABEL, "group_size": 16}} for r in RESPONSES[:3]]
    results = httpx.post(f"{service}/score", json={"items": items}, timeout=60).json()["results"]
    assert [r["reward"] for r in results] == pytest.approx(by_hand(service, PROMPT, RESPONSES[:3]), abs=1e-5)
    for r in results:  # not the engine's backstop: a real verdict that says the group was cut short
        assert r["status"] in ("correct", "incorrect")
        group = r["details"]["group"]
        assert (group["key"], group["arrived"], group["complete"]) == ("group_id", 3, False)
        assert f"3 of 16 samples arrived within {GROUP_DEADLINE_S} s" in group["partial"]


def test_equal_rm_scores_and_bad_labels(service: str) -> None:
    same = [{"domain": "if_rm", "prompt": PROMPT, "response": "The sea is calm", "group_id": "g-same",
             "label": {**IF_LABEL, "group_size": 4}}] * 4
    results = httpx.post(f"{service}/score", json={"items": same}, timeout=60).json()["results"]
    assert [r["reward"] for r in results] == [1.5] * 4
    assert results[0]["details"]["group"]["std_below_epsilon"] is True
    bad = {"domain": "if_rm", "prompt": PROMPT, "response": "x", "label": {"instruction_id_list": ["nope:nope"],
                                                                          "kwargs": [None], "group_size": 1}}
    [verdict] = httpx.post(f"{service}/score", json=bad, timeout=60).json()["results"]
    assert verdict["status"] == "error" and "nope:nope" in verdict["details"]["reason"]
    missing = httpx.post(f"{service}/score", json={**bad, "label": IF_LABEL}, timeout=60)
    assert missing.status_code == 422 and "group_size" in missing.text


async def test_rm_down_masks_passing_samples_and_leaves_failing_ones_at_zero() -> None:
    down = f"http://127.0.0.1:{free_port()}"
    settings = Settings(domains=["ifeval", "rm", "if_rm"], ifeval={"workers": 1},
                        rm={"backend": "vllm", "vllm": {"url": down, "retries": 0, "timeout_s": 2}})
    async with Engine(settings) as engine:
        label = engine.parse_label("if_rm", {**IF_LABEL, "group_size": 2})
        passing, failing = await engine.score([Sample("if_rm", "No commas here", label, prompt=PROMPT),
                                               Sample("if_rm", "Commas, here", label, prompt=PROMPT)])
    assert passing.mask and down in passing.details["reason"]
    assert (failing.status.value, failing.reward, failing.mask) == ("incorrect", 0.0, False)
    assert failing.details["group"]["complete"] is True
