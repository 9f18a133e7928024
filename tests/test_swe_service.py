"""The swe domain served over HTTP: shaping, the judge path, fallbacks and label errors."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import running_server
from tests.judge_server import judge_server
from tests.swe_fixtures import instance, label, search_replace

DJANGO = "django__django-11099"
GOLD = instance(DJANGO)["golden_patch"]
PARTIAL = GOLD[: GOLD.index("@@ -17,7")]  # fixes only the ASCII validator
NO_OP = search_replace("django/contrib/auth/validators.py", "    flags = 0\n", "    flags = 0\n")


def item(answer: str, **label_overrides: object) -> dict[str, object]:
    return {"domain": "swe", "response": f"<think>fix it</think><solution>{answer}</solution>",
            "label": label(DJANGO, **label_overrides)}


def test_without_judge_the_lexical_fallback_scores_the_rest() -> None:
    with running_server(env={"VERIFIERS_DOMAINS": '["swe"]'}) as url:
        items = [item(GOLD), item("no patch here"), item(NO_OP), item(PARTIAL), item(GOLD, golden_patch="garbage")]
        results = httpx.post(f"{url}/score", json={"items": items}, timeout=60).json()["results"]
        assert [(r["status"], r["reward"]) for r in results[:3]] == [
            ("correct", 1.0), ("format_error", -1.0), ("incorrect", 0.0)]
        partial = results[3]
        assert partial["status"] == "incorrect" and not partial["mask"]
        assert partial["reward"] == partial["details"]["s_lex"] and 0 < partial["reward"] < 1
        assert "no judge configured" in partial["details"]["judge"]
        assert results[4]["status"] == "error" and "golden_patch" in results[4]["details"]["reason"]

        bad = httpx.post(f"{url}/score", json={"domain": "swe", "response": "x", "label": {"patch": GOLD}}, timeout=30)
        assert bad.status_code == 422
        assert [e["loc"] for e in bad.json()["detail"]] == [["body", "label", "golden_patch"]]

        openrlhf = httpx.post(f"{url}/get_reward", json={
            "query": ["PROMPT" + items[1]["response"]], "prompts": ["PROMPT"],
            "labels": [{"domain": "swe", **items[1]["label"]}]}, timeout=60).json()
        assert openrlhf["rewards"] == [-1.0] and openrlhf["scores"] == [0.0]


@pytest.mark.parametrize("judge_fails", [False, True])
async def test_judge_scores_partial_patches_and_failures_are_masked(judge_fails: bool) -> None:
    async with judge_server(p_yes=0.3, mode="not_json" if judge_fails else "ok") as judge:
        env = {"VERIFIERS_DOMAINS": '["swe"]', "VERIFIERS_SWE__JUDGE__URL": judge.url,
               "VERIFIERS_SWE__JUDGE__RETRIES": "1", "VERIFIERS_SWE__FALLBACK": "infra_error"}
        with running_server(env=env) as url:
            async with httpx.AsyncClient(timeout=60) as client:
                reply = await client.post(f"{url}/score", json={"items": [item(PARTIAL), item(GOLD), item(NO_OP)]})
    partial, gold, no_op = reply.json()["results"]
    assert (gold["reward"], no_op["reward"]) == (1.0, 0.0)
    if judge_fails:
        assert partial["status"] == "infra_error" and partial["mask"] is True
        assert "judge failed" in partial["details"]["reason"] and len(judge.requests) == 2
    else:
        assert partial["status"] == "incorrect" and partial["reward"] == pytest.approx(0.3)
        assert partial["details"]["s_sem"] == pytest.approx(0.3) and partial["details"]["s_lex"] < 1
        [request] = judge.requests  # the gold and the no-op never reach the judge
        assert "Enter a valid username" in request["messages"][-1]["content"]
        assert "UsernameValidator allows trailing newline" in request["messages"][-1]["content"]
