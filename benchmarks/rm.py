"""RM throughput: 64 concurrent single-sample requests, micro-batched vs one forward pass each.

OpenRLHF sends one request per sample. Both paths score the same 64 (prompt, response) pairs,
each submitted as its own concurrent `Engine.score([sample])` call, on the same tiny random
Qwen2 reward model built here (CPU):

1. per-request: `rm.max_batch_size=1` and `rm.local.max_tokens_per_forward=1`: each request is
   scored alone, one chat template, one tokenizer call and one forward pass (what a naive RM
   server does);
2. micro-batched: the defaults (`rm.max_batch_size=64`, `rm.max_wait_ms=5`): concurrent requests
   are gathered (and calls that queue while the model runs are merged), sorted by length and run
   as few padded passes.

Both engines live in one process and their rounds alternate, so the load of a shared machine
falls on both alike. Prints requests/s (total and median round) and the ratio.
Run: `python -m benchmarks.rm [--requests 64] [--rounds 5] [--hidden 32] [--layers 2] [--scale 1]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.loadgen import post_all  # noqa: E402
from tests.conftest import running_server, wait_until_ready  # noqa: E402
from tests.tiny_rm import build_tiny_rm  # noqa: E402
from verifiers.engine import Engine  # noqa: E402
from verifiers.sample import Sample  # noqa: E402
from verifiers.settings import Settings  # noqa: E402
from verifiers.verdict import Status  # noqa: E402

WORDS = "the quick brown fox jumps over lazy dog write short poem about sea answer".split()


def workload(n: int, seed: int, scale: int = 1) -> list[tuple[str, str]]:
    """Short chat turns (~60 tokens templated with the tiny tokenizer); `scale` multiplies every length."""
    rng = random.Random(seed)

    def text(lo: int, hi: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo * scale, hi * scale)))

    return [(text(3, 8), f"<think>{text(2, 6)}</think>{text(3, 12)}") for _ in range(n)]


def engine_for(model: Path, batched: bool) -> Engine:
    return Engine(Settings(domains=["rm"], rm=rm_settings(model, batched)))


def rm_settings(model: Path, batched: bool) -> dict[str, object]:
    """The defaults, or one sample per batch and one row per forward pass (the baseline)."""
    if batched:
        return {"local": {"model_path": str(model)}}
    return {"local": {"model_path": str(model), "max_tokens_per_forward": 1}, "max_batch_size": 1}


async def one_round(engine: Engine, items: list[tuple[str, str]]) -> tuple[float, list[float]]:
    """Seconds to score every item as its own concurrent request, and the rewards."""
    label = engine.parse_label("rm", {})
    samples = [Sample("rm", r, label, prompt=p) for p, r in items]
    start = time.perf_counter()
    verdicts = await asyncio.gather(*(engine.score([s]) for s in samples))
    elapsed = time.perf_counter() - start
    assert all(v.status is Status.CORRECT for [v] in verdicts), verdicts
    return elapsed, [v.reward for [v] in verdicts]


async def compare(model: Path, items: list[tuple[str, str]], rounds: int) -> dict[str, tuple[list[float], list[float]]]:
    """Both paths in one process, rounds alternating, so load on the machine hits both alike."""
    engines = {"one forward per request": engine_for(model, False), "micro-batched": engine_for(model, True)}
    times: dict[str, list[float]] = {name: [] for name in engines}
    rewards: dict[str, list[float]] = {}
    for engine in engines.values():
        await engine.start()
    try:
        for name, engine in engines.items():
            await one_round(engine, items)  # warm-up: allocator, thread pool, template cache
        for _ in range(rounds):
            for name, engine in engines.items():
                elapsed, rewards[name] = await one_round(engine, items)
                times[name].append(elapsed)
    finally:
        for engine in engines.values():
            await engine.close()
    return {name: (times[name], rewards[name]) for name in engines}


def compare_http(model: Path, items: list[tuple[str, str]], rounds: int) -> dict[str, tuple[list[float], list[float]]]:
    """The same comparison through `verifiers serve`: one OpenRLHF `/get_reward` request per sample,
    all concurrent on their own keep-alive connections (the load generator shares the CPU)."""
    label = json.dumps({"domain": "rm"})
    bodies = [json.dumps({"query": [p + r], "prompts": [p], "labels": [label]}).encode() for p, r in items]
    paths = {"one forward per request": False, "micro-batched": True}
    times: dict[str, list[float]] = {name: [] for name in paths}
    rewards: dict[str, list[float]] = {}
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(running_server({
            "VERIFIERS_DOMAINS": '["rm"]', "VERIFIERS_RM": json.dumps(rm_settings(model, batched)),
            "VERIFIERS_SERVER__LOG_LEVEL": "warning"})) for name, batched in paths.items()}
        for url in urls.values():
            wait_until_ready(url)
            asyncio.run(post_all(f"{url}/get_reward", bodies, len(bodies)))  # warm-up
        for _ in range(rounds):
            for name, url in urls.items():
                result = asyncio.run(post_all(f"{url}/get_reward", bodies, len(bodies)))
                assert set(result.statuses) == {200}, result.statuses
                times[name].append(result.elapsed_s)
                rewards[name] = [json.loads(b)["rewards"][0] for b in result.bodies]
    return {name: (times[name], rewards[name]) for name in paths}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--scale", type=int, default=1, help="multiply conversation lengths")
    parser.add_argument("--http", action="store_true", help="through `verifiers serve` and /get_reward")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = build_tiny_rm(Path(tmp) / "rm", "causal_lm", hidden=args.hidden, layers=args.layers)
        items = workload(args.requests, seed=1, scale=args.scale)
        results = compare_http(model, items, args.rounds) if args.http else asyncio.run(compare(model, items, args.rounds))
    print(f"tiny causal-LM RM (hidden {args.hidden}, {args.layers} layers, lengths x{args.scale}), {args.requests} concurrent "
          f"single-sample requests x {args.rounds} rounds, CPU, "
          f"{'HTTP /get_reward' if args.http else 'in-process Engine.score'}")
    rates = {}
    for name, (times, _) in results.items():
        rates[name] = args.requests * len(times) / sum(times)
        median = args.requests / statistics.median(times)
        print(f"  {name:24s} {rates[name]:8.1f} req/s (median round {median:8.1f} req/s)")
    (_, a), (_, b) = results.values()
    worst = max(abs(x - y) for x, y in zip(a, b))
    ratio = rates["micro-batched"] / rates["one forward per request"]
    print(f"  ratio: {ratio:.1f}x   (max |reward difference| between the paths {worst:.1e})")


if __name__ == "__main__":
    main()
