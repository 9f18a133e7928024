"""The Docker pool: each runner in its own hardened container, managed through the Docker SDK.

A container has no network, a read-only root, a tmpfs work dir, a non-root uid (one per host, so
RLIMIT_NPROC budgets don't add up across containers), no capabilities, `no-new-privileges`, and
pids/memory/CPU cgroup limits. The runner is the container's PID 1: tests share its uid but
`kill(-1)` spares PID 1, so `kill -9 -1` kills only the test's processes, and the runner sweeps
every other process of the container after each test. The runner listens on a Unix socket in a
bind-mounted directory (private to this pool: its parent is mode 0700). A container whose runner
dies, hangs or is killed is removed and replaced by the pool (`RunnerPool`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sandbox.backends.base import HostFailure
from sandbox.backends.pool import RunnerPool
from sandbox.backends.unix import UnixSocketHost

LABEL = "cascade-verifiers.sandbox"  # every container we start carries it (leak checks, cleanup)
_SOCKET_DIR = "/run/sandbox"


@dataclass(frozen=True, slots=True)
class ContainerSpec:
    """What every sandbox container gets."""

    image: str = "cascade-sandbox:latest"
    memory_mb: int = 2048
    cpus: float = 1.0
    pids: int = 256
    tmp_mb: int = 512
    start_timeout_s: float = 30.0


class DockerHost(UnixSocketHost):
    def __init__(self, client: Any, spec: ContainerSpec, uid: int, socket_root: str, pool_id: str) -> None:
        super().__init__()
        self.client = client
        self.spec = spec
        self.uid = uid
        self.socket_dir = os.path.join(socket_root, str(uid))
        self.pool_id = pool_id
        self.container: Any = None

    async def start(self) -> None:
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        os.mkdir(self.socket_dir)
        os.chmod(self.socket_dir, 0o777)  # the container's uid creates the socket; the parent is 0700
        try:
            self.container = await asyncio.to_thread(self._run)
        except Exception as exc:  # docker.errors.* or a daemon that went away
            raise HostFailure(f"cannot start sandbox container: {exc}") from exc
        path = os.path.join(self.socket_dir, "runner.sock")
        deadline = time.monotonic() + self.spec.start_timeout_s
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                logs = await asyncio.to_thread(self._logs)
                await self.close()
                raise HostFailure(f"sandbox container did not open its socket: {logs}")
            await asyncio.sleep(0.02)
        await self.connect(path, self.spec.start_timeout_s)

    def _run(self) -> Any:
        s = self.spec
        return self.client.containers.run(
            s.image,
            ["python3", "-I", "/opt/sandbox/runner.py", "--socket", f"{_SOCKET_DIR}/runner.sock",
             "--socket-mode", "666"],
            detach=True, user=f"{self.uid}:{self.uid}", network_mode="none", read_only=True,
            tmpfs={"/tmp": f"rw,exec,nosuid,nodev,size={s.tmp_mb}m,mode=1777"},
            cap_drop=["ALL"], security_opt=["no-new-privileges"], pids_limit=s.pids,
            mem_limit=f"{s.memory_mb}m", memswap_limit=f"{s.memory_mb}m", nano_cpus=int(s.cpus * 1e9),
            ipc_mode="private", working_dir="/tmp", environment={},
            volumes={self.socket_dir: {"bind": _SOCKET_DIR, "mode": "rw"}},
            labels={LABEL: self.pool_id}, name=f"cascade-sandbox-{self.pool_id}-{self.uid}-{uuid.uuid4().hex[:6]}",
        )

    def _logs(self) -> str:
        try:
            return self.container.logs(tail=20).decode(errors="replace") if self.container else ""
        except Exception as exc:  # the container may already be gone
            return f"(no logs: {exc})"

    async def close(self) -> None:
        await self.disconnect()
        container, self.container = self.container, None
        if container is not None:
            await asyncio.to_thread(_remove, container)
        shutil.rmtree(self.socket_dir, ignore_errors=True)


def _remove(container: Any) -> None:
    import docker.errors

    try:
        container.remove(force=True)
    except docker.errors.NotFound:
        pass


class DockerPool(RunnerPool):
    """`size` containers; container i runs as uid `base_uid + i`."""

    def __init__(self, size: int, spec: ContainerSpec | None = None, base_uid: int = 62000,
                 recycle_after: int = 0, client: Any = None) -> None:
        import docker

        self.client = client or docker.from_env()
        self.pool_id = uuid.uuid4().hex[:10]
        self.socket_root = tempfile.mkdtemp(prefix="cascade-sandbox-")  # 0700: only we reach the sockets
        spec = spec or ContainerSpec()
        super().__init__(lambda i: DockerHost(self.client, spec, base_uid + i, self.socket_root, self.pool_id),
                         size, recycle_after)

    async def close(self) -> None:
        await super().close()
        shutil.rmtree(self.socket_root, ignore_errors=True)
