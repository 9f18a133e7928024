"""OpenRLHF reward plugin: `--reward.remote_url /path/to/reward_func.py`.

OpenRLHF imports this file by path inside every vLLM rollout actor and calls
`reward_func(queries, prompts, labels)` in a worker thread, once per generated sample. It forwards
the sample to the Cascade Verifiers service (`POST /get_reward`), which does the verification.

Why a plugin rather than the service URL directly: OpenRLHF's own HTTP client opens a new
connection per attempt, sends no headers (no bearer token), retries 5 x 180 s and then leaves the
sample without a reward, which crashes the run. This file keeps one connection per thread, sends
`Authorization: Bearer`, bounds every attempt, backs off between retries, and when the service
stays unreachable returns a masked reward (`reward_service_error = 1` in `extra_logs`) so the run
goes on. It depends only on the standard library and torch, which every OpenRLHF install has,
because it is copied onto trainer nodes that do not have this project installed.

Configuration (environment of the Ray workers, e.g. `ray job submit --runtime-env-json
'{"env_vars": {...}}'`):
- `CASCADE_VERIFIERS_URL`        service base URL or full `/get_reward` URL (default http://127.0.0.1:8000)
- `CASCADE_VERIFIERS_TOKEN`      bearer token, if the service has `server.auth_token` set
- `CASCADE_VERIFIERS_TIMEOUT_S`  socket timeout of an attempt (connect, and each read), seconds (default 60)
- `CASCADE_VERIFIERS_ATTEMPTS`   attempts per call (default 4)
- `CASCADE_VERIFIERS_BACKOFF_S`  first back-off, doubled per retry, capped at 8 s (default 0.5)
- `CASCADE_VERIFIERS_INFRA_REWARD` reward given to a sample whose reward could not be obtained (default 0)
"""

# No `from __future__ import annotations`: OpenRLHF executes this file without registering it in
# sys.modules, and dataclasses cannot resolve string annotations of such a module.
import http.client
import json
import logging
import os
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import torch

log = logging.getLogger("cascade_verifiers.reward_func")

# The verdict taxonomy of the service. OpenRLHF concatenates every extra_logs key across samples,
# so every sample, served or failed, must carry exactly this key set.
STATUSES = ("correct", "incorrect", "format_error", "timeout", "error", "infra_error")
LOG_KEYS = tuple(f"verifier_{s}" for s in STATUSES) + ("reward_service_error",)

# Statuses worth another attempt: the service is overloaded, restarting or behind a failing proxy.
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class PermanentError(Exception):
    """The service answered, and asking again will not help (bad token, wrong path, bad reply)."""


class TransientStatus(Exception):
    """The service answered with a status worth another attempt (overloaded, restarting, proxy)."""


@dataclass(frozen=True)
class Config:
    url: urllib.parse.SplitResult
    token: str | None
    timeout_s: float
    attempts: int
    backoff_s: float
    infra_reward: float

    @classmethod
    def from_env(cls) -> "Config":
        raw = os.environ.get("CASCADE_VERIFIERS_URL", "http://127.0.0.1:8000").strip()
        url = urllib.parse.urlsplit(raw)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"CASCADE_VERIFIERS_URL must be an http(s) URL, got {raw!r}")
        if url.path.rstrip("/") in ("", "/"):
            url = url._replace(path="/get_reward")
        return cls(
            url=url,
            token=os.environ.get("CASCADE_VERIFIERS_TOKEN") or None,
            timeout_s=float(os.environ.get("CASCADE_VERIFIERS_TIMEOUT_S", "60")),
            attempts=max(1, int(os.environ.get("CASCADE_VERIFIERS_ATTEMPTS", "4"))),
            backoff_s=float(os.environ.get("CASCADE_VERIFIERS_BACKOFF_S", "0.5")),
            infra_reward=float(os.environ.get("CASCADE_VERIFIERS_INFRA_REWARD", "0")),
        )


class _ThreadConnection:
    """One thread's kept-alive connection, closed when the thread ends and its thread-local
    storage is released (left to the garbage collector, its socket would stay open until then)."""

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        self.conn = conn

    def __del__(self) -> None:
        self.conn.close()


