"""The code domain: reward 1 iff the last fenced code block of the final answer passes every test.

All tests of a sample go to one sandbox runner in one job (early exit on the first failure, or per
subtask). Mapping of runner verdicts to the trainer taxonomy: all AC -> correct; CE ->
format_error (the answer is not a runnable program, like an unparsable math answer); first failure
TLE -> timeout; WA/RE/MLE/OLE (and partial scores) -> incorrect; JE (the label's interactor or
checker failed, or its language is missing) -> error; the runner died on two runners ->
infra_error (masked: the sample says nothing about the policy).

`reward_mode`: `all` (1 iff every test passes), `fraction` (the share of points, a subtask earning
its points only when all its tests pass: GCJ/ICPC), `ioi` (a subtask earns its points times the
lowest score of its tests, the IOI rule; the total normalised to 0..1). Without subtasks every
test is a subtask of one point.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sandbox.runner import language_for_tag
from verifiers.domains.code.label import CodeLabel, Subtask, judge_fields, runner_tests, uses_testlib_h
from verifiers.domains.code.pool import sandbox_pool
from verifiers.domains.code.settings import CodeSettings
from verifiers.errors import failure_verdict
from verifiers.pools import SandboxPool
from verifiers.sample import Sample
from verifiers.text import NO_FINAL_ANSWER, final_answer
from verifiers.verdict import Status, Verdict
from verifiers.verifier import PooledVerifier, Readiness, VerifierContext

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#-]*)[^\n]*\n(.*?)```", re.DOTALL)


def last_code_block(text: str) -> tuple[str | None, str] | None:
    """(fence language tag or None, code) of the last closed fenced block, or None."""
    blocks = _FENCE.findall(text)
    if not blocks:
        return None
    tag, code = blocks[-1]
    return (tag.lower() or None), code


class CodeVerifier(PooledVerifier[CodeLabel, SandboxPool]):
    domain = "code"
    label_model = CodeLabel
    settings: CodeSettings
    pool_factory = staticmethod(sandbox_pool)

    def __init__(self, ctx: VerifierContext) -> None:
        super().__init__(ctx)
        # Read once: a testlib judge is built against the operator's header, never a downloaded one.
        self.testlib_h = Path(self.settings.testlib_header).read_text() if self.settings.testlib_header else None

    def readiness(self) -> Readiness:
        alive = self.pool.alive
        return Readiness(
            alive > 0,
            {
                "backend": self.settings.backend,
                "runners_alive": alive,
                "runners": self.pool.size,
                "runners_replaced": self.pool.replaced,
                "sandbox": self.pool.describe(),
            },
        )

    async def verify(self, sample: Sample[CodeLabel]) -> Verdict:
        job = self._job(sample)
        if isinstance(job, Verdict):
            return job
        try:
            result = await self.pool.execute(job)
        except Exception as exc:  # noqa: BLE001 - failure_verdict logs what is not an infrastructure failure
            return failure_verdict(exc, "sandbox")
        return _verdict(result, sample.label, len(job["tests"]))

    def _job(self, sample: Sample[CodeLabel]) -> dict[str, Any] | Verdict:
        s, label = self.settings, sample.label
        try:
            tests, fn_name = runner_tests(label.tests)
            judging = judge_fields(label, tests)
        except ValueError as exc:
            return Verdict.failed(Status.ERROR, f"bad label: {exc}")
        if not tests:
            return Verdict.failed(Status.ERROR, "bad label: no tests")
        if len(tests) > s.max_tests:
            return Verdict.failed(Status.ERROR, f"bad label: more than {s.max_tests} tests")
        if uses_testlib_h(judging):
            if self.testlib_h is None:
                return Verdict.failed(
                    Status.ERROR,
                    "the label's judge program includes testlib.h: set code.testlib_header "
                    "(VERIFIERS_CODE__TESTLIB_HEADER) to its path",
                )
            judging["testlib_h"] = self.testlib_h
        answer = final_answer(sample.response[-s.max_response_chars :], sample.prompt)
        if answer is None:
            return Verdict.failed(Status.FORMAT_ERROR, NO_FINAL_ANSWER)
        block = last_code_block(answer)
        if block is None or not block[1].strip():
            return Verdict.failed(Status.FORMAT_ERROR, "no fenced code block in the final answer")
        tag, program = block
        # Early exit: at the first failure for all-or-nothing; per subtask for points; never for a
        # share of tests without subtasks (every test counts).
        early = label.reward_mode == "all" or bool(label.subtasks)
        return {
            "language": label.language or language_for_tag(tag),
            "program": program,
            "tests": tests,
            "fn_name": fn_name,
            "checker": "tokens",
            **judging,
            "early_exit": early if label.early_exit is None else label.early_exit and early,
            "limits": {
                "time_s": label.time_limit_s or s.time_limit_s,
                "memory_mb": label.memory_mb or s.memory_mb,
                "output_bytes": s.output_bytes,
                "stack_mb": s.stack_mb,
            },
        }


def _verdict(result: dict[str, Any], label: CodeLabel, total: int) -> Verdict:
    tests = result["tests"]
    details: dict[str, Any] = {"verdict": result["verdict"], "tests": tests}
    if "compile" in result:
        details["compile"] = result["compile"]
    if result["verdict"] == "JE":
        return Verdict.failed(Status.ERROR, f"the label cannot be judged: {result.get('detail', '')}", **details)
    if result["verdict"] == "CE":
        return Verdict.failed(Status.FORMAT_ERROR, "compile error", **details)
    verdicts = [t["verdict"] for t in tests] + ["SKIPPED"] * (total - len(tests))  # early exit: not run
    scores = [float(t.get("score", 0.0)) for t in tests] + [0.0] * (total - len(tests))
    passed = verdicts.count("AC")
    details["passed"], details["total"] = passed, total
    subtasks = label.subtasks or [Subtask(points=1, tests=[i]) for i in range(total)]
    earned: list[dict[str, Any]] = []
    for subtask in subtasks:
        share = (
            min(scores[i] for i in subtask.tests)
            if label.reward_mode == "ioi"
            else float(all(verdicts[i] == "AC" for i in subtask.tests))
        )
        first = next((i for i in subtask.tests if verdicts[i] != "AC"), None)
        earned.append({"points": subtask.points, "score": subtask.points * share, "first_failing_test": first})
    max_points = sum(s.points for s in subtasks) or 1.0
    score = sum(float(e["score"]) for e in earned) / max_points
    if label.subtasks:
        details["subtasks"] = earned
    if passed == total:
        return Verdict(Status.CORRECT, 1.0, 1.0, details)
    reward = score if label.reward_mode != "all" else 0.0
    status = Status.TIMEOUT if result["verdict"] == "TLE" else Status.INCORRECT
    return Verdict(status, reward, score, details)
