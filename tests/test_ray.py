"""The service on a real two-node local Ray cluster: same HTTP contracts, pools as Ray actors,
and a killed actor marks exactly the samples it held while the service keeps answering."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import ray

from tests.conftest import ROOT, free_port, local_ray_cluster, running_server, wait_until_ready
from tests.payloads import POOLED_DOMAINS, SIZES, items
from verifiers.domains.ifeval.settings import IFEvalSettings
from verifiers.domains.ifeval.verifier import IFEvalVerifier
from verifiers.ray.pool import RayPool
from verifiers.settings import RaySettings

pytestmark = pytest.mark.slow

NAMESPACE = "cascade-verifiers"
BASE_UID = 62000
RUNNERS = 2


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A head and one more CPU node, and a GPU node (a trainer's) that must stay free of our actors."""
    with local_ray_cluster(nodes=2, gpu_nodes=1) as address:
        try:
            yield address
        finally:
            if ray.is_initialized():
                ray.shutdown()


@pytest.fixture(scope="module")
def ray_server(cluster: str) -> Iterator[str]:
    env = {"VERIFIERS_MATH__WORKERS": "1", "VERIFIERS_IFEVAL__WORKERS": "1", "VERIFIERS_SWE__WORKERS": "1",
           "VERIFIERS_CODE__RUNNERS": str(RUNNERS), "VERIFIERS_CODE__BASE_UID": str(BASE_UID)}
    with running_server(env=env, args=["--ray", cluster], timeout_s=120) as url:
        wait_until_ready(url, 180)
        ray.init(address=cluster, namespace=NAMESPACE, log_to_driver=False)
        yield url


def _actors(prefix: str) -> list[Any]:
    names = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
             if a["namespace"] == NAMESPACE and a["name"].startswith(prefix)]
    return [ray.get_actor(name, namespace=NAMESPACE) for name in names]


def _live(handles: list[Any]) -> list[tuple[Any, dict[str, Any]]]:
    out = []
    for h in handles:
        try:
            out.append((h, ray.get(h.info.remote(), timeout=10)))
        except ray.exceptions.RayError:
            continue
    return out


def _wait_for_code_actors(url: str, count: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while httpx.get(f"{url}/ready", timeout=10).json()["domains"]["code"]["runners_alive"] != count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"code pool did not get back to {count} live actors")
        time.sleep(0.5)


def _sleeper(tag: int, seconds: float) -> dict[str, Any]:
    program = f"import time\ntime.sleep({seconds})\nprint({tag})"
    return {"domain": "code", "response": f"```python\n{program}\n```",
            "label": {"tests": {"inputs": [""], "outputs": [str(tag)]}, "time_limit_s": 10}}


def test_math_and_code_are_served_by_one_actor_per_cpu_node(ray_server: str) -> None:
    items = [
        {"domain": "math", "response": "so \\boxed{\\frac{1}{2}}", "label": "0.5"},
        {"domain": "math", "response": "\\boxed{3}", "label": "4"},
        {"domain": "code", "response": "```python\nprint(int(input()) * 2)\n```",
         "label": {"tests": {"inputs": ["21"], "outputs": ["42"]}}},
    ]
    reply = httpx.post(f"{ray_server}/score", json={"items": items}, timeout=60)
    assert [r["status"] for r in reply.json()["results"]] == ["correct", "incorrect", "correct"]
    body = {"query": ["\\boxed{7}"], "prompts": [""], "labels": ["7"]}
    assert httpx.post(f"{ray_server}/get_reward", json=body, timeout=60).json()["rewards"] == [1.0]
    cpu_nodes = {n["NodeID"] for n in ray.nodes() if n["Alive"] and not n["Resources"].get("GPU")}
    assert len(cpu_nodes) == 2
    for prefix in ("verifiers-math-", "verifiers-code-"):
        nodes = [info["node_id"] for _, info in _live(_actors(prefix))]
        assert sorted(nodes) == sorted(cpu_nodes), f"{prefix} actors should sit one on each CPU node, got {nodes}"
    ready = httpx.get(f"{ray_server}/ready", timeout=10).json()["domains"]
    assert ready["math"]["workers_alive"] == 2 and ready["code"]["runners_alive"] == 2


def test_every_pooled_domain_runs_in_ray_actors_and_takes_swe_bench_sized_items(ray_server: str) -> None:
    cpu_nodes = {n["NodeID"] for n in ray.nodes() if n["Alive"] and not n["Resources"].get("GPU")}
    for domain in POOLED_DOMAINS:
        nodes = sorted(info["node_id"] for _, info in _live(_actors(f"verifiers-{domain}-")))
        assert nodes == sorted(cpu_nodes), f"{domain}: one actor per CPU node, got {nodes}"
    for size in SIZES:
        batch = items(size)
        for domain in POOLED_DOMAINS:
            reply = httpx.post(f"{ray_server}/score", json=batch[domain], timeout=120)
            [result] = reply.json()["results"]
            assert result["status"] == "correct", (domain, size, result["details"])


# Ray passes a call argument inline up to this many serialized bytes, through its object store
# above (`max_direct_call_object_size` in Ray's ray_config_def.h; the test cluster keeps the default).
RAY_INLINE_LIMIT = 100 * 1024


