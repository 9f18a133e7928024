"""The math domain: 1 if the final answer is equivalent to the reference, else 0.

Cheap work happens here in the event loop (find the final answer in the tail of the response,
look it up in the memo); only unseen (reference, answer) pairs go to the killable math-verify
workers. In GRPO the 16 samples of a prompt share a handful of distinct answers, so most samples
never reach a worker.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections import OrderedDict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from verifiers.domains.math.extract import answer_boxes
from verifiers.domains.math.settings import MathSettings
from verifiers.errors import failure_verdict
from verifiers.pools import WorkerPool, Workers
from verifiers.sample import Sample
from verifiers.text import NO_FINAL_ANSWER, final_answer
from verifiers.verdict import Status, Verdict
from verifiers.verifier import PooledVerifier, VerifierContext


class MathLabel(BaseModel):
    """`{"answer": "\\frac{1}{2}"}`; a bare string or number is the answer itself."""

    model_config = ConfigDict(extra="ignore")

    answer: str

    @model_validator(mode="before")
    @classmethod
    def _bare_answer(cls, value: Any) -> Any:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return {"answer": value}
        return value

    @field_validator("answer", mode="before")
    @classmethod
    def _number_to_text(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return value


# (reference, boxed?, answer-or-digest): what decides a math verdict.
_Key = tuple[str, bool, str]
_MEMO_INLINE_CHARS = 256


class MathVerifier(PooledVerifier[MathLabel, WorkerPool]):
    domain = "math"
    label_model = MathLabel
    settings: MathSettings
    pool_factory = Workers("math", "verifiers.domains.math.worker")

    def __init__(self, ctx: VerifierContext) -> None:
        super().__init__(ctx)
        self._memo: OrderedDict[_Key, Verdict] = OrderedDict()
        self._inflight: dict[_Key, asyncio.Future[Verdict]] = {}
        self._cache = ctx.metrics.cache

    async def verify_batch(self, samples: Sequence[Sample[MathLabel]]) -> list[Verdict]:
        prepared = [self._prepare(s) for s in samples]
        pending: dict[_Key, tuple[str, str, bool]] = {}
        for p in prepared:
            if isinstance(p, tuple):
                key, job = p
                if key not in pending:
                    pending[key] = job
        results = dict(
            zip(pending, await asyncio.gather(*(self._check(k, *job) for k, job in pending.items())), strict=True)
        )
        return [p if isinstance(p, Verdict) else results[p[0]] for p in prepared]

    def _prepare(self, sample: Sample[MathLabel]) -> Verdict | tuple[_Key, tuple[str, str, bool]]:
        s = self.settings
        reference = sample.label.answer.strip()
        if not reference:
            return Verdict.failed(Status.ERROR, "reference answer is empty")
        if len(reference) > s.max_reference_chars:
            return Verdict.failed(Status.ERROR, f"reference answer longer than {s.max_reference_chars} characters")
        response = sample.response[-s.max_response_chars :]
        answer = final_answer(response, sample.prompt)
        if answer is None:
            return Verdict.failed(Status.FORMAT_ERROR, NO_FINAL_ANSWER)
        boxes = answer_boxes(answer, s.max_answer_chars)
        if boxes and boxes[-1].too_long:
            return Verdict.failed(
                Status.FORMAT_ERROR, f"\\boxed{{}} answer longer than {s.max_answer_chars} characters"
            )
        if len(boxes) > 1:
            # A piecewise-boxed answer goes to math-verify's own extraction, which joins the
            # boxes into one set exactly as it does for a reference written that way.
            candidate, is_boxed = ", ".join(f"\\boxed{{{b.content}}}" for b in boxes), False
        elif boxes:
            candidate, is_boxed = boxes[0].content or "", True
            literal = _literal_verdict(reference, candidate)
            if literal is not None:
                return Verdict.binary(literal, extracted=candidate.strip())
        else:
            candidate, is_boxed = answer[-s.tail_chars :], False
            if not candidate.strip():
                return Verdict.failed(Status.FORMAT_ERROR, "empty final answer")
        digest = candidate if len(candidate) <= _MEMO_INLINE_CHARS else hashlib.blake2b(candidate.encode()).hexdigest()
        return (reference, is_boxed, digest), (reference, candidate, is_boxed)

    async def _check(self, key: _Key, reference: str, candidate: str, boxed: bool) -> Verdict:
        hit = self._memo.get(key)
        if hit is not None:
            self._memo.move_to_end(key)
            self._cache.labels("math_memo", "hit").inc()
            return hit
        shared = self._inflight.get(key)
        if shared is not None:
            self._cache.labels("math_memo", "hit").inc()
            return await asyncio.shield(shared)
        self._cache.labels("math_memo", "miss").inc()
        fut: asyncio.Future[Verdict] = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            result = await self._run(key, reference, candidate, boxed)
            fut.set_result(result)
            return result
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # mark retrieved: concurrent waiters may not exist
            raise
        finally:
            del self._inflight[key]

    async def _run(self, key: _Key, reference: str, candidate: str, boxed: bool) -> Verdict:
        try:
            status, details = await self.pool.run(reference, candidate, boxed, affinity=hash(reference))
        except Exception as exc:  # noqa: BLE001 - failure_verdict logs what is not an infrastructure failure
            verdict = failure_verdict(exc, "math check")
        else:
            verdict = _verdict(status, details)
        if not verdict.mask:  # a failure of ours says nothing about the pair: ask again next time
            self._remember(key, verdict)
        return verdict

    def _remember(self, key: _Key, result: Verdict) -> None:
        if not self.settings.memo_size:
            return
        self._memo[key] = result
        if len(self._memo) > self.settings.memo_size:
            self._memo.popitem(last=False)


_INTEGER = re.compile(r"-?\d{1,1000}")
_DECIMAL = re.compile(r"-?\d{1,100}(?:\.\d{1,100})?")


def _literal_verdict(reference: str, candidate: str) -> bool | None:
    """math-verify's verdict on two number literals, decided without a worker round trip, or None.

    Integer answers are a large share of math RL data (AIME, GSM8K): two integer literals are
    equal or not. Two decimal literals with the same value (`2500` and `2500.0`) are equal; unequal
    decimals go to math-verify, whose 6-digit rounding decides.
    """
    a, b = reference.strip(), candidate.strip()
    if _INTEGER.fullmatch(a) and _INTEGER.fullmatch(b):
        return int(a) == int(b)
    if _DECIMAL.fullmatch(a) and _DECIMAL.fullmatch(b) and Decimal(a) == Decimal(b):
        return True
    return None


def _verdict(status: str, details: dict[str, Any]) -> Verdict:
    st = Status(status)
    reward = 1.0 if st is Status.CORRECT else 0.0
    return Verdict(st, reward, reward, details)
