"""Group holding and the combined reward, with verdicts written by hand."""

from __future__ import annotations

import asyncio
import math
import statistics

import pytest

from verifiers.domains.if_rm.groups import GroupHolder
from verifiers.domains.if_rm.reward import Member, combined_verdict, group_stats
from verifiers.engine import Engine
from verifiers.errors import LabelError
from verifiers.settings import Settings
from verifiers.verdict import Status, Verdict

PASS, FAIL = Verdict.binary(True), Verdict.binary(False)


def rm(score: float) -> Verdict:
    return Verdict(Status.CORRECT, score, 0.0, {"rm_score": score})


async def test_a_group_is_released_when_its_last_member_joins() -> None:
    holder: GroupHolder[int] = GroupHolder(deadline_s=60)
    results = await asyncio.gather(*(holder.join("p", 4, i) for i in range(4)))
    assert [index for _, index in results] == [0, 1, 2, 3]
    assert all(group.members == (0, 1, 2, 3) and group.complete for group, _ in results)
    assert holder.open_groups == 0


async def test_an_incomplete_group_is_released_at_its_deadline_with_what_arrived() -> None:
    holder: GroupHolder[str] = GroupHolder(deadline_s=0.2)
    first = asyncio.ensure_future(holder.join("p", 16, "a"))
    await asyncio.sleep(0)
    second = await holder.join("p", 16, "b")
    assert second[0].members == ("a", "b") and not second[0].complete
    assert (await first)[0] == second[0]
    assert holder.open_groups == 0


async def test_a_closed_key_opens_a_new_group_and_keys_do_not_mix() -> None:
    holder: GroupHolder[int] = GroupHolder(deadline_s=60)
    batch = await asyncio.gather(holder.join("p", 2, 1), holder.join("q", 1, 9), holder.join("p", 2, 2),
                                 holder.join("p", 2, 3), holder.join("p", 2, 4))
    assert [g.members for g, _ in batch] == [(1, 2), (9,), (1, 2), (3, 4), (3, 4)]


async def test_a_member_that_gives_up_does_not_release_the_others() -> None:
    holder: GroupHolder[int] = GroupHolder(deadline_s=60)
    quitter = asyncio.ensure_future(holder.join("p", 3, 0))
    await asyncio.sleep(0)
    quitter.cancel()
    stayer = asyncio.ensure_future(holder.join("p", 3, 1))
    await asyncio.sleep(0.05)
    assert not stayer.done()
    group, index = await holder.join("p", 3, 2)
    assert (await stayer)[0] == group and group.members == (0, 1, 2) and index == 2


def test_combined_reward_matches_the_formula() -> None:
    members = [Member(PASS, rm(1.0)), Member(FAIL, rm(3.0)), Member(PASS, rm(-2.0)), Member(PASS, rm(0.5))]
    stats = group_stats(members, "all", 1e-6)
    scores = [1.0, 3.0, -2.0, 0.5]
    mean, std = statistics.fmean(scores), statistics.pstdev(scores)
    assert (stats.n, stats.mean, stats.std) == (4, pytest.approx(mean), pytest.approx(std))
    rewards = [combined_verdict(m, stats, {}).reward for m in members]
    expected = [1 + 1 / (1 + math.exp(-(s - mean) / std)) if m.r_if is PASS else 0.0 for s, m in zip(scores, members)]
    assert rewards == pytest.approx(expected)
    assert combined_verdict(members[1], stats, {}).status is Status.INCORRECT


def test_passing_only_normalisation_ignores_failed_samples() -> None:
    members = [Member(PASS, rm(1.0)), Member(FAIL, rm(30.0)), Member(PASS, rm(3.0))]
    stats = group_stats(members, "passing", 1e-6)
    assert (stats.n, stats.mean, stats.std) == (2, 2.0, 1.0)


def test_equal_rm_scores_give_every_passing_sample_one_and_a_half() -> None:
    members = [Member(PASS, rm(0.7)), Member(PASS, rm(0.7 + 1e-9)), Member(FAIL, rm(0.7))]
    stats = group_stats(members, "all", 1e-6)
    assert stats.degenerate
    assert [combined_verdict(m, stats, {}).reward for m in members] == [1.5, 1.5, 0.0]


def test_missing_rm_score_for_a_passing_sample_is_masked_not_zero() -> None:
    down = Verdict.failed(Status.INFRA_ERROR, "rm backend failed: connection refused")
    members = [Member(PASS, down), Member(PASS, rm(1.0)), Member(Verdict.failed(Status.FORMAT_ERROR, "unterminated"), None)]
    stats = group_stats(members, "all", 1e-6)
    verdicts = [combined_verdict(m, stats, {}) for m in members]
    assert verdicts[0].mask and "connection refused" in verdicts[0].details["reason"]
    assert stats.n == 1 and verdicts[1].reward == 1.5
    assert verdicts[2].status is Status.FORMAT_ERROR and verdicts[2].reward == 0.0


async def test_if_rm_label_errors_name_the_field_before_anything_runs() -> None:
    async with Engine(Settings(domains=["if_rm"])) as engine:
        with pytest.raises(LabelError, match="group_size"):
            engine.parse_label("if_rm", {"instruction_id_list": [], "kwargs": []})
        with pytest.raises(LabelError, match="messages"):
            engine.parse_label("if_rm", {"group_size": 2, "messages": "not a list"})
        label = engine.parse_label("if_rm", {"group_size": 2, "messages": [{"role": "user", "content": "Hi"}],
                                             "instruction_id_list": ["punctuation:no_comma"], "kwargs": [None]})
    assert label.messages[0].content == "Hi" and label.model_extra["instruction_id_list"] == ["punctuation:no_comma"]
