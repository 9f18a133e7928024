"""The embedded backend: runner processes on this machine, isolated without Docker.

Each runner is `unshare --pid --fork --mount-proc --net --ipc --kill-child`: PID 1 of its own PID
namespace (the server's processes and /proc/<pid>/environ are invisible, orphans are reaped by it,
and killing the host kills everything inside), no network interfaces but loopback, a private /tmp
tmpfs. The runner stays root inside so it can run each test as a dedicated uid (one per runner, so
RLIMIT_NPROC budgets don't interfere) and then kill every process of that uid. The environment is
emptied before exec, so the server's secrets never reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import struct
import sys
from pathlib import Path
from typing import Any

from sandbox.backends.base import HostFailure, RunnerHost, job_budget_s

RUNNER = Path(__file__).resolve().parent.parent / "runner.py"
# The sandbox uid must be able to read the interpreter's stdlib (a pyenv under /root is not).
DEFAULT_PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


class LocalHost(RunnerHost):
    def __init__(self, uid: int, python: str = DEFAULT_PYTHON, tmp_mb: int = 1024) -> None:
        self.uid = uid
        self.python = python
        self.tmp_mb = tmp_mb
        self.proc: asyncio.subprocess.Process | None = None

    def command(self) -> list[str]:
        inner = (f"mount -t tmpfs -o size={self.tmp_mb}m,mode=1777 tmpfs /tmp && "
                 f"mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm && "
                 f"exec {self.python} -I {RUNNER} --stdio --uid {self.uid}")
        return ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "--net", "--ipc",
                "--uts", "sh", "-c", inner]

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *self.command(), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            env=_ENV, cwd="/", limit=1 << 26)
        # Readiness: an empty job round-trips once the runner is serving.
        await self.execute({"language": "python", "program": "", "tests": []}, 30.0)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.kill()  # --kill-child takes the namespace's PID 1, hence everything, with it
        await proc.wait()

    async def execute(self, job: dict[str, Any], budget_s: float | None = None) -> dict[str, Any]:
        proc = self.proc
        if proc is None or proc.returncode is not None or proc.stdin is None or proc.stdout is None:
            raise HostFailure("runner is not running")
        body = json.dumps(job).encode()
        try:
            async with asyncio.timeout(budget_s or job_budget_s(job)):
                proc.stdin.write(struct.pack(">I", len(body)) + body)
                await proc.stdin.drain()
                head = await proc.stdout.readexactly(4)
                reply = await proc.stdout.readexactly(struct.unpack(">I", head)[0])
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError) as exc:
            await self.close()
            raise HostFailure(f"runner failed: {type(exc).__name__}") from exc
        result: dict[str, Any] = json.loads(reply)
        if "error" in result:
            raise HostFailure(f"runner error: {result['error']}")
        return result


class LocalPool:
    """A fixed set of hosts; a failed host is replaced and its job retried once on another."""

    def __init__(self, size: int, base_uid: int = 61000, python: str = DEFAULT_PYTHON) -> None:
        self.size = size
        self.python = python
        self.base_uid = base_uid
        self.hosts: list[LocalHost] = []
        self._idle: asyncio.Queue[LocalHost] = asyncio.Queue()

    async def start(self) -> None:
        self.hosts = [LocalHost(self.base_uid + i, self.python) for i in range(self.size)]
        await asyncio.gather(*(h.start() for h in self.hosts))
        for h in self.hosts:
            self._idle.put_nowait(h)

    async def close(self) -> None:
        await asyncio.gather(*(h.close() for h in self.hosts))

    @property
    def alive(self) -> int:
        return sum(h.alive for h in self.hosts)

    async def execute(self, job: dict[str, Any]) -> dict[str, Any]:
        """Raises HostFailure when the job killed two runners (or none could be restarted)."""
        last: HostFailure | None = None
        for _ in range(2):
            host = await self._idle.get()
            try:
                if not host.alive:
                    await host.start()
                return await host.execute(job)
            except HostFailure as exc:
                last = exc
                await host.close()
                with contextlib.suppress(HostFailure, OSError):
                    await host.start()
            finally:
                self._idle.put_nowait(host)
        assert last is not None
        raise last
