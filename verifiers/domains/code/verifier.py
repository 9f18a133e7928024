"""The code domain: reward 1 iff the last fenced code block of the final answer passes every test.

All tests of a sample go to one sandbox runner in one job (early exit on the first failure unless
`reward_mode` is "fraction"). Mapping of runner verdicts to the trainer taxonomy:
all AC -> correct; CE -> format_error (the answer is not a runnable program, like an unparsable
math answer); first failure TLE -> timeout; WA/RE/MLE/OLE -> incorrect; the runner died on two
runners -> infra_error (masked: the sample says nothing about the policy).
"""

from __future__ import annotations

import re
from typing import Any

from verifiers.domains.code.label import CodeLabel, runner_tests
from verifiers.domains.code.pool import sandbox_pool
from verifiers.domains.code.settings import CodeSettings
from verifiers.errors import failure_verdict
from verifiers.pools import SandboxPool
from verifiers.sample import Sample
from verifiers.text import NO_FINAL_ANSWER, final_answer
from verifiers.verdict import Status, Verdict
from verifiers.verifier import PooledVerifier, Readiness

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#-]*)[^\n]*\n(.*?)```", re.DOTALL)
_CPP_TAGS = {"cpp", "c++", "cc", "cxx"}


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
        return _verdict(result, sample.label.reward_mode, len(job["tests"]))

    def _job(self, sample: Sample[CodeLabel]) -> dict[str, Any] | Verdict:
        s, label = self.settings, sample.label
        try:
            tests, fn_name = runner_tests(label.tests)
        except ValueError as exc:
            return Verdict.failed(Status.ERROR, f"bad label: {exc}")
        if not tests:
            return Verdict.failed(Status.ERROR, "bad label: no tests")
        if len(tests) > s.max_tests:
            return Verdict.failed(Status.ERROR, f"bad label: more than {s.max_tests} tests")
        answer = final_answer(sample.response[-s.max_response_chars :], sample.prompt)
        if answer is None:
            return Verdict.failed(Status.FORMAT_ERROR, NO_FINAL_ANSWER)
        block = last_code_block(answer)
        if block is None or not block[1].strip():
            return Verdict.failed(Status.FORMAT_ERROR, "no fenced code block in the final answer")
        tag, program = block
        language = label.language or ("cpp" if tag in _CPP_TAGS else "python")
        fraction = label.reward_mode == "fraction"
        return {
            "language": language,
            "program": program,
            "tests": tests,
            "fn_name": fn_name,
            "checker": label.checker or "tokens",
            "early_exit": False if fraction else (True if label.early_exit is None else label.early_exit),
            "limits": {
                "time_s": label.time_limit_s or s.time_limit_s,
                "memory_mb": label.memory_mb or s.memory_mb,
                "output_bytes": s.output_bytes,
            },
        }


def _verdict(result: dict[str, Any], reward_mode: str, total: int) -> Verdict:
    verdicts = [t["verdict"] for t in result["tests"]]
    details: dict[str, Any] = {"verdict": result["verdict"], "tests": result["tests"]}
    if "compile" in result:
        details["compile"] = result["compile"]
    passed = verdicts.count("AC")
    details["passed"], details["total"] = passed, total
    if result["verdict"] == "CE":
        return Verdict.failed(Status.FORMAT_ERROR, "compile error", **details)
    if passed == total:
        return Verdict(Status.CORRECT, 1.0, 1.0, details)
    score = passed / total
    reward = score if reward_mode == "fraction" else 0.0
    status = Status.TIMEOUT if result["verdict"] == "TLE" else Status.INCORRECT
    return Verdict(status, reward, score, details)
