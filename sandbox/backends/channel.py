"""One job over a runner's byte stream (pipes or a Unix socket), with the host-side failure rules.

Every host speaks the same framing (4-byte big-endian length + JSON, see `sandbox/runner.py`), so
the rules that turn a broken runner into `HostFailure` live here once: a stream that ends or
breaks, a reply later than the job budget, or the runner's own `{"error": ...}`.
"""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

from sandbox.backends.base import HostFailure

READ_LIMIT = 1 << 26  # asyncio buffer limit: a reply holds at most every test's capped stderr


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, job: dict[str, Any], budget_s: float
) -> dict[str, Any]:
    """Send `job`, return the runner's result; raise HostFailure if the runner failed.

    After a failure the stream is out of step (a late reply would answer the next job), so the
    caller must drop the stream and its runner."""
    body = json.dumps(job).encode()
    try:
        async with asyncio.timeout(budget_s):
            writer.write(struct.pack(">I", len(body)) + body)
            await writer.drain()
            head = await reader.readexactly(4)
            reply = await reader.readexactly(struct.unpack(">I", head)[0])
    except (asyncio.IncompleteReadError, ConnectionError, OSError, TimeoutError) as exc:
        raise HostFailure(f"runner failed: {type(exc).__name__}") from exc
    result: dict[str, Any] = json.loads(reply)
    if "error" in result:
        raise HostFailure(f"runner error: {result['error']}")
    return result
