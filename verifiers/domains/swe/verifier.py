"""The swe domain: r = 1 if s_lex = 1; 0 for a no-op; -1 if unparseable; else the judge's s_sem.

Parsing, the syntax check and lexical similarity run in killable worker processes (cydifflib holds
the GIL); the judge calls are concurrent HTTP requests from the API loop. Without a judge, or when
it fails, `swe.fallback` decides: the lexical similarity as reward, or a masked `infra_error` so
the trainer drops the sample. A comparison that overruns `swe.item_timeout_s` is `timeout` (0).
"""

from __future__ import annotations

from verifiers.domains.swe.judge_prompt import PROMPT, issue_text
from verifiers.domains.swe.label import SweLabel
from verifiers.domains.swe.settings import SweSettings
from verifiers.domains.swe.shaping import Candidate
from verifiers.errors import failure_verdict
from verifiers.judge import JudgeFailure
from verifiers.pools import WorkerPool, Workers
from verifiers.sample import Sample
from verifiers.verdict import Status, Verdict
from verifiers.verifier import JudgedVerifier


class SweVerifier(JudgedVerifier[SweLabel, WorkerPool]):
    domain = "swe"
    label_model = SweLabel
    settings: SweSettings
    pool_factory = Workers("swe", "verifiers.domains.swe.worker")
    judge_prompt = PROMPT

    async def verify(self, sample: Sample[SweLabel]) -> Verdict:
        try:
            graded = await self.pool.run(sample.response, sample.prompt, sample.label)
        except Exception as exc:  # noqa: BLE001 - failure_verdict logs what is not an infrastructure failure
            return failure_verdict(exc, "patch comparison")
        if isinstance(graded, Verdict):
            return graded
        if self.judge is None:
            return self._fallback(graded, "no judge configured (swe.judge.url)")
        issue = issue_text(sample.label.issue, sample.prompt, self.settings.max_issue_chars)
        try:
            judged = await self.judge.score(
                {"issue": issue, "golden_patch": graded.golden_patch, "candidate_patch": graded.candidate_patch}
            )
        except JudgeFailure as exc:
            self.count_judged("failed")
            if self.settings.fallback == "infra_error":
                return self.judge_failed(exc, **graded.details)
            return self._fallback(graded, f"judge failed: {exc}")
        self.count_judged("scored")
        details = {
            **graded.details,
            "s_sem": judged.score,
            "p_yes": judged.p_yes,
            "p_no": judged.p_no,
            "judge_model": self.settings.judge.model,
        }
        return Verdict(Status.INCORRECT, judged.score, judged.score, details)

    def _fallback(self, graded: Candidate, reason: str) -> Verdict:
        """No judge configured, or the judge failed under `fallback: lexical`: s_lex is the reward, or
        (no judge, `fallback: infra_error`) the sample is masked."""
        if self.settings.fallback == "infra_error":
            return Verdict.failed(Status.INFRA_ERROR, reason, **graded.details)
        return Verdict(Status.INCORRECT, graded.s_lex, graded.s_lex, {**graded.details, "judge": reason})
