"""The one typed settings object.

Every knob of the service is a field of `Settings`, one section per concern: the service-wide ones
(server, engine, openrlhf, ray; stats and health, behind the status page and its warnings) are
defined here, each domain's next to its code (`verifiers/domains/<name>/settings.py`) and gathered
here under the domain's name. Values come from
(highest priority first) explicit overrides such as CLI flags, environment variables (`VERIFIERS_`
prefix, `__` between levels: `VERIFIERS_MATH__WORKERS=4`), then a YAML/TOML/JSON file given with
`--config`, so a deployment can override a shared config file without editing it.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from verifiers.domains.code.settings import CodeSettings
from verifiers.domains.if_rm.settings import IfRmSettings
from verifiers.domains.ifeval.settings import IFEvalSettings
from verifiers.domains.math.settings import MathSettings
from verifiers.domains.mcq.settings import McqSettings
from verifiers.domains.rm.settings import RMSettings
from verifiers.domains.swe.settings import SweSettings
from verifiers.registry import DOMAINS
from verifiers.retry import worst_case_s


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


class RaySettings(BaseModel):
    """Scale-out: run every pooled domain's pool (math, ifeval and swe workers, code's sandbox runners) in
    actors on an existing Ray cluster."""

    address: str | None = Field(
        None,
        description="Ray cluster to join (`HOST:PORT` of its GCS, or `auto`); None runs every pool in "
        "this process's machine. `verifiers serve --ray ADDRESS` sets it.",
    )
    namespace: str = Field("cascade-verifiers", description="Ray namespace of the actors.")
    actors_per_node: int = Field(
        1,
        ge=1,
        description="Actors per pool per CPU node; each runs one pool of its domain (math.workers workers, "
        "code.runners runners, ...).",
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


class StatsSettings(BaseModel):
    """The live picture behind the status page (`GET /`) and `GET /stats`."""

    bucket_s: float = Field(2.0, gt=0, le=60, description="Time resolution of the page's plots.")
    history_s: float = Field(600.0, gt=0, le=86_400, description="How far back the plots reach.")
    poll_s: float = Field(2.0, ge=0.2, le=60, description="How often the status page polls /stats.")


class HealthSettings(BaseModel):
    """Reward-health warnings: per domain, over its last `window` samples no older than `max_age_s`."""

    window: int = Field(1000, ge=10, le=1_000_000, description="Samples per domain the warnings look at.")
    max_age_s: float = Field(
        900.0,
        gt=0,
        description="Samples older than this leave the window, so a domain that stopped "
        "receiving traffic stops warning about what it saw.",
    )
    min_samples: int = Field(50, ge=1, description="No share-based warning on fewer samples than this.")
    format_error_share: float = Field(0.3, gt=0, le=1, description="Warn above this share of format_error.")
    timeout_share: float = Field(0.1, gt=0, le=1, description="Warn above this share of timeout.")
    error_share: float = Field(0.05, gt=0, le=1, description="Warn above this share of `error` (unusable labels).")
    infra_error_share: float = Field(0.05, gt=0, le=1, description="Warn above this share of infra_error.")
    same_reward_samples: int = Field(
        256,
        ge=2,
        description="Warn when this many unmasked rewards in a row are identical (no GRPO signal).",
    )
    interval_s: float = Field(1.0, gt=0, le=60, description="How often warnings are evaluated and logged.")


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
    mcq: McqSettings = Field(default_factory=McqSettings)
    ray: RaySettings = Field(default_factory=RaySettings)
    stats: StatsSettings = Field(default_factory=StatsSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)

    @field_validator("domains")
    @classmethod
    def _registered(cls, domains: list[str] | None) -> list[str] | None:
        unknown = sorted(set(domains or ()) - DOMAINS.keys())
        if unknown:
            raise ValueError(f"unknown domain(s) {unknown}; registered: {sorted(DOMAINS)}")
        return domains

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
        judged: MathSettings | SweSettings
        for name, judged in (("math", self.math), ("swe", self.swe)):
            if judged.judge.url:
                judge = judged.judge
                paths[name] = (
                    judged.item_timeout_s + judge.budget_s(),
                    f"{name}.item_timeout_s {judged.item_timeout_s:g} + {name}.judge ({judge.retries} + 1) "
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


_config_file_data: ContextVar[Mapping[str, Any]] = ContextVar("config_file_data", default=MappingProxyType({}))


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
