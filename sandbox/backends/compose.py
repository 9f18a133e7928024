"""The compose backend: runner replicas started by `docker compose` (the `sandbox` service).

The API holds no Docker socket here. Each replica's runner listens on `<hostname>.sock` in a volume
shared with the API; a host claims one socket nobody else in the pool holds. A replica that dies
is restarted by compose (`restart: always`) under the same hostname, so a failed host simply
reconnects, to the same socket or any other free one.
"""

from __future__ import annotations

import asyncio
import glob
import os
import time

from sandbox.backends.base import HostFailure
from sandbox.backends.pool import RunnerPool
from sandbox.backends.unix import UnixSocketHost


class ComposeHost(UnixSocketHost):
    def __init__(self, socket_dir: str, claimed: set[str], timeout_s: float = 60.0) -> None:
        super().__init__()
        self.socket_dir = socket_dir
        self.claimed = claimed  # shared by the pool's hosts: one connection per runner
        self.timeout_s = timeout_s
        self.path: str | None = None

    async def start(self) -> None:
        """Connect to a free replica, waiting for one to appear (replicas may start after us)."""
        deadline = time.monotonic() + self.timeout_s
        last = "no runner socket"
        while time.monotonic() < deadline:
            for path in sorted(glob.glob(os.path.join(self.socket_dir, "*.sock"))):
                if path in self.claimed:
                    continue
                self.claimed.add(path)
                try:
                    await self.connect(path, self.timeout_s)
                except HostFailure as exc:  # a stale socket of a removed replica, or one restarting
                    self.claimed.discard(path)
                    last = str(exc)
                    continue
                self.path = path
                return
            await asyncio.sleep(0.2)
        raise HostFailure(f"no free sandbox replica in {self.socket_dir} after {self.timeout_s:g} s: {last}")

    async def close(self) -> None:
        await self.disconnect()
        if self.path is not None:
            self.claimed.discard(self.path)
            self.path = None


def compose_pool(size: int, socket_dir: str, recycle_after: int = 0) -> RunnerPool:
    """`size` connections, one per replica: run compose with at least `size` sandbox replicas."""
    claimed: set[str] = set()
    return RunnerPool(lambda i: ComposeHost(socket_dir, claimed), size, recycle_after)
