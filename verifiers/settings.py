"""The one typed settings object.

Every knob of the service lives here, grouped by concern. Values come from (highest priority
first) explicit overrides such as CLI flags, environment variables (`VERIFIERS_` prefix, `__`
between levels: `VERIFIERS_MATH__WORKERS=4`), then a YAML/TOML/JSON file given with `--config`,
so a deployment can override a shared config file without editing it.
"""

from __future__ import annotations

import json
import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from verifiers.retry import worst_case_s


def _default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class ServerSettings(BaseModel):
    """HTTP transport. Binds loopback unless told otherwise: the service executes model code."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    auth_token: SecretStr | None = Field(
        None,
        description="If set, every endpoint except /health needs `Authorization: Bearer TOKEN` "
        "or `?token=TOKEN` (OpenRLHF's client sends no headers, so the URL form exists for it).",
    )
    max_body_bytes: int = Field(64 * 1024 * 1024, ge=1024, description="Larger bodies get 413.")
    backlog: int = Field(
        4096,
        ge=1,
        description="Pending-connection queue: the end of a rollout opens thousands of connections at once "
        "(the kernel also caps it at net.core.somaxconn).",
    )
    log_level: str = "info"
    shutdown_grace_s: float = Field(
        30.0,
        ge=0,
        description="On SIGTERM/SIGINT: stop accepting, let in-flight requests finish for up to "
        "this long, then stop the pools.",
    )
    opentelemetry: bool = Field(
        False,
        description="FastAPI's native OpenTelemetry tracing, metrics and logs (for a configured "
        "OTel provider). Off by default: Prometheus covers metrics, and the per-request provider lookup "
        "costs ~5% of the API's CPU at thousands of requests per second.",
    )

    @field_validator("auth_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: Any) -> Any:
        # `VERIFIERS_SERVER__AUTH_TOKEN=` (compose's default for an unset variable) means "no token".
        return None if value == "" else value


class EngineSettings(BaseModel):
    """Routing and micro-batching, shared by every domain."""

    max_batch_size: int = Field(256, ge=1, description="Items per internal batch handed to a verifier.")
    max_wait_ms: float = Field(
        2.0, ge=0, description="How long the first item of a batch waits for company before it runs."
    )
    item_deadline_s: float = Field(
        120.0,
        gt=0,
        description="Backstop per item: past it the item is `infra_error`. Domains enforce their own, "
        "tighter limits; this only catches a verifier that hangs. Keep it far below OpenRLHF's 180 s.",
    )
    max_items_per_domain: int = Field(
        16_384,
        ge=1,
        description="Items a domain holds at once (queued or running). Beyond it /score "
        "answers 429 and /get_reward samples wait up to admission_wait_s.",
    )
    admission_wait_s: float = Field(
        60.0,
        gt=0,
        description="How long a /get_reward sample waits for room before it is infra_error.",
    )
    retry_after_s: int = Field(1, ge=1, description="Retry-After sent with a 429.")


class OpenRLHFSettings(BaseModel):
    """How `/get_reward` maps OpenRLHF's untyped request onto items."""

    default_domain: str = Field("math", description="Domain of a label object that names none.")
    infra_error_reward: float = Field(
        0.0, description="Reward sent for masked samples (OpenRLHF needs a number; the mask is in extra_logs)."
    )
    special_tokens_pattern: str = Field(
        r"(?:<\|[A-Za-z0-9_]+\|>|</s>|<eos>|<end_of_turn>)",
        description="Regex of special tokens stripped from the end of a decoded response.",
    )


class MathSettings(BaseModel):
    """math-verify engine: killable workers, caps and caches."""

    workers: int = Field(default_factory=_default_workers, ge=1)
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


