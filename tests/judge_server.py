"""An in-test OpenAI-compatible chat-completions server standing in for a vLLM-served judge.

It answers `POST /v1/chat/completions` with a one-token reply carrying `logprobs.content[0]
.top_logprobs`, as vLLM does; P(yes) is `p_yes`, or `p_yes_for(user message)` when set. `mode`
switches it to the failures a real judge shows: slow replies, 5xx, malformed JSON, a reply without
logprobs, top tokens that are neither yes nor no.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.conftest import free_port


@dataclass
class JudgeServer:
    url: str = ""
    mode: str = "ok"
    p_yes: float = 0.8
    p_yes_for: Callable[[str], float] | None = None
    delay_s: float = 0.0
    failures_before_ok: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def top_logprobs(self, p_yes: float) -> list[dict[str, Any]]:
        # Mass split over case/space variants; a little on tokens that are neither.
        yes, no = p_yes * 0.9, (1 - p_yes) * 0.9
        entries = [("Yes", yes * 0.7), (" yes", yes * 0.2), ("YES", yes * 0.1),
                   ("No", no * 0.8), (" no", no * 0.2), ("The", 0.06), ("**", 0.04)]
        return [{"token": t, "logprob": math.log(p), "bytes": list(t.encode())} for t, p in entries if p > 0]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay_s)
            if self.failures_before_ok > 0:
                self.failures_before_ok -= 1
                return web.json_response({"error": "overloaded"}, status=503)
            p_yes = self.p_yes if self.p_yes_for is None else self.p_yes_for(body["messages"][-1]["content"])
            return self.reply(p_yes)
        finally:
            self.in_flight -= 1

    def reply(self, p_yes: float) -> web.StreamResponse:
        if self.mode == "not_json":
            return web.Response(text="<html>502 Bad Gateway</html>", content_type="text/html")
        if self.mode == "no_logprobs":
            return web.json_response({"choices": [{"index": 0, "message": {"role": "assistant", "content": "Yes"}}]})
        if self.mode == "bad_request":
            return web.json_response({"error": {"message": "top_logprobs must be <= 5"}}, status=400)
        top = self.top_logprobs(p_yes)
        if self.mode == "neither":
            top = [{"token": "The", "logprob": -0.1}, {"token": "**", "logprob": -2.5}]
        first = {"token": top[0]["token"], "logprob": top[0]["logprob"], "top_logprobs": top}
        return web.json_response({
            "id": "chatcmpl-test", "object": "chat.completion", "model": "judge",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": first["token"]},
                         "logprobs": {"content": [first]}, "finish_reason": "length"}],
        })


@contextlib.asynccontextmanager
async def judge_server(**behaviour: Any) -> AsyncIterator[JudgeServer]:
    server = JudgeServer(**behaviour)
    app = web.Application()
    app.router.add_post("/v1/chat/completions", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    server.url = f"http://127.0.0.1:{port}/v1"
    try:
        yield server
    finally:
        await runner.cleanup()
