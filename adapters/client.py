"""Async client for the native `POST /score` endpoint, shared by the verl and TRL adapters.

Trainers call reward functions from their own event loops (TRL: a daemon loop thread; verl: its
reward loop), possibly several, so one aiohttp session is kept per running loop. Its contract is
the trainer's: every item gets a result. Transient failures (connection errors, 5xx, 429 with
`Retry-After`) are retried with back-off; if the service stays unreachable the items come back as
masked `infra_error` results, so a run survives a service restart. A label the service refuses
(422) becomes an `error` result for that item, naming the field, and the other items are scored.

Only aiohttp is needed (verl has it through Ray, TRL through `datasets`; the label rule,
`verifiers.labels`, is standard library only), so the trainer environment can install this package
with `pip install --no-deps`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import weakref
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from verifiers.errors import LabelError
from verifiers.labels import route_label

log = logging.getLogger(__name__)

STATUSES = ("correct", "incorrect", "format_error", "timeout", "error", "infra_error")
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class ServiceUnavailable(Exception):
    """Every attempt failed; the message says how the last one did."""


@dataclass
class ServiceClient:
    """Settings default to the same `CASCADE_VERIFIERS_*` variables as the OpenRLHF plugin."""

    url: str = field(default_factory=lambda: os.environ.get("CASCADE_VERIFIERS_URL", "http://127.0.0.1:8000"))
    token: str | None = field(default_factory=lambda: os.environ.get("CASCADE_VERIFIERS_TOKEN") or None)
    timeout_s: float = field(default_factory=lambda: float(os.environ.get("CASCADE_VERIFIERS_TIMEOUT_S", "60")))
    attempts: int = field(default_factory=lambda: int(os.environ.get("CASCADE_VERIFIERS_ATTEMPTS", "4")))
    backoff_s: float = field(default_factory=lambda: float(os.environ.get("CASCADE_VERIFIERS_BACKOFF_S", "0.5")))
    infra_reward: float = field(
        default_factory=lambda: float(os.environ.get("CASCADE_VERIFIERS_INFRA_REWARD", "0")))
    _sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = field(
        default_factory=weakref.WeakKeyDictionary, init=False, repr=False)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        if self.url.endswith("/score") or self.url.endswith("/get_reward"):
            self.url = self.url.rsplit("/", 1)[0]
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"the service URL must be http(s)://HOST:PORT, got {self.url!r}")

    def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            session = aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=self.timeout_s))
            self._sessions[loop] = session
        return session

    async def close(self) -> None:
        """Close this loop's session (trainers that exit cleanly may call it)."""
        session = self._sessions.pop(asyncio.get_running_loop(), None)
        if session is not None:
            await session.close()

    async def score(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One result per item, in order: `{"reward", "score", "status", "mask", "details"}`."""
        results: list[dict[str, Any] | None] = [None] * len(items)
        pending = list(range(len(items)))
        while pending:
            try:
                status, body = await self._post([items[i] for i in pending])
            except ServiceUnavailable as exc:
                log.error("verifier service unavailable, %d item(s) masked: %s", len(pending), exc)
                for i in pending:
                    results[i] = self.masked(str(exc))
                break
            if status == 200:
                for i, result in zip(pending, body["results"]):
                    results[i] = result
                break
            refused = _refused_items(body, len(pending))  # 422: mark the named items, resend the rest
            if not refused:
                for i in pending:
                    results[i] = _error(f"service refused the request: {json.dumps(body)[:500]}")
                break
            for position, message in refused.items():
                results[pending[position]] = _error(message)
            pending = [i for k, i in enumerate(pending) if k not in refused]
        return [r for r in results if r is not None]

    async def _post(self, items: list[dict[str, Any]]) -> tuple[int, Any]:
        delay, last = self.backoff_s, "no attempt"
        for attempt in range(1, self.attempts + 1):
            try:
                async with self._session().post(f"{self.url}/score", json={"items": items}) as reply:
                    if reply.status in (200, 422):
                        return reply.status, await reply.json()
                    text = (await reply.text())[:200]
                    if reply.status not in _RETRY_STATUSES:
                        raise ServiceUnavailable(f"HTTP {reply.status}: {text}")
                    last = f"HTTP {reply.status}: {text}"
                    wait = float(reply.headers.get("Retry-After", delay)) if reply.status == 429 else delay
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                last, wait = f"{type(exc).__name__}: {exc}", delay
            if attempt < self.attempts:
                log.warning("verifier service attempt %d/%d failed: %s", attempt, self.attempts, last)
                await asyncio.sleep(min(wait, 30.0))
                delay = min(8.0, delay * 2)
        raise ServiceUnavailable(f"{self.attempts} attempts failed; last: {last}")

    def masked(self, reason: str) -> dict[str, Any]:
        return {"reward": self.infra_reward, "score": 0.0, "status": "infra_error", "mask": True,
                "details": {"reason": reason}}


def _error(message: str) -> dict[str, Any]:
    return {"reward": 0.0, "score": 0.0, "status": "error", "mask": False, "details": {"reason": message}}


def _refused_items(body: Any, n: int) -> dict[int, str]:
    """Item index -> message from a 422 `detail` whose `loc` is ["body", "items", i, ...]."""
    refused: dict[int, str] = {}
    for entry in body.get("detail", []) if isinstance(body, dict) else []:
        loc = entry.get("loc", []) if isinstance(entry, dict) else []
        if len(loc) >= 3 and loc[:2] == ["body", "items"] and isinstance(loc[2], int) and 0 <= loc[2] < n:
            where = ".".join(str(part) for part in loc[3:]) or "item"
            refused.setdefault(loc[2], f"{where}: {entry.get('msg', 'invalid')}")
    return refused


def native_item(response: str, label: Any, default_domain: str) -> dict[str, Any]:
    """A `/score` item for a dataset's label value, routed by the service's own label rule
    (`verifiers.labels`): a JSON object (or its JSON string) names its `domain` and may carry a
    `group_id`, a bare answer goes to `default_domain`. A label the rule refuses is sent unchanged,
    so the service's 422 names the problem and the item's result is an `error`."""
    try:
        routed = route_label(label, default_domain)
    except LabelError:
        return {"domain": default_domain, "response": response, "label": label}
    item = {"domain": routed.domain, "response": response, "label": routed.payload}
    if routed.group_id is not None:
        item["group_id"] = routed.group_id
    return item


def flags(result: dict[str, Any]) -> dict[str, float]:
    """Numeric per-sample metrics with a fixed key set: one flag per verdict status and `masked`."""
    status = result.get("status")
    return {**{f"verifier_{s}": float(status == s) for s in STATUSES}, "masked": float(bool(result.get("mask")))}
