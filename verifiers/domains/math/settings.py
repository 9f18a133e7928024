"""Settings of the math domain (`math.*`: the engine, the answer policies, and the judge under
`math.judge.*`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from verifiers.judge import JudgeSettings
from verifiers.pools import default_workers


class MathJudgeSettings(JudgeSettings):
    """The judge asked when math-verify says `incorrect` or cannot read the answer (docs/domains/math.md)."""

    prompt_template: str | None = Field(
        None,
        description="User message with {question}, {reference}, {answer} fields (str.format); None: the "
        "shipped default (verifiers/domains/math/judge_prompt.py).",
    )
    threshold: float = Field(0.5, ge=0, le=1, description="The judge's score at or above which the answer is correct.")
    max_question_chars: int = Field(4000, ge=0, description="The question shown to the judge is cut to this.")


class MathSettings(BaseModel):
    """math-verify engine: killable workers, caps and caches; answer policies; the optional judge."""

    workers: int = Field(default_factory=default_workers, ge=1)
    item_timeout_s: float = Field(
        5.0, gt=0, description="Hard wall-clock limit per (reference, answer) check, from execution start."
    )
    max_response_chars: int = Field(
        200_000, ge=1000, description="Longer responses are judged on their last max_response_chars characters."
    )
    tail_chars: int = Field(
        4000, ge=100, description="Fallback extraction (no \\boxed{}) scans only this many trailing characters."
    )
    max_answer_chars: int = Field(
        1000, ge=10, description="A \\boxed{} answer longer than this is a format_error, never parsed."
    )
    max_reference_chars: int = Field(2000, ge=10)
    memo_size: int = Field(100_000, ge=0, description="LRU entries of (reference, answer) -> verdict.")
    reference_cache_size: int = Field(10_000, ge=0, description="Parsed references kept per worker.")
    decimal_comma: bool = Field(
        False,
        description="Read a comma between digits as a decimal point (1,22 = 1.22) in the reference and "
        "the answer, except thousands groups (1,000) and lists or pairs (1,2,3; (1,5)). Off: 1,22 can be a list.",
    )
    no_box: Literal["math_verify", "answer_phrase", "reject"] = Field(
        "math_verify",
        description="The final answer of a response without \\boxed{}: math-verify's own "
        "extraction over the last tail_chars; the text after the last `Answer:` / `answer is` phrase; or none "
        "(format_error).",
    )
    percent: Literal["math_verify", "fraction", "number"] = Field(
        "math_verify",
        description="How X% reads: as math-verify (X/100, and an integer X% also equals X); "
        "fraction (exactly X/100); number (X, the sign ignored).",
    )
    judge: MathJudgeSettings = Field(default_factory=MathJudgeSettings)
    fallback: Literal["symbolic", "infra_error"] = Field(
        "symbolic",
        description="The judge failed (down, slow, malformed reply): the symbolic verdict stands, "
        "or the sample is a masked infra_error.",
    )
