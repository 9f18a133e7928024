"""Prometheus metrics, one registry per service instance (so tests can run several apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "verifiers_requests", "HTTP requests by endpoint and status code", ["endpoint", "code"], registry=r
        )
        self.request_latency = Histogram(
            "verifiers_request_latency_seconds",
            "HTTP request latency",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.item_latency = Histogram(
            "verifiers_item_latency_seconds",
            "Per-item latency from arrival to verdict",
            ["domain"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.queue_wait = Histogram(
            "verifiers_queue_wait_seconds",
            "Per-item wait from arrival (admission included) until its batch started",
            ["domain"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.execution = Histogram(
            "verifiers_batch_execution_seconds",
            "Time a batch spent in its verifier (queue time excluded)",
            ["domain"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.rejected = Counter(
            "verifiers_rejected",
            "Items refused by admission control (429 on /score, infra_error on /get_reward after waiting)",
            ["domain"],
            registry=r,
        )
        self.verdicts = Counter("verifiers_verdicts", "Verdicts by domain and status", ["domain", "status"], registry=r)
        self.timeouts = Counter("verifiers_timeouts", "Items that hit a hard deadline", ["domain"], registry=r)
        self.infra_errors = Counter(
            "verifiers_infra_errors", "Items masked because of an infrastructure failure", ["domain"], registry=r
        )
        self.queue_depth = Gauge("verifiers_queue_depth", "Items waiting to join a batch", ["domain"], registry=r)
        self.in_flight = Gauge("verifiers_in_flight", "Items inside a running batch", ["domain"], registry=r)
        self.cache = Counter("verifiers_cache", "Cache lookups by cache and result", ["cache", "result"], registry=r)
        self.judge_latency = Histogram(
            "verifiers_judge_latency_seconds",
            "Time from asking an LLM judge to its score or failure (slot wait "
            "and retries included; cache hits excluded)",
            ["domain"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.judge_outcomes = Counter(
            "verifiers_judge_outcomes",
            "Samples a judge was asked about, by outcome: flipped (math: the judge "
            "overturned the symbolic verdict), upheld, scored (swe), failed (its fallback applied)",
            ["domain", "outcome"],
            registry=r,
        )
        self.worker_restarts = Counter(
            "verifiers_worker_restarts", "Worker processes killed or replaced", ["pool", "reason"], registry=r
        )
        self.pool_workers = Gauge("verifiers_pool_workers", "Workers by pool and state", ["pool", "state"], registry=r)
        # Sampled once a second by the status monitor (verifiers/status.py), for every pool kind.
        self.admission = Gauge(
            "verifiers_admission",
            "Items a domain holds (admitted), items waiting for room (waiting), and its "
            "bound (capacity: engine.max_items_per_domain)",
            ["domain", "state"],
            registry=r,
        )
        self.domain_workers = Gauge(
            "verifiers_domain_workers",
            "A domain's workers or sandbox runners: alive and configured",
            ["domain", "state"],
            registry=r,
        )
        self.domain_restarts = Counter(
            "verifiers_domain_restarts",
            "A domain's workers or sandbox runners replaced (died, timed out, recycled)",
            ["domain"],
            registry=r,
        )
        self.recent_reward = Gauge(
            "verifiers_recent_reward",
            "Reward over a domain's recent unmasked samples (health.window): mean, std, min, max",
            ["domain", "stat"],
            registry=r,
        )
        self.warning = Gauge(
            "verifiers_warning",
            "1 while a reward-health warning is active (docs/status.md), 0 once it cleared",
            ["domain", "kind"],
            registry=r,
        )
