"""What the status page's statistics and the offline report cost.

1. Recording, per verdict, in one process: `DomainStats.record` (what the engine adds per item for
   the page and the warnings) against the Prometheus recording the engine already did per item
   (`item_latency.observe` + `verdicts.inc`), and the memory it allocates per item once its rings
   are full (tracemalloc).
2. A poll of the status page: `/stats`'s body (the monitor's judgement plus every domain's timeline,
   as JSON) for three domains whose whole history is full, and the once-a-second tick alone.
3. The report for a 10,000-item mixed file (tests/test_report.py's generator: math, code and
   ifeval): scored once through the engine as `verifiers score` does, then `Report.add` for every
   item and `Report.write`, timed apart from the scoring.

Run: `PYTHONPATH=. python -m benchmarks.status [--items 10000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_report import mixed_rows  # noqa: E402
from verifiers.cli import _sample, _timed  # noqa: E402
from verifiers.engine import Engine  # noqa: E402
from verifiers.metrics import Metrics  # noqa: E402
from verifiers.report import Report  # noqa: E402
from verifiers.settings import HealthSettings, Settings, StatsSettings  # noqa: E402
from verifiers.stats import DomainStats  # noqa: E402
from verifiers.status import StatusMonitor  # noqa: E402
from verifiers.verdict import Status, Verdict  # noqa: E402

_MIX = [Verdict.binary(True), Verdict.binary(False), Verdict.binary(False),
        Verdict.failed(Status.FORMAT_ERROR, "no answer could be extracted")]


def recording(n: int) -> None:
    verdicts = [_MIX[i % len(_MIX)] for i in range(n)]
    times = [1000.0 + i / 3000 for i in range(n)]  # 3000 items/s: buckets turn over as in service
    stats = DomainStats("math", StatsSettings(), HealthSettings().window)
    metrics = Metrics()
    for v, t in zip(verdicts, times):  # warm-up: every ring full, every bucket touched once
        stats.record(v, 0.003, t)

    def ours() -> float:
        started = time.perf_counter()
        for v, t in zip(verdicts, times):
            stats.record(v, 0.003, t + 1000)
        return time.perf_counter() - started

    def prometheus() -> float:
        started = time.perf_counter()
        for v in verdicts:
            metrics.item_latency.labels("math").observe(0.003)
            metrics.verdicts.labels("math", v.status.value).inc()
        return time.perf_counter() - started

    best_ours = min(ours() for _ in range(5))
    best_prom = min(prometheus() for _ in range(5))
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for v, t in zip(verdicts, times):
        stats.record(v, 0.003, t + 2000)
    grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(before, "filename")
                if s.traceback[0].filename.endswith("stats.py"))
    tracemalloc.stop()
    print(f"recording {n} verdicts (best of 5): stats {best_ours / n * 1e9:.0f} ns/item; the engine's Prometheus "
          f"recording {best_prom / n * 1e9:.0f} ns/item; stats memory grown over {n} more items: {grown} bytes")


def polling(domains: int = 3, rounds: int = 30) -> None:
    engine = Engine(Settings(domains=[]))
    monitor = StatusMonitor(engine)
    now = time.perf_counter()
    history = StatsSettings().history_s
    for d in range(domains):
        stats = engine.stats.domain(f"domain{d}")
        for i in range(int(history * 100)):  # 100 verdicts a second over the whole history
            stats.record(_MIX[i % len(_MIX)], 0.01, now - history + i / 100)
    logging.disable(logging.WARNING)  # the warnings this mix raises are logged once; not the measure
    polls, ticks = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        orjson.dumps(monitor.snapshot())
        polls.append(time.perf_counter() - started)
        started = time.perf_counter()
        monitor.tick()
        ticks.append(time.perf_counter() - started)
    logging.disable(logging.NOTSET)
    print(f"/stats for {domains} domains with full history: median {statistics.median(polls) * 1000:.1f} ms "
          f"(min {min(polls) * 1000:.1f}); the once-a-second tick alone: "
          f"median {statistics.median(ticks) * 1000:.2f} ms")


async def report(items: int) -> None:
    lines = mixed_rows(items)
    settings = Settings(domains=["math", "code", "ifeval"], code={"base_uid": 64100})
    src = Path("items.jsonl")
    async with Engine(settings) as engine:
        samples = [_sample(engine, src, n, line) for n, line in enumerate(lines, 1)]
        started = time.perf_counter()
        scored = []
        for start in range(0, len(samples), 512):  # as `verifiers score --chunk 512`
            scored += await asyncio.gather(*(_timed(engine, s) for s in samples[start : start + 512]))
        scoring = time.perf_counter() - started
    built = Report(src, settings.health)
    started = time.perf_counter()
    for n, (sample, (verdict, elapsed)) in enumerate(zip(samples, scored, strict=True), 1):
        built.add(n, sample.domain, verdict, elapsed, sample.response)
    adding = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.html"
        started = time.perf_counter()
        built.write(path, scoring)
        writing = time.perf_counter() - started
        size = path.stat().st_size
    print(f"report for {items} items: scoring {scoring:.2f} s; beyond it: Report.add {adding * 1000:.0f} ms + "
          f"write {writing * 1000:.0f} ms = {(adding + writing) * 1000:.0f} ms ({size / 1024:.0f} KiB of HTML)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=10_000, help="items in the report's file")
    ap.add_argument("--record", type=int, default=200_000, help="verdicts in the recording measurement")
    args = ap.parse_args()
    recording(args.record)
    polling()
    asyncio.run(report(args.items))


if __name__ == "__main__":
    main()
