"""Math throughput: sequential math-verify vs our batch engine vs our HTTP path, in one run.

Workload (GRPO-shaped): P prompts x 16 samples, ~32 KB chain-of-thought responses, each group
sharing a few distinct final answers. Three measurements on the same items:

1. baseline: `math_verify.verify(parse(gold), parse(response))` sequentially in this process;
2. engine:   `Engine.score(all items)` in-process;
3. http:     `verifiers serve`, one OpenRLHF-style `/get_reward` request per sample from 256
             concurrent keep-alive connections (the load generator runs on the same machine).

Steady state, as in the middle of a training run: each path first scores a warm-up workload of
the same shapes but other references (another seed), which warms math-verify's parser (its
ANTLR prediction cache makes the first conversions of each shape several times slower) in every
path alike; then it scores the measured workload, whose references it has never seen.

Run: `python -m benchmarks.math [--prompts 32]`. Prints throughputs, ratios and latency quantiles.

`--judge` adds a fourth measurement: the batch engine with the math judge fallback on, against an
in-test chat-completions judge (tests/judge_server.py) that answers after `--judge-delay-ms`;
it reports how many samples the judge decided, how many requests that took, and the wall time
added per judged sample compared with the engine run above (judge off, same items).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.loadgen import post_all  # noqa: E402
from tests.conftest import running_server  # noqa: E402
from tests.judge_server import judge_server  # noqa: E402
from verifiers.domains.math.worker import WARM_UP  # noqa: E402
from verifiers.engine import Engine  # noqa: E402
from verifiers.metrics import Metrics  # noqa: E402
from verifiers.sample import Sample  # noqa: E402
from verifiers.settings import Settings  # noqa: E402
from verifiers.verdict import Verdict  # noqa: E402

GROUP = 16


def _answer_forms(rng: random.Random) -> tuple[str, list[str]]:
    """A fresh reference for one problem, with one equivalent form and two wrong ones."""
    a, b, c = rng.randint(2, 40), rng.randint(2, 40), rng.randint(1, 9)
    kind = rng.randrange(6)
    if kind == 0:
        return rf"\frac{{{a}}}{{{a + b}}}", [rf"\frac{{{2 * a}}}{{{2 * (a + b)}}}", rf"\frac{{{a + 1}}}{{{a + b}}}", f"{a}"]
    if kind == 1:
        return rf"{a}\sqrt{{{c + 1}}}", [rf"\sqrt{{{a * a * (c + 1)}}}", rf"{a + 1}\sqrt{{{c + 1}}}", f"{a}"]
    if kind == 2:
        return f"x^2+{2 * a}x+{a * a}", [f"(x+{a})^2", f"x^2+{a * a}", f"x^2-{2 * a}x+{a * a}"]
    if kind == 3:
        return f"({a}, {a + b}]", [f"({a},{a + b}]", f"[{a}, {a + b}]", f"({a}, {a + b})"]
    if kind == 4:
        return rf"\{{{a}, {a + b}, {a + b + c}\}}", [rf"\{{{a + b + c}, {a}, {a + b}\}}", rf"\{{{a}, {a + b}\}}", f"{a}"]
    return str(a * 100 + b), [f"{a * 100 + b}.0", str(a * 100 + b + 1), str(a * 100 + b - 1)]


def _sentence(rng: random.Random) -> str:
    """One line of chain-of-thought with inline LaTeX, as math CoT reads."""
    a, b, c = rng.randint(1, 99), rng.randint(2, 99), rng.randint(1, 9)
    return rng.choice((
        f"Substituting $x = {a}$ into $\\frac{{{b}}}{{{c}}}x^2 + {a}x$ gives ${a * a * b // c + a * a}$.",
        f"We have $\\sqrt{{{a * a}}} = {a}$, so the remaining term is ${b} - {c} = {b - c}$.",
        f"Let me double-check: $({a} + {b})^2 = {(a + b) ** 2}$, which matches.",
        f"Hence the inequality $x^2 - {b}x + {c} < 0$ holds on an interval around ${a}$.",
        "Wait, that does not look right; let me reconsider the previous step carefully.",
        f"Therefore $\\frac{{{a}}}{{{b}}} + \\frac{{{c}}}{{{b}}} = \\frac{{{a + c}}}{{{b}}}$.",
    ))


def make_items(prompts: int, chars: int, seed: int = 0, group: int = GROUP) -> list[tuple[str, str, str]]:
    """(prompt, response, gold) triples: a unique reference per prompt, each group of 16 samples
    answering with the right form, an equivalent form or a wrong one."""
    rng = random.Random(seed)
    items = []
    for p in range(prompts):
        gold, variants = _answer_forms(rng)
        forms = [gold, *rng.sample(variants, 2)]
        prompt = f"<|im_start|>user\nProblem {p}: solve it and box the answer.<|im_end|>\n<|im_start|>assistant\n"
        for _ in range(group):
            lines: list[str] = []
            size = 0
            while size < chars:
                lines.append(_sentence(rng))
                size += len(lines[-1]) + 1
            answer = rng.choice(forms)
            response = "<think>" + "\n".join(lines) + f"</think>\nThe final answer is $\\boxed{{{answer}}}$."
            items.append((prompt, response, gold))
    return items


Items = list[tuple[str, str, str]]


def baseline(warm: Items, items: Items) -> tuple[float, list[bool]]:
    from math_verify import parse, verify

    for reference, answer in WARM_UP:  # the same warm-up our workers do at start
        verify(parse(f"${reference}$"), parse(f"${answer}$"))
    for _, response, gold in warm:
        verify(parse(f"${gold}$"), parse(response))
    started = time.perf_counter()
    results = [verify(parse(f"${gold}$"), parse(response)) for _, response, gold in items]
    return time.perf_counter() - started, results


async def engine_run(warm: Items, items: Items, settings: Settings | None = None, metrics: Metrics | None = None,
                     warmed: Callable[[], None] = lambda: None) -> tuple[float, list[Verdict]]:
    async with Engine(settings or Settings(), metrics) as engine:
        def samples(batch: Items) -> list[Sample]:
            return [Sample("math", r, engine.parse_label("math", g), prompt=p) for p, r, g in batch]

        await engine.score(samples(warm))
        warmed()
        measured = samples(items)
        started = time.perf_counter()
        verdicts = await engine.score(measured)
        return time.perf_counter() - started, verdicts


async def judge_run(warm: Items, items: Items, delay_s: float) -> tuple[float, int, int, float]:
    """(elapsed, samples the judge decided, judge requests, mean seconds per judge request) of the
    engine with the judge on, measured workload only."""
    metrics = Metrics()

    def judge_totals() -> tuple[float, float, int]:
        value = metrics.registry.get_sample_value
        labels = {"domain": "math"}
        return (value("verifiers_judge_latency_seconds_sum", labels) or 0.0,
                value("verifiers_judge_latency_seconds_count", labels) or 0.0, len(server.requests))

    async with judge_server(p_yes=0.3, delay_s=delay_s) as server:
        before: list[tuple[float, float, int]] = []
        settings = Settings(math={"judge": {"url": server.url}})
        elapsed, verdicts = await engine_run(warm, items, settings, metrics, lambda: before.append(judge_totals()))
        judged = sum(v.details.get("decided_by") == "judge" for v in verdicts)
        (s0, n0, r0), (s1, n1, r1) = before[0], judge_totals()
        return elapsed, judged, r1 - r0, (s1 - s0) / max(n1 - n0, 1)


async def http_run(url: str, warm: Items, items: Items, connections: int) -> tuple[float, list[float], list[float]]:
    """One OpenRLHF-style request per sample, `connections` in flight; (elapsed, latencies, rewards)."""
    def bodies(batch: Items) -> list[bytes]:
        return [orjson.dumps({"query": [p + r + "<|im_end|>"], "prompts": [p], "labels": [g]}) for p, r, g in batch]

    await post_all(f"{url}/get_reward", bodies(warm), connections)
    result = await post_all(f"{url}/get_reward", bodies(items), connections)
    if any(s != 200 for s in result.statuses):
        raise RuntimeError(f"non-200 replies: {sorted(set(result.statuses))}")
    return result.elapsed_s, result.latencies_s, [orjson.loads(b)["rewards"][0] for b in result.bodies]


def quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=32)
    ap.add_argument("--chars", type=int, default=32_000)
    ap.add_argument("--connections", type=int, default=256)
    ap.add_argument("--judge", action="store_true", help="also time the engine with the math judge fallback on")
    ap.add_argument("--judge-delay-ms", type=float, default=0.0, help="the in-test judge's time per answer")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)

    items = make_items(args.prompts, args.chars)
    warm = make_items(args.prompts, args.chars, seed=1)
    n = len(items)
    print(f"workload: {args.prompts} prompts x {GROUP} samples = {n} items, ~{args.chars // 1000} KB responses "
          f"(after a warm-up workload of {len(warm)} other items)")

    t_base, base_ok = baseline(warm, items)
    t_eng, verdicts = asyncio.run(engine_run(warm, items))
    statuses = [v.status.value for v in verdicts]
    with running_server() as url:
        t_http, lat, rewards = asyncio.run(http_run(url, warm, items, args.connections))

    agree_engine = sum((s == "correct") == ok for s, ok in zip(statuses, base_ok))
    agree_http = sum((r == 1.0) == ok for r, ok in zip(rewards, base_ok))
    rows = [("baseline (sequential parse+verify)", t_base), ("batch engine", t_eng), ("HTTP /get_reward", t_http)]
    print(f"{'path':40s} {'items/s':>10s} {'x baseline':>11s}")
    for name, t in rows:
        print(f"{name:40s} {n / t:10.1f} {t_base / t:10.1f}x")
    print(f"HTTP latency at {args.connections} connections: p50 {quantile(lat, 0.5) * 1000:.1f} ms, "
          f"p99 {quantile(lat, 0.99) * 1000:.1f} ms, max {max(lat) * 1000:.1f} ms")
    print(f"agreement with the baseline verdicts: engine {agree_engine}/{n}, http {agree_http}/{n}")
    if args.judge:
        t_judge, judged, requests, per_request = asyncio.run(judge_run(warm, items, args.judge_delay_ms / 1000))
        print(f"judge fallback (in-test judge, {args.judge_delay_ms:g} ms per answer): "
              f"engine {n / t_judge:.1f} items/s; {judged}/{n} samples decided by the judge in {requests} "
              f"requests ({per_request * 1000:.1f} ms each, slot wait and retries included); "
              f"+{(t_judge - t_eng) * 1000 / max(judged, 1):.2f} ms wall time per judged sample")


if __name__ == "__main__":
    main()
