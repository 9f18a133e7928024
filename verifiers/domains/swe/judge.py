"""s_sem: an LLM judge's probability that a candidate patch fixes the same issue as the golden one.

One chat-completions request per (candidate, reference), `max_tokens=1` with `logprobs` and
`top_logprobs`: P(yes) sums the probabilities of every top token that reads "yes" after stripping
spaces and case ("Yes", " yes", "YES"), likewise P(no); s_sem = P(yes) / (P(yes) + P(no)), or raw
P(yes) when `normalize` is off. Requests are bounded by a semaphore, time out, and are retried with
jittered backoff; identical requests in flight share one call, and results are cached by
(prediction hash, reference hash). Anything that prevents a score raises `JudgeFailure`; the
verifier turns that into the configured fallback, never a silent 0.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import httpx

from verifiers.domains.swe.judge_prompt import DEFAULT_TEMPLATE, FIELDS
from verifiers.domains.swe.settings import SweJudgeSettings
from verifiers.errors import InfraFailure
from verifiers.retry import pause_before


class JudgeFailure(InfraFailure):
    """The judge gave no usable answer (after retries); the message says why."""


class _Retryable(JudgeFailure):
    pass


@dataclass(frozen=True, slots=True)
class JudgeScore:
    s_sem: float
    p_yes: float
    p_no: float


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def validate_template(template: str) -> None:
    """Raise ValueError naming the problem if the template cannot be filled."""
    try:
        template.format(**dict.fromkeys(FIELDS, ""))
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"swe.judge.prompt_template: unusable template ({exc!r}); allowed fields: {', '.join(FIELDS)}"
        ) from None
    if "{candidate_patch}" not in template or "{golden_patch}" not in template:
        raise ValueError("swe.judge.prompt_template must contain {candidate_patch} and {golden_patch}")


def yes_no(reply: Any, normalize: bool, min_mass: float) -> JudgeScore:
    """Score one chat-completions reply. Raises JudgeFailure naming what is missing."""
    try:
        first = reply["choices"][0]["logprobs"]["content"][0]
        entries = [*(first.get("top_logprobs") or []), first]
        logprobs = {e["token"]: float(e["logprob"]) for e in entries}
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise _Retryable(f"malformed judge reply: no choices[0].logprobs.content[0] token/logprob ({exc!r})") from None
    if not all(isinstance(t, str) and not math.isnan(lp) and lp <= 0 for t, lp in logprobs.items()):
        raise _Retryable("malformed judge reply: a token is not a string or a logprob is not <= 0")
    p_yes = sum(math.exp(lp) for t, lp in logprobs.items() if t.strip().lower() == "yes")
    p_no = sum(math.exp(lp) for t, lp in logprobs.items() if t.strip().lower() == "no")
    if p_yes + p_no < min_mass:
        raise JudgeFailure(f"neither yes nor no among the judge's top tokens: {sorted(logprobs)[:5]}")
    return JudgeScore(min(1.0, p_yes / (p_yes + p_no) if normalize else p_yes), p_yes, p_no)


class Judge:
    def __init__(self, settings: SweJudgeSettings) -> None:
        if not settings.url:
            raise ValueError("swe.judge.url is not set")
        self.settings = settings
        self.template = settings.prompt_template or DEFAULT_TEMPLATE
        validate_template(self.template)
        self.endpoint = settings.url.rstrip("/") + "/chat/completions"
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._cache: OrderedDict[tuple[str, str], JudgeScore] = OrderedDict()
        self._in_flight: dict[tuple[str, str], asyncio.Future[JudgeScore]] = {}

    async def start(self) -> None:
        headers = {}
        if self.settings.api_key is not None:
            headers["Authorization"] = f"Bearer {self.settings.api_key.get_secret_value()}"
        limits = httpx.Limits(max_connections=self.settings.concurrency)
        self._client = httpx.AsyncClient(timeout=self.settings.timeout_s, headers=headers, limits=limits)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def score(self, issue: str, golden_patch: str, candidate_patch: str) -> JudgeScore:
        key = (_digest(candidate_patch), _digest(issue, golden_patch))
        if (hit := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            return hit
        if (pending := self._in_flight.get(key)) is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[JudgeScore] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            result = await self._ask(issue, golden_patch, candidate_patch)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody logs "never retrieved"
            raise
        finally:
            del self._in_flight[key]
        future.set_result(result)
        self._remember(key, result)
        return result

    def _remember(self, key: tuple[str, str], result: JudgeScore) -> None:
        if self.settings.cache_size == 0:
            return
        self._cache[key] = result
        if len(self._cache) > self.settings.cache_size:
            self._cache.popitem(last=False)

    async def _ask(self, issue: str, golden_patch: str, candidate_patch: str) -> JudgeScore:
        body = self._body(issue, golden_patch, candidate_patch)
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            try:
                async with self._slots:
                    return await self._once(body)
            except _Retryable as exc:
                if attempt + 1 == attempts:
                    raise JudgeFailure(f"{exc} (after {attempts} attempts)") from None
            await asyncio.sleep(pause_before(attempt + 1))
        raise AssertionError("unreachable")

    def _body(self, issue: str, golden_patch: str, candidate_patch: str) -> dict[str, Any]:
        user = self.template.format(issue=issue, golden_patch=golden_patch, candidate_patch=candidate_patch)
        user = user.encode("utf-8", "replace").decode()  # lone surrogates cannot be sent as UTF-8 JSON
        messages = [{"role": "user", "content": user}]
        if self.settings.system_prompt:
            messages.insert(0, {"role": "system", "content": self.settings.system_prompt})
        return {
            "model": self.settings.model,
            "messages": messages,
            "max_tokens": 1,
            "temperature": 0,
            "logprobs": True,
            "top_logprobs": self.settings.top_logprobs,
        }

    async def _once(self, body: dict[str, Any]) -> JudgeScore:
        if self._client is None:
            raise JudgeFailure("judge client not started")
        try:
            reply = await self._client.post(self.endpoint, json=body)
        except httpx.TimeoutException:
            raise _Retryable(f"judge timed out after {self.settings.timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise _Retryable(f"judge unreachable: {exc!r}") from None
        if reply.status_code == 429 or reply.status_code >= 500:
            raise _Retryable(f"judge answered HTTP {reply.status_code}")
        if reply.status_code != 200:
            raise JudgeFailure(f"judge answered HTTP {reply.status_code}: {reply.text[:200]}")
        try:
            data = reply.json()
        except ValueError:
            raise _Retryable("malformed judge reply: not JSON") from None
        s = self.settings
        return yes_no(data, s.normalize, s.min_mass)
