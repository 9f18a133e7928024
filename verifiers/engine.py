"""The engine: owns the verifiers, routes samples to them and reports.

Transport-free: the HTTP server, the `score` CLI and tests all drive the same `Engine`. It
guarantees the properties trainers rely on: one verdict per sample in order, nothing raised past
it, a backstop deadline, and every failure of ours surfacing as a masked `infra_error`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from verifiers.admission import Admission
from verifiers.batching import MicroBatcher
from verifiers.errors import DomainUnavailable, LabelError, Overloaded, UnknownDomain, failure_verdict
from verifiers.labels import RoutedLabel, route_label
from verifiers.metrics import Metrics
from verifiers.registry import DOMAINS, load_verifier_class
from verifiers.sample import Sample
from verifiers.settings import Settings
from verifiers.stats import Stats
from verifiers.verdict import Status, Verdict
from verifiers.verifier import PooledVerifier, Readiness, Verifier, VerifierContext

log = logging.getLogger(__name__)


def _freeze_start_up_heap() -> None:
    """After an engine has started, its domains have imported everything they will (torch and
    transformers are ~10^6 objects) and loaded their models: take that heap out of the cyclic
    collector, or every full collection walks it and stalls the event loop ~200 ms (seen as 250 ms
    rounds in benchmarks/rm). Garbage is collected first, so only what is alive now is exempted;
    what is allocated later is collected as usual. At every start: a second engine in the same
    process (tests, benchmarks/rm) brings a model of its own."""
    gc.collect()
    gc.freeze()


@dataclass(frozen=True, slots=True)
class DomainLoad:
    """A served domain's admission and pool state at one moment (the status page samples it)."""

    admitted: int
    waiting: int
    capacity: int
    queued: int  # admitted, waiting to join a batch
    workers_alive: int | None = None  # None: the domain runs no pool (rm, if_rm)
    workers: int | None = None
    restarts: int | None = None  # replaced since start


@dataclass(slots=True)
class _Queued:
    sample: Sample[Any]
    arrived: float


