"""The `rm` label: usually `{}`; optionally the conversation the response answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str = Field(min_length=1)
    content: str


class RMLabel(BaseModel):
    """`{}` scores (prompt, response) as a user turn and an assistant turn.

    `messages` gives the conversation before the response instead (system prompt, earlier turns):
    use it when the sample's `prompt` is the policy's chat-templated string, which the reward model
    should not see as a user message. Other keys (`domain`, `group_id` from OpenRLHF labels) are
    ignored.
    """

    model_config = ConfigDict(extra="ignore")

    messages: list[Message] | None = Field(None, min_length=1)
