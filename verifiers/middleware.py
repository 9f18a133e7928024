"""The two ASGI middlewares around every request: bearer-token auth inside request metrics.

Pure ASGI, not Starlette's `BaseHTTPMiddleware`: the hot path is thousands of small OpenRLHF
requests per second, and each one should cost a function call here, not a task and a stream.
`create_app` adds `RequestMetrics` outermost, so a request refused by `BearerAuth` is counted too.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from urllib.parse import parse_qs

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from verifiers.metrics import Metrics


class BearerAuth:
    """Every path except `open_paths` needs `Authorization: Bearer TOKEN` or `?token=TOKEN`
    (OpenRLHF's client sends no headers, but posts to the URL it is given verbatim)."""

    def __init__(self, app: ASGIApp, token: str, open_paths: Iterable[str] = ("/health",)) -> None:
        self.app = app
        self.token = token.encode()
        self.open_paths = frozenset(open_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        await JSONResponse({"detail": "missing or wrong bearer token"}, status_code=401)(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization" and value.startswith(b"Bearer "):
                return secrets.compare_digest(value[7:], self.token)
        given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [])
        return bool(given) and secrets.compare_digest(given[-1].encode(), self.token)


class RequestMetrics:
    """Request counts by endpoint and status code, and latency by endpoint. A path that is not one
    of `endpoints` is counted as "other", so a scan of random URLs cannot grow the label set."""

    def __init__(self, app: ASGIApp, metrics: Metrics, endpoints: Iterable[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.endpoints = frozenset(endpoints)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            endpoint = scope["path"] if scope["path"] in self.endpoints else "other"
            self.metrics.requests.labels(endpoint, str(status)).inc()
            self.metrics.request_latency.labels(endpoint).observe(time.perf_counter() - started)
