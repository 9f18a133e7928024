"""The vLLM backend and the rm domain on it, against an in-test server speaking vLLM's pooling API."""

from __future__ import annotations

import pytest

from tests.conftest import free_port
from tests.fake_vllm import expected_score, fake_vllm
from verifiers.domains.rm.backend import BackendError
from verifiers.domains.rm.vllm import VLLMRewardModel
from verifiers.engine import Engine
from verifiers.sample import Sample
from verifiers.domains.rm.settings import RMVLLMSettings
from verifiers.settings import Settings
from verifiers.verdict import Status

CONVERSATION = [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Blue, like the sea."}]


@pytest.mark.parametrize("endpoint", ["pooling", "classify"])
async def test_raw_scores_from_either_endpoint(endpoint: str) -> None:
    async with fake_vllm() as server:
        backend = VLLMRewardModel(RMVLLMSettings(url=server.url, endpoint=endpoint, model="rm-7b"))
        await backend.start()
        try:
            scored = await backend.score([CONVERSATION, CONVERSATION[:1] + [{"role": "assistant", "content": "x"}]])
        finally:
            await backend.close()
    assert scored[0].reward == pytest.approx(expected_score(CONVERSATION))
    assert scored[1].reward == pytest.approx(expected_score([CONVERSATION[0], {"role": "assistant", "content": "x"}]))
    for sent in server.requests:
        assert sent["path"] == f"/{endpoint}"
        assert sent["use_activation"] is False and sent["add_generation_prompt"] is False
        assert sent["model"] == "rm-7b"
    assert CONVERSATION in [sent["messages"] for sent in server.requests]


async def test_server_errors_are_retried_then_reported() -> None:
    async with fake_vllm() as server:
        backend = VLLMRewardModel(RMVLLMSettings(url=server.url, retries=2))
        await backend.start()
        try:
            server.fail_next = 2
            assert (await backend.score([CONVERSATION]))[0].reward == pytest.approx(expected_score(CONVERSATION))
            server.fail_next = 3
            with pytest.raises(BackendError, match="HTTP 503"):
                await backend.score([CONVERSATION])
            assert backend.readiness()[0] is False
            assert (await backend.score([CONVERSATION]))[0].reward == pytest.approx(expected_score(CONVERSATION))
            assert backend.readiness()[0] is True
        finally:
            await backend.close()
    assert len(server.requests) == 3 + 3 + 1


async def test_server_down_is_a_masked_infra_error_through_the_engine() -> None:
    down = f"http://127.0.0.1:{free_port()}"
    settings = Settings(domains=["rm"], rm={"backend": "vllm", "vllm": {"url": down, "retries": 1, "timeout_s": 2}})
    async with Engine(settings) as engine:
        label = engine.parse_label("rm", {})
        [verdict] = await engine.score([Sample("rm", "Blue.", label, prompt="Name a colour.")])
        assert verdict.status is Status.INFRA_ERROR and verdict.mask
        assert down in verdict.details["reason"]
        assert engine.readiness()["rm"].ready is False


async def test_rm_domain_strips_thinking_and_scores_through_vllm() -> None:
    async with fake_vllm() as server:
        settings = Settings(domains=["rm"], rm={"backend": "vllm", "vllm": {"url": server.url}})
        async with Engine(settings) as engine:
            label = engine.parse_label("rm", {"domain": "rm"})
            with_messages = engine.parse_label("rm", {"messages": [{"role": "system", "content": "Be brief."},
                                                                   {"role": "user", "content": "Colour?"}]})
            verdicts = await engine.score([
                Sample("rm", "<think>blue or red?</think>\n\nBlue, like the sea.", label, prompt="Name a colour."),
                Sample("rm", "<think>never closed", label, prompt="Name a colour."),
                Sample("rm", "Blue.", with_messages, prompt="<|im_start|>user\nColour?<|im_end|>\n"),
            ])
    assert verdicts[0].status is Status.CORRECT
    assert verdicts[0].reward == pytest.approx(expected_score(CONVERSATION))
    assert 0 < verdicts[0].score < 1
    assert verdicts[1].status is Status.FORMAT_ERROR
    assert verdicts[2].reward == pytest.approx(expected_score([{}, {}, {"content": "Blue."}]))
    assert server.requests[-1]["messages"][0] == {"role": "system", "content": "Be brief."}


async def test_a_refused_input_is_masked_alone_and_the_server_stays_ready() -> None:
    async with fake_vllm() as server:
        settings = Settings(domains=["rm"], rm={"backend": "vllm", "vllm": {"url": server.url}})
        async with Engine(settings) as engine:
            label = engine.parse_label("rm", {})
            refused, fine = await engine.score([Sample("rm", "REFUSE", label, prompt="Hi"),
                                                Sample("rm", "Hello.", label, prompt="Hi")])
            assert engine.readiness()["rm"].ready is True
    assert refused.mask and "HTTP 400" in refused.details["reason"]
    assert fine.status is Status.CORRECT
    assert len(server.requests) == 2  # a 4xx is not retried


async def test_thinking_is_scored_too_when_stripping_is_off() -> None:
    response = "<think>blue or red?</think>Blue."
    async with fake_vllm() as server:
        settings = Settings(domains=["rm"], rm={"backend": "vllm", "strip_thinking": False, "vllm": {"url": server.url}})
        async with Engine(settings) as engine:
            [verdict] = await engine.score([Sample("rm", response, engine.parse_label("rm", {}), prompt="Colour?")])
    assert server.requests[-1]["messages"][-1] == {"role": "assistant", "content": response}
    assert verdict.reward == pytest.approx(expected_score([{}, {"content": response}]))


async def test_a_server_that_hangs_times_out_per_attempt() -> None:
    async with fake_vllm() as server:
        server.delay_s = 1
        backend = VLLMRewardModel(RMVLLMSettings(url=server.url, timeout_s=0.2, retries=1))
        await backend.start()
        try:
            with pytest.raises(BackendError, match="Timeout"):
                await backend.score([CONVERSATION])
        finally:
            await backend.close()
    assert len(server.requests) == 2
