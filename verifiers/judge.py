"""An LLM judge's probability of "yes", from an OpenAI-compatible chat-completions endpoint.

One client for every domain that asks a judge (swe's s_sem, math's fallback); each domain brings its
prompt (`JudgePrompt`) and settings (`JudgeSettings`). One request per question, `max_tokens=1` with
`logprobs` and `top_logprobs`: P(yes) sums the probabilities of every top token that reads "yes"
after stripping spaces and case ("Yes", " yes", "YES"), likewise P(no); the score is
P(yes) / (P(yes) + P(no)), or raw P(yes) when `normalize` is off.

Requests are bounded by a semaphore, time out, and are retried with jittered back-off. A whole
question, the wait for a free slot included, is bounded by `JudgeSettings.budget_s()` (the figure
the settings check against `engine.item_deadline_s`), so a judge that is slow under load fails its
questions, and each domain's fallback applies, instead of the engine's backstop masking whole
batches. Identical questions in flight share one call; answers are cached by a digest of the
filled-in fields. Anything that prevents a score raises `JudgeFailure`, never a silent 0.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, Field, SecretStr

from verifiers.errors import InfraFailure
from verifiers.metrics import Metrics
from verifiers.retry import pause_before, worst_case_s


class JudgeSettings(BaseModel):
    """A judge: an OpenAI-compatible chat-completions endpoint (e.g. vLLM) that returns logprobs."""

    url: str | None = Field(
        None,
        description="Base URL of the API, e.g. http://judge:8000/v1 (POSTs to URL/chat/completions). None: no judge.",
    )
    model: str | None = Field(
        None, description="`model` sent with each request; None: omitted (vLLM then uses the one model it serves)."
    )
    api_key: SecretStr | None = Field(None, description="Sent as `Authorization: Bearer KEY` when set.")
    prompt_template: str | None = Field(
        None,
        description="User message, a str.format template with the domain's fields; None: the domain's "
        "shipped prompt (docs/domains/<domain>.md).",
    )
    system_prompt: str | None = Field(None, description="Optional system message.")
    timeout_s: float = Field(30.0, gt=0, description="Per attempt.")
    retries: int = Field(2, ge=0, description="Extra attempts after a timeout, HTTP error or malformed reply.")
    concurrency: int = Field(32, ge=1, description="Judge requests in flight at once.")
    top_logprobs: int = Field(20, ge=1, le=20, description="vLLM rejects more than its --max-logprobs (20).")
    normalize: bool = Field(True, description="score = P(yes)/(P(yes)+P(no)); False: raw P(yes).")
    min_mass: float = Field(
        1e-4,
        ge=0,
        description="If P(yes)+P(no) among the top tokens is below this, the reply is a failure.",
    )
    cache_size: int = Field(100_000, ge=0, description="LRU entries of (digest of the question) -> score.")

    def budget_s(self) -> float:
        """The longest one question may take: every attempt running into its timeout, with the longest
        pauses between them. Queueing for a slot counts against it too."""
        return worst_case_s(self.timeout_s, self.retries)


class JudgedSettings(Protocol):
    """The settings section of a domain that may ask a judge (`JudgedVerifier`)."""

    @property
    def judge(self) -> JudgeSettings: ...

    @property
    def fallback(self) -> str:
        """What a sample gets when the judge fails (each domain's choices)."""
        ...


@dataclass(frozen=True, slots=True)
class JudgePrompt:
    """A domain's question to the judge: a str.format template over `fields`, of which `required`
    must appear in any template a user configures."""

    template: str
    fields: tuple[str, ...]
    required: tuple[str, ...]


class JudgeFailure(InfraFailure):
    """The judge gave no usable answer (after retries); the message says why. An infrastructure
    failure: where a domain's fallback does not apply, `errors.failure_verdict` masks the sample."""


class _Retryable(JudgeFailure):
    pass


@dataclass(frozen=True, slots=True)
class JudgeScore:
    score: float
    p_yes: float
    p_no: float


def _digest(parts: list[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def validate_template(template: str, prompt: JudgePrompt, where: str) -> None:
    """Raise ValueError naming the setting and the problem if the template cannot be filled."""
    try:
        template.format(**dict.fromkeys(prompt.fields, ""))
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"{where}.prompt_template: unusable template ({exc!r}); allowed fields: {', '.join(prompt.fields)}"
        ) from None
    missing = [name for name in prompt.required if "{" + name + "}" not in template]
    if missing:
        raise ValueError(f"{where}.prompt_template must contain {' and '.join('{' + m + '}' for m in missing)}")


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
    """The client one domain uses; `domain` names it in messages (`swe.judge...`) and metrics."""

    def __init__(
        self, settings: JudgeSettings, prompt: JudgePrompt, domain: str, metrics: Metrics | None = None
    ) -> None:
        where = f"{domain}.judge"
        if not settings.url:
            raise ValueError(f"{where}.url is not set")
        self.settings = settings
        self.prompt = prompt
        self.template = settings.prompt_template or prompt.template
        validate_template(self.template, prompt, where)
        self.endpoint = settings.url.rstrip("/") + "/chat/completions"
        self.budget_s = settings.budget_s()
        metrics = metrics or Metrics()
        self._hits = metrics.cache.labels(f"{domain}_judge", "hit")
        self._misses = metrics.cache.labels(f"{domain}_judge", "miss")
        self._latency = metrics.judge_latency.labels(domain)
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._cache: OrderedDict[str, JudgeScore] = OrderedDict()
        self._in_flight: dict[str, asyncio.Future[JudgeScore]] = {}

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

    async def score(self, fields: dict[str, str]) -> JudgeScore:
        """The judge's score for the prompt filled with `fields` (every name of `prompt.fields`)."""
        key = _digest([fields[name] for name in self.prompt.fields])
        if (hit := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            self._hits.inc()
            return hit
        if (pending := self._in_flight.get(key)) is not None:
            self._hits.inc()
            return await asyncio.shield(pending)
        self._misses.inc()
        future: asyncio.Future[JudgeScore] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        started = time.perf_counter()
        try:
            result = await self._within_budget(fields)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody logs "never retrieved"
            raise
        finally:
            del self._in_flight[key]
            self._latency.observe(time.perf_counter() - started)
        future.set_result(result)
        self._remember(key, result)
        return result

    def _remember(self, key: str, result: JudgeScore) -> None:
        if self.settings.cache_size == 0:
            return
        self._cache[key] = result
        if len(self._cache) > self.settings.cache_size:
            self._cache.popitem(last=False)

    async def _within_budget(self, fields: dict[str, str]) -> JudgeScore:
        try:
            async with asyncio.timeout(self.budget_s):
                return await self._ask(self._body(fields))
        except TimeoutError:
            raise JudgeFailure(
                f"judge timed out: no answer within {self.budget_s:.1f} s of asking "
                f"(the wait for one of {self.settings.concurrency} request slots included)"
            ) from None

    async def _ask(self, body: dict[str, Any]) -> JudgeScore:
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

    def _body(self, fields: dict[str, str]) -> dict[str, Any]:
        user = self.template.format(**fields)
        user = user.encode("utf-8", "replace").decode()  # lone surrogates cannot be sent as UTF-8 JSON
        messages = [{"role": "user", "content": user}]
        if self.settings.system_prompt:
            messages.insert(0, {"role": "system", "content": self.settings.system_prompt})
        body: dict[str, Any] = {
            "messages": messages,
            "max_tokens": 1,
            "temperature": 0,
            "logprobs": True,
            "top_logprobs": self.settings.top_logprobs,
        }
        if self.settings.model is not None:
            body["model"] = self.settings.model
        return body

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
        return yes_no(data, self.settings.normalize, self.settings.min_mass)
