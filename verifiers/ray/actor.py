"""The Ray actor that hosts one node-local pool (math workers or sandbox runners).

The actor builds its pool with the same factory the single-machine service uses, so a check runs
under identical limits wherever it lands. Outcomes, including the pool's own exceptions
(`TaskTimeout`, `HostFailure`, ...), travel back as values: the caller re-raises them unchanged and
keeps Ray's own errors for one meaning only, "this actor is gone".
"""

from __future__ import annotations

import asyncio
import itertools
import os
from typing import Any

import ray

from verifiers.pools import PoolFactory


class NodePool:
    def __init__(self, factory: PoolFactory[Any], settings: Any, index: int) -> None:
        self._pool = factory(settings, index=index)
        self._running: dict[int, tuple[str, tuple[Any, ...]]] = {}
        self._ids = itertools.count()

    async def start(self) -> dict[str, Any]:
        await self._pool.start()
        return self.info()

    def info(self) -> dict[str, Any]:
        """Where this actor runs: its process and its Ray node."""
        return {"pid": os.getpid(), "node_id": ray.get_runtime_context().get_node_id()}

    async def close(self) -> None:
        await self._pool.close()

    async def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[bool, Any]:
        """(True, result) or (False, the exception the pool raised)."""
        call_id = next(self._ids)
        self._running[call_id] = (method, args)
        try:
            return True, await getattr(self._pool, method)(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - handed to the caller, which owns the decision
            return False, exc
        finally:
            del self._running[call_id]

    async def watch(self) -> None:
        """Never returns: the caller's pending call fails the moment this actor dies, which tells
        the pool about a death even while no work is in flight."""
        await asyncio.Event().wait()

    def running(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The calls in progress here: lets an operator (or a test) see what a failure would hit."""
        return list(self._running.values())
