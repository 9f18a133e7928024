"""The embedded backend: runners on this machine, isolated by namespaces, with or without root.

Each runner is `runner.py sandbox`: PID 1 of its own PID, mount, network, IPC and UTS namespaces
(inside a user namespace when we are not root), on a private read-only root file system that holds
the interpreters and compilers and nothing else of the host; every job gets fresh PID, mount and
IPC namespaces below it (`sandbox/runner.py`). As root, tests run as a uid of their own (one per
runner); as an ordinary user they keep our uid, without any capability, in a PID namespace where
the runner is invisible. Where the kernel refuses, `start` says why and what to do instead. Where
cgroups are usable, each runner also gets a memory and pids cgroup (`cgroups.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pwd
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sandbox.backends.base import HostFailure, RunnerHost
from sandbox.backends.cgroups import Cgroup, CgroupTree, find_tree
from sandbox.backends.channel import READ_LIMIT, exchange
from sandbox.backends.pool import RunnerPool
from sandbox.runner import JUDGE_MB, UNAVAILABLE_PREFIX, job_budget_s, job_memory_mb

log = logging.getLogger(__name__)

RUNNER = Path(__file__).resolve().parent.parent / "runner.py"
# The system interpreter when there is one: the runner binds its prefix read-only into the sandbox,
# and /usr is there anyway.
DEFAULT_PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
_STDERR_KEEP = 4000
_RUNNER_OVERHEAD_MB = 256  # runner, zygote and job init: three interpreters, mostly shared pages


class LocalHost(RunnerHost):
    """One runner process. `run_as` starts it as another user (a root service that wants the
    ordinary user's path, and the tests and benchmarks of that path)."""

    def __init__(
        self,
        uid: int,
        python: str = DEFAULT_PYTHON,
        *,
        tmp_mb: int = 512,
        work_mb: int = 512,
        pids: int = 256,
        binds: tuple[str, ...] = (),
        cgroup: Cgroup | None = None,
        run_as: str | None = None,
        runner: Path = RUNNER,
    ) -> None:
        self.uid = uid
        self.runner = runner
        self.python = os.path.realpath(python)  # a venv's symlink would not exist in the sandbox
        self.tmp_mb, self.work_mb, self.pids, self.binds = tmp_mb, work_mb, pids, binds
        self.cgroup = cgroup
        self.run_as = pwd.getpwnam(run_as) if run_as else None
        self.proc: asyncio.subprocess.Process | None = None
        self.info: dict[str, Any] = {}  # how the runner confines tests, from its first reply
        self._stderr = b""
        self._stderr_task: asyncio.Task[None] | None = None
        self._memory_mb = 0

    @property
    def root(self) -> bool:
        return os.geteuid() == 0

    def command(self) -> list[str]:
        argv = [
            self.python,
            "-I",
            str(self.runner),
            "sandbox",
            "--tmp-mb",
            str(self.tmp_mb),
            "--work-mb",
            str(self.work_mb),
        ]
        if self.run_as:
            argv += ["--user", f"{self.run_as.pw_uid}:{self.run_as.pw_gid}"]
        elif self.root:
            argv += ["--test-uid", str(self.uid)]
        for path in self.binds:
            argv += ["--bind", path]
        for d in self.cgroup.dirs if self.cgroup else ():
            argv += ["--cgroup", d]
        return argv

    async def start(self) -> None:
        if self.cgroup is not None:
            self._set_memory(512)
        self.proc = await asyncio.create_subprocess_exec(
            *self.command(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=_ENV,
            cwd="/",
            limit=READ_LIMIT,
        )
        self._stderr, self._stderr_task = b"", asyncio.create_task(self._keep_stderr(self.proc))
        proc = self.proc
        try:
            # Readiness: an empty job round-trips once the runner serves, and says how it confines.
            reply = await self.execute({"language": "python", "program": "", "tests": []}, 30.0)
        except HostFailure as exc:
            raise HostFailure(await self._why_not_started(proc, exc)) from exc
        self.info = reply.get("sandbox", {})

    async def _keep_stderr(self, proc: asyncio.subprocess.Process) -> None:
        """The runner writes to stderr only when it fails; keep the tail for the error message."""
        assert proc.stderr is not None
        while chunk := await proc.stderr.read(4096):
            self._stderr = (self._stderr + chunk)[-_STDERR_KEEP:]

    async def _why_not_started(self, proc: asyncio.subprocess.Process, exc: HostFailure) -> str:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 5)
        if self._stderr_task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._stderr_task, 2)
        stderr = self._stderr.decode(errors="replace").strip()
        await self.close()
        message = f"the local sandbox failed to start ({stderr.removeprefix(UNAVAILABLE_PREFIX) or exc})"
        return message + (diagnose_namespaces() if stderr.startswith(UNAVAILABLE_PREFIX) else "")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.returncode is None:
            # SIGTERM: the launcher kills the namespaces' PID 1 and returns once the kernel has
            # reaped everything in them. SIGKILL only if it does not (then PDEATHSIG does it).
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self._stderr_task is not None:
            self._stderr_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._stderr_task
            self._stderr_task = None

    def _set_memory(self, job_memory_mb: int) -> None:
        """The runner's cgroup holds one job: its memory (the program's and its judges'), its tmpfs
        pages (/tmp, /work, /judge, /dev/shm), and the runner's own."""
        mb = job_memory_mb + self.tmp_mb + self.work_mb + JUDGE_MB + 64 + _RUNNER_OVERHEAD_MB
        if self.cgroup is not None and mb != self._memory_mb:
            self.cgroup.set_limits(mb << 20, self.pids)
            self._memory_mb = mb

    async def execute(self, job: dict[str, Any], budget_s: float | None = None) -> dict[str, Any]:
        proc = self.proc
        if proc is None or proc.returncode is not None or proc.stdin is None or proc.stdout is None:
            raise HostFailure("runner is not running")
        self._set_memory(job_memory_mb(job))
        try:
            return await exchange(proc.stdout, proc.stdin, job, budget_s or job_budget_s(job))
        except HostFailure:
            await self.close()
            raise


