"""The compose backend: runner replicas started by `docker compose` (the `sandbox` service).

The API holds no Docker socket here. Each replica's runner listens on `<hostname>.sock` in a volume
shared with the API (a small tmpfs, root-owned, readable by the API's group only: tests run as
another uid and cannot enter it); a host claims one socket nobody else in the pool holds, and
trusts it only if a runner's uid serves it (`UnixSocketHost.connect`). A replica that dies is
restarted by compose (`restart: always`) under the same hostname, so a failed host simply
reconnects, to the same socket or any other free one.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import time

from sandbox.backends.base import HostFailure
from sandbox.backends.pool import RunnerPool
from sandbox.backends.unix import UnixSocketHost

log = logging.getLogger(__name__)


class ComposeHost(UnixSocketHost):
    def __init__(
        self,
        socket_dir: str,
        claimed: set[str],
        timeout_s: float = 60.0,
        restart_timeout_s: float = 2.0,
        runner_uid: int = 0,
    ) -> None:
        super().__init__(runner_uid)
        self.socket_dir = socket_dir
        self.claimed = claimed  # shared by the pool's hosts: one connection per runner
        self.timeout_s = timeout_s
        self.restart_timeout_s = restart_timeout_s
        self.path: str | None = None
        self._started = False

    async def start(self) -> None:
        """Connect to a free replica. The first start waits for replicas to appear (they may start
        after the API); a restart waits briefly, so a replica still restarting costs the pool
        little (it tries again when the host is next picked)."""
        wait_s = self.restart_timeout_s if self._started else self.timeout_s
        self._started = True
        deadline = time.monotonic() + wait_s
        last = "no runner socket"
        while time.monotonic() < deadline:
            for path in sorted(glob.glob(os.path.join(self.socket_dir, "*.sock"))):
                if path in self.claimed:
                    continue
                self.claimed.add(path)
                try:
                    await self.connect(path, self.timeout_s)  # may wait for the runner's current job
                except HostFailure as exc:  # stale (a removed replica), restarting, or not a runner's
                    self.claimed.discard(path)
                    last = str(exc)
                    if "refusing" in last:
                        log.warning("%s", last)
                    continue
                self.path = path
                return
            await asyncio.sleep(0.2)
        raise HostFailure(f"no free sandbox replica in {self.socket_dir} after {wait_s:g} s: {last}")

    async def close(self) -> None:
        await self.disconnect()
        if self.path is not None:
            self.claimed.discard(self.path)
            self.path = None


def compose_pool(size: int, socket_dir: str, recycle_after: int = 0, runner_uid: int = 0) -> RunnerPool:
    """`size` connections, one per replica: run compose with at least `size` sandbox replicas."""
    claimed: set[str] = set()
    return RunnerPool(lambda i: ComposeHost(socket_dir, claimed, runner_uid=runner_uid), size, recycle_after)
