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


def _target(url: str) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return host, port, f"POST {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n".encode()


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes,
                    body: bytes) -> tuple[int, bytes]:
    """One request on an open connection: (status, body)."""
    writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    header = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in header.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return int(header[9:12]), await reader.readexactly(length)


async def post_all(url: str, bodies: list[bytes], connections: int) -> LoadResult:
    """POST every body to `url` over `connections` keep-alive connections; replies in input order."""
    host, port, head = _target(url)
    statuses = [0] * len(bodies)
    replies = [b""] * len(bodies)
    latencies: list[float] = []
    next_index = iter(range(len(bodies)))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for i in next_index:
                started = time.perf_counter()
                statuses[i], replies[i] = await _exchange(reader, writer, head, bodies[i])
                latencies.append(time.perf_counter() - started)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(min(connections, len(bodies)))))
    return LoadResult(time.perf_counter() - started, latencies, statuses, replies)


async def post_arrivals(url: str, bodies: list[bytes], offsets_s: list[float]) -> LoadResult:
    """POST body i on its own connection `offsets_s[i]` seconds after the start, as OpenRLHF's
    reward calls arrive when each sample finishes generating (all offsets 0: all at once).

    A request that fails at the transport level (refused, reset) keeps status 0; latency counts
    from the scheduled arrival, so time spent waiting for the server to accept is included."""
    host, port, head = _target(url)
    statuses = [0] * len(bodies)
    replies = [b""] * len(bodies)
    latencies = [0.0] * len(bodies)
    started = time.perf_counter()

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, started + offsets_s[i] - time.perf_counter()))
        arrival = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            return
        try:
            statuses[i], replies[i] = await _exchange(reader, writer, head, bodies[i])
            latencies[i] = time.perf_counter() - arrival
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    await asyncio.gather(*(one(i) for i in range(len(bodies))))
    return LoadResult(time.perf_counter() - started, latencies, statuses, replies)
