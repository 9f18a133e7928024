"""A pool of runner hosts, whatever hosts them: local namespaces, Docker containers, compose replicas.

The policy lives here once: a job goes to an idle host; when the host fails (`HostFailure`) it is
replaced and the job retried once on another host, and a second failure is reported to the caller
(the sample becomes `infra_error`, never a wrong reward). A host is also recycled after
`recycle_after` jobs, so state a program managed to leave behind (a full tmpfs, a leaked file)
cannot accumulate for ever.
"""

from __future__ import annotations

import asyncio
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
        self._busy: set[int] = set()  # id() of the hosts holding a job
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

    def describe(self) -> dict[str, Any]:
        """How tests are confined, as a runner of the pool reported it (for /ready)."""
        return next((dict(h.info) for h in self.hosts if h.alive and h.info), {})

    @property
    def busy(self) -> list[RunnerHost]:
        """Hosts holding a job now (for tests that poison a runner mid-job)."""
        return [h for h in self.hosts if id(h) in self._busy]

    async def execute(self, job: dict[str, Any]) -> dict[str, Any]:
        """The runner's result; raises HostFailure when two runners failed on this job, or when
        no host can be (re)started at all."""
        budget = job_budget_s(job)
        failures = unstartable = 0
        while True:
            host = await self._idle.get()
            self._busy.add(id(host))
            try:
                if not host.alive and not await self._revive(host):
                    # A dead host that cannot come back (its replica is still restarting) does
                    # not count against the job: try the others, unless none can start.
                    unstartable += 1
                    if unstartable >= self.size:
                        raise HostFailure("no sandbox runner could be started")
                    continue
                try:
                    result = await host.execute(job, budget)
                except HostFailure as exc:
                    failures += 1
                    log.warning("sandbox host failed (%s); replacing it", exc)
                    await self._revive(host)
                    if failures == 2:
                        raise HostFailure(f"failed on two runners, last: {exc}") from exc
                    continue
                self._jobs[id(host)] += 1
                if self.recycle_after and self._jobs[id(host)] >= self.recycle_after:
                    await self._revive(host)  # if this fails, the host is revived when next picked
                return result
            finally:
                self._busy.discard(id(host))
                self._idle.put_nowait(host)

    async def _revive(self, host: RunnerHost) -> bool:
        """Restart `host` in place (a fresh runner, process or container); False if it could not
        be started, in which case it stays dead until it is picked again."""
        self._jobs[id(host)] = 0
        self.replaced += 1
        await host.close()
        try:
            await host.start()
        except (HostFailure, OSError) as exc:
            log.warning("sandbox host could not be restarted: %s", exc)
            return False
        return True
