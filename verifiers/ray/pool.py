"""A pool of `NodePool` actors, one per CPU node, that the verifiers use like their local pools.

Calls go to the live actor with the fewest calls in flight. When an actor dies (its node is lost,
its process is killed), every call it held fails with `ActorLost`, an `InfraFailure`, which the
verifier turns into a masked `infra_error`; calls on the other actors are untouched, and a
replacement actor is started in the background on a live node. Calls are not retried on another
actor: a lost actor says nothing about the sample, and a masked sample is always safe to train on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.exceptions import ActorUnavailableError, RayActorError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from verifiers.errors import ActorLost
from verifiers.pools import PoolFactory
from verifiers.ray.actor import NodePool
from verifiers.ray.cluster import connect, cpu_nodes
from verifiers.settings import RaySettings

log = logging.getLogger(__name__)

_ACTOR_CONCURRENCY = 100_000  # the node-local pool queues; the actor must never refuse a call


@dataclass
class _Slot:
    index: int
    handle: Any = None
    node_id: str = ""
    pid: int = 0
    in_flight: int = 0
    alive: bool = False
    restarting: asyncio.Task[None] | None = field(default=None, repr=False)
    watcher: asyncio.Task[None] | None = field(default=None, repr=False)


class RayPool:
    """Stands in for a node-local pool: `name` labels the actors, each of which builds its pool with
    `factory(settings, index=...)` (`verifiers.pools.PoolFactory`) and serves `run` (worker pools)
    and `execute` (sandbox pools) calls with it."""

    def __init__(self, name: str, factory: PoolFactory[Any], settings: Any, *, ray: RaySettings) -> None:
        self.name = name
        self._factory = factory
        self._pool_settings = settings
        self._settings = ray
        self._slots: list[_Slot] = []
        self._next_index = 0
        self.replaced = 0  # actors replaced after a loss, as `RunnerPool.replaced` counts runners

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        connect(self._settings)
        nodes = cpu_nodes(self._settings.cpu_nodes_only)
        if not nodes:
            raise RuntimeError(f"Ray cluster at {self._settings.address} has no live node")
        count = self._settings.actors_per_node * len(nodes)
        self._slots = [_Slot(i) for i in range(count)]
        self._next_index = count
        await asyncio.gather(*(self._launch(slot, nodes[i % len(nodes)]) for i, slot in enumerate(self._slots)))
        log.info("%s: %d Ray actors on %d nodes", self.name, count, len(nodes))

    async def close(self) -> None:
        for slot in self._slots:
            for task in (slot.restarting, slot.watcher):
                if task is not None:
                    task.cancel()
        await asyncio.gather(*(self._stop(slot) for slot in self._slots), return_exceptions=True)
        self._slots = []

    @property
    def size(self) -> int:
        return len(self._slots)

    @property
    def alive(self) -> int:
        return sum(s.alive for s in self._slots)

    # -- work --------------------------------------------------------------------------------

    async def run(self, *args: Any, affinity: int | None = None) -> Any:
        """`KillablePool.run` on a node's pool."""
        return await self._call("run", *args, affinity=affinity)

    async def execute(self, job: dict[str, Any]) -> dict[str, Any]:
        """`RunnerPool.execute` on a node's pool."""
        result: dict[str, Any] = await self._call("execute", job)
        return result

    def describe(self) -> dict[str, Any]:
        """Each actor's node-local pool confines tests as the domain's backend does on that node."""
        return {"ray_actors": self.alive}

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """`method(*args, **kwargs)` on a node-local pool; its exceptions are re-raised as they were."""
        live = [s for s in self._slots if s.alive]
        if not live:
            raise ActorLost(f"{self.name}: no live Ray actor")
        slot = min(live, key=lambda s: s.in_flight)
        handle, where = slot.handle, f"Ray actor {slot.index} (pid {slot.pid}, node {slot.node_id[:12]})"
        slot.in_flight += 1
        try:
            ok, value = await handle.call.remote(method, args, kwargs)
        except (RayActorError, ActorUnavailableError) as exc:
            self._on_lost(slot, handle)
            raise ActorLost(f"{self.name}: {where} died under this call: {type(exc).__name__}") from None
        finally:
            slot.in_flight -= 1
        if not ok:
            raise value
        return value

    # -- actors ------------------------------------------------------------------------------

    async def _launch(self, slot: _Slot, node_id: str) -> None:
        options: dict[str, Any] = {
            "name": f"verifiers-{self.name}-{slot.index}-{uuid.uuid4().hex[:8]}",
            "num_cpus": self._settings.actor_num_cpus,
            "max_concurrency": _ACTOR_CONCURRENCY,
            "scheduling_strategy": NodeAffinitySchedulingStrategy(node_id, soft=False),
        }
        # An actor handle's methods are made at run time; Ray's annotations do not describe them.
        handle: Any = ray.remote(NodePool).options(**options).remote(self._factory, self._pool_settings, slot.index)
        try:
            info = await asyncio.wait_for(handle.start.remote(), self._settings.start_timeout_s)
        except BaseException:
            ray.kill(handle)  # unschedulable, failed or too slow: leave nothing half started behind
            raise
        slot.handle, slot.node_id, slot.pid, slot.alive = handle, info["node_id"], info["pid"], True
        slot.watcher = asyncio.create_task(self._watch(slot, handle))

    async def _watch(self, slot: _Slot, handle: Any) -> None:
        """Notice an actor's death while it is idle, so no later call is sent to it."""
        try:
            await handle.watch.remote()
        except (RayActorError, ActorUnavailableError):
            self._on_lost(slot, handle)

    async def _stop(self, slot: _Slot) -> None:
        handle, slot.handle, slot.alive = slot.handle, None, False
        if handle is None:
            return
        try:
            await asyncio.wait_for(handle.close.remote(), self._settings.close_timeout_s)
        except Exception as exc:  # noqa: BLE001 - a dead or stuck actor is killed below either way
            log.warning("%s: actor %d did not close cleanly: %r", self.name, slot.index, exc)
        ray.kill(handle)

    def _on_lost(self, slot: _Slot, handle: Any) -> None:
        if slot.handle is not handle or slot.restarting is not None:
            return  # another call already noticed this actor's death
        log.error(
            "%s: Ray actor %d (pid %d, node %s) died; starting a replacement",
            self.name,
            slot.index,
            slot.pid,
            slot.node_id,
        )
        slot.alive = False
        slot.restarting = asyncio.create_task(self._restart(slot, handle))

    async def _restart(self, slot: _Slot, dead: Any) -> None:
        with contextlib.suppress(Exception):  # it is already gone
            ray.kill(dead)
        while True:
            try:
                nodes = cpu_nodes(self._settings.cpu_nodes_only)
                load = {n: sum(1 for s in self._slots if s.alive and s.node_id == n) for n in nodes}
                slot.index, self._next_index = self._next_index, self._next_index + 1
                await self._launch(slot, min(nodes, key=load.__getitem__))
                self.replaced += 1
                log.info("%s: replacement actor %d up on node %s", self.name, slot.index, slot.node_id)
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: replacing a lost actor failed; retrying", self.name)
                await asyncio.sleep(self._settings.restart_backoff_s)
        slot.restarting = None
