"""Wire schemas of the HTTP API (validation and the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from verifiers.registry import DOMAINS


class ScoreItem(BaseModel):
    """One item for `POST /score`. `label`'s shape depends on `domain` (see docs/api.md)."""

    model_config = ConfigDict(extra="forbid")

    domain: str = Field(description="A registered domain", json_schema_extra={"enum": [*sorted(DOMAINS)]})
    response: str = Field(description="The model's full response (thinking included, prompt excluded).")
    label: dict[str, Any] | str = Field(description="Domain label object, or a JSON string / bare math answer.")
    prompt: str | None = Field(
        None,
        description="The prompt, for domains that use it (rm, if_rm; the question shown to the math and swe "
        "judges; a thinking block its chat template opened).",
    )
    group_id: str | None = Field(None, description="Ties the G samples of one prompt (if_rm).")


class ScoreBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[ScoreItem]


class ScoreResult(BaseModel):
    reward: float
    score: float = Field(ge=0, le=1)
    status: str
    mask: bool = Field(description="True for infra_error: drop the sample, it says nothing about the policy.")
    details: dict[str, Any]


class ScoreResponse(BaseModel):
    results: list[ScoreResult]


class RewardRequest(BaseModel):
    """OpenRLHF's remote reward request (0.9.1+ sends one sample per request; older, many)."""

    query: list[str]
    prompts: list[str] | None = None
    labels: list[Any] | None = None


class RewardResponse(BaseModel):
    rewards: list[float]
    scores: list[float]
    extra_logs: dict[str, list[float]]


class HealthResponse(BaseModel):
    status: str
    version: str


class DomainState(BaseModel):
    """`ready` plus whatever the domain reports (workers alive, queue, admission counts)."""

    model_config = ConfigDict(extra="allow")

    ready: bool


class ReadyResponse(BaseModel):
    ready: bool
    domains: dict[str, DomainState]


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='Where the problem is, e.g. ["body", "items", 3, "label", "answer"].')
    msg: str
    type: str


class ValidationErrors(BaseModel):
    detail: list[FieldError]
