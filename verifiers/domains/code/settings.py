"""Settings of the code domain (`code.*`), each sandbox backend's own under `code.local.*`,
`code.docker.*` and `code.compose.*` (as `rm.local.*` and `rm.vllm.*`).

The backend fields used to sit flat on `code` (`code.docker_image`, `VERIFIERS_CODE__DOCKER_IMAGE`).
Those names are accepted for one more release, from the environment and config files alike, with
a `SettingRenamed` warning that names the new one.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from verifiers.errors import SettingRenamed
from verifiers.pools import default_workers


class CodeLocalSettings(BaseModel):
    """The embedded backend: runner processes in namespaces of this machine, as root or, through a
    user namespace, as an ordinary account (docs/sandbox.md)."""

    python: str | None = Field(
        None, description="Interpreter for the runners and Python tests; None: /usr/bin/python3, else this one."
    )
    run_as: str | None = Field(
        None, description="When the service runs as root: run the runners as this account instead (user namespaces)."
    )
    binds: list[str] = Field(
        default_factory=list, description="More host paths the tests see, read-only (a toolchain outside /usr)."
    )
    tmp_mb: int = Field(512, ge=1, description="Size of each job's private /tmp (tmpfs).")
    work_mb: int = Field(512, ge=1, description="Size of each job's work dir (tmpfs).")
    pids: int = Field(256, ge=16, description="Processes per runner (pids cgroup, else RLIMIT_NPROC).")
    cgroups: bool = Field(True, description="Give each runner a memory and pids cgroup when this process may make one.")


class CodeDockerSettings(BaseModel):
    """The Docker backend: one hardened container per runner, started through the Docker SDK."""

    image: str = Field("cascade-sandbox:latest", description="Image of the sandbox containers (sandbox/Dockerfile).")
    memory_mb: int = Field(2048, ge=64, description="Memory cgroup limit per sandbox container.")
    cpus: float = Field(1.0, gt=0, description="CPU limit per sandbox container.")
    pids: int = Field(256, ge=16, description="pids cgroup limit per sandbox container.")
    tmp_mb: int = Field(512, ge=1, description="Size of each container's /tmp (tmpfs, fresh for every job).")
    work_mb: int = Field(512, ge=1, description="Size of each container's work dir (tmpfs, fresh for every job).")
    shm_mb: int = Field(64, ge=1, description="Size of each container's /dev/shm.")
    runner_uid: int = Field(
        0, ge=0, description="The runner's uid as this host sees it (not 0 under userns-remap or rootless Docker)."
    )


class CodeComposeSettings(BaseModel):
    """The compose backend: the `sandbox` replicas of docker-compose.yml, reached over Unix sockets."""

    socket_dir: str = Field("/run/sandbox", description="Directory holding the replicas' runner sockets.")
    runner_uid: int = Field(
        0, ge=0, description="The uid a replica's runner must have: a socket served by any other is refused."
    )


# Old flat name -> (backend section, field): the names before the backends were nested.
_RENAMED = {
    "python": ("local", "python"),
    "docker_image": ("docker", "image"),
    "docker_memory_mb": ("docker", "memory_mb"),
    "docker_cpus": ("docker", "cpus"),
    "docker_pids": ("docker", "pids"),
    "socket_dir": ("compose", "socket_dir"),
}


class CodeSettings(BaseModel):
    """Code execution: the sandbox backend, its runners and default per-test limits."""

    backend: Literal["local", "docker", "compose"] = Field(
        "local",
        description="Runner hosts: local namespaces (root, or an ordinary user through user namespaces), a Docker"
        " container pool, or compose replicas.",
    )
    runners: int = Field(default_factory=default_workers, ge=1, description="Sandbox runner processes.")
    base_uid: int = Field(
        61000, ge=1000, description="Runner i runs tests as uid base_uid + i (local and docker backends)."
    )
    recycle_after: int = Field(1000, ge=0, description="Restart a runner after this many jobs; 0 never.")
    time_limit_s: float = Field(2.0, gt=0, le=60, description="Default CPU limit per test.")
    memory_mb: int = Field(512, ge=32, le=16384, description="Default memory limit per test (resident, summed).")
    output_bytes: int = Field(16 << 20, ge=1024, description="More stdout than this is OLE.")
    max_tests: int = Field(1000, ge=1, description="A label with more tests is an error.")
    stack_mb: int = Field(256, ge=8, le=1024, description="Stack of every program (Codeforces gives 256 MB).")
    testlib_header: str | None = Field(
        None, description="Path of testlib.h for labels whose judge programs include it; never downloaded."
    )
    max_response_chars: int = Field(200_000, ge=1000, description="Code is taken from this many trailing characters.")
    local: CodeLocalSettings = Field(default_factory=CodeLocalSettings)
    docker: CodeDockerSettings = Field(default_factory=CodeDockerSettings)
    compose: CodeComposeSettings = Field(default_factory=CodeComposeSettings)

    @model_validator(mode="before")
    @classmethod
    def _renamed_fields(cls, data: Any) -> Any:
        """Move the old flat backend fields into their sections; a new name given too wins."""
        if not isinstance(data, dict) or not _RENAMED.keys() & data.keys():
            return data
        data = dict(data)
        for old, (section, field) in _RENAMED.items():
            if old not in data:
                continue
            value = data.pop(old)
            warnings.warn(
                f"code.{old} (VERIFIERS_CODE__{old.upper()}) is renamed code.{section}.{field} "
                f"(VERIFIERS_CODE__{section.upper()}__{field.upper()}); the old name goes in the next release",
                SettingRenamed,
                stacklevel=2,
            )
            nested = data.get(section)
            if nested is None:
                data[section] = {field: value}
            elif isinstance(nested, dict):
                data[section] = {field: value, **nested}
        return data
