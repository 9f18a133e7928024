"""A lean HTTP/1.1 keep-alive load generator for benchmarks on the server's own machine.

The load generator shares the 2 cores with the server, so its own cost per request is part of
what is measured. A general client (aiohttp) spends several times more CPU per request than this
pre-encoded, keep-alive, Content-Length-only loop, which is all a JSON POST benchmark needs (the
same reason wrk exists).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    elapsed_s: float
    latencies_s: list[float]
    statuses: list[int]
    bodies: list[bytes]


async def post_all(url: str, bodies: list[bytes], connections: int) -> LoadResult:
    """POST every body to `url` over `connections` keep-alive connections; replies in input order."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = f"POST {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n".encode()
    statuses = [0] * len(bodies)
    replies = [b""] * len(bodies)
    latencies: list[float] = []
    next_index = iter(range(len(bodies)))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for i in next_index:
                body = bodies[i]
                started = time.perf_counter()
                writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
                header = await reader.readuntil(b"\r\n\r\n")
                statuses[i] = int(header[9:12])
                length = 0
                for line in header.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                replies[i] = await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(min(connections, len(bodies)))))
    return LoadResult(time.perf_counter() - started, latencies, statuses, replies)
