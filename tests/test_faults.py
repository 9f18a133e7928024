"""Faults inside one machine's pools: the service keeps answering and marks exactly the affected
samples. (A lost Ray actor is in tests/test_ray.py.)"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psutil
import pytest

from tests.conftest import running_server, wait_until_ready

HANG = r"\boxed{9^{9^{9^{9}}}}"  # SymPy never finishes this power tower


@pytest.fixture(scope="module")
def server() -> Any:
    env = {"VERIFIERS_MATH__WORKERS": "2", "VERIFIERS_MATH__ITEM_TIMEOUT_S": "3", "VERIFIERS_DOMAINS": '["math"]'}
    with running_server(env=env) as url:
        wait_until_ready(url)
        yield url


def _reward(url: str, queries: list[str], labels: list[str]) -> dict[str, Any]:
    body = {"query": queries, "prompts": [""] * len(queries), "labels": labels}
    reply = httpx.post(f"{url}/get_reward", json=body, timeout=60)
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_hung_math_worker_times_out_only_its_own_sample(server: str) -> None:
    queries = [r"\boxed{2}", HANG, r"\frac{1}{2} so \boxed{0.5}", r"\boxed{3}", HANG.replace("9", "8")]
    labels = ["2", "1", "1/2", "4", "1"]
    reply = _reward(server, queries, labels)
    assert reply["rewards"] == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert reply["extra_logs"]["verifier_timeout"] == [0.0, 1.0, 0.0, 0.0, 1.0]
    assert reply["extra_logs"]["verifier_infra_error"] == [0.0] * 5  # the policy's fault: not masked
    assert reply["extra_logs"]["verifier_incorrect"] == [0.0, 0.0, 0.0, 1.0, 0.0]
    ready = httpx.get(f"{server}/ready", timeout=10).json()["domains"]["math"]
    assert ready["workers_alive"] == ready["workers"]  # the hung workers were replaced


def test_math_worker_killed_mid_task_is_retried_and_nothing_is_marked(server: str) -> None:
    """A worker that dies under a task (OOM killer, segfault) is replaced and the task retried once."""
    port = server.rsplit(":", 1)[1]  # this module's server, not the session-wide one
    api = next(p for p in psutil.Process(os.getpid()).children(recursive=True)
               if "serve" in p.cmdline() and port in p.cmdline())
    deadline = time.monotonic() + 60
    while _busy_workers(api) and time.monotonic() < deadline:
        pass  # replacements of the previous test's hung workers finish warming up first
    with ThreadPoolExecutor(1) as pool:
        # A reference the other test did not use, so the verdict is not already memoised.
        pending = pool.submit(_reward, server, [HANG, r"\boxed{7}"], ["5", "7"])
        busy: list[psutil.Process] = []
        deadline = time.monotonic() + 30
        while not busy and time.monotonic() < deadline:
            busy = _busy_workers(api)
        assert busy, "no math worker got busy with the hanging answer"
        os.kill(busy[0].pid, signal.SIGKILL)
        reply = pending.result()
    # Retried on a fresh worker, the hanging answer then times out as usual: a verdict, not a mask.
    assert reply["extra_logs"]["verifier_timeout"] == [1.0, 0.0]
    assert reply["rewards"] == [0.0, 1.0]
    assert reply["extra_logs"]["verifier_infra_error"] == [0.0, 0.0]


def _busy_workers(api: psutil.Process) -> list[psutil.Process]:
    """Math workers that used CPU in the last half second (idle ones use none)."""
    workers = [w for w in api.children() if "worker_process" in " ".join(w.cmdline())]
    before = {w.pid: sum(w.cpu_times()[:2]) for w in workers}
    time.sleep(0.5)
    return [w for w in workers if sum(w.cpu_times()[:2]) - before[w.pid] > 0.05]
