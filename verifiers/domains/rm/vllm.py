"""A remote vLLM server run with the pooling runner, reached over HTTP.

vLLM applies the model's chat template itself when sent `messages` (no generation prompt), so the
service needs neither torch nor the tokenizer for this backend. `use_activation: false` asks for
the raw Bradley-Terry score: by default vLLM passes a one-label classifier through a sigmoid, and
the combined IF + RM reward needs raw scores to normalise. Connection errors, timeouts and 5xx
are retried; what still fails raises `BackendError` (masked `infra_error`). A 4xx refuses one
input, not the server: only that sample is masked, and readiness is untouched.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

import httpx

from verifiers.domains.rm.backend import BackendError, Conversation, Scored
from verifiers.domains.rm.settings import RMVLLMSettings
from verifiers.retry import pause_before


class VLLMRewardModel:
    name = "vllm"

    def __init__(self, settings: RMVLLMSettings) -> None:
        self.settings = settings
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self._last_error: str | None = None

    async def start(self) -> None:
        limits = httpx.Limits(max_connections=self.settings.max_concurrency)
        self._client = httpx.AsyncClient(base_url=self.settings.url, timeout=self.settings.timeout_s, limits=limits)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Ready until a request fails for good; the next success makes it ready again."""
        detail: dict[str, Any] = {"url": self.settings.url, "endpoint": f"/{self.settings.endpoint}"}
        if self._last_error:
            detail["error"] = self._last_error
        return self._last_error is None, detail

    async def score(self, conversations: Sequence[Conversation]) -> list[Scored]:
        """One request per conversation; a refused one is marked, the server being down raises."""
        results = await asyncio.gather(*(self._score_one(c) for c in conversations), return_exceptions=True)
        out = []
        for result in results:
            if isinstance(result, _Refused):
                out.append(Scored(math.nan, error=str(result)))
            elif isinstance(result, BaseException):
                raise result
            else:
                out.append(result)
        return out

    async def _score_one(self, conversation: Conversation) -> Scored:
        body: dict[str, Any] = {"messages": conversation, "add_generation_prompt": False, "use_activation": False}
        if self.settings.model:
            body["model"] = self.settings.model
        async with self._slots:
            reply = await self._post(body)
        try:
            value = _first_number(reply["data"][0]["probs" if self.settings.endpoint == "classify" else "data"])
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise BackendError(f"unexpected reply from vLLM /{self.settings.endpoint}: {str(reply)[:200]}") from exc
        tokens = reply.get("usage", {}).get("prompt_tokens") if isinstance(reply.get("usage"), dict) else None
        return Scored(value, tokens if isinstance(tokens, int) else None)

    async def _post(self, body: dict[str, Any]) -> Any:
        if self._client is None:
            raise BackendError("the vLLM backend is not started")
        path = f"/{self.settings.endpoint}"
        error = ""
        for attempt in range(self.settings.retries + 1):
            if attempt:
                await asyncio.sleep(pause_before(attempt))
            try:
                reply = await self._client.post(path, json=body)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
                continue
            if reply.status_code >= 500:
                error = f"HTTP {reply.status_code}: {reply.text[:200]}"
                continue
            if reply.status_code != 200:  # the server refused this input: retrying cannot help, and it is up
                raise _Refused(f"vLLM refused the input: HTTP {reply.status_code}: {reply.text[:200]}")
            self._last_error = None
            return reply.json()
        self._last_error = f"vLLM at {self.settings.url}{path}: {error}"
        raise BackendError(self._last_error)


class _Refused(BackendError):
    """A 4xx for one input: that sample is masked, the others are scored."""


def _first_number(value: Any) -> float:
    """The score from a pooling output: a number, or the first element of (nested) lists."""
    while isinstance(value, list):
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return float(value)
