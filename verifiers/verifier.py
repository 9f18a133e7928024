"""The interface every domain implements.

A verifier is a plain object that knows nothing of HTTP: it receives a batch of validated samples
and returns one verdict per sample, in order. The engine decides *when* a batch runs (micro-
batching across concurrent requests); the verifier decides *how* (dedup, caches, pools). Anything a
verifier raises becomes `infra_error` for that batch, so a bug is masked, never scored as wrong.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Generic

from pydantic import BaseModel

from verifiers.errors import failure_verdict
from verifiers.judge import Judge, JudgedSettings, JudgeFailure, JudgePrompt
from verifiers.pools import PoolFactory, PoolT, build_pool
from verifiers.sample import LabelT, Sample
from verifiers.verdict import Verdict

if TYPE_CHECKING:
    from verifiers.judge import Judge
    from verifiers.metrics import Metrics
    from verifiers.settings import Settings


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    """How the engine coalesces items for this verifier (defaults come from `EngineSettings`)."""

    max_batch_size: int
    max_wait_s: float


@dataclass(frozen=True, slots=True)
class VerifierContext:
    """What a verifier may use from its surroundings.

    `peer` returns another started verifier by domain, for composite rewards (IF + RM).
    """

    settings: Settings
    metrics: Metrics
    peer: Callable[[str], Verifier[Any]]


class Verifier(Generic[LabelT]):
    domain: ClassVar[str]
    label_model: ClassVar[type[BaseModel]]
    settings: Any  # the field of `Settings` named after the domain; a subclass declares its type

    def __init__(self, ctx: VerifierContext) -> None:
        self.ctx = ctx
        self.settings = getattr(ctx.settings, self.domain)

    async def start(self) -> None:
        """Acquire pools, models, connections. Called once before the first batch."""

    async def close(self) -> None:
        """Release everything `start` acquired; must leave no process or container behind."""

    def readiness(self) -> Readiness:
        return Readiness(True)

    def batch_policy(self) -> BatchPolicy | None:
        """Override to batch differently from the engine default (e.g. an RM's padding budget)."""
        return None

    async def verify_batch(self, samples: Sequence[Sample[LabelT]]) -> list[Verdict]:
        """One verdict per sample, same order. Must respect its own deadlines and never hang.

        By default every sample's `verify`, run concurrently. Override it to work on the batch as a
        whole: math shares checks between samples, rm scores the batch in one model pass."""
        return list(await asyncio.gather(*(self.verify(s) for s in samples)))

    async def verify(self, sample: Sample[LabelT]) -> Verdict:
        """One sample's verdict, for the default `verify_batch`."""
        raise NotImplementedError(f"{type(self).__name__} overrides neither verify nor verify_batch")


class PooledVerifier(Verifier[LabelT], Generic[LabelT, PoolT]):
    """A verifier whose heavy work runs in one pool (killable worker processes or sandbox runners,
    on this machine or in Ray actors): it names the pool's factory, and builds, starts, stops and
    reports readiness with that pool. The factory gets the domain's settings section."""

    pool_factory: ClassVar[PoolFactory[Any]]

    def __init__(self, ctx: VerifierContext) -> None:
        super().__init__(ctx)
        self.pool: PoolT = build_pool(self.domain, self.pool_factory, self.settings, ctx)

    async def start(self) -> None:
        await self.pool.start()

    async def close(self) -> None:
        await self.pool.close()

    def readiness(self) -> Readiness:
        alive = self.pool.alive
        return Readiness(alive > 0, {"workers_alive": alive, "workers": self.pool.size})


class JudgedVerifier(PooledVerifier[LabelT, PoolT]):
    """A pooled verifier that may also ask an LLM judge (math, swe). Its settings section has `judge`
    (a `JudgeSettings`) and `fallback`; it names its prompt in `judge_prompt`. The base class makes
    the judge's client in `start` when `<domain>.judge.url` is set, starts and stops it with the
    pool, and its readiness names the judge and what happens when the judge fails."""

    settings: JudgedSettings
    judge_prompt: ClassVar[JudgePrompt]
    judge: Judge | None = None  # made by `start` when the domain's judge.url is set

    async def start(self) -> None:
        await super().start()
        if self.settings.judge.url:
            self.judge = Judge(self.settings.judge, self.judge_prompt, self.domain, self.ctx.metrics)
            await self.judge.start()

    async def close(self) -> None:
        await super().close()
        if self.judge is not None:
            await self.judge.close()

    def readiness(self) -> Readiness:
        pool = super().readiness()
        detail = {**pool.detail, "judge": self.settings.judge.url, "fallback": self.settings.fallback}
        return Readiness(pool.ready, detail)

    def count_judged(self, outcome: str) -> None:
        """One sample the judge was asked about, by outcome (`verifiers_judge_outcomes`)."""
        self.ctx.metrics.judge_outcomes.labels(self.domain, outcome).inc()

    def judge_failed(self, failure: JudgeFailure, **details: Any) -> Verdict:
        """The verdict of `fallback: infra_error` when the judge failed: a `JudgeFailure` is an
        `InfraFailure`, so the one rule (`failure_verdict`) makes it a masked `infra_error`; `details`
        (what the domain found before asking) are kept beside its reason."""
        verdict = failure_verdict(failure, "judge")
        return replace(verdict, details={**details, **verdict.details})
