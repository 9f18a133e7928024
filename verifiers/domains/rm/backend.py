"""What every reward-model backend offers the `rm` verifier.

A backend turns conversations (chat messages ending with the assistant turn to score) into raw
Bradley-Terry scores. It raises `BackendError` when *it* fails (model missing, server down): the
verifier turns that into a masked `infra_error`, never a silent zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from verifiers.errors import InfraFailure

Conversation = list[dict[str, str]]


class BackendError(InfraFailure):
    """The backend could not score (not a property of the sample)."""


@dataclass(frozen=True, slots=True)
class Scored:
    """One raw score; `tokens` and `truncated` when the backend tokenised the input itself.

    `error` says why this one conversation has no score while the rest of the batch has one
    (a remote server refused it); a failure of the whole backend raises BackendError instead.
    """

    reward: float
    tokens: int | None = None
    truncated: bool = False
    error: str | None = None


class RewardBackend(Protocol):
    name: str

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def readiness(self) -> tuple[bool, dict[str, Any]]: ...

    async def score(self, conversations: Sequence[Conversation]) -> list[Scored]:
        """One score per conversation, same order; raises BackendError."""
        ...
