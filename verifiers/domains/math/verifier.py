"""The math domain: 1 if the final answer is equivalent to the reference, else 0.

Cheap work happens here in the event loop (find the final answer in the tail of the response,
look it up in the memo); only unseen (reference, answer) pairs go to the killable math-verify
workers. In GRPO the 16 samples of a prompt share a handful of distinct answers, so most samples
never reach a worker.

With `math.judge` configured, a sample math-verify calls incorrect or cannot read is then asked of
an LLM judge (verifiers/judge.py), whose yes/no decides; a symbolic `correct` is never asked.
`details.decided_by` says which path decided; a judge that fails leaves the symbolic verdict
standing or masks the sample (`math.fallback`).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from verifiers.domains.math import DISTINCT_TINY_NUMBERS
from verifiers.domains.math.extract import answer_boxes, decimal_commas
from verifiers.domains.math.judge_prompt import PROMPT, question_text
from verifiers.domains.math.settings import MathSettings
from verifiers.errors import failure_verdict
from verifiers.judge import JudgeFailure
from verifiers.pools import WorkerPool, Workers
from verifiers.sample import Sample
from verifiers.text import NO_FINAL_ANSWER, answer_phrase, final_answer
from verifiers.verdict import Status, Verdict
from verifiers.verifier import JudgedVerifier, VerifierContext


class MathLabel(BaseModel):
    """`{"answer": "\\frac{1}{2}", "question"?: "..."}`; a bare string or number is the answer itself.

    `question` is shown to the judge (math.judge); without it the judge sees the prompt's last user turn.
    """

    model_config = ConfigDict(extra="ignore")

    answer: str
    question: str | None = None

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


_JUDGEABLE = (Status.CORRECT, Status.INCORRECT, Status.FORMAT_ERROR)  # timeouts, errors: never asked


@dataclass(frozen=True, slots=True)
class _Job:
    """One sample's comparison: the texts math-verify compares (policies applied) and the texts the
    judge is shown (as the label and the response wrote them)."""

    sample: Sample[MathLabel]
    key: _Key
    reference: str
    candidate: str
    boxed: bool
    shown_answer: str
    literal: bool | None  # two number literals, decided here: equal or not


class MathVerifier(JudgedVerifier[MathLabel, WorkerPool]):
    domain = "math"
    label_model = MathLabel
    settings: MathSettings
    pool_factory = Workers("math", "verifiers.domains.math.worker")
    judge_prompt = PROMPT

    def __init__(self, ctx: VerifierContext) -> None:
        super().__init__(ctx)
        self._memo: OrderedDict[_Key, Verdict] = OrderedDict()
        self._inflight: dict[_Key, asyncio.Future[Verdict]] = {}
        self._cache = ctx.metrics.cache

    async def verify_batch(self, samples: Sequence[Sample[MathLabel]]) -> list[Verdict]:
        prepared = [self._prepare(s) for s in samples]
        pending: dict[_Key, _Job] = {}
        for p in prepared:
            if isinstance(p, _Job) and p.literal is None:
                pending.setdefault(p.key, p)
        checked = await asyncio.gather(*(self._check(job) for job in pending.values()))
        results = dict(zip(pending, checked, strict=True))
        symbolic = [
            p
            if isinstance(p, Verdict)
            else Verdict.binary(p.literal, extracted=p.candidate.strip())
            if p.literal is not None
            else results[p.key]
            for p in prepared
        ]
        if self.judge is None:
            return symbolic
        return list(await asyncio.gather(*(self._decide(p, v) for p, v in zip(prepared, symbolic, strict=True))))

    def _prepare(self, sample: Sample[MathLabel]) -> Verdict | _Job:
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
            too_long = f"\\boxed{{}} answer longer than {s.max_answer_chars} characters"
            return Verdict.failed(Status.FORMAT_ERROR, too_long)
        if len(boxes) > 1:
            # A piecewise-boxed answer goes to math-verify's own extraction, which joins the
            # boxes into one set exactly as it does for a reference written that way.
            candidate, is_boxed = ", ".join(f"\\boxed{{{b.content}}}" for b in boxes), False
        elif boxes:
            candidate, is_boxed = boxes[0].content or "", True
        elif s.no_box == "reject":
            return Verdict.failed(Status.FORMAT_ERROR, "no \\boxed{} answer (math.no_box: reject)")
        elif s.no_box == "answer_phrase":
            # The phrase and what it says go to math-verify's extraction, which reads its anchors,
            # delimiters and number formats ("The final answer is $10,455$. I hope it is correct.").
            tail = answer[-s.tail_chars :]
            phrase = answer_phrase(tail, s.max_answer_chars)
            if phrase is None:
                return Verdict.failed(Status.FORMAT_ERROR, "no \\boxed{} answer and no 'Answer:' phrase")
            candidate, is_boxed = tail[phrase.start : phrase.end], False
        else:
            candidate, is_boxed = answer[-s.tail_chars :], False
        if not candidate.strip():
            return Verdict.failed(Status.FORMAT_ERROR, "empty final answer")
        shown_answer = candidate
        if s.decimal_comma:
            reference, candidate = decimal_commas(reference), decimal_commas(candidate)
        literal = _literal_verdict(reference, candidate) if is_boxed else None
        digest = candidate if len(candidate) <= _MEMO_INLINE_CHARS else hashlib.blake2b(candidate.encode()).hexdigest()
        return _Job(sample, (reference, is_boxed, digest), reference, candidate, is_boxed, shown_answer, literal)

    async def _decide(self, job: Verdict | _Job, symbolic: Verdict) -> Verdict:
        """With a judge: ask it about a job math-verify found incorrect or could not read (never about
        a difference that is exact: two unequal number literals, distinct tiny numbers); say which
        path decided."""
        if not isinstance(job, _Job) or symbolic.status not in _JUDGEABLE:
            return symbolic
        exact = job.literal is not None or symbolic.details.get("reason") == DISTINCT_TINY_NUMBERS
        if symbolic.status is Status.CORRECT or exact:
            return replace(symbolic, details={**symbolic.details, "decided_by": "symbolic"})
        assert self.judge is not None
        question = question_text(job.sample.label.question, job.sample.prompt, self.settings.judge.max_question_chars)
        try:
            judged = await self.judge.score(
                {"question": question, "reference": job.sample.label.answer.strip(), "answer": job.shown_answer}
            )
        except JudgeFailure as exc:
            self.count_judged("failed")
            if self.settings.fallback == "infra_error":
                return self.judge_failed(exc, symbolic=symbolic.status.value)
            reason = f"judge failed: {exc}"
            return replace(symbolic, details={**symbolic.details, "decided_by": "symbolic", "judge": reason})
        passed = judged.score >= self.settings.judge.threshold
        self.count_judged("flipped" if passed else "upheld")
        kept = {k: v for k, v in symbolic.details.items() if k != "reason"}
        return Verdict.binary(
            passed,
            **kept,
            decided_by="judge",
            symbolic=symbolic.status.value,
            judge_score=judged.score,
            p_yes=judged.p_yes,
            p_no=judged.p_no,
            judge_model=self.settings.judge.model,
        )

    async def _check(self, job: _Job) -> Verdict:
        key = job.key
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
            result = await self._run(job)
            fut.set_result(result)
            return result
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # mark retrieved: concurrent waiters may not exist
            raise
        finally:
            del self._inflight[key]

    async def _run(self, job: _Job) -> Verdict:
        try:
            status, details = await self.pool.run(job.reference, job.candidate, job.boxed, affinity=hash(job.reference))
        except Exception as exc:  # noqa: BLE001 - failure_verdict logs what is not an infrastructure failure
            verdict = failure_verdict(exc, "math check")
        else:
            verdict = _verdict(status, details)
        if not verdict.mask:  # a failure of ours says nothing about the pair: ask again next time
            self._remember(job.key, verdict)
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