class Client:
    """Posts OpenRLHF bodies to the service over one kept-alive connection per thread."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._local = threading.local()
        target = config.url.path + (f"?{config.url.query}" if config.url.query else "")
        self._target = target
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if config.token:
            self._headers["Authorization"] = f"Bearer {config.token}"

    def _connection(self) -> http.client.HTTPConnection:
        held = getattr(self._local, "held", None)
        if held is None:
            cls = http.client.HTTPSConnection if self.config.url.scheme == "https" else http.client.HTTPConnection
            held = _ThreadConnection(cls(self.config.url.hostname, self.config.url.port, timeout=self.config.timeout_s))
            self._local.held = held
        return held.conn

    def _drop_connection(self) -> None:
        held = getattr(self._local, "held", None)
        if held is not None:
            held.conn.close()
            self._local.held = None

    def _exchange(self, body: bytes) -> tuple[int, bytes]:
        conn = self._connection()
        try:
            conn.request("POST", self._target, body=body, headers=self._headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self._drop_connection()  # a half-used connection is never reused
            raise

    def _post_once(self, body: bytes) -> dict[str, Any]:
        held = getattr(self._local, "held", None)
        reused = held is not None and held.conn.sock is not None
        try:
            status, data = self._exchange(body)
        except ConnectionError:
            if not reused:
                raise
            # The server closed the idle kept-alive connection (uvicorn does after 5 s, and rollouts
            # pause for whole training phases): not a failure, ask again on a fresh connection.
            status, data = self._exchange(body)
        if status in _RETRY_STATUSES:
            raise TransientStatus(f"HTTP {status}: {data[:200]!r}")
        if status != 200:
            raise PermanentError(f"HTTP {status} from {self.config.url.geturl()}: {data[:200]!r}")
        try:
            return json.loads(data)
        except ValueError as exc:
            raise PermanentError(f"reply is not JSON: {exc}") from None

    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """The parsed reply; raises after the last failed attempt (PermanentError at once)."""
        encoded = json.dumps(body).encode()
        delay = self.config.backoff_s
        for attempt in range(1, self.config.attempts + 1):
            try:
                return self._post_once(encoded)
            except PermanentError:
                raise
            except (OSError, http.client.HTTPException, TransientStatus) as exc:
                if attempt == self.config.attempts:
                    raise
                log.warning("reward service attempt %d/%d failed: %s", attempt, self.config.attempts, exc)
                time.sleep(delay)
                delay = min(8.0, delay * 2)
        raise AssertionError("unreachable")


def _reply_to_tensors(reply: dict[str, Any], n: int) -> dict[str, Any]:
    """OpenRLHF's return form from the service's reply; PermanentError if the reply is malformed."""
    rewards, scores, logs = reply.get("rewards"), reply.get("scores"), reply.get("extra_logs") or {}
    if not isinstance(rewards, list) or len(rewards) != n:
        raise PermanentError(f"reply has no list of {n} rewards: {str(reply)[:200]}")
    if not isinstance(scores, list) or len(scores) != n:
        scores = rewards
    columns = {k: [float(v) for v in logs.get(k, [0.0] * n)] for k in LOG_KEYS[:-1]}
    columns["reward_service_error"] = [0.0] * n
    return {
        "rewards": torch.tensor([float(r) for r in rewards]),
        "scores": torch.tensor([float(s) for s in scores]),
        "extra_logs": {k: torch.tensor(v) for k, v in columns.items()},
    }


def _masked(n: int, reward: float) -> dict[str, Any]:
    """The reply for samples whose reward could not be obtained: flagged, never silently wrong."""
    flags = {k: torch.zeros(n) for k in LOG_KEYS}
    flags["verifier_infra_error"] = torch.ones(n)
    flags["reward_service_error"] = torch.ones(n)
    # score 0 for every sample: with dynamic filtering a fully failed group has zero variance and
    # is dropped; without it, a group of equal rewards has zero advantage.
    return {"rewards": torch.full((n,), reward), "scores": torch.zeros(n), "extra_logs": flags}


# Built at import, so a misconfigured URL fails when OpenRLHF loads the plugin, not mid-run.
_client = Client(Config.from_env())


def reward_func(queries: list[str], prompts: list[str], labels: list[Any]) -> dict[str, Any]:
    """OpenRLHF's entry point: rewards for `queries` (decoded prompt + response) as tensors of len N."""
    n = len(queries)
    try:
        reply = _client.post({"query": list(queries), "prompts": list(prompts), "labels": list(labels)})
        return _reply_to_tensors(reply, n)
    except Exception as exc:  # noqa: BLE001 - a reward failure must never end the training run
        log.error("reward service unavailable, %d sample(s) masked: %s", n, exc)
        return _masked(n, _client.config.infra_reward)
