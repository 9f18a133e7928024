"""A runner reached over a Unix socket: the transport shared by the Docker and compose backends.

Containers run with no network, so the runner listens on a socket in a directory shared with the
API (a bind mount or a compose volume). One connection per host stays open; when a job fails the
connection is dropped, because a late reply would otherwise answer the next job.

A socket is trusted only once the kernel vouches for the process behind it: its owner and the
listening process (SO_PEERCRED) must be the runner's uid (root in its container). Tests run as
another uid, so a fake runner planted by a test (had it found a way into the directory) is refused
instead of answering other samples' jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
from typing import Any

from sandbox.backends.base import HostFailure, RunnerHost, job_budget_s
from sandbox.backends.channel import READ_LIMIT, exchange

_PING = {"language": "python", "program": "", "tests": []}


class UnixSocketHost(RunnerHost):
    """Connection handling; subclasses decide where the runner comes from (`start`/`close`)."""

    def __init__(self, runner_uid: int = 0) -> None:
        self.runner_uid = runner_uid  # who a genuine runner's socket and process belong to
        self.info: dict[str, Any] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self, path: str, timeout_s: float = 30.0) -> None:
        """Connect, check that a runner of ours listens there, and round-trip an empty job, so
        `alive` means "serving jobs"."""
        try:
            owner = os.lstat(path).st_uid
            self._reader, self._writer = await asyncio.open_unix_connection(path, limit=READ_LIMIT)
        except OSError as exc:
            raise HostFailure(f"cannot connect to runner socket {path}: {exc}") from exc
        peer = peer_uid(self._writer.get_extra_info("socket"))
        if owner != self.runner_uid or peer != self.runner_uid:
            await self.disconnect()
            raise HostFailure(
                f"refusing runner socket {path}: owned by uid {owner}, served by uid {peer}, "
                f"expected uid {self.runner_uid} (a runner's)"
            )
        reply = await self.execute(_PING, timeout_s)
        self.info = reply.get("sandbox", {})

    async def disconnect(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()

    @property
    def alive(self) -> bool:
        return self._reader is not None and not self._reader.at_eof()

    async def execute(self, job: dict[str, Any], budget_s: float | None = None) -> dict[str, Any]:
        if self._reader is None or self._writer is None:
            raise HostFailure("runner is not connected")
        try:
            return await exchange(self._reader, self._writer, job, budget_s or job_budget_s(job))
        except HostFailure:
            await self.disconnect()
            raise


def peer_uid(sock: Any) -> int | None:
    """The uid of the process at the other end of a connected Unix socket (SO_PEERCRED)."""
    if sock is None:
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[1])
