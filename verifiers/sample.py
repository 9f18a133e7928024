"""One thing to verify, independent of how it arrived (HTTP, CLI, adapter)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

LabelT = TypeVar("LabelT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Sample(Generic[LabelT]):
    """A model response with its validated, domain-specific label.

    `prompt` is the chat-templated prompt when the transport has it (OpenRLHF always does);
    `group_id` ties together the G rollouts of one prompt for group-normalised rewards.
    """

    domain: str
    response: str
    label: LabelT
    prompt: str | None = None
    group_id: str | None = None
