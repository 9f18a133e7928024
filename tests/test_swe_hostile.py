"""Hostile model output gets a verdict, never an exception (which would mask a whole batch)."""

from __future__ import annotations

import pytest

from tests.judge_server import judge_server
from tests.swe_fixtures import label, search_replace
from tests.test_swe_shaping import DJANGO, VALIDATORS, grade, thinking
from verifiers.domains.swe.judge_prompt import PROMPT
from verifiers.domains.swe.settings import SweJudgeSettings
from verifiers.domains.swe.shaping import Candidate
from verifiers.judge import Judge
from verifiers.verdict import Status, Verdict

LONE_SURROGATE = search_replace(VALIDATORS, "    flags = 0\n", "    flags = '\ud800'\n")


@pytest.mark.parametrize(("answer", "reason"), [
    ("### a\n<<<<<<< SEARCH\n" * 1500, "unterminated"),
    ("<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n", "no '### PATH'"),
    ("--- a/f\n+++ b/f\n" + "@@ -1,1 +1,1 @@\n-a\n+b\n" * 3000, "max_patch_chars"),
    ("--- a/f\n+++ b/f\n@@ -1,99999999 +1,99999999 @@\n-a\n+b\n", "shorter than expected"),
    ("--- a/f\n+++ b/f\n@@ -x,y +z @@\n-a\n+b\n", "hunk header"),
    ("x" * 1_000_000, "max_patch_chars"),
    ("\x00\x01\x02 binary \xff\ufffe", "no file diff"),
])
def test_hostile_answers_are_minus_1_with_a_reason(answer: str, reason: str) -> None:
    result = grade(thinking(answer), label(DJANGO))
    assert isinstance(result, Verdict) and (result.reward, result.status) == (-1.0, Status.FORMAT_ERROR)
    assert reason in result.details["reason"]


@pytest.mark.parametrize(("answer", "syntax"), [
    (LONE_SURROGATE, "ok"),
    (search_replace(VALIDATORS, "    flags = 0\n", "    flags = '\x00'\n"), "broken"),  # Python rejects NUL
])
async def test_lone_surrogates_and_nul_reach_the_judge(answer: str, syntax: str) -> None:
    result = grade(thinking(answer), label(DJANGO))
    assert isinstance(result, Candidate) and result.details["syntax"] == {VALIDATORS: syntax}
    async with judge_server() as server:
        judge = Judge(SweJudgeSettings(url=server.url, retries=0), PROMPT, "swe")
        await judge.start()
        try:
            score = await judge.score({"issue": "issue", "golden_patch": result.golden_patch,
                                       "candidate_patch": result.candidate_patch})
        finally:
            await judge.close()
    assert 0 < score.score < 1 and len(server.requests) == 1
