"""The code domain's pool factory: the sandbox runners of `code.backend` on one machine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.backends.local import DEFAULT_PYTHON, LocalPool
from sandbox.backends.pool import RunnerPool

if TYPE_CHECKING:
    from verifiers.domains.code.settings import CodeSettings
    from verifiers.metrics import Metrics


def sandbox_pool(settings: CodeSettings, *, index: int = 0, metrics: Metrics | None = None) -> RunnerPool:
    """The sandbox runners of one machine (the service's own, or one Ray actor's); a
    `verifiers.pools.PoolFactory` (runner pools report through `/ready`, not `metrics`).

    Local pool `index` of a cluster gets its own block of sandbox uids, so two pools that share a
    machine (a test cluster, two actors per node) never kill each other's test processes."""
    s = settings
    if s.backend == "docker":
        from sandbox.backends.docker import ContainerSpec, DockerPool  # needs the docker SDK

        d = s.docker
        spec = ContainerSpec(
            image=d.image,
            memory_mb=d.memory_mb,
            cpus=d.cpus,
            pids=d.pids,
            tmp_mb=d.tmp_mb,
            work_mb=d.work_mb,
            shm_mb=d.shm_mb,
            runner_uid=d.runner_uid,
        )
        return DockerPool(s.runners, spec, s.base_uid, s.recycle_after)
    if s.backend == "compose":
        from sandbox.backends.compose import compose_pool

        # Replicas are compose's to restart, not ours.
        return compose_pool(s.runners, s.compose.socket_dir, runner_uid=s.compose.runner_uid)
    loc = s.local
    return LocalPool(
        s.runners,
        s.base_uid + index * s.runners,
        loc.python or DEFAULT_PYTHON,
        s.recycle_after,
        tmp_mb=loc.tmp_mb,
        work_mb=loc.work_mb,
        pids=loc.pids,
        binds=tuple(loc.binds),
        cgroups=loc.cgroups,
        run_as=loc.run_as,
    )
