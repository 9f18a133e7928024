"""Admission control: bounded domains, 429 on /score, bounded waiting on /get_reward, drain."""

import asyncio
import os
import signal
import subprocess
import sys

import httpx
import psutil
import pytest

from tests.conftest import ROOT, free_port, running_server, wait_until_ready
from verifiers.admission import Admission

SLOW = r"\boxed{9^{9^{9^{9}}}}"  # runs into the math worker deadline


async def test_try_admit_is_all_or_nothing_and_an_idle_domain_takes_any_size():
    gate = Admission(3)
    assert gate.try_admit(2) and not gate.try_admit(2) and gate.admitted == 2
    gate.release(2)
    assert gate.try_admit(10) and gate.admitted == 10  # larger than the bound, but alone
    gate.release(10)
    assert gate.admitted == 0


async def test_waiters_are_admitted_in_order_and_time_out_cleanly():
    gate = Admission(1)
    assert gate.try_admit(1)
    first = asyncio.create_task(gate.admit(1, timeout_s=5))
    second = asyncio.create_task(gate.admit(1, timeout_s=5))
    late = asyncio.create_task(gate.admit(1, timeout_s=0.05))
    await asyncio.sleep(0.1)
    assert late.done() and late.result() is False and gate.waiting == 2
    assert not gate.try_admit(1)  # no overtaking the queue
    gate.release(1)
    assert await first and not second.done()
    gate.release(1)
    assert await second and gate.admitted == 1 and gate.waiting == 0


@pytest.fixture(scope="module")
def tight_server():
    env = {"VERIFIERS_DOMAINS": '["math"]', "VERIFIERS_MATH__WORKERS": "2", "VERIFIERS_MATH__ITEM_TIMEOUT_S": "2",
           "VERIFIERS_ENGINE__MAX_ITEMS_PER_DOMAIN": "2", "VERIFIERS_ENGINE__ADMISSION_WAIT_S": "0.5"}
    with running_server(env) as url:
        yield url


def _item(response: str, label: str = "4") -> dict:
    return {"domain": "math", "response": response, "label": label}


async def test_full_domain_gives_429_on_score_and_masked_samples_on_get_reward(tight_server):
    async with httpx.AsyncClient(base_url=tight_server, timeout=30) as client:
        busy = asyncio.create_task(client.post("/score", json={"items": [_item(SLOW), _item(SLOW, "5")]}))
        await asyncio.sleep(0.5)
        refused = await client.post("/score", json=_item(r"\boxed{4}"))
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        assert "capacity" in refused.json()["detail"]
        waited = await client.post("/get_reward", json={"query": [r"\boxed{4}"], "labels": ["4"]})
        assert waited.status_code == 200
        reply = waited.json()
        assert reply["extra_logs"]["verifier_infra_error"] == [1.0] and reply["rewards"] == [0.0]
        done = await busy
        assert done.status_code == 200 and [r["status"] for r in done.json()["results"]] == ["timeout", "timeout"]
        # room again: the same requests now succeed
        ok = await client.post("/score", json=_item(r"\boxed{4}"))
        assert ok.status_code == 200 and ok.json()["results"][0]["status"] == "correct"
        metrics = (await client.get("/metrics")).text
        assert 'verifiers_rejected_total{domain="math"} 2.0' in metrics


async def test_get_reward_waits_for_room_within_its_deadline():
    env = {"VERIFIERS_DOMAINS": '["math"]', "VERIFIERS_MATH__ITEM_TIMEOUT_S": "1",
           "VERIFIERS_ENGINE__MAX_ITEMS_PER_DOMAIN": "1", "VERIFIERS_ENGINE__ADMISSION_WAIT_S": "30"}
    with running_server(env) as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            busy = asyncio.create_task(client.post("/get_reward", json={"query": [SLOW], "labels": ["4"]}))
            await asyncio.sleep(0.3)
            queued = await client.post("/get_reward", json={"query": [r"\boxed{4}"], "labels": ["4"]})
            assert queued.json()["rewards"] == [1.0]
            assert (await busy).json()["extra_logs"]["verifier_timeout"] == [1.0]


def test_sigterm_drains_in_flight_requests_then_exits():
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VERIFIERS_DOMAINS": '["math"]', "VERIFIERS_MATH__ITEM_TIMEOUT_S": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "verifiers", "serve", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, timeout_s=60)

        async def scenario():
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                slow = asyncio.create_task(client.post("/score", json=_item(SLOW)))
                await asyncio.sleep(0.5)
                proc.send_signal(signal.SIGTERM)
                return await slow

        workers = psutil.Process(proc.pid).children(recursive=True)
        assert workers
        reply = asyncio.run(scenario())
        assert reply.status_code == 200 and reply.json()["results"][0]["status"] == "timeout"
        # uvicorn re-raises the signal it drained on, the conventional exit status for SIGTERM
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
        assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/health", timeout=1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
