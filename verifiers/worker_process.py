"""Entry point of a `KillablePool` worker: `python -m verifiers.worker_process TARGET FD [...]`.

Reads argument tuples from the connection on FD, calls TARGET ("module:function") and sends back
("ok", result) or ("exc", message). Exits on EOF, and (Linux) when its parent dies, so a killed
server leaves no workers behind.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import resource
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

_PR_SET_PDEATHSIG = 1


def _resolve(path: str) -> Callable[..., Any]:
    module, _, attr = path.partition(":")
    fn: Callable[..., Any] = getattr(importlib.import_module(module), attr)
    return fn


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="verifiers.worker_process")
    parser.add_argument("target")
    parser.add_argument("fd", type=int)
    parser.add_argument("--init", nargs="+", default=None, metavar=("FUNCTION", "ARG"))
    parser.add_argument("--memory-limit-mb", type=int, default=None)
    args = parser.parse_args(argv)

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent owns shutdown
    _die_with_parent()
    conn = Connection(args.fd)
    fn = _resolve(args.target)
    if args.init:
        _resolve(args.init[0])(*args.init[1:])
    if args.memory_limit_mb:
        limit = args.memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    conn.send(("ready", None))  # imports and warm-up done: the parent may count this worker
    while True:
        try:
            call_args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", fn(*call_args))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which decides
            reply = ("exc", f"{type(exc).__name__}: {exc}")
        conn.send(reply)


if __name__ == "__main__":
    main()