def diagnose_namespaces() -> str:
    """Why unprivileged namespaces are refused here, by the setting's name, and what to do."""

    def sysctl(name: str) -> str | None:
        try:
            return Path("/proc/sys", *name.split(".")).read_text().strip()
        except OSError:
            return None

    causes = []
    if sysctl("kernel.apparmor_restrict_unprivileged_userns") == "1":
        causes.append(
            "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns"
            "=1, Ubuntu 23.10 and later): `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`, "
            "or an AppArmor profile that grants `userns,` to this Python"
        )
    if sysctl("kernel.unprivileged_userns_clone") == "0":
        causes.append(
            "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0): "
            "`sudo sysctl kernel.unprivileged_userns_clone=1`"
        )
    if sysctl("user.max_user_namespaces") == "0":
        causes.append(
            "user namespaces are disabled (user.max_user_namespaces=0): `sudo sysctl user.max_user_namespaces=15000`"
        )
    if os.path.exists("/.dockerenv") or os.path.exists("/run/.containerenv"):
        causes.append("in a container, its seccomp or AppArmor profile (Docker's default ones) refuses namespaces")
    cause = "; ".join(causes) if causes else "the kernel refused the namespaces the sandbox needs"
    return (
        f". Cause: {cause}. Or run the sandbox elsewhere: `code.backend: docker` (needs a Docker daemon) "
        "or `docker compose up verifiers` (code.backend: compose)."
    )


class LocalPool(RunnerPool):
    """N local runners; as root, runner i runs tests as uid `base_uid + i`. Each runner gets a
    memory and pids cgroup when this process may make one; `cgroup` in /ready says whether.

    `run_as` (root only) starts the runners as that account instead, the ordinary user's path: a
    user namespace each, nothing running as root. They get their own readable copy of the runner,
    since the checkout may sit in a home they cannot enter."""

    def __init__(
        self,
        size: int,
        base_uid: int = 61000,
        python: str = DEFAULT_PYTHON,
        recycle_after: int = 0,
        *,
        tmp_mb: int = 512,
        work_mb: int = 512,
        pids: int = 256,
        binds: tuple[str, ...] = (),
        cgroups: bool = True,
        run_as: str | None = None,
        runner: Path = RUNNER,
    ) -> None:
        tree: CgroupTree | None = None
        self.cgroup_status = "off"
        if cgroups:
            tree, status = find_tree(f"cascade-verifiers-{os.getpid()}-{uuid.uuid4().hex[:6]}")
            self.cgroup_status = status if tree else f"none: {status}"
            if tree is None:
                log.warning("local sandbox runners without a cgroup: %s", status)
        self.tree = tree
        self.staged: str | None = None
        if run_as:
            self.staged = tempfile.mkdtemp(prefix="cascade-runner-")
            os.chmod(self.staged, 0o755)
            runner = Path(shutil.copy(runner, self.staged))
            runner.chmod(0o644)

        def host(i: int) -> LocalHost:
            cgroup = tree.create(f"runner-{i}") if tree else None
            return LocalHost(
                base_uid + i,
                python,
                tmp_mb=tmp_mb,
                work_mb=work_mb,
                pids=pids,
                binds=binds,
                cgroup=cgroup,
                run_as=run_as,
                runner=runner,
            )

        super().__init__(host, size, recycle_after)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "cgroup": self.cgroup_status}

    async def close(self) -> None:
        await super().close()
        for h in self.hosts:
            if isinstance(h, LocalHost) and h.cgroup is not None:
                await asyncio.to_thread(h.cgroup.remove)
        if self.tree is not None:
            self.tree.remove()
        if self.staged is not None:
            shutil.rmtree(self.staged, ignore_errors=True)
