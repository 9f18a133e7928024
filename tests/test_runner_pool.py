"""RunnerPool policy on real local runners: recycling after N jobs, and replacing a dead host."""

from __future__ import annotations

import asyncio

import pytest

from sandbox.backends.local import LocalHost, LocalPool

_JOB = {"language": "python", "program": "print(int(input()) + 1)", "tests": [{"stdin": "1", "expected": "2"}]}


def test_host_is_recycled_after_n_jobs() -> None:
    async def go() -> tuple[list[str], int, set[int]]:
        pool = LocalPool(1, base_uid=61950, recycle_after=2)
        await pool.start()
        try:
            host = pool.hosts[0]
            assert isinstance(host, LocalHost)
            pids = set()
            verdicts = []
            for _ in range(5):
                assert host.proc is not None
                pids.add(host.proc.pid)
                verdicts.append((await pool.execute(_JOB))["verdict"])
            return verdicts, pool.replaced, pids
        finally:
            await pool.close()

    verdicts, replaced, pids = asyncio.run(go())
    assert verdicts == ["AC"] * 5
    assert replaced == 2 and len(pids) == 3  # jobs 1-2, 3-4 and 5 each had a fresh runner


def test_dead_host_is_replaced_before_its_next_job() -> None:
    async def go() -> tuple[str, int, int]:
        pool = LocalPool(1, base_uid=61950)
        await pool.start()
        try:
            host = pool.hosts[0]
            assert isinstance(host, LocalHost) and host.proc is not None
            host.proc.kill()
            await host.proc.wait()
            assert pool.alive == 0
            verdict = (await pool.execute(_JOB))["verdict"]
            return verdict, pool.replaced, pool.alive
        finally:
            await pool.close()

    assert asyncio.run(go()) == ("AC", 1, 1)


async def _kill_for_good(host: object) -> None:
    """Kill a local runner and take away its interpreter, so that it cannot be restarted."""
    assert isinstance(host, LocalHost) and host.proc is not None
    host.python = "/nonexistent/python3"
    host.proc.kill()
    await host.proc.wait()


def test_host_that_cannot_restart_does_not_cost_the_job() -> None:
    """One runner dies and cannot come back (its interpreter is gone): jobs go to the other one."""
    async def go() -> tuple[list[str], int]:
        pool = LocalPool(2, base_uid=61950)
        await pool.start()
        try:
            await _kill_for_good(pool.hosts[0])
            verdicts = [(await pool.execute(_JOB))["verdict"] for _ in range(4)]
            return verdicts, pool.alive
        finally:
            await pool.close()

    assert asyncio.run(go()) == (["AC"] * 4, 1)


def test_no_startable_host_is_a_host_failure() -> None:
    from sandbox.backends.base import HostFailure

    async def go() -> None:
        pool = LocalPool(1, base_uid=61950)
        await pool.start()
        try:
            await _kill_for_good(pool.hosts[0])
            with pytest.raises(HostFailure):
                await pool.execute(_JOB)
        finally:
            await pool.close()

    asyncio.run(go())