class CodeSettings(BaseModel):
    """Code execution: local sandbox runners and default per-test limits."""

    runners: int = Field(default_factory=_default_workers, ge=1, description="Sandbox runner processes.")
    base_uid: int = Field(61000, ge=1000, description="Runner i runs tests as uid base_uid + i.")
    python: str | None = Field(None, description="Interpreter for the runners; None: /usr/bin/python3.")
    time_limit_s: float = Field(2.0, gt=0, le=60, description="Default CPU limit per test.")
    memory_mb: int = Field(512, ge=32, le=16384, description="Default address-space limit per test.")
    output_bytes: int = Field(16 << 20, ge=1024, description="More stdout than this is OLE.")
    max_tests: int = Field(1000, ge=1, description="A label with more tests is an error.")
    max_response_chars: int = Field(200_000, ge=1000, description="Code is taken from this many trailing characters.")
    backend: Literal["local", "docker", "compose"] = Field(
        "local", description="Runner hosts: local namespaces (root), a Docker container pool, or compose replicas."
    )
    recycle_after: int = Field(1000, ge=0, description="Restart a runner after this many jobs; 0 never.")
    docker_image: str = Field(
        "cascade-sandbox:latest", description="Image for the docker backend (sandbox/Dockerfile)."
    )
    docker_memory_mb: int = Field(2048, ge=64, description="Memory cgroup limit per sandbox container.")
    docker_cpus: float = Field(1.0, gt=0, description="CPU limit per sandbox container.")
    docker_pids: int = Field(256, ge=16, description="pids cgroup limit per sandbox container.")
    socket_dir: str = Field(
        "/run/sandbox", description="compose backend: directory holding the replicas' runner sockets."
    )


class IFEvalSettings(BaseModel):
    """Instruction following: killable check workers and the default mode."""

    workers: int = Field(default_factory=_default_workers, ge=1)
    item_timeout_s: float = Field(
        5.0, gt=0, description="Wall-clock limit for all checks of one response; past it the verdict is timeout."
    )
    mode: Literal["strict", "loose"] = Field(
        "strict", description="IFEval mode when a label names none (strict is R_IF; loose forgives wrappers)."
    )


class SweJudgeSettings(BaseModel):
    """The s_sem judge: an OpenAI-compatible chat-completions endpoint (e.g. vLLM) with logprobs."""

    url: str | None = Field(
        None,
        description="Base URL of the API, e.g. http://judge:8000/v1 (POSTs to URL/chat/completions). "
        "None: no judge, the fallback decides.",
    )
    model: str = Field("kimi-dev-72b", description="`model` sent with each request.")
    api_key: SecretStr | None = Field(None, description="Sent as `Authorization: Bearer KEY` when set.")
    prompt_template: str | None = Field(
        None,
        description="User message with {issue}, {golden_patch}, {candidate_patch} fields "
        "(str.format); None: the shipped default (verifiers/domains/swe/judge_prompt.py).",
    )
    system_prompt: str | None = Field(None, description="Optional system message.")
    timeout_s: float = Field(30.0, gt=0, description="Per attempt.")
    retries: int = Field(2, ge=0, description="Extra attempts after a timeout, HTTP error or malformed reply.")
    concurrency: int = Field(32, ge=1, description="Judge requests in flight at once.")
    top_logprobs: int = Field(20, ge=1, le=20, description="vLLM rejects more than its --max-logprobs (20).")
    normalize: bool = Field(True, description="s_sem = P(yes)/(P(yes)+P(no)); False: raw P(yes).")
    min_mass: float = Field(
        1e-4,
        ge=0,
        description="If P(yes)+P(no) among the top tokens is below this, the reply is a failure.",
    )
    cache_size: int = Field(100_000, ge=0, description="LRU entries of (prediction hash, reference hash) -> s_sem.")


class SweSettings(BaseModel):
    """Execution-free SWE reward: caps, syntax check, judge and what happens without one."""

    workers: int = Field(
        default_factory=_default_workers, ge=1, description="Processes that parse and compare patches."
    )
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


class RaySettings(BaseModel):
    """Scale-out: run the math workers and sandbox runners as actors on an existing Ray cluster."""

    address: str | None = Field(
        None,
        description="Ray cluster to join (`HOST:PORT` of its GCS, or `auto`); None runs every pool in "
        "this process's machine. `verifiers serve --ray ADDRESS` sets it.",
    )
    namespace: str = Field("cascade-verifiers", description="Ray namespace of the actors.")
    actors_per_node: int = Field(
        1,
        ge=1,
        description="Actors per pool per CPU node; each runs math.workers workers or code.runners runners.",
    )
    actor_num_cpus: float = Field(
        0.0,
        ge=0,
        description="CPUs each actor reserves in Ray's accounting (0: none, the workers share the node).",
    )
    cpu_nodes_only: bool = Field(True, description="Place actors only on nodes without GPUs (all nodes if none).")
    ship_code: bool = Field(
        True,
        description="Upload this package to the cluster (Ray py_modules); the nodes need only its dependencies.",
    )
    log_to_driver: bool = Field(False, description="Stream the actors' logs into this process's log.")
    start_timeout_s: float = Field(
        300.0,
        gt=0,
        description="How long an actor may take to start its pool (a fresh node also fetches our code).",
    )
    close_timeout_s: float = Field(30.0, gt=0, description="How long an actor may take to stop its pool on shutdown.")
    restart_backoff_s: float = Field(2.0, gt=0, description="Pause between attempts to replace a lost actor.")


