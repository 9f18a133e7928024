"""Sandbox backends for tests: the local runners (as root, and as an ordinary account) and the
Docker pool. Docker tests are skipped on a laptop without Docker and fail in CI (`CI=true`)."""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from sandbox.backends.docker import LABEL, OWNER
from sandbox.backends.local import LocalPool
from sandbox.backends.pool import RunnerPool

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
