"""Settings of the ifeval domain (`ifeval.*`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from verifiers.pools import default_workers


class IFEvalSettings(BaseModel):
    """Instruction following: killable check workers and the default mode."""

    workers: int = Field(default_factory=default_workers, ge=1)
    item_timeout_s: float = Field(
        5.0, gt=0, description="Wall-clock limit for all checks of one response; past it the verdict is timeout."
    )
    mode: Literal["strict", "loose"] = Field(
        "strict", description="IFEval mode when a label names none (strict is R_IF; loose forgives wrappers)."
    )
