"""OpenRLHF's two ways to reach the service, through OpenRLHF 0.11.2's own executor code.

Baseline: `--reward.remote_url http://HOST:8000/get_reward`, i.e. OpenRLHF's
`SingleTurnAgentExecutor._fetch_rewards_via_http` (a new aiohttp session and TCP connection per
sample). Ours: `--reward.remote_url .../reward_func.py`, i.e. `_fetch_rewards_via_func`, which
runs the plugin in OpenRLHF's `asyncio.to_thread` pool over kept-alive connections. Both get the
same single-sample math requests with `--concurrency` samples in flight (a rollout actor scores
each sample as it finishes), against one service started here; the verdicts must agree.

    python -m benchmarks.openrlhf_reward [--samples 2048] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openrlhf.utils.agent import SingleTurnAgentExecutor  # noqa: E402

from tests.conftest import running_server, wait_until_ready  # noqa: E402

PLUGIN = ROOT / "adapters" / "openrlhf" / "reward_func.py"
PROMPT = "<|im_start|>user\nCompute {a}*{b}. Put the answer in \\boxed{{}}.<|im_end|>\n<|im_start|>assistant\n"


def workload(n: int) -> list[tuple[str, str, str]]:
    """(query, prompt, label): half right, half wrong, answers varied so no two samples are alike."""
    items = []
    for i in range(n):
        a, b = 3 + i % 97, 7 + i // 97
        prompt = PROMPT.format(a=a, b=b)
        answer = a * b + (i % 2)
        items.append((prompt + f"<think>{a} times {b}</think>So \\boxed{{{answer}}}<|im_end|>", prompt, str(a * b)))
    return items


async def run(fetch, items: list[tuple[str, str, str]], concurrency: int) -> tuple[float, list[float], list[float]]:
    """(seconds, rewards in order, per-sample latencies) with `concurrency` samples in flight."""
    gate = asyncio.Semaphore(concurrency)
    rewards: list[float] = [0.0] * len(items)
    latencies: list[float] = []

    async def one(i: int) -> None:
        query, prompt, label = items[i]
        async with gate:
            started = time.perf_counter()
            [info] = await fetch([query], [prompt], [label])
            latencies.append(time.perf_counter() - started)
            value = info["rewards"]
            rewards[i] = float(value[0]) if hasattr(value, "__len__") else float(value)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(len(items))))
    return time.perf_counter() - started, rewards, latencies


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=2048)
    ap.add_argument("--concurrency", type=int, default=64)
    args = ap.parse_args()
    logging.getLogger("openrlhf").setLevel(logging.WARNING)
    items = workload(args.samples)
    warm = workload(256)
    with running_server() as url:
        wait_until_ready(url)
        os.environ["CASCADE_VERIFIERS_URL"] = url
        http = SingleTurnAgentExecutor(remote_rm_url=[f"{url}/get_reward"])
        plugin = SingleTurnAgentExecutor(remote_rm_url=[str(PLUGIN)])
        results = {}
        for name, fetch in [("OpenRLHF HTTP client (baseline)", http._fetch_rewards_via_http),
                            ("reward_func plugin", plugin._fetch_rewards_via_func)]:
            asyncio.run(run(fetch, warm, args.concurrency))  # both paths warm the same service first
            results[name] = asyncio.run(run(fetch, items, args.concurrency))
    (base_t, base_r, _), (ours_t, ours_r, _) = results.values()
    print(f"{args.samples} single-sample /get_reward calls, {args.concurrency} in flight, "
          f"{os.cpu_count()} cores shared by service and client")
    print(f"{'path':34s} {'samples/s':>10s} {'p50 ms':>8s} {'p99 ms':>8s}")
    for name, (t, _, lat) in results.items():
        print(f"{name:34s} {args.samples / t:10.1f} {quantile(lat, 0.5) * 1e3:8.1f} {quantile(lat, 0.99) * 1e3:8.1f}")
    print(f"plugin / baseline throughput: {base_t / ours_t:.2f}x; "
          f"verdicts agree on {sum(a == b for a, b in zip(base_r, ours_r))}/{args.samples}; "
          f"mean reward {sum(ours_r) / len(ours_r):.2f} (half the answers are right)")


if __name__ == "__main__":
    main()