class Engine:
    def __init__(self, settings: Settings | None = None, metrics: Metrics | None = None) -> None:
        self.settings = settings or Settings()
        self.metrics = metrics or Metrics()
        self.stats = Stats(self.settings.stats, self.settings.health)
        self._verifiers: dict[str, Verifier[Any]] = {}
        self._unavailable: dict[str, str] = {}
        self._batchers: dict[str, MicroBatcher[_Queued, Verdict]] = {}
        self._admission: dict[str, Admission] = {}
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        names = self.settings.domains if self.settings.domains is not None else list(DOMAINS)
        ctx = VerifierContext(settings=self.settings, metrics=self.metrics, peer=self.verifier)
        for name in names:
            try:
                cls = load_verifier_class(name)
            except DomainUnavailable as exc:
                log.warning("%s", exc)
                self._unavailable[name] = str(exc)
                continue
            try:
                self._verifiers[name] = cls(ctx)
            except Exception as exc:  # noqa: BLE001 - one domain must not stop the others; logged there
                await self._fail_domain(name, None, exc)
        for name, verifier in list(self._verifiers.items()):
            try:
                await verifier.start()
            except Exception as exc:  # noqa: BLE001 - one domain must not stop the others; logged there
                await self._fail_domain(name, verifier, exc)
                continue
            policy = verifier.batch_policy()
            eng = self.settings.engine
            self._admission[name] = Admission(eng.max_items_per_domain)
            self._batchers[name] = MicroBatcher(
                self._batch_runner(name, verifier),
                max_batch_size=policy.max_batch_size if policy else eng.max_batch_size,
                max_wait_s=policy.max_wait_s if policy else eng.max_wait_ms / 1000,
            )
        self._started = True
        _freeze_start_up_heap()
        log.info("engine started: domains=%s unavailable=%s", sorted(self._verifiers), sorted(self._unavailable))

    async def _fail_domain(self, name: str, verifier: Verifier[Any] | None, exc: Exception) -> None:
        """One domain failing to start must not take the others down: it is served as not ready
        (its items are `infra_error`) and whatever it had acquired is released."""
        log.error("domain %s failed to start: %s: %s", name, type(exc).__name__, exc)
        self._verifiers.pop(name, None)
        self._unavailable[name] = f"failed to start: {type(exc).__name__}: {exc}"
        if verifier is not None:
            try:
                await verifier.close()
            except Exception:
                log.exception("closing verifier %s after its failed start failed", name)

    async def close(self) -> None:
        """Finish what is in flight, then release every verifier's resources."""
        await asyncio.gather(*(b.drain() for b in self._batchers.values()), return_exceptions=True)
        for name, verifier in self._verifiers.items():
            try:
                await verifier.close()
            except Exception:
                log.exception("closing verifier %s failed", name)
        self._started = False

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- introspection -----------------------------------------------------------------------

    @property
    def domains(self) -> list[str]:
        """Every domain a label may name: served ones and those missing a dependency."""
        return sorted({*self._verifiers, *self._unavailable})

    def verifier(self, domain: str) -> Verifier[Any]:
        try:
            return self._verifiers[domain]
        except KeyError:
            raise UnknownDomain(domain, list(self._verifiers)) from None

    def readiness(self) -> dict[str, Readiness]:
        out = {}
        for name, verifier in self._verifiers.items():
            try:
                state = verifier.readiness()
            except Exception as exc:  # a broken probe means not ready, never a 500
                log.exception("%s: readiness probe failed", name)
                state = Readiness(False, {"error": f"readiness probe failed: {exc!r}"})
            gate = self._admission.get(name)
            if gate is not None:
                state = Readiness(
                    state.ready,
                    {**state.detail, "admitted": gate.admitted, "waiting": gate.waiting, "capacity": gate.capacity},
                )
            out[name] = state
        for name, why in self._unavailable.items():
            out[name] = Readiness(False, {"unavailable": why})
        return out

    def load(self) -> dict[str, DomainLoad]:
        """Per served domain: admission, batch queue and pool state now."""
        out = {}
        for name, gate in self._admission.items():
            verifier = self._verifiers[name]
            pool = verifier.pool if isinstance(verifier, PooledVerifier) else None
            out[name] = DomainLoad(
                gate.admitted,
                gate.waiting,
                gate.capacity,
                self._batchers[name].depth,
                *((pool.alive, pool.size, pool.replaced) if pool is not None else ()),
            )
        return out

    # -- scoring -----------------------------------------------------------------------------

    def parse_label(self, domain: str, raw: Any) -> BaseModel:
        """`raw` for `domain` under the label rule (`verifiers.labels`), validated against the
        domain's schema; raises UnknownDomain or LabelError."""
        return self._validate(domain, self._route(domain, raw).payload)

    def sample(
        self, domain: str, response: str, label: Any, *, prompt: str | None = None, group_id: str | None = None
    ) -> Sample[Any]:
        """A native item (`/score`, `verifiers score`) as a validated sample; a `group_id` in the label
        serves when the item names none. Raises UnknownDomain or LabelError."""
        routed = self._route(domain, label)
        return Sample(domain, response, self._validate(domain, routed.payload), prompt, group_id or routed.group_id)

    def _route(self, domain: str, raw: Any) -> RoutedLabel:
        if domain not in self._verifiers and domain not in self._unavailable:
            raise UnknownDomain(domain, self.domains)
        routed = route_label(raw, domain)
        if routed.domain != domain:
            raise LabelError.single(domain, f"names domain {routed.domain!r}, not {domain!r}", ("domain",))
        return routed

    def _validate(self, domain: str, payload: Any) -> BaseModel:
        verifier = self._verifiers.get(domain)
        if verifier is None:  # unavailable: its items become infra_error, whatever the label
            return _RawLabel(value=payload)
        try:
            return verifier.label_model.model_validate(payload)
        except ValidationError as exc:
            raise LabelError(
                domain, [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
            ) from None

    async def score(self, samples: Sequence[Sample[Any]], *, wait: bool = True) -> list[Verdict]:
        """One verdict per sample, in order; never raises for a sample's sake.

        `wait=True`: a sample that finds its domain at capacity waits for room up to
        `engine.admission_wait_s`, then is `infra_error`. `wait=False`: the whole call is refused
        with `Overloaded` unless every sample fits now (the caller can retry; nothing ran).
        """
        if not self._started:
            raise RuntimeError("Engine.start() has not been awaited")
        if wait:
            return list(await asyncio.gather(*(self._score_one(s, admitted=False) for s in samples)))
        self._admit_all_or_none(samples)
        return list(await asyncio.gather(*(self._score_one(s, admitted=True) for s in samples)))

    def _admit_all_or_none(self, samples: Sequence[Sample[Any]]) -> None:
        counts: dict[str, int] = {}
        for s in samples:
            if s.domain in self._admission:
                counts[s.domain] = counts.get(s.domain, 0) + 1
        done: list[tuple[str, int]] = []
        for domain, n in counts.items():
            gate = self._admission[domain]
            if not gate.try_admit(n):
                for d, m in done:
                    self._admission[d].release(m)
                self.metrics.rejected.labels(domain).inc(n)
                raise Overloaded(domain, gate.admitted, gate.capacity, self.settings.engine.retry_after_s)
            done.append((domain, n))

    async def _score_one(self, sample: Sample[Any], admitted: bool) -> Verdict:
        arrived = time.perf_counter()
        batcher = self._batchers.get(sample.domain)
        if batcher is None:
            why = self._unavailable.get(sample.domain) or f"domain {sample.domain!r} is not served"
            verdict = Verdict.failed(Status.INFRA_ERROR, why)
        else:
            gate = self._admission[sample.domain]
            wait_s = self.settings.engine.admission_wait_s
            if admitted or await gate.admit(1, wait_s):
                try:
                    verdict = await batcher.submit(_Queued(sample, arrived))
                except Exception as exc:  # noqa: BLE001 - failure_verdict logs what is not an infrastructure failure
                    verdict = failure_verdict(exc, f"{sample.domain} verifier")
                finally:
                    gate.release(1)
            else:
                self.metrics.rejected.labels(sample.domain).inc()
                verdict = Verdict.failed(
                    Status.INFRA_ERROR,
                    f"not admitted within {wait_s:g} s: domain {sample.domain!r} holds its maximum of "
                    f"{gate.capacity} items",
                )
        done = time.perf_counter()
        self._record(sample.domain, verdict, done - arrived, done)
        return verdict

    def _record(self, domain: str, verdict: Verdict, elapsed: float, now: float) -> None:
        self.stats.domain(domain).record(verdict, elapsed, now)
        m = self.metrics
        m.item_latency.labels(domain).observe(elapsed)
        m.verdicts.labels(domain, verdict.status.value).inc()
        if verdict.status is Status.TIMEOUT:
            m.timeouts.labels(domain).inc()
        elif verdict.status is Status.INFRA_ERROR:
            m.infra_errors.labels(domain).inc()

    def _batch_runner(
        self, domain: str, verifier: Verifier[Any]
    ) -> Callable[[list[_Queued]], Awaitable[list[Verdict]]]:
        deadline = self.settings.engine.item_deadline_s
        depth = self.metrics.queue_depth.labels(domain)
        in_flight = self.metrics.in_flight.labels(domain)
        queue_wait = self.metrics.queue_wait.labels(domain)
        execution = self.metrics.execution.labels(domain)
        stats = self.stats.domain(domain)

        async def run(batch: list[_Queued]) -> list[Verdict]:
            now = time.perf_counter()
            waited = 0.0
            for q in batch:
                queue_wait.observe(now - q.arrived)
                waited += now - q.arrived
            stats.record_queue(waited, len(batch), now)
            depth.set(self._batchers[domain].depth)
            in_flight.inc(len(batch))
            try:
                return await asyncio.wait_for(verifier.verify_batch([q.sample for q in batch]), deadline)
            except TimeoutError:
                log.error("verifier %s exceeded the %.0f s backstop on a batch of %d", domain, deadline, len(batch))
                return [Verdict.failed(Status.INFRA_ERROR, f"no verdict within the {deadline:g} s backstop")] * len(
                    batch
                )
            finally:
                done = time.perf_counter()
                execution.observe(done - now)
                stats.record_run(done - now, len(batch), done)
                in_flight.dec(len(batch))

        return run


class _RawLabel(BaseModel):
    """Placeholder label for a domain that is registered but cannot load."""

    value: Any = None
