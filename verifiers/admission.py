"""Admission control: a bound on the items a domain holds, so a burst queues or is refused
instead of growing memory and latency without limit.

Two ways in. `/score` callers can retry, so a request that does not fit is refused at once
(`try_admit`, all or nothing: the server answers 429 with Retry-After and nothing is half done).
OpenRLHF's `/get_reward` client crashes the run after five failed attempts, so its samples wait
for room (`admit`, first come first served) up to a deadline, then become `infra_error`.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Admission:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.admitted = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    @property
    def waiting(self) -> int:
        return sum(n for n, _ in self._waiters)

    def try_admit(self, n: int) -> bool:
        """Admit `n` items now or none. A request larger than the whole bound is admitted when
        the domain is idle, so no request is refused forever."""
        if self._waiters or (self.admitted + n > self.capacity and self.admitted > 0):
            return False
        self.admitted += n
        return True

    async def admit(self, n: int, timeout_s: float) -> bool:
        """Wait (first come, first served) until `n` items fit; False if `timeout_s` passes first."""
        if self.try_admit(n):
            return True
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (n, fut)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(asyncio.shield(fut), timeout_s)
            return True
        except TimeoutError:
            if fut.done():  # admitted in the same turn the deadline fired: keep the slot
                return True
            self._waiters.remove(entry)
            self.release(0)  # whoever queued behind it may fit now
            return False
        except asyncio.CancelledError:
            if fut.done():
                self.release(n)
            else:
                self._waiters.remove(entry)
                self.release(0)
            raise

    def release(self, n: int) -> None:
        self.admitted -= n
        while self._waiters:
            want, fut = self._waiters[0]
            if fut.cancelled():
                self._waiters.popleft()
                continue
            if self.admitted + want > self.capacity and self.admitted > 0:
                break
            self._waiters.popleft()
            self.admitted += want
            fut.set_result(None)
