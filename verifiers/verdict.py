"""What a verifier says about one sample.

The taxonomy is the contract with trainers: `correct | incorrect | format_error | timeout | error
| infra_error`. Only `infra_error` is masked: it means *we* failed (sandbox died, RM backend down,
verifier crashed), so the sample says nothing about the policy and the trainer should drop it
rather than learn a silent zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    FORMAT_ERROR = "format_error"
    TIMEOUT = "timeout"
    ERROR = "error"
    INFRA_ERROR = "infra_error"


@dataclass(frozen=True, slots=True)
class Verdict:
    """`reward` feeds the advantage; `score` (0..1) feeds dynamic filtering; `details` is for humans
    and logs, never for the trainer's arithmetic."""

    status: Status
    reward: float
    score: float
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def mask(self) -> bool:
        return self.status is Status.INFRA_ERROR

    @classmethod
    def binary(cls, passed: bool, **details: Any) -> Verdict:
        """The common 1/0 reward with matching status."""
        if passed:
            return cls(Status.CORRECT, 1.0, 1.0, details)
        return cls(Status.INCORRECT, 0.0, 0.0, details)

    @classmethod
    def failed(cls, status: Status, reason: str, reward: float = 0.0, **details: Any) -> Verdict:
        """A zero-score verdict that says why (`details.reason`)."""
        return cls(status, reward, 0.0, {"reason": reason, **details})

    def to_wire(self) -> dict[str, Any]:
        return {
            "reward": self.reward,
            "score": self.score,
            "status": self.status.value,
            "mask": self.mask,
            "details": self.details,
        }
