"""The combined reward, as pure functions of the verdicts of one group.

r_i = R_IF(o_i) + sigmoid(z_i) if R_IF(o_i) = 1, else 0, where z_i is the raw RM score of o_i
z-normalised over the group (population std). A group whose RM scores (nearly) all agree has no
ranking to give: std below epsilon means z = 0 for everyone, i.e. 1.5 for each passing sample.
Only samples with a real RM score enter the statistics; `passing` restricts them to R_IF = 1.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from verifiers.domains.rm.verifier import sigmoid
from verifiers.verdict import Status, Verdict


@dataclass(frozen=True, slots=True)
class Member:
    """One sample's inputs to the combined reward; `rm` is None where no RM score was needed."""

    r_if: Verdict
    rm: Verdict | None


@dataclass(frozen=True, slots=True)
class GroupStats:
    n: int
    mean: float
    std: float
    degenerate: bool

    def z(self, score: float) -> float:
        return 0.0 if self.degenerate else (score - self.mean) / self.std

    def to_details(self) -> dict[str, Any]:
        return {"normalised_over": self.n, "mean": self.mean, "std": self.std, "std_below_epsilon": self.degenerate}


def group_stats(members: Sequence[Member], over: str, epsilon: float) -> GroupStats:
    scores = [
        m.rm.reward
        for m in members
        if m.rm is not None and m.rm.status is Status.CORRECT and (over == "all" or m.r_if.status is Status.CORRECT)
    ]
    if not scores:
        return GroupStats(0, 0.0, 0.0, True)
    mean = statistics.fmean(scores)
    std = statistics.pstdev(scores, mean)
    return GroupStats(len(scores), mean, std, std < epsilon)


def combined_verdict(member: Member, stats: GroupStats, group: dict[str, Any]) -> Verdict:
    """The verdict of one sample given its group's statistics; `group` goes into details as is."""
    r_if = member.r_if
    details: dict[str, Any] = {"if": r_if.details, "group": group}
    if r_if.status is not Status.CORRECT:
        # R_IF = 0 (or no verdict at all): the reward is 0 and the status says why.
        return Verdict(
            r_if.status, 0.0, 0.0, {**details, "reason": r_if.details.get("reason", "instructions not followed")}
        )
    rm = member.rm
    if rm is None or rm.status is not Status.CORRECT:
        why = rm.details.get("reason", rm.status.value) if rm is not None else "no RM score"
        return Verdict(
            rm.status if rm is not None else Status.INFRA_ERROR,
            0.0,
            0.0,
            {**details, "reason": f"R_IF = 1 but the RM gave no score: {why}"},
        )
    z = stats.z(rm.reward)
    reward = 1.0 + sigmoid(z)
    return Verdict(Status.CORRECT, reward, reward / 2.0, {**details, "rm_score": rm.reward, "z": z})
