"""A pool of runner hosts, whatever hosts them: local namespaces, Docker containers, compose replicas.

The policy lives here once: a job goes to an idle host; when the host fails (`HostFailure`) it is
replaced and the job retried once on another host, and a second failure is reported to the caller
(the sample becomes `infra_error`, never a wrong reward). A host is also recycled after
`recycle_after` jobs, so state a program managed to leave behind (a full tmpfs, a leaked file)
cannot accumulate for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sandbox.backends.base import HostFailure, RunnerHost, job_budget_s

log = logging.getLogger(__name__)


class RunnerPool:
    def __init__(self, factory: Callable[[int], RunnerHost], size: int, recycle_after: int = 0) -> None:
        """`factory(i)` builds host i (not started); `recycle_after` 0 never recycles."""
        self.size = size
        self.recycle_after = recycle_after
        self.hosts: list[RunnerHost] = [factory(i) for i in range(size)]
        self._jobs: dict[int, int] = {}
        self._idle: asyncio.Queue[RunnerHost] = asyncio.Queue()
        self.replaced = 0

    async def start(self) -> None:
        """Start every host; if any fails, stop the others and raise (nothing is left running)."""
        results = await asyncio.gather(*(h.start() for h in self.hosts), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            await self.close()
            raise errors[0]
        for h in self.hosts:
            self._jobs[id(h)] = 0
            self._idle.put_nowait(h)

    async def close(self) -> None:
        await asyncio.gather(*(h.close() for h in self.hosts), return_exceptions=True)

    @property
    def alive(self) -> int:
        return sum(h.alive for h in self.hosts)

    @property
    def busy(self) -> list[RunnerHost]:
        """Hosts holding a job now (for tests that poison a runner mid-job)."""
        idle = {id(h) for h in self._idle._queue}  # type: ignore[attr-defined]
        return [h for h in self.hosts if id(h) not in idle]

    async def execute(self, job: dict[str, Any]) -> dict[str, Any]:
        """The runner's result; raises HostFailure when two runners failed on this job."""
        budget = job_budget_s(job)
        last: HostFailure | None = None
        for _ in range(2):
            host = await self._idle.get()
            try:
                if not host.alive:
                    await self._replace(host)
                result = await host.execute(job, budget)
                self._jobs[id(host)] += 1
                if self.recycle_after and self._jobs[id(host)] >= self.recycle_after:
                    with contextlib.suppress(HostFailure, OSError):  # retried when next picked
                        await self._replace(host)
                return result
            except HostFailure as exc:
                last = exc
                log.warning("sandbox host failed (%s); replacing it", exc)
                with contextlib.suppress(HostFailure, OSError):
                    await self._replace(host)
            finally:
                self._idle.put_nowait(host)
        assert last is not None
        raise last

    async def _replace(self, host: RunnerHost) -> None:
        """Restart `host` in place (a fresh runner, process or container)."""
        self._jobs[id(host)] = 0
        self.replaced += 1
        await host.close()
        await host.start()
