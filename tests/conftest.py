"""Shared fixtures: a real `verifiers serve` process per configuration."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvloop

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_ready(url: str, timeout_s: float = 120) -> None:
    """Poll `/ready` until it answers 200; raise TimeoutError with the last answer otherwise."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            reply = httpx.get(f"{url}/ready", timeout=2)
            if reply.status_code == 200:
                return
            last = reply.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.3)
    raise TimeoutError(f"{url} not ready after {timeout_s:g} s: {last}")


@contextlib.contextmanager
def running_server(env: dict[str, str] | None = None, args: list[str] | None = None,
                   timeout_s: float = 60, log_path: Path | None = None) -> Iterator[str]:
    """Start `python -m verifiers serve` on a free port; yield its base URL once /health answers.

    The server's output goes to a file (`log_path`, or a temporary one), not a pipe: nobody reads a
    pipe while the tests run, and a server that logs more than the pipe holds would block on its next
    log line."""
    port = free_port()
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    log = log_path.open("w+b") if log_path is not None else tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "verifiers", "serve", "--port", str(port), *(args or [])],
        env=full_env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read().decode(errors='replace')}")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("server did not come up")
            time.sleep(0.2)
        yield url
    finally:
        stop_process(proc, 30)
        log.close()


def stop_process(proc: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `grace_s`; reaped either way."""
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def local_ray_cluster(nodes: int = 2, cpus_per_node: int = 1, gpu_nodes: int = 0) -> Iterator[str]:
    """A Ray cluster of `nodes` CPU raylets plus `gpu_nodes` that declare one (logical) GPU, all
    on this machine; yields its address."""
    from ray.cluster_utils import Cluster

    # A small object store each: only call arguments travel through it, and CI containers have a
    # small /dev/shm.
    node = {"num_cpus": cpus_per_node, "object_store_memory": 100 * 2**20}
    cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    try:
        for _ in range(nodes - 1):
            cluster.add_node(**node)
        for _ in range(gpu_nodes):
            cluster.add_node(**node, num_gpus=1)
        cluster.wait_for_nodes()
        yield cluster.address
    finally:
        cluster.shutdown()


LOOP_FACTORIES = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, object]:
    """Async tests run on asyncio's own event loop; one that must also hold on uvloop's, which
    uvicorn runs the service on, asks for both: `@pytest.mark.asyncio(loop_factories=[...])`."""
    marker = item.get_closest_marker("asyncio")
    wanted = marker.kwargs.get("loop_factories", ["asyncio"]) if marker is not None else ["asyncio"]
    return {name: LOOP_FACTORIES[name] for name in wanted}


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """The service on its defaults (all domains that load here)."""
    with running_server() as url:
        yield url
