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
import os
import sys
from pathlib import Path
from typing import Any

from sandbox.backends.base import HostFailure, RunnerHost, job_budget_s
from sandbox.backends.channel import READ_LIMIT, exchange
from sandbox.backends.pool import RunnerPool

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
            env=_ENV, cwd="/", limit=READ_LIMIT)
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
        try:
            return await exchange(proc.stdout, proc.stdin, job, budget_s or job_budget_s(job))
        except HostFailure:
            await self.close()
            raise


def local_pool(size: int, base_uid: int = 61000, python: str = DEFAULT_PYTHON,
               recycle_after: int = 0) -> RunnerPool:
    """N namespace runners; runner i runs tests as uid `base_uid + i`."""
    return RunnerPool(lambda i: LocalHost(base_uid + i, python), size, recycle_after)
