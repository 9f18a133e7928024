"""Settings of the swe domain (`swe.*`, the judge under `swe.judge.*`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from verifiers.judge import JudgeSettings
from verifiers.pools import default_workers


class SweJudgeSettings(JudgeSettings):
    """The s_sem judge (docs/domains/swe.md)."""

    model: str | None = Field("kimi-dev-72b", description="`model` sent with each request; None: omitted.")
    prompt_template: str | None = Field(
        None,
        description="User message with {issue}, {golden_patch}, {candidate_patch} fields "
        "(str.format); None: the shipped default (verifiers/domains/swe/judge_prompt.py).",
    )


class SweSettings(BaseModel):
    """Execution-free SWE reward: caps, syntax check, judge and what happens without one."""

    workers: int = Field(default_factory=default_workers, ge=1, description="Processes that parse and compare patches.")
    item_timeout_s: float = Field(
        10.0,
        gt=0,
        description="Parsing and s_lex of one sample, from execution start; past it: timeout, reward 0.",
    )
    judge: SweJudgeSettings = Field(default_factory=SweJudgeSettings)
    fallback: Literal["lexical", "infra_error"] = Field(
        "lexical",
        description="No judge configured or the judge failed: reward s_lex, or a masked infra_error.",
    )
    max_patch_chars: int = Field(
        32_000,
        ge=1000,
        description="An answer or normalised per-file diff longer than this is unparseable "
        "(-1); for the golden patch it is a label error. Bounds the quadratic similarity.",
    )
    max_issue_chars: int = Field(8_000, ge=0, description="The issue text shown to the judge is cut to this.")
    syntax_check: bool = Field(True, description="tree-sitter check of touched files, reported in details.")
    syntax_error_unparseable: bool = Field(
        False,
        description="A patch that breaks the syntax of a file that parsed before scores -1.",
    )
