"""One OpenRLHF step replayed against the service: single server vs a 2-node local Ray cluster.

At the end of a rollout OpenRLHF asks for `rollout.batch_size x n_samples_per_prompt` rewards,
one `/get_reward` request per sample, each sent when its sample finishes generating. This replays
such a step with mixed domains (math prompts with GRPO-shaped answer groups, code prompts whose
samples run stdin/stdout tests in the sandbox), every request on its own connection. With the
default `--spread-s 0` all requests arrive at once: 256 x 16 = 4096 concurrent requests.

Checked for each deployment: every request answered 2xx, every sample got exactly one reward and no
`infra_error`, code rewards equal to the known truth. Reported: wall time, p50/p99/max latency
(from each request's arrival), and the Ray/single ratios. Both runs share this machine's cores
and the same total worker count (single: W math workers + W runners; Ray: W/2 of each per node).

With `--page browser` the status page is open in headless Chromium and polling /stats for the
whole run (`--page poll` polls /stats from a thread instead, leaving the browser's own CPU out);
`--repeat N` runs the single server N times, to see the run-to-run noise the page must stay within.

Run: `PYTHONPATH=. python -m benchmarks.openrlhf_step [--batch-size 256 --n-samples 16]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.code import SOLUTIONS  # noqa: E402
from benchmarks.loadgen import LoadResult, post_arrivals  # noqa: E402
from benchmarks.math import make_items, quantile  # noqa: E402
from tests.conftest import local_ray_cluster, running_server, wait_until_ready  # noqa: E402

_WRONG = "print(0)"
_PROMPT = "<|im_start|>user\nCode problem {p}: read stdin, print the answer.<|im_end|>\n<|im_start|>assistant\n"


@dataclass
class Step:
    bodies: list[bytes]
    domains: list[str]
    expected: list[float | None]  # known reward (code), None where the server is the judge (math)


def make_step(batch_size: int, n_samples: int, code_share: float, chars: int, seed: int = 0) -> Step:
    """`batch_size` prompts (a `code_share` of them code) x `n_samples` samples, shuffled, as the
    order in which samples finish is unrelated to their prompt."""
    rng = random.Random(seed)
    code_prompts = round(batch_size * code_share)
    rows: list[tuple[bytes, str, float | None]] = []
    for prompt, response, gold in make_items(batch_size - code_prompts, chars, seed, group=n_samples):
        body = {"query": [prompt + response + "<|im_end|>"], "prompts": [prompt], "labels": [gold]}
        rows.append((orjson.dumps(body), "math", None))
    for p in range(code_prompts):
        program, make_test = SOLUTIONS[p % len(SOLUTIONS)]
        tests = [make_test(p * 3 + t) for t in range(3)]
        label = json.dumps({"domain": "code", "tests": {"inputs": [i for i, _ in tests], "outputs": [o for _, o in tests]}})
        prompt = _PROMPT.format(p=p)
        for _ in range(n_samples):
            right = rng.random() < 0.6
            response = f"<think>Let me write it.</think>\n```python\n{program if right else _WRONG}\n```"
            body = {"query": [prompt + response + "<|im_end|>"], "prompts": [prompt], "labels": [label]}
            rows.append((orjson.dumps(body), "code", 1.0 if right else 0.0))
    rng.shuffle(rows)
    return Step([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


@dataclass
class Report:
    name: str
    result: LoadResult
    non_2xx: int
    unanswered: int
    wrong_code: int
    statuses: Counter[str]
    api_cpu_s: float = 0.0  # CPU the API process itself spent on the step (contention moves it far less than wall)

    def line(self) -> str:
        ok = [lat for lat, s in zip(self.result.latencies_s, self.result.statuses) if 200 <= s < 300]
        p50, p99 = (quantile(ok, 0.5), quantile(ok, 0.99)) if ok else (float("nan"), float("nan"))
        return (f"{self.name:24s} {len(self.result.statuses):6d} {self.result.elapsed_s:8.1f} {p50 * 1000:9.0f} "
                f"{p99 * 1000:9.0f} {max(ok, default=0) * 1000:9.0f} {self.non_2xx:6d} {self.unanswered:6d} "
                f"{self.wrong_code:6d} {self.api_cpu_s:8.2f}  {dict(self.statuses)}")


def check(name: str, step: Step, result: LoadResult) -> Report:
    non_2xx = sum(not 200 <= s < 300 for s in result.statuses)
    unanswered = wrong = 0
    statuses: Counter[str] = Counter()
    for body, status, expected in zip(result.bodies, result.statuses, step.expected):
        if not 200 <= status < 300:
            continue
        reply = orjson.loads(body)
        if len(reply["rewards"]) != 1:
            unanswered += 1
            continue
        flags = [k.removeprefix("verifier_") for k, v in reply["extra_logs"].items()
                 if k.startswith("verifier_") and v[0] == 1.0]
        statuses.update(flags)
        if expected is not None and reply["rewards"][0] != expected:
            wrong += 1
    return Report(name, result, non_2xx, unanswered, wrong, statuses)


def run(name: str, url: str, step: Step, offsets: list[float]) -> Report:
    wait_until_ready(url, 300)
    warm = make_step(8, 4, 0.5, 500, seed=99)  # first-use costs (imports, caches) are not the step's
    asyncio.run(post_arrivals(f"{url}/get_reward", warm.bodies, [0.0] * len(warm.bodies)))
    port = url.rsplit(":", 1)[1]
    api = next(p for p in psutil.Process().children(recursive=True) if "serve" in p.cmdline() and port in p.cmdline())
    before = sum(api.cpu_times()[:2])
    report = check(name, step, asyncio.run(post_arrivals(f"{url}/get_reward", step.bodies, offsets)))
    report.api_cpu_s = sum(api.cpu_times()[:2]) - before
    return report


@contextlib.contextmanager
def page_open(url: str, mode: str, poll_s: float) -> Iterator[None]:
    """The status page's load on the server while the block runs: none, a /stats poller, or the page."""
    if mode == "browser":
        from tests.browser import chromium

        with chromium() as page:
            page.navigate(f"{url}/")
            page.wait_for("document.body.dataset.polls >= 1", 30)
            yield
            polls = page.evaluate("Number(document.body.dataset.polls)")
        print(f"  the page polled /stats {polls} times")
        return
    if mode == "none":
        yield
        return
    stop = threading.Event()
    polls = [0]

    def poll() -> None:
        while not stop.wait(poll_s):
            httpx.get(f"{url}/stats", timeout=60).raise_for_status()
            polls[0] += 1

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
    print(f"  /stats polled {polls[0]} times")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch-size", type=int, default=256, help="rollout.batch_size (prompts)")
    ap.add_argument("--n-samples", type=int, default=16, help="n_samples_per_prompt")
    ap.add_argument("--code-share", type=float, default=0.25, help="share of prompts that are code")
    ap.add_argument("--chars", type=int, default=4000, help="length of a math chain of thought")
    ap.add_argument("--spread-s", type=float, default=0.0, help="arrivals spread uniformly over this many seconds")
    ap.add_argument("--workers", type=int, default=2, help="math workers and sandbox runners in total")
    ap.add_argument("--skip-ray", action="store_true")
    ap.add_argument("--page", choices=["none", "poll", "browser"], default="none",
                    help="status page open during the single-server runs (browser), /stats polled (poll), or not")
    ap.add_argument("--page-poll-s", type=float, default=2.0, help="the page's polling interval (stats.poll_s)")
    ap.add_argument("--repeat", type=int, default=1, help="single-server runs, each on a fresh server")
    args = ap.parse_args()

    step = make_step(args.batch_size, args.n_samples, args.code_share, args.chars)
    rng = random.Random(1)
    offsets = sorted(rng.uniform(0, args.spread_s) for _ in step.bodies)
    mix = Counter(step.domains)
    print(f"step: {args.batch_size} prompts x {args.n_samples} samples = {len(step.bodies)} single-sample "
          f"/get_reward requests ({dict(mix)}), arrivals over {args.spread_s:g} s")

    base_uid = {"VERIFIERS_CODE__BASE_UID": "64000"}
    single_env = {**base_uid, "VERIFIERS_MATH__WORKERS": str(args.workers),
                  "VERIFIERS_CODE__RUNNERS": str(args.workers), "VERIFIERS_STATS__POLL_S": str(args.page_poll_s)}
    reports = []
    for i in range(args.repeat):
        with running_server(env=single_env, timeout_s=120) as url, page_open(url, args.page, args.page_poll_s):
            reports.append(run(f"single, page {args.page}" + (f" #{i + 1}" if args.repeat > 1 else ""), url, step,
                               offsets))
    if not args.skip_ray:
        per_node = str(max(1, args.workers // 2))
        ray_env = {**base_uid, "VERIFIERS_MATH__WORKERS": per_node, "VERIFIERS_CODE__RUNNERS": per_node}
        with local_ray_cluster(nodes=2) as address, running_server(env=ray_env, args=["--ray", address],
                                                                   timeout_s=180) as url:
            reports.append(run("ray, 2 nodes", url, step, offsets))

    print(f"{'deployment':24s} {'reqs':>6s} {'wall s':>8s} {'p50 ms':>9s} {'p99 ms':>9s} {'max ms':>9s} "
          f"{'non2xx':>6s} {'unans':>6s} {'wrong':>6s} {'api cpu s':>8s}  verdicts")
    for r in reports:
        print(r.line())
    if not args.skip_ray and len(reports) == args.repeat + 1:
        a, b = (sorted(lat for lat, s in zip(r.result.latencies_s, r.result.statuses) if 200 <= s < 300)
                for r in (reports[0], reports[-1]))
        if a and b:
            print(f"ray / single: wall {reports[-1].result.elapsed_s / reports[0].result.elapsed_s:.2f}x, "
                  f"p50 {quantile(b, 0.5) / quantile(a, 0.5):.2f}x, p99 {quantile(b, 0.99) / quantile(a, 0.99):.2f}x")
    failed = [r.name for r in reports if r.non_2xx or r.unanswered or r.wrong_code or r.statuses.get("infra_error")]
    if failed:
        sys.exit(f"FAILED: {failed}")


if __name__ == "__main__":
    main()
