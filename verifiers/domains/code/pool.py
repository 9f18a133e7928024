"""Build the sandbox pool `code.backend` names; the verifier only sees a `RunnerPool`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.backends.local import DEFAULT_PYTHON, local_pool
from sandbox.backends.pool import RunnerPool

if TYPE_CHECKING:
    from verifiers.settings import CodeSettings


def build_pool(s: CodeSettings) -> RunnerPool:
    if s.backend == "docker":
        from sandbox.backends.docker import ContainerSpec, DockerPool  # needs the docker SDK

        spec = ContainerSpec(image=s.docker_image, memory_mb=s.docker_memory_mb, cpus=s.docker_cpus,
                             pids=s.docker_pids)
        return DockerPool(s.runners, spec, s.base_uid, s.recycle_after)
    if s.backend == "compose":
        from sandbox.backends.compose import compose_pool

        return compose_pool(s.runners, s.socket_dir)  # replicas are compose's to restart, not ours
    return local_pool(s.runners, s.base_uid, s.python or DEFAULT_PYTHON, s.recycle_after)