async def test_call_arguments_either_side_of_rays_inline_limit(ray_server: str) -> None:
    """A worker-pool call whose arguments serialize to 1 byte under and over Ray's inline limit."""
    serialize = ray._private.worker.global_worker.get_serialization_context().serialize
    ifeval = IFEvalVerifier.pool_factory
    pool = RayPool("limit-ifeval", ifeval, IFEvalSettings(workers=1), ray=RaySettings(address="auto"))
    await pool.start()
    try:
        for size in (RAY_INLINE_LIMIT - 1, RAY_INLINE_LIMIT + 1):
            text = next(
                "x" * n for n in range(size - 200, size)
                if serialize((["punctuation:no_comma"], [None], "x" * n, "strict")).total_bytes == size
            )
            assert await pool.run(["punctuation:no_comma"], [None], text, "strict") == [True], size
            comma = text[:-1] + ","  # same size; the check sees the end of the text, so all of it arrived
            assert await pool.run(["punctuation:no_comma"], [None], comma, "strict") == [False], size
    finally:
        await pool.close()


def test_killed_actor_marks_exactly_its_samples_and_service_keeps_answering(ray_server: str) -> None:
    items = [_sleeper(tag, 4) for tag in range(2 * RUNNERS)]
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(httpx.post, f"{ray_server}/score", json={"items": items}, timeout=120)
        # Wait until both code actors are running their share, then kill one of them.
        deadline = time.monotonic() + 60
        while True:
            running = {info["pid"]: (h, ray.get(h.running.remote(), timeout=10))
                       for h, info in _live(_actors("verifiers-code-"))}
            if sum(len(calls) for _, calls in running.values()) == len(items) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        victim_pid, (_, victim_calls) = next((pid, v) for pid, v in running.items() if v[1])
        doomed = {int(args[0]["tests"][0]["expected"]) for _, args in victim_calls}
        os.kill(victim_pid, signal.SIGKILL)
        # Killed mid-batch: another request is answered while the batch is still out.
        body = {"query": ["\\boxed{5}"], "prompts": [""], "labels": ["5"]}
        assert httpx.post(f"{ray_server}/get_reward", json=body, timeout=60).json()["rewards"] == [1.0]
        results = pending.result().json()["results"]

    assert doomed and len(doomed) < len(items)
    for tag, result in enumerate(results):
        if tag in doomed:
            assert result["status"] == "infra_error" and result["mask"] is True, result
            assert "Ray actor" in result["details"]["reason"]
        else:
            assert result["status"] == "correct", result
    # A replacement actor comes up and takes code work again; the killed one left no test process.
    _wait_for_code_actors(ray_server, 2)
    again = httpx.post(f"{ray_server}/score", json={"items": [_sleeper(tag, 0) for tag in range(4)]}, timeout=60)
    assert [r["status"] for r in again.json()["results"]] == ["correct"] * 4
    assert len(_live(_actors("verifiers-code-"))) == 2
    uids = ",".join(str(BASE_UID + i) for i in range(RUNNERS * 3))  # two first actors, one replacement
    leftover = subprocess.run(["ps", "-o", "pid=,comm=", "-u", uids], capture_output=True, text=True).stdout
    assert leftover.split() == []


def test_actor_lost_while_idle_is_replaced_before_work_reaches_it(ray_server: str) -> None:
    before = {info["pid"] for _, info in _live(_actors("verifiers-math-"))}
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 120
    while True:
        now = {info["pid"] for _, info in _live(_actors("verifiers-math-"))}
        if len(now) == 2 and victim not in now:
            break
        assert time.monotonic() < deadline, f"math actors after the kill: {now}"
        time.sleep(0.5)
    # References never seen before, so every sample goes to a worker on one of the actors.
    items = [{"domain": "math", "response": f"\\boxed{{\\frac{{{k}}}{{{k + 1}}}}}", "label": f"{k}/({k}+1)"}
             for k in range(2, 10)]
    results = httpx.post(f"{ray_server}/score", json={"items": items}, timeout=60).json()["results"]
    assert [r["status"] for r in results] == ["correct"] * len(items)


def test_sigterm_drains_in_flight_work_then_the_actors_go(cluster: str, ray_server: str) -> None:
    """Joining Ray must not take over SIGTERM: the server still drains, then stops its actors."""
    before = {a["name"] for a in ray.util.list_named_actors(all_namespaces=True)}
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VERIFIERS_DOMAINS": '["code"]', "VERIFIERS_CODE__RUNNERS": "1",
           "VERIFIERS_CODE__BASE_UID": str(BASE_UID + 100)}
    proc = subprocess.Popen([sys.executable, "-m", "verifiers", "serve", "--port", str(port), "--ray", cluster],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, 180)
        mine = {a["name"] for a in ray.util.list_named_actors(all_namespaces=True)} - before
        assert len(mine) == 2  # one code actor per CPU node
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(httpx.post, f"{url}/score", json=_sleeper(7, 2), timeout=60)
            deadline = time.monotonic() + 30
            while not any(ray.get(h.running.remote(), timeout=10) for h, _ in _live(
                    [ray.get_actor(n, namespace=NAMESPACE) for n in mine])):
                assert time.monotonic() < deadline, "the program never started"
                time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            reply = pending.result()
        assert reply.status_code == 200 and reply.json()["results"][0]["status"] == "correct"
        assert proc.wait(timeout=60) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it drained on
        left = {a["name"] for a in ray.util.list_named_actors(all_namespaces=True)} & mine
        assert not _live([ray.get_actor(n, namespace=NAMESPACE) for n in left])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
