"""`/get_reward` driven exactly as OpenRLHF 0.11.2's `_post_request` drives it.

OpenRLHF (openrlhf/utils/agent.py) opens a new aiohttp session per attempt, posts
`{"query", "prompts", "labels"}` with `ClientTimeout(total=180)`, calls `raise_for_status()`,
retries 5 times with a 1 s sleep, then raises and the run dies. It reads `rewards`, `scores` and
`extra_logs` and concatenates each extra_logs key across samples.
"""

import asyncio
import os
import signal
import threading
import time

import aiohttp
import pytest

from tests.conftest import running_server

PROMPT = "<|im_start|>user\nCompute 6*7. Put the answer in \\boxed{}.<|im_end|>\n<|im_start|>assistant\n"


async def openrlhf_post(url, query, prompts, labels):
    """Mirror of OpenRLHF 0.11.2 `_post_request`: 5 attempts x 180 s, any non-2xx is a failure."""
    payload = {"query": query, "prompts": prompts, "labels": labels}
    for attempt in range(5):
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=180)) as session:
                async with session.post(url, json=payload) as response:
                    response.raise_for_status()
                    return await response.json()
        except Exception:
            if attempt == 4:
                raise
            await asyncio.sleep(1)
    raise AssertionError("unreachable")


def rewards_info(reply):
    """What OpenRLHF's SingleTurnAgentExecutor reads from the reply."""
    return reply["rewards"], reply.get("scores") or reply["rewards"], reply.get("extra_logs", {})


async def test_one_sample_per_request_like_0_11(server):
    url = f"{server}/get_reward"
    replies = await asyncio.gather(*(
        openrlhf_post(url, [PROMPT + f"Thinking... \\boxed{{{ans}}}<|im_end|>"], [PROMPT], [label])
        for ans, label in [(42, "42"), (41, '{"domain": "math", "answer": "42"}'), (42, {"answer": "42"})]
    ))
    assert [rewards_info(r)[0] for r in replies] == [[1.0], [0.0], [1.0]]
    key_sets = {tuple(sorted(r["extra_logs"])) for r in replies}
    assert len(key_sets) == 1  # OpenRLHF concatenates per key: the key set must never vary


async def test_batches_of_any_size_including_empty(server):
    url = f"{server}/get_reward"
    empty = await openrlhf_post(url, [], [], [])
    assert empty["rewards"] == [] and empty["scores"] == [] and all(v == [] for v in empty["extra_logs"].values())
    n = 64
    reply = await openrlhf_post(url, [PROMPT + f"\\boxed{{{i % 3 + 41}}}" for i in range(n)], [PROMPT] * n, ["42"] * n)
    assert reply["rewards"] == [1.0 if i % 3 == 1 else 0.0 for i in range(n)]
    assert all(len(v) == n for v in reply["extra_logs"].values())


async def test_bad_labels_are_per_sample_errors_not_http_errors(server):
    url = f"{server}/get_reward"
    labels = [{"domain": "alchemy"}, "", '{"domain": "math"}', [1], "42"]
    reply = await openrlhf_post(url, [PROMPT + "\\boxed{42}"] * 5, [PROMPT] * 5, labels)
    assert reply["rewards"] == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert reply["extra_logs"]["verifier_error"] == [1.0, 1.0, 1.0, 1.0, 0.0]


def _worker_pids(port):
    """PIDs of the math workers of the server listening on `port` (children of that process)."""
    server_pid = None
    procs = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        procs[int(pid)] = (cmd, ppid)
        if f"serve --port {port}" in cmd:
            server_pid = int(pid)
    return [pid for pid, (cmd, ppid) in procs.items() if ppid == server_pid and "verifiers.worker_process" in cmd]


async def test_a_crashing_verifier_still_yields_200_with_the_failure_logged():
    with running_server() as url:
        port = int(url.rsplit(":", 1)[1])
        stop = threading.Event()

        def keep_killing_workers():
            while not stop.is_set():
                for pid in _worker_pids(port):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.05)

        killer = threading.Thread(target=keep_killing_workers)
        killer.start()
        try:
            reply = await openrlhf_post(f"{url}/get_reward", [PROMPT + r"\boxed{9^{9^{9^{9}}}}"], [PROMPT], ["42"])
        finally:
            stop.set()
            killer.join()
        rewards, scores, logs = rewards_info(reply)
        assert rewards == [0.0] and scores == [0.0]
        assert logs["verifier_infra_error"] == [1.0]
        # and the service healed: the next sample is graded normally
        reply = await openrlhf_post(f"{url}/get_reward", [PROMPT + r"\boxed{42}"], [PROMPT], ["42"])
        assert reply["rewards"] == [1.0]


@pytest.mark.parametrize("n", [256])
async def test_concurrent_single_sample_requests_are_all_answered(server, n):
    url = f"{server}/get_reward"
    replies = await asyncio.gather(*(
        openrlhf_post(url, [PROMPT + f"\\boxed{{{40 + i % 4}}}"], [PROMPT], ["42"]) for i in range(n)
    ))
    assert [r["rewards"][0] for r in replies] == [1.0 if i % 4 == 2 else 0.0 for i in range(n)]
