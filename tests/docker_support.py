"""Docker availability for tests marked `docker`: skipped on a laptop without Docker, a failure in CI."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

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
