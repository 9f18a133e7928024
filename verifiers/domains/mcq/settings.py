"""Settings of the `mcq` domain (`mcq.*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class McqSettings(BaseModel):
    """Multiple choice: where the final answer is looked for."""

    tail_chars: int = Field(
        4000,
        ge=100,
        description="The final answer is read from this many trailing characters of the text after "
        "the last </think> (answer markers earlier in a long response are not scanned).",
    )
