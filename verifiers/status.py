"""The live status of the service: what `GET /stats` returns and the status page draws.

`StatusMonitor` runs beside the engine in the serving process. Every `health.interval_s` it samples
each domain's admission and pool state into the domain's timeline, re-judges the reward-health
warnings (logging those that start or clear) and refreshes the Prometheus gauges derived from them.
The verdicts themselves are counted by the engine as they happen (`verifiers.stats`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from verifiers import __version__
from verifiers.engine import Engine
from verifiers.health import Warnings, assess
from verifiers.stats import STATUSES, Window, reward_summary
from verifiers.verifier import Readiness

log = logging.getLogger(__name__)


class StatusMonitor:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.warnings = Warnings(engine.metrics)
        self._started = time.time()
        self._restarts: dict[str, int] = {}
        self._windows: dict[str, Window] = {}
        self._readiness: dict[str, Readiness] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="status-monitor")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                self.tick()
            except Exception:  # the monitor must outlive a bug in one tick (it is logged)
                log.exception("status monitor tick failed")
            await asyncio.sleep(self.engine.settings.health.interval_s)

    def tick(self) -> None:
        """Sample the gauges, judge the warnings, refresh what Prometheus reads."""
        engine, metrics, health = self.engine, self.engine.metrics, self.engine.settings.health
        now = time.perf_counter()
        for name, load in engine.load().items():
            gauges: dict[str, float] = {"admitted": load.admitted, "waiting": load.waiting, "queued": load.queued}
            for state in ("admitted", "waiting", "capacity"):
                metrics.admission.labels(name, state).set(getattr(load, state))
            if load.workers_alive is not None and load.workers is not None and load.restarts is not None:
                fresh = load.restarts - self._restarts.get(name, load.restarts)
                self._restarts[name] = load.restarts
                gauges.update(workers_alive=load.workers_alive, workers=load.workers, restarts=fresh)
                metrics.domain_workers.labels(name, "alive").set(load.workers_alive)
                metrics.domain_workers.labels(name, "configured").set(load.workers)
                if fresh > 0:
                    metrics.domain_restarts.labels(name).inc(fresh)
            engine.stats.domain(name).sample(now, **gauges)
        self._readiness = engine.readiness()
        self._windows = {}
        current = []
        for name in sorted({*self._readiness, *engine.stats.domains}):
            window = self._windows[name] = engine.stats.domain(name).window(now, health.max_age_s)
            current += assess(name, window, self._readiness.get(name), health)
            if window.rewards:
                for stat, value in reward_summary(window.rewards).items():
                    metrics.recent_reward.labels(name, stat).set(value)
        self.warnings.update(current)

    def snapshot(self) -> dict[str, Any]:
        """`GET /stats`: judged now, so a poll never shows a warning later than the samples behind it."""
        self.tick()
        engine, now = self.engine, time.perf_counter()
        domains = {}
        for name, window in self._windows.items():
            ready = self._readiness.get(name)
            ds = engine.stats.domain(name)
            domains[name] = {
                "ready": ready.ready if ready is not None else None,
                "readiness": ready.detail if ready is not None else {},
                "totals": {s.value: n for s, n in zip(STATUSES, ds.totals, strict=True)},
                "window": window.to_json(),
                "series": ds.series(now) if ds.active_since(now) else None,
            }
        s = engine.settings
        return {
            "version": __version__,
            "uptime_s": round(time.time() - self._started, 1),
            "poll_s": s.stats.poll_s,
            "bucket_s": s.stats.bucket_s,
            "health": {"window": s.health.window, "max_age_s": s.health.max_age_s},
            "ready": bool(self._readiness) and all(r.ready for r in self._readiness.values()),
            "warnings": self.warnings.to_json(),
            "t": engine.stats.bucket_starts(now),
            "domains": domains,
        }
