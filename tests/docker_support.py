"""Sandbox backends for tests: the local runners (as root, and as an ordinary account) and the
Docker pool. Docker tests are skipped on a laptop without Docker and fail in CI (`CI=true`)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import psutil
import pytest

from sandbox.backends.docker import LABEL, OWNER, DockerHost
from sandbox.backends.local import LocalHost, LocalPool
from sandbox.backends.pool import RunnerPool
from sandbox.runner import JUDGE_UID_OFFSET

BASE_IMAGE = os.environ.get("BASE_IMAGE", "cascade-base:bookworm")
SANDBOX_USER = "cascade-sbx-test"  # the ordinary account the unprivileged local path runs as
BACKENDS = ["local", "local-user", pytest.param("docker", marks=pytest.mark.docker)]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_docker() -> None:
    ok = shutil.which("docker") is not None and subprocess.run(
        ["docker", "info"], capture_output=True, timeout=30
    ).returncode == 0
    if ok:
        return
    message = "Docker daemon not reachable (run .ci/setup-docker.sh)"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def compose_command() -> list[str]:
    """`docker compose` (v2 plugin) where present, else the v1 `docker-compose` CLI."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail("neither `docker compose` nor `docker-compose` is installed")
    raise AssertionError  # unreachable


_ROOT = Path(__file__).resolve().parent.parent
# Tagged by what goes into it, so checkouts of different versions on one Docker daemon (worktrees,
# parallel CI jobs) never run each other's runner.
SANDBOX_TAG = "test-" + hashlib.sha256(b"".join((_ROOT / "sandbox" / name).read_bytes()
                                                 for name in ("Dockerfile", "runner.py"))).hexdigest()[:12]
SANDBOX_IMAGE = f"cascade-sandbox:{SANDBOX_TAG}"
_built: list[str] = []


def sandbox_image() -> str:
    """Build the sandbox image (sandbox/Dockerfile on BASE_IMAGE) once per test session."""
    require_docker()
    if not _built:
        build = subprocess.run(["docker", "build", "--network", "host", "-q", "-t", SANDBOX_IMAGE,
                                "--build-arg", f"BASE_IMAGE={BASE_IMAGE}", str(_ROOT / "sandbox")],
                               capture_output=True, text=True, timeout=900)
        assert build.returncode == 0, build.stdout + build.stderr
        _built.append(SANDBOX_IMAGE)
    return SANDBOX_IMAGE


def sandbox_user() -> str:
    """An ordinary account for the unprivileged local path (created once: CI runs as root)."""
    if os.geteuid() != 0:
        pytest.skip("the unprivileged path is the `local` backend itself here (not root)")
    try:
        pwd.getpwnam(SANDBOX_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SANDBOX_USER],
                       check=True, capture_output=True)
    return SANDBOX_USER


def make_pool(backend: str, size: int, base_uid: int) -> RunnerPool:
    """A real pool of `size` runners on `backend` ("local", "local-user" or "docker"), not started."""
    if backend == "local":
        return LocalPool(size, base_uid)
    if backend == "local-user":
        return LocalPool(size, base_uid, run_as=sandbox_user())
    from sandbox.backends.docker import ContainerSpec, DockerPool

    return DockerPool(size, ContainerSpec(image=sandbox_image()), base_uid)


def uid_of_tests(backend: str, base_uid: int) -> int:
    """The host uid the pool's tests run as (for leak checks)."""
    if backend == "local-user":
        return pwd.getpwnam(SANDBOX_USER).pw_uid
    return base_uid


def sandbox_containers(owner: int | None = None) -> list[str]:
    """Ids of sandbox containers (running or not) that exist now: after a pool closes, none.
    `owner`: only those the process with that pid started (another checkout's tests may share the
    daemon); `os.getpid()` for this one's."""
    if shutil.which("docker") is None:
        return []
    label = LABEL if owner is None else f"{OWNER}={socket.gethostname()}:{owner}"
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={label}"], capture_output=True, text=True)
    return out.stdout.split()


