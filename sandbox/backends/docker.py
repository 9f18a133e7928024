"""The Docker pool: each runner in its own hardened container, managed through the Docker SDK.

A container has no network, a read-only root, tmpfs `/tmp`, `/work` and `/judge`,
`no-new-privileges`, and pids/memory/CPU cgroup limits. The runner is the container's PID 1, root
with only the capabilities it needs to run tests as another uid, watch them and clean up after them
(`RUNNER_CAPABILITIES`); tests run as a uid of their own (one per container, so RLIMIT_NPROC
budgets don't add up across containers; the label's judge programs as a second one), without any
capability, and cannot signal, trace or read the runner or its zygote. The runner listens on a
Unix socket in a bind-mounted directory that only this process and the container's root can enter
(a 64 KB tmpfs when we are root); the host checks who serves it (`UnixSocketHost`). A container
whose runner dies, hangs or is killed is removed and replaced by the pool (`RunnerPool`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sandbox.backends.base import HostFailure
from sandbox.backends.pool import RunnerPool
from sandbox.backends.unix import UnixSocketHost

LABEL = "cascade-verifiers.sandbox"  # every container we start carries it (leak checks, cleanup)
OWNER = "cascade-verifiers.owner"  # "<hostname>:<pid>" of the API process that started it
_OWNER = f"{socket.gethostname()}:{os.getpid()}"
_SOCKET_DIR = "/run/sandbox"


@dataclass(frozen=True, slots=True)
class ContainerSpec:
    """What every sandbox container gets."""

    image: str = "cascade-sandbox:latest"
    memory_mb: int = 2048
    cpus: float = 1.0
    pids: int = 256
    tmp_mb: int = 512
    work_mb: int = 512
    judge_mb: int = 256  # the label's judge programs: their files per job, compiled ones cached
    shm_mb: int = 64
    start_timeout_s: float = 30.0
    runner_uid: int = 0  # the runner's uid as this host sees it (not 0 under userns-remap or rootless)


# What the runner needs, nothing else: run tests as another uid (SETUID, SETGID), kill and clean up
# after them (KILL, CHOWN, FOWNER, DAC_OVERRIDE), and read their memory maps to sum their memory
# (SYS_PTRACE: /proc/<pid>/smaps_rollup of another uid; tests are under a seccomp filter that
# denies ptrace, and hold no capability).
RUNNER_CAPABILITIES = ("SETUID", "SETGID", "KILL", "CHOWN", "FOWNER", "DAC_OVERRIDE", "SYS_PTRACE")


class DockerHost(UnixSocketHost):
    """Container `uid`: its runner runs tests as `uid`."""

    def __init__(self, client: Any, spec: ContainerSpec, uid: int, socket_root: str, pool_id: str) -> None:
        super().__init__(spec.runner_uid)
        self.client = client
        self.spec = spec
        self.uid = uid
        self.socket_dir = os.path.join(socket_root, str(uid))
        self.pool_id = pool_id
        self.container: Any = None

    async def start(self) -> None:
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        os.mkdir(self.socket_dir)
        os.chmod(self.socket_dir, 0o770)  # us, and the container's root (our group or our uid)
        try:
            self.container = await asyncio.to_thread(self._run)
        except Exception as exc:  # docker.errors.* or a daemon that went away
            raise HostFailure(f"cannot start sandbox container: {exc}") from exc
        path = os.path.join(self.socket_dir, "runner.sock")
        deadline = time.monotonic() + self.spec.start_timeout_s
        polls = 0
        while not os.path.exists(path):  # noqa: ASYNC240 - a stat on a local tmpfs, every 20 ms
            polls += 1
            exited = polls % 25 == 0 and await asyncio.to_thread(self._exited)
            if exited or time.monotonic() > deadline:
                logs = await asyncio.to_thread(self._logs)
                await self.close()
                raise HostFailure(f"sandbox container {'exited' if exited else 'did not open its socket'}: {logs}")
            await asyncio.sleep(0.02)
        await self.connect(path, self.spec.start_timeout_s)

    def _exited(self) -> bool:
        """Whether the container stopped before serving (e.g. an image without the runner)."""
        try:
            self.container.reload()
        except Exception:  # noqa: BLE001 - removed behind our back: as good as exited
            return True
        return bool(self.container.status in ("exited", "dead"))

    def _run(self) -> Any:
        s = self.spec
        gid = os.getgid()
        return self.client.containers.run(
            s.image,
            [
                "python3",
                "-I",
                "/opt/sandbox/runner.py",
                "serve",
                "--isolation",
                "container",
                "--test-uid",
                str(self.uid),
                "--socket",
                f"{_SOCKET_DIR}/runner.sock",
                "--socket-mode",
                "660",
                "--socket-group",
                str(gid),
            ],
            detach=True,
            user="0:0",
            group_add=[str(gid)] if gid else None,
            network_mode="none",
            read_only=True,
            tmpfs={
                "/tmp": f"rw,exec,nosuid,nodev,size={s.tmp_mb}m,mode=1777",
                "/work": f"rw,exec,nosuid,nodev,size={s.work_mb}m,mode=0755",
                "/judge": f"rw,exec,nosuid,nodev,size={s.judge_mb}m,mode=0711",
            },
            shm_size=f"{s.shm_mb}m",
            cap_drop=["ALL"],
            cap_add=list(RUNNER_CAPABILITIES),
            security_opt=["no-new-privileges"],
            pids_limit=s.pids,
            mem_limit=f"{s.memory_mb}m",
            memswap_limit=f"{s.memory_mb}m",
            nano_cpus=int(s.cpus * 1e9),
            ipc_mode="private",
            working_dir="/tmp",
            environment={},
            volumes={self.socket_dir: {"bind": _SOCKET_DIR, "mode": "rw"}},
            labels={LABEL: self.pool_id, OWNER: _OWNER},
            name=f"cascade-sandbox-{self.pool_id}-{self.uid}-{uuid.uuid4().hex[:6]}",
        )

    def _logs(self) -> str:
        try:
            return self.container.logs(tail=20).decode(errors="replace") if self.container else ""
        except Exception as exc:  # noqa: BLE001 - the container may already be gone
            return f"(no logs: {exc})"

    async def close(self) -> None:
        await self.disconnect()
        container, self.container = self.container, None
        if container is not None:
            await asyncio.to_thread(_remove, container)
        shutil.rmtree(self.socket_dir, ignore_errors=True)


def _remove(container: Any) -> None:
    import docker.errors

    with contextlib.suppress(docker.errors.NotFound):
        container.remove(force=True)


class DockerPool(RunnerPool):
    """`size` containers; container i runs as uid `base_uid + i`."""

    def __init__(
        self,
        size: int,
        spec: ContainerSpec | None = None,
        base_uid: int = 62000,
        recycle_after: int = 0,
        client: Any = None,
    ) -> None:
        import docker

        self.client = client or docker.from_env()
        self.pool_id = uuid.uuid4().hex[:10]
        self.socket_root = tempfile.mkdtemp(prefix="cascade-sandbox-")  # 0700: only we reach the sockets
        self._tmpfs = _mount_small_tmpfs(self.socket_root)
        spec = spec or ContainerSpec()
        super().__init__(
            lambda i: DockerHost(self.client, spec, base_uid + i, self.socket_root, self.pool_id), size, recycle_after
        )

    async def start(self) -> None:
        await asyncio.to_thread(remove_orphans, self.client)
        await super().start()

    async def close(self) -> None:
        await super().close()
        if self._tmpfs:
            await asyncio.to_thread(subprocess.run, ["umount", "-l", self.socket_root], capture_output=True)
        shutil.rmtree(self.socket_root, ignore_errors=True)


def _mount_small_tmpfs(path: str) -> bool:
    """As root, the socket directory becomes a 64 KB tmpfs: whatever reaches it cannot fill the
    host's disk. Without root it stays a 0700 directory of ours, which tests cannot enter."""
    if os.geteuid() != 0:
        return False
    with contextlib.suppress(OSError, FileNotFoundError):
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700,nosuid,nodev,noexec", "tmpfs", path], capture_output=True
        )
        return done.returncode == 0
    return False


def remove_orphans(client: Any) -> list[str]:
    """Remove sandbox containers whose API process on this host is gone (it was SIGKILLed or
    crashed before `close`); returns their names. Containers of live processes are left alone."""
    host = socket.gethostname()
    removed = []
    for container in client.containers.list(all=True, filters={"label": OWNER}):
        owner_host, _, pid = container.labels.get(OWNER, "").rpartition(":")
        if owner_host != host or not pid.isdigit() or _pid_alive(int(pid)):
            continue
        _remove(container)
        removed.append(container.name)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
