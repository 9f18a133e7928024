"""Entry point of a `KillablePool` worker: `python -m verifiers.worker_process TARGET FD`.

Over the socket on FD (messages of `verifiers.framing`): the first message is the set-up call,
`(INIT, ARGS)` ("module:function" or None, and its arguments), answered with ("ready", None) once
it has run; every later message is an argument tuple for TARGET ("module:function"), answered with
("ok", result) or ("exc", message). The set-up call travels over the socket, not the command line,
so it may carry settings of any size. Exits on EOF, and (Linux) when its parent dies, so a killed
server leaves no workers behind.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any, BinaryIO

from verifiers.framing import encode, read_message

_PR_SET_PDEATHSIG = 1


def resolve(path: str) -> Callable[..., Any]:
    """The function a "module:function" path names."""
    module, _, attr = path.partition(":")
    fn: Callable[..., Any] = getattr(importlib.import_module(module), attr)
    return fn


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _write(stream: BinaryIO, message: bytes) -> None:
    stream.write(message)
    stream.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="verifiers.worker_process")
    parser.add_argument("target")
    parser.add_argument("fd", type=int)
    args = parser.parse_args(argv)

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent owns shutdown
    _die_with_parent()
    sock = socket.socket(fileno=args.fd)
    sock.setblocking(True)
    reader, writer = sock.makefile("rb"), sock.makefile("wb")
    fn = resolve(args.target)
    try:
        init, init_args = read_message(reader)
    except EOFError:
        return
    if init is not None:
        resolve(init)(*init_args)
    _write(writer, encode(("ready", None)))  # imports and warm-up done: the parent may count this worker
    while True:
        try:
            call_args = read_message(reader)
        except (EOFError, OSError):
            return
        try:
            reply = encode(("ok", fn(*call_args)))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which decides (an unpicklable result too)
            reply = encode(("exc", f"{type(exc).__name__}: {exc}"))
        _write(writer, reply)


if __name__ == "__main__":
    main()
