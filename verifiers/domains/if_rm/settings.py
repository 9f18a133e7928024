"""Settings of the if_rm domain (`if_rm.*`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class IfRmSettings(BaseModel):
    """The combined reward r = R_IF + sigmoid(z(R_RM)) if R_IF = 1 else 0 (`if_rm` domain)."""

    if_domain: str = Field("ifeval", description="Domain whose verdict is R_IF (`correct` means 1).")
    rm_domain: str = Field("rm", description="Domain whose raw reward is R_RM.")
    group_deadline_s: float = Field(
        30.0,
        gt=0,
        description="How long a group waits, from its first sample, for group_size samples; "
        "then it is normalised over what arrived. Keep it below engine.item_deadline_s.",
    )
    normalize_over: Literal["all", "passing"] = Field(
        "all", description="z-normalise R_RM over every scored sample of the group, or only those with R_IF = 1."
    )
    std_epsilon: float = Field(1e-6, gt=0, description="A group whose RM std is below this gets z = 0.")
    max_batch_size: int = Field(256, ge=1)
    max_wait_ms: float = Field(10.0, ge=0)
