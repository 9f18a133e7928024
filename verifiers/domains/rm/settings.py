"""Settings of the rm domain (`rm.*`, the backends under `rm.local.*` and `rm.vllm.*`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class RMLocalSettings(BaseModel):
    """The in-process Hugging Face backend (needs the `rm` extra: torch + transformers)."""

    model_path: str | None = Field(
        None,
        description="Local directory of the reward model (config, weights, tokenizer with a chat "
        "template). None: the rm domain is served but not configured; its items are infra_error.",
    )
    head: Literal["auto", "classification", "causal_lm"] = Field(
        "auto",
        description="classification: a `*ForSequenceClassification` / OpenRLHF `score` head; causal_lm: "
        "the logit of `score_token_id` at the last position (nvidia/Qwen2.5-CascadeRL-RM-72B); auto: from "
        "the config's `architectures`.",
    )
    score_token_id: int = Field(0, ge=0, description="causal_lm head: the vocabulary row read as the score.")
    normalize: bool = Field(True, description="Apply (r - mean) / std when the model config carries `mean` and `std`.")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="auto: the checkpoint's dtype on GPU, float32 on CPU."
    )
    device: str = Field("auto", description="`cpu`, `cuda`, `cuda:1`, ...; auto: cuda when available.")
    attn_implementation: str | None = Field(None, description="e.g. `sdpa`, `eager`, `flash_attention_2`.")
    max_length: int = Field(
        4096,
        ge=8,
        description="Token budget per conversation (capped at the model's max_position_embeddings). "
        "Longer ones keep their *last* max_length tokens (the start of the prompt is dropped; the response "
        "and the scored position stay) and say `truncated: true`.",
    )
    max_tokens_per_forward: int | None = Field(
        None,
        ge=1,
        description="Padded tokens (rows x longest row) per forward pass; a batch sorted by "
        "length is cut into the fewest passes under this budget, evened out. None: 32768 on GPU, 4096 on "
        "CPU (passes whose activations stay in cache run ~1.5x faster there: see docs/domains/rm.md).",
    )


class RMVLLMSettings(BaseModel):
    """A remote vLLM server run with the pooling runner (`vllm serve MODEL --runner pooling`)."""

    url: str = Field("http://127.0.0.1:8001", description="Base URL of the vLLM server.")
    model: str | None = Field(None, description="`model` field sent with each request (the served model name).")
    endpoint: Literal["pooling", "classify"] = Field("pooling", description="`/pooling` or `/classify`.")
    timeout_s: float = Field(
        20.0,
        gt=0,
        description="Per HTTP attempt. All attempts together must fit engine.item_deadline_s "
        "(with if_rm: together with ifeval.item_timeout_s and if_rm.group_deadline_s); checked at start-up.",
    )
    retries: int = Field(2, ge=0, description="Extra attempts after a connection error, timeout or 5xx.")
    max_concurrency: int = Field(64, ge=1, description="Requests in flight to the server at once.")


class RMSettings(BaseModel):
    """Bradley-Terry reward model scoring (`rm` domain)."""

    backend: Literal["local", "vllm"] = "local"
    local: RMLocalSettings = Field(default_factory=RMLocalSettings)
    vllm: RMVLLMSettings = Field(default_factory=RMVLLMSettings)
    strip_thinking: bool = Field(True, description="Score only the text after the last `</think>`.")
    max_batch_size: int = Field(
        64,
        ge=1,
        description="Samples per model call: the engine gathers up to this many concurrent samples, "
        "and the local backend merges calls that queue while the model runs up to it (1: each request alone).",
    )
    max_wait_ms: float = Field(5.0, ge=0, description="How long the first sample waits for company.")
