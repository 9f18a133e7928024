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
from typing import Any

import yaml
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


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
        4096, ge=1, description="Pending-connection queue: the end of a rollout opens thousands of connections at once "
        "(the kernel also caps it at net.core.somaxconn).",
    )
    log_level: str = "info"
    shutdown_grace_s: float = Field(
        30.0, ge=0, description="On SIGTERM/SIGINT: stop accepting, let in-flight requests finish for up to "
        "this long, then stop the pools.",
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
        16_384, ge=1, description="Items a domain holds at once (queued or running). Beyond it /score "
        "answers 429 and /get_reward samples wait up to admission_wait_s.",
    )
    admission_wait_s: float = Field(
        60.0, gt=0, description="How long a /get_reward sample waits for room before it is infra_error.",
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


class RaySettings(BaseModel):
    """Scale-out: run the math workers and sandbox runners as actors on an existing Ray cluster."""

    address: str | None = Field(
        None, description="Ray cluster to join (`HOST:PORT` of its GCS, or `auto`); None runs every pool in "
        "this process's machine. `verifiers serve --ray ADDRESS` sets it.",
    )
    namespace: str = Field("cascade-verifiers", description="Ray namespace of the actors.")
    actors_per_node: int = Field(
        1, ge=1, description="Actors per pool per CPU node; each runs math.workers workers or code.runners runners.",
    )
    actor_num_cpus: float = Field(
        0.0, ge=0, description="CPUs each actor reserves in Ray's accounting (0: none, the workers share the node).",
    )
    cpu_nodes_only: bool = Field(True, description="Place actors only on nodes without GPUs (all nodes if none).")
    ship_code: bool = Field(
        True, description="Upload this package to the cluster (Ray py_modules); the nodes need only its dependencies.",
    )
    log_to_driver: bool = Field(False, description="Stream the actors' logs into this process's log.")
    start_timeout_s: float = Field(
        300.0, gt=0, description="How long an actor may take to start its pool (a fresh node also fetches our code).",
    )
    close_timeout_s: float = Field(30.0, gt=0, description="How long an actor may take to stop its pool on shutdown.")
    restart_backoff_s: float = Field(2.0, gt=0, description="Pause between attempts to replace a lost actor.")


class Settings(BaseSettings):
    """Everything the service reads at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="VERIFIERS_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    domains: list[str] | None = Field(
        None, description="Domains to serve; None serves every registered domain."
    )
    server: ServerSettings = Field(default_factory=ServerSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    openrlhf: OpenRLHFSettings = Field(default_factory=OpenRLHFSettings)
    math: MathSettings = Field(default_factory=MathSettings)
    code: CodeSettings = Field(default_factory=CodeSettings)
    ray: RaySettings = Field(default_factory=RaySettings)

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
