"""The HTTP transport: validate, route to the engine, report. No verifier logic lives here.

Bodies are parsed with orjson (the hot path is thousands of small OpenRLHF requests per second);
a string holding a lone UTF-16 surrogate (a legal JSON escape that a tokenizer's partial decode can
produce) is decoded leniently instead, the surrogate replaced, because a hostile model output must
become a verdict, not a 4xx. Raw bytes that are not UTF-8 are a broken client: 422 with the offset.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from pydantic.json_schema import models_json_schema
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from verifiers import __version__
from verifiers.admission import Overloaded
from verifiers.engine import Engine, LabelError, UnknownDomain
from verifiers.openrlhf import OpenRLHFAdapter
from verifiers.sample import Sample
from verifiers.schemas import (
    HealthResponse,
    ReadyResponse,
    RewardRequest,
    RewardResponse,
    ScoreBatch,
    ScoreItem,
    ScoreResponse,
    ValidationErrors,
)
from verifiers.settings import Settings

log = logging.getLogger(__name__)


class _Json(JSONResponse):
    """orjson rendering; a JSONResponse subclass so the OpenAPI document keeps response schemas."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str)


class _PayloadTooLarge(Exception):
    pass


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app; the engine starts and stops with the app's lifespan."""
    settings = settings or Settings()
    engine = engine or Engine(settings)
    adapter = OpenRLHFAdapter(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await engine.start()
        try:
            yield
        finally:
            await engine.close()

    app = FastAPI(
        title="Cascade Verifiers",
        version=__version__,
        description="Reward and verifier service for Cascade RL (math, code, IF, RM, SWE).",
        lifespan=lifespan,
        default_response_class=_Json,
        telemetry=dict.fromkeys(("tracing", "metrics", "logs"), settings.server.opentelemetry),
    )
    app.state.engine = engine
    app.state.settings = settings
    app.add_middleware(_Telemetry, engine=engine, token=settings.server.auth_token)

    @app.exception_handler(_PayloadTooLarge)
    async def _too_large(request: Request, exc: _PayloadTooLarge) -> Response:
        return _Json({"detail": str(exc)}, status_code=413)

    async def read_json(request: Request) -> Any:
        limit = settings.server.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _PayloadTooLarge(f"body of {declared} bytes exceeds the {limit}-byte limit")
        chunks = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _PayloadTooLarge(f"body exceeds the {limit}-byte limit")
            chunks.append(chunk)
        return parse_json(b"".join(chunks))

    @app.post(
        "/get_reward",
        response_model=RewardResponse,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": RewardRequest.model_json_schema(ref_template="#/components/schemas/{model}")
                    }
                },
            }
        },
        summary="OpenRLHF remote reward (always 200 for per-sample failures)",
        responses={413: _ERROR, 422: _INVALID},
    )
    async def get_reward(request: Request) -> Response:
        body = await read_json(request)
        try:
            req = RewardRequest.model_validate(body)
        except ValidationError as exc:
            raise RequestValidationError(_with_prefix(exc.errors(), ("body",))) from None
        reply = await adapter.get_reward(req.query, req.prompts or [], req.labels or [])
        return _Json(reply)

    @app.post(
        "/score",
        response_model=ScoreResponse,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "anyOf": [
                                {"$ref": "#/components/schemas/ScoreItem"},
                                {"$ref": "#/components/schemas/ScoreBatch"},
                            ]
                        }
                    }
                },
            }
        },
        summary='Native scoring: one item or {"items": [...]}',
        responses={
            413: _ERROR,
            422: _INVALID,
            429: {
                **_ERROR,
                "description": (
                    "A domain is at capacity (engine.max_items_per_domain); retry after Retry-After seconds"
                ),
            },
        },
    )
    async def score(request: Request) -> Response:
        body = await read_json(request)
        single = not (isinstance(body, dict) and "items" in body)
        try:
            items = [ScoreItem.model_validate(body)] if single else ScoreBatch.model_validate(body).items
        except ValidationError as exc:
            raise RequestValidationError(_with_prefix(exc.errors(), ("body",))) from None
        samples = []
        errors: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            where = ("body",) if single else ("body", "items", i)
            try:
                label = engine.parse_label(item.domain, item.label)
            except UnknownDomain as exc:
                errors.append({"loc": (*where, "domain"), "msg": str(exc), "type": "value_error"})
                continue
            except LabelError as exc:
                errors.extend(_with_prefix(exc.errors, (*where, "label")))
                continue
            samples.append(Sample(item.domain, item.response, label, prompt=item.prompt, group_id=item.group_id))
        if errors:
            raise RequestValidationError(errors)
        try:
            verdicts = await engine.score(samples, wait=False)
        except Overloaded as exc:
            return _Json({"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after_s)})
        return _Json({"results": [v.to_wire() for v in verdicts]})

    @app.get("/health", summary="Liveness: the process answers", response_model=HealthResponse)
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get(
        "/ready",
        summary="Readiness: every served domain's pools and backends are up",
        response_model=ReadyResponse,
        responses={503: {"description": "Some domain is not ready (see its entry)", "model": ReadyResponse}},
    )
    async def ready() -> Response:
        states = engine.readiness()
        ok = bool(states) and all(r.ready for r in states.values())
        body = {"ready": ok, "domains": {name: {"ready": r.ready, **r.detail} for name, r in states.items()}}
        return _Json(body, status_code=200 if ok else 503)

    @app.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(generate_latest(engine.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    def openapi() -> dict[str, Any]:
        # The bodies are parsed by hand (orjson, lenient UTF-8), so FastAPI does not see their
        # models; register them so the document's references resolve.
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            _, defs = models_json_schema(
                [(m, "validation") for m in (ScoreItem, ScoreBatch, RewardRequest)],
                ref_template="#/components/schemas/{model}",
            )
            doc.setdefault("components", {}).setdefault("schemas", {}).update(defs["$defs"])
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


_ERROR = {
    "description": "Refused",
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
        }
    },
}
_INVALID = {"description": "Malformed body: each error names the field (`loc`)", "model": ValidationErrors}


def parse_json(raw: bytes) -> Any:
    """orjson first; a body it rejects only for escaped lone surrogates is decoded leniently."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestValidationError(
            [
                {
                    "loc": ("body",),
                    "msg": f"body is not UTF-8: invalid byte at offset {exc.start}",
                    "type": "utf8_invalid",
                }
            ]
        ) from None
    try:
        return _scrub(json.loads(text))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise RequestValidationError(
            [{"loc": ("body",), "msg": f"body is not valid JSON: {exc}", "type": "json_invalid"}]
        ) from None


def _scrub(value: Any) -> Any:
    """Replace lone surrogates (legal in JSON escapes, illegal in UTF-8) with U+FFFD."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    return value


def _with_prefix(errors: list[Any], prefix: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{"loc": (*prefix, *e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]


class _Telemetry:
    """Pure ASGI middleware: bearer-token check, request counts and latency per endpoint."""

    _OPEN_PATHS = frozenset({"/health"})

    def __init__(self, app: ASGIApp, engine: Engine, token: Any) -> None:
        self.app = app
        self.metrics = engine.metrics
        self.token = token.get_secret_value().encode() if token is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if self.token is not None and path not in self._OPEN_PATHS and not self._authorized(scope):
            await _Json({"detail": "missing or wrong bearer token"}, status_code=401)(scope, receive, send)
            self.metrics.requests.labels(path, "401").inc()
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            endpoint = path if path in _KNOWN_PATHS else "other"
            self.metrics.requests.labels(endpoint, str(status)).inc()
            self.metrics.request_latency.labels(endpoint).observe(time.perf_counter() - started)

    def _authorized(self, scope: Scope) -> bool:
        assert self.token is not None
        for name, value in scope["headers"]:
            if name == b"authorization" and value.startswith(b"Bearer "):
                return secrets.compare_digest(value[7:], self.token)
        given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
        return bool(given) and secrets.compare_digest(given[-1].encode(), self.token)


_KNOWN_PATHS = frozenset({"/get_reward", "/score", "/health", "/ready", "/metrics"})
