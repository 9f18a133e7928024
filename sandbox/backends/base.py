"""The contract between the code verifier and whatever hosts a runner (local process, container).

A host speaks the runner's framed JSON protocol. When the runner dies, hangs past the job budget
or answers garbage, `execute` raises `HostFailure`: the pool replaces the host and retries the job
once elsewhere, so a poisoned runner never turns into a wrong reward.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from sandbox.errors import InfraFailure
from sandbox.runner import job_budget_s  # the host's deadline for a job, next to the limits it adds up

__all__ = ["HostFailure", "RunnerHost", "job_budget_s"]


class HostFailure(InfraFailure):
    """The runner (not the program under test) failed; the job's outcome is unknown."""


class RunnerHost(ABC):
    info: dict[str, Any]  # how the runner confines tests: its answer to the readiness ping

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
