"""The Docker pool under failure: a container killed mid-batch costs no verdict, and the pool heals."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sandbox.backends.docker import DockerHost
from tests.docker_support import make_pool, sandbox_containers

pytestmark = pytest.mark.docker

_UID = 62900


def test_killed_container_mid_batch_is_retried_and_replaced() -> None:
    async def go() -> tuple[list[dict[str, Any]], int, int, int]:
        pool = make_pool("docker", 2, _UID)
        await pool.start()
        try:
            jobs = [{"language": "python", "program": "import time\ntime.sleep(0.4)\nprint(int(input()) * 2)",
                     "tests": [{"stdin": str(i), "expected": str(2 * i)}], "limits": {"time_s": 2.0}}
                    for i in range(8)]
            batch = asyncio.gather(*(pool.execute(j) for j in jobs))
            await asyncio.sleep(0.2)
            victims = [h for h in pool.busy if isinstance(h, DockerHost) and h.container is not None]
            assert victims
            await asyncio.to_thread(victims[0].container.kill)
            results = await batch
            return results, pool.replaced, pool.alive, len(sandbox_containers())
        finally:
            await pool.close()

    results, replaced, alive, containers = asyncio.run(go())
    assert [r["verdict"] for r in results] == ["AC"] * 8
    assert replaced >= 1 and alive == 2 and containers == 2  # healed: a fresh container took its place
    assert sandbox_containers() == []


def test_containers_are_hardened() -> None:
    async def go() -> dict[str, Any]:
        pool = make_pool("docker", 1, _UID)
        await pool.start()
        try:
            host = pool.hosts[0]
            assert isinstance(host, DockerHost)
            await asyncio.to_thread(host.container.reload)
            return dict(host.container.attrs)
        finally:
            await pool.close()

    attrs = asyncio.run(go())
    hc = attrs["HostConfig"]
    assert hc["NetworkMode"] == "none" and hc["ReadonlyRootfs"] and hc["CapDrop"] == ["ALL"]
    assert "no-new-privileges" in hc["SecurityOpt"] and hc["PidsLimit"] > 0 and hc["Memory"] > 0
    assert hc["NanoCpus"] > 0 and "/tmp" in hc["Tmpfs"] and attrs["Config"]["User"] == f"{_UID}:{_UID}"
    assert sandbox_containers() == []
