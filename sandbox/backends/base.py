"""The contract between the code verifier and whatever hosts a runner (local process, container).

A host speaks the runner's framed JSON protocol. When the runner dies, hangs past the job budget
or answers garbage, `execute` raises `HostFailure`: the pool replaces the host and retries the job
once elsewhere, so a poisoned runner never turns into a wrong reward.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class HostFailure(Exception):
    """The runner (not the program under test) failed; the job's outcome is unknown."""


class RunnerHost(ABC):
    @abstractmethod
    async def start(self) -> None:
        """Start the runner and wait until it accepts jobs."""

    @abstractmethod
    async def close(self) -> None:
        """Stop the runner and everything it started."""

    @property
    @abstractmethod
    def alive(self) -> bool:
        """Whether the runner can take a job now."""

    @abstractmethod
    async def execute(self, job: dict[str, Any], budget_s: float) -> dict[str, Any]:
        """Run one job; raise HostFailure if the runner fails or exceeds `budget_s`."""


def job_budget_s(job: dict[str, Any]) -> float:
    """Upper bound on a job's honest runtime: every test at its wall limit, plus compile and slack."""
    limits = job.get("limits", {})
    t = float(limits.get("time_s", 2.0))
    per_test = max(2 * t, t + 1.0) + 0.5
    compile_s = 35.0 if job.get("language") == "cpp" else 0.0
    checker = 2 if isinstance(job.get("checker"), dict) else 1
    return compile_s + checker * per_test * max(1, len(job.get("tests", []))) + 10.0
