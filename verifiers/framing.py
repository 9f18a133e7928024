"""Messages between the service and its killable worker processes, of any size.

A message is an 8-byte big-endian length and a pickle (the arguments include pydantic labels and
the replies verdicts; both ends are our own code). The parent's end is asyncio streams, which write
and read a message of any size without blocking the event loop; the worker's end is a plain
blocking socket. The parent's end must never be read or written with blocking calls: uvloop makes
the socket non-blocking, and a message larger than the socket buffer then fails with EAGAIN
mid-message (every label over about 200 KB did, before this module).
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from typing import Any, BinaryIO

HEADER = struct.Struct(">Q")


def encode(message: Any) -> bytes:
    """The whole message, header included, ready to write."""
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(body)) + body


async def send(writer: asyncio.StreamWriter, message: Any) -> None:
    writer.write(encode(message))
    await writer.drain()


async def receive(reader: asyncio.StreamReader) -> Any:
    """The next message; `asyncio.IncompleteReadError` (an EOFError) if the stream ends first."""
    (size,) = HEADER.unpack(await reader.readexactly(HEADER.size))
    return pickle.loads(await reader.readexactly(size))


def read_message(stream: BinaryIO) -> Any:
    """The next message; EOFError if the stream ends first."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        raise EOFError("stream ended")
    (size,) = HEADER.unpack(header)
    body = stream.read(size)
    if len(body) < size:
        raise EOFError(f"stream ended {size - len(body)} bytes into a {size}-byte message")
    return pickle.loads(body)