# Test uids of this run's own (another checkout's suite may run beside this one on the same
# machine): each suite takes an offset in this block of 40.
RUN_UID = 61000 + 40 * (os.getpid() % 50)
CORRECT_JOB = {"language": "python", "program": "print(int(input()) * 2)", "tests": [{"stdin": "21", "expected": "42"}],
               "limits": {"time_s": 1.0, "memory_mb": 256}}


def uid_processes(uid: int) -> list[str]:
    out = subprocess.run(["ps", "-o", "pid=", "-u", str(uid)], capture_output=True, text=True)
    return out.stdout.split()


def pool_processes(pool: RunnerPool) -> list[tuple[int, dict[int, int]]]:
    """Every process of the pool's runners, in their namespaces or containers, as (the runner's
    pid, {pid: parent pid}) per runner: the runner, its zygote, its job init and (once a label with
    a judge program came) its judge init, and whatever is left of tests (which must be nothing)."""
    trees: list[tuple[int, dict[int, int]]] = []
    for host in pool.hosts:
        parents: dict[int, int] = {}
        if isinstance(host, LocalHost) and host.proc is not None:
            try:
                children = psutil.Process(host.proc.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                continue
            for child in children:
                try:
                    if child.status() != psutil.STATUS_ZOMBIE:
                        parents[child.pid] = child.ppid()
                except psutil.NoSuchProcess:
                    pass
            runner = next((pid for pid, parent in parents.items() if parent == host.proc.pid), -1)
        elif isinstance(host, DockerHost) and host.container is not None:
            top = host.container.top()
            pid_at, ppid_at = top["Titles"].index("PID"), top["Titles"].index("PPID")
            parents = {int(row[pid_at]): int(row[ppid_at]) for row in top["Processes"]}
            runner = next((pid for pid, parent in parents.items() if parent not in parents), -1)
        else:
            continue
        trees.append((runner, parents))
    return trees


def _left_over(trees: list[tuple[int, dict[int, int]]]) -> list[int]:
    """The processes that are none of a runner's own: anything below its children, and children
    beyond its zygote and two inits (an init's orphans are its own, never the runner's)."""
    left: list[int] = []
    for runner, parents in trees:
        children = [pid for pid, parent in parents.items() if parent == runner]
        left += [pid for pid, parent in parents.items() if pid != runner and parent != runner]
        if len(children) > 3:
            left += children
    return left


async def _settled(pool: RunnerPool) -> list[tuple[int, dict[int, int]]]:
    """The pool's processes once nothing of the last job is left."""
    for _ in range(200):
        trees = await asyncio.to_thread(pool_processes, pool)
        if not _left_over(trees):
            return trees
        await asyncio.sleep(0.05)
    return trees


def on_pool_of(backend: str, size: int, go: Any, base_uid: int) -> Any:
    """Run `go(pool)` on a started pool; then check that no runner was replaced, that a correct
    sample is still judged right, and that nothing of the tests or of the label's judge programs
    (process, container) is left."""
    seen: list[int] = []

    async def run() -> Any:
        pool = make_pool(backend, size, base_uid)
        await pool.start()
        try:
            result = await go(pool)
            assert (await pool.execute(CORRECT_JOB))["verdict"] == "AC"
            assert pool.replaced == 0  # the runners survived their programs: no restart was needed
            trees = await _settled(pool)
            seen.extend(pid for _, parents in trees for pid in parents)
            assert _left_over(trees) == [], trees  # no test, no judge is left
            # Each runner: itself, its zygote, its job init, and maybe its judge init.
            assert len(trees) == size and all(3 <= len(parents) <= 4 for _, parents in trees), trees
            return result
        finally:
            await pool.close()

    result = asyncio.run(run())
    assert [pid for pid in seen if psutil.pid_exists(pid)] == []
    if backend != "local-user":  # that account's uid is shared with whatever else runs as it
        uids = [uid_of_tests(backend, base_uid + i) for i in range(size)]
        judges = [uid + JUDGE_UID_OFFSET for uid in uids] if backend == "docker" else []  # else: the test uid
        assert [p for uid in uids + judges for p in uid_processes(uid)] == []
    assert sandbox_containers(os.getpid()) == []
    return result