class Settings(BaseSettings):
    """Everything the service reads at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="VERIFIERS_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    domains: list[str] | None = Field(None, description="Domains to serve; None serves every registered domain.")
    server: ServerSettings = Field(default_factory=ServerSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    openrlhf: OpenRLHFSettings = Field(default_factory=OpenRLHFSettings)
    math: MathSettings = Field(default_factory=MathSettings)
    code: CodeSettings = Field(default_factory=CodeSettings)
    ifeval: IFEvalSettings = Field(default_factory=IFEvalSettings)
    swe: SweSettings = Field(default_factory=SweSettings)
    rm: RMSettings = Field(default_factory=RMSettings)
    if_rm: IfRmSettings = Field(default_factory=IfRmSettings)
    ray: RaySettings = Field(default_factory=RaySettings)

    @model_validator(mode="after")
    def _paths_fit_the_backstop(self) -> Settings:
        """Refuse a configuration where a served path can, by design, outlast the engine's
        backstop: its items would end as the backstop's `infra_error` instead of its own timeout."""
        served = set(self.domains) if self.domains is not None else None
        paths: dict[str, tuple[float, str]] = {}
        if self.rm.backend == "vllm":
            rm_s = worst_case_s(self.rm.vllm.timeout_s, self.rm.vllm.retries)
            rm_how = f"rm.vllm ({self.rm.vllm.retries} + 1) x timeout_s {self.rm.vllm.timeout_s:g} + back-off"
            paths["rm"] = rm_s, rm_how
        else:
            rm_s, rm_how = 0.0, "the local model's forward"
        paths["if_rm"] = (
            self.ifeval.item_timeout_s + rm_s + self.if_rm.group_deadline_s,
            f"ifeval.item_timeout_s {self.ifeval.item_timeout_s:g} + {rm_how} + "
            f"if_rm.group_deadline_s {self.if_rm.group_deadline_s:g}",
        )
        if self.swe.judge.url:
            judge = self.swe.judge
            paths["swe"] = (
                self.swe.item_timeout_s + worst_case_s(judge.timeout_s, judge.retries),
                f"swe.item_timeout_s {self.swe.item_timeout_s:g} + swe.judge ({judge.retries} + 1) "
                f"x timeout_s {judge.timeout_s:g} + back-off",
            )
        deadline = self.engine.item_deadline_s
        over = [
            f"{name}: {how} = {worst:.1f} s"
            for name, (worst, how) in paths.items()
            if (served is None or name in served) and worst >= deadline
        ]
        if over:
            raise ValueError(
                f"engine.item_deadline_s ({deadline:g} s) is shorter than the longest a served path may take by "
                f"design: {'; '.join(over)}. Raise engine.item_deadline_s or lower those settings."
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _FileSource(settings_cls)

    @classmethod
    def load(cls, path: str | Path | None = None, **overrides: Any) -> Settings:
        """Settings from an optional config file, the environment and dotted overrides
        (`Settings.load(None, **{"server.port": 9000})`)."""
        data: dict[str, Any] = {}
        for dotted, value in overrides.items():
            _set_dotted(data, dotted, value)
        token = _config_file_data.set(read_config_file(Path(path)) if path else {})
        try:
            return cls(**data)
        finally:
            _config_file_data.reset(token)


_config_file_data: ContextVar[dict[str, Any]] = ContextVar("config_file_data", default={})


class _FileSource(PydanticBaseSettingsSource):
    """The config file, lowest priority; set for the duration of `Settings.load`."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return _config_file_data.get().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_config_file_data.get())


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a YAML, TOML or JSON config file into a plain dict."""
    text = path.read_text()
    suffix = path.suffix.lower()
    if suffix == ".toml":
        data = tomllib.loads(text)
    elif suffix == ".json":
        data = json.loads(text)
    else:
        data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the top level of a config file must be a mapping")
    return data


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
