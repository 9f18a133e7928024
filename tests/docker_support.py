"""Docker availability for tests marked `docker`: skipped on a laptop without Docker, a failure in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sandbox.backends.docker import LABEL
from sandbox.backends.local import local_pool
from sandbox.backends.pool import RunnerPool

BASE_IMAGE = os.environ.get("BASE_IMAGE", "cascade-base:bookworm")


def require_docker() -> None:
    ok = shutil.which("docker") is not None and subprocess.run(
        ["docker", "info"], capture_output=True, timeout=30
    ).returncode == 0
    if ok:
        return
    message = "Docker daemon not reachable (run .ci/setup-docker.sh)"
    if os.environ.get("CI", "").lower() == "true":
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


SANDBOX_IMAGE = "cascade-sandbox:test"
_built: list[str] = []


def sandbox_image() -> str:
    """Build the sandbox image (sandbox/Dockerfile on BASE_IMAGE) once per test session."""
    require_docker()
    if not _built:
        root = Path(__file__).resolve().parent.parent
        build = subprocess.run(["docker", "build", "--network", "host", "-q", "-t", SANDBOX_IMAGE,
                                "--build-arg", f"BASE_IMAGE={BASE_IMAGE}", str(root / "sandbox")],
                               capture_output=True, text=True, timeout=900)
        assert build.returncode == 0, build.stdout + build.stderr
        _built.append(SANDBOX_IMAGE)
    return SANDBOX_IMAGE


def make_pool(backend: str, size: int, base_uid: int) -> RunnerPool:
    """A real pool of `size` runners on `backend` ("local" or "docker"), not started."""
    if backend == "local":
        return local_pool(size, base_uid)
    from sandbox.backends.docker import ContainerSpec, DockerPool

    return DockerPool(size, ContainerSpec(image=sandbox_image()), base_uid)


def sandbox_containers() -> list[str]:
    """Ids of sandbox containers (running or not) that exist now: after a pool closes, none."""
    if shutil.which("docker") is None:
        return []
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={LABEL}"], capture_output=True, text=True)
    return out.stdout.split()
