"""Where a verifier's pool comes from: the one place that chooses between this machine and Ray.

A pooled domain names a *factory*: a picklable callable that builds its node-local pool from the
domain's settings (`Workers` for killable worker processes; `verifiers.domains.code.pool.build_pool`
for sandbox runners). `build_pool` calls it here, or, with `ray.address` set, hands it to a
`RayPool`, whose actors call it on each CPU node, so a check runs under the same limits wherever it
lands. The verifier sees one of the protocols below and never knows which.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from verifiers.metrics import Metrics
from verifiers.process_pool import KillablePool

if TYPE_CHECKING:
    from verifiers.verifier import VerifierContext


def default_workers() -> int:
    """A pool's default size: the CPUs this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class Pool(Protocol):
    """What every pool offers its verifier: a lifecycle, a head count, and how many of its workers
    or runners were replaced since it started (the status page's restarts)."""

    replaced: int

    @property
    def size(self) -> int: ...

    @property
    def alive(self) -> int: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class WorkerPool(Pool, Protocol):
    """Killable worker processes (`KillablePool`, or a `RayPool` of them)."""

    async def run(self, *args: Any, affinity: int | None = None) -> Any:
        """`check(*args)` in a worker; raises TaskTimeout or an InfraFailure."""
        ...


class SandboxPool(Pool, Protocol):
    """Sandbox runner hosts (`sandbox.backends.pool.RunnerPool`, or a `RayPool` of them)."""

    async def execute(self, job: dict[str, Any]) -> dict[str, Any]:
        """The runner's result for one job; raises HostFailure (an InfraFailure)."""
        ...

    def describe(self) -> dict[str, Any]:
        """How tests are confined (for /ready)."""
        ...


PoolT = TypeVar("PoolT", bound=Pool)
PoolT_co = TypeVar("PoolT_co", bound=Pool, covariant=True)


class PoolFactory(Protocol[PoolT_co]):
    """Builds the node-local pool of one machine. `index` numbers the pools of a Ray cluster (a pool
    that needs per-pool resources, such as sandbox uids, takes its block from it); `metrics` is the
    service's registry, or None in a Ray actor, whose pool reports nowhere."""

    def __call__(self, settings: Any, *, index: int = 0, metrics: Metrics | None = None) -> PoolT_co: ...


class WorkerSettings(Protocol):
    """The settings every worker-pool domain has."""

    @property
    def workers(self) -> int: ...

    @property
    def item_timeout_s(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Workers:
    """The factory of a domain's killable workers. Each worker imports `module` (the domain's worker
    module), calls its `configure(settings)` once with the domain's settings, then its
    `check(*args)` for every task."""

    domain: str
    module: str

    def __call__(self, settings: WorkerSettings, *, index: int = 0, metrics: Metrics | None = None) -> KillablePool:
        # `index` is unused: worker processes need no per-pool resources.
        return KillablePool(
            self.domain,
            f"{self.module}:check",
            workers=settings.workers,
            timeout_s=settings.item_timeout_s,
            metrics=metrics or Metrics(),
            init=(f"{self.module}:configure", (settings,)),
        )


def build_pool(domain: str, factory: PoolFactory[PoolT], settings: Any, ctx: VerifierContext) -> PoolT:
    """The pool a domain's verifier uses: `factory`'s pool on this machine, or, when the service
    joins a Ray cluster (`ray.address`), one actor per CPU node each running that pool."""
    if ctx.settings.ray.address:
        from verifiers.ray.pool import RayPool  # ray is an optional extra

        # RayPool forwards both `run` and `execute` to its actors' pools, so it is whichever of
        # the protocols `factory` builds.
        return cast(PoolT, RayPool(domain, factory, settings, ray=ctx.settings.ray))
    return factory(settings, metrics=ctx.metrics)
