"""An in-test HTTP server speaking vLLM's pooling API (`/pooling`, `/classify`, `/health`).

It stands in for a GPU model server: the score of a conversation is a fixed function of its
messages (`expected_score`), passed through vLLM's default sigmoid unless the request says
`use_activation: false`, so a client that forgets to ask for raw scores gets wrong numbers.
`fail_next` makes the next N requests answer 503 and `delay_s` makes every reply late, to
exercise retries and timeouts; an assistant turn
`REFUSE` gets a 400, like an input the server rejects.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.conftest import free_port


def expected_score(messages: list[dict[str, str]]) -> float:
    return len(messages[-1]["content"]) / 10.0 - len(messages)


@dataclass
class FakeVLLM:
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    delay_s: float = 0.0

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"path": request.path, **body})
        await asyncio.sleep(self.delay_s)
        if self.fail_next:
            self.fail_next -= 1
            return web.json_response({"error": "overloaded"}, status=503)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or messages[-1]["content"] == "REFUSE":
            return web.json_response({"error": "input refused"}, status=400)
        raw = expected_score(messages)
        value = raw if body.get("use_activation") is False else 1 / (1 + math.exp(-raw))
        item = {"index": 0, "probs": [value], "num_classes": 1} if request.path == "/classify" else \
            {"index": 0, "object": "pooling", "data": [value]}
        return web.json_response({"id": "pool-1", "data": [item], "usage": {"prompt_tokens": 7}})

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="")


@contextlib.asynccontextmanager
async def fake_vllm() -> AsyncIterator[FakeVLLM]:
    fake = FakeVLLM()
    app = web.Application()
    app.router.add_post("/pooling", fake._handle)
    app.router.add_post("/classify", fake._handle)
    app.router.add_get("/health", fake._health)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()
