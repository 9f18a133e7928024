"""Settings of the math domain (`math.*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from verifiers.pools import default_workers


class MathSettings(BaseModel):
    """math-verify engine: killable workers, caps and caches."""

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
