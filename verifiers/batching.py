"""Micro-batching: coalesce items submitted concurrently into one call.

OpenRLHF sends one HTTP request per sample, so batching must happen server-side: the first item to
arrive opens a window of `max_wait_s` (or one event-loop turn when 0); everything that arrives in
it, up to `max_batch_size`, runs as one batch. Batches run concurrently with each other; a verifier
that must serialise (one model forward at a time) does so itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class MicroBatcher(Generic[T, R]):
    def __init__(
        self,
        run_batch: Callable[[list[T]], Awaitable[list[R]]],
        max_batch_size: int,
        max_wait_s: float,
    ) -> None:
        self._run_batch = run_batch
        self._max_batch_size = max_batch_size
        self._max_wait_s = max_wait_s
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._timer: asyncio.TimerHandle | asyncio.Handle | None = None
        self._running: set[asyncio.Task[None]] = set()

    @property
    def depth(self) -> int:
        return len(self._pending)

    async def submit(self, item: T) -> R:
        fut: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self.submit_nowait(item, fut)
        return await fut

    def submit_nowait(self, item: T, fut: asyncio.Future[R]) -> None:
        self._pending.append((item, fut))
        if len(self._pending) >= self._max_batch_size:
            self._flush()
        elif self._timer is None:
            loop = asyncio.get_running_loop()
            if self._max_wait_s > 0:
                self._timer = loop.call_later(self._max_wait_s, self._flush)
            else:
                self._timer = loop.call_soon(self._flush)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._pending:
            batch = self._pending[: self._max_batch_size]
            del self._pending[: self._max_batch_size]
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._run_batch([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"batch of {len(batch)} returned {len(results)} results")
        except BaseException as exc:  # every waiter must hear about it
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
            if not isinstance(exc, Exception):
                raise
            return
        for (_, fut), result in zip(batch, results, strict=True):
            if not fut.done():  # the waiter may have gone (client disconnected)
                fut.set_result(result)

    async def drain(self) -> None:
        """Run what is pending and wait for every running batch (graceful shutdown)."""
        if self._pending:
            self._flush()
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)
