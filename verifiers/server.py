"""The HTTP transport: validate, route to the engine, report. No verifier logic lives here.

Layout, for whoever adds an endpoint:
- `router` (module level) holds the endpoints. An endpoint takes what it needs as FastAPI
  dependencies: `EngineDep` (the app's engine, on `app.state.engine`), `OpenRLHFDep`, `StatusDep`
  (the status monitor behind `/stats`) and `JsonBody` (the request body, size-limited and parsed:
  `verifiers/body.py`). The status page's files (`GET /`, `/ui/...`) are routes of it too.
- `create_app` builds an app around one engine: its lifespan (the engine and its status monitor
  start and stop with the app), the middlewares (`verifiers/middleware.py`: bearer auth, request
  metrics), the handlers that turn a refusal into its status code (413, 429) and the OpenAPI
  document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from pydantic.json_schema import models_json_schema

from verifiers import __version__, status_page
from verifiers.body import json_body
from verifiers.engine import Engine
from verifiers.errors import LabelError, Overloaded, PayloadTooLarge, UnknownDomain
from verifiers.middleware import BearerAuth, RequestMetrics
from verifiers.openrlhf import OpenRLHFAdapter
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
from verifiers.status import StatusMonitor


class _Json(JSONResponse):
    """orjson rendering; a JSONResponse subclass so the OpenAPI document keeps response schemas."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str)


# Dependencies. Async on purpose: FastAPI runs a plain `def` dependency in a thread.


async def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def _openrlhf(request: Request) -> OpenRLHFAdapter:
    adapter: OpenRLHFAdapter = request.app.state.openrlhf
    return adapter


async def _status(request: Request) -> StatusMonitor:
    monitor: StatusMonitor = request.app.state.status
    return monitor


EngineDep = Annotated[Engine, Depends(_engine)]
OpenRLHFDep = Annotated[OpenRLHFAdapter, Depends(_openrlhf)]
StatusDep = Annotated[StatusMonitor, Depends(_status)]
JsonBody = Annotated[Any, Depends(json_body)]

_ERROR = {
    "description": "Refused",
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
        }
    },
}
_INVALID = {"description": "Malformed body: each error names the field (`loc`)", "model": ValidationErrors}
_TOO_LARGE = {**_ERROR, "description": "The body is larger than server.max_body_bytes"}


def _request_body(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI `requestBody` of an endpoint that reads its body through `JsonBody`, which FastAPI
    cannot see."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


router = APIRouter(default_response_class=_Json)


@router.post(
    "/get_reward",
    response_model=RewardResponse,
    openapi_extra=_request_body(RewardRequest.model_json_schema(ref_template="#/components/schemas/{model}")),
    summary="OpenRLHF remote reward (always 200 for per-sample failures)",
    responses={413: _TOO_LARGE, 422: _INVALID},
)
async def get_reward(body: JsonBody, openrlhf: OpenRLHFDep) -> Response:
    try:
        req = RewardRequest.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError(_with_prefix(exc.errors(), ("body",))) from None
    return _Json(await openrlhf.get_reward(req.query, req.prompts or [], req.labels or []))


@router.post(
    "/score",
    response_model=ScoreResponse,
    openapi_extra=_request_body(
        {"anyOf": [{"$ref": "#/components/schemas/ScoreItem"}, {"$ref": "#/components/schemas/ScoreBatch"}]}
    ),
    summary='Native scoring: one item or {"items": [...]}',
    responses={
        413: _TOO_LARGE,
        422: _INVALID,
        429: {
            **_ERROR,
            "description": "A domain is at capacity (engine.max_items_per_domain); retry after Retry-After seconds",
        },
    },
)
async def score(body: JsonBody, engine: EngineDep) -> Response:
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
            samples.append(
                engine.sample(item.domain, item.response, item.label, prompt=item.prompt, group_id=item.group_id)
            )
        except UnknownDomain as exc:
            errors.append({"loc": (*where, "domain"), "msg": str(exc), "type": "value_error"})
        except LabelError as exc:
            errors.extend(_with_prefix(exc.errors, (*where, "label")))
    if errors:
        raise RequestValidationError(errors)
    verdicts = await engine.score(samples, wait=False)
    return _Json({"results": [v.to_wire() for v in verdicts]})


@router.get("/health", summary="Liveness: the process answers", response_model=HealthResponse)
async def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get(
    "/ready",
    summary="Readiness: every served domain's pools and backends are up",
    response_model=ReadyResponse,
    responses={503: {"description": "Some domain is not ready (see its entry)", "model": ReadyResponse}},
)
async def ready(engine: EngineDep) -> Response:
    states = engine.readiness()
    ok = bool(states) and all(r.ready for r in states.values())
    body = {"ready": ok, "domains": {name: {"ready": r.ready, **r.detail} for name, r in states.items()}}
    return _Json(body, status_code=200 if ok else 503)


@router.get("/stats", summary="Live per-domain statistics and reward-health warnings (the status page's data)")
async def stats(monitor: StatusDep) -> Response:
    return _Json(monitor.snapshot())


def _static(name: str) -> Callable[[], Awaitable[Response]]:
    body, media = status_page.read(name).encode(), status_page.media_type(name)

    async def serve() -> Response:
        return Response(body, media_type=media, headers={"Cache-Control": "no-cache"})

    return serve


# The status page and its files are public (`create_app` opens them to `BearerAuth`): they hold no
# data, and a browser cannot send a bearer token when it navigates. The page asks for the token and
# sends it to /stats itself.
for _path, _name in status_page.PAGE.items():
    router.add_api_route(_path, _static(_name), methods=["GET"], include_in_schema=False)


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
async def metrics(engine: EngineDep) -> Response:
    return Response(generate_latest(engine.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """An app serving `router` around `engine` (default: one built from `settings`)."""
    settings = settings or (engine.settings if engine is not None else Settings())
    engine = engine or Engine(settings)
    monitor = StatusMonitor(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await engine.start()
        await monitor.start()
        try:
            yield
        finally:
            await monitor.close()
            await engine.close()

    otel = settings.server.opentelemetry
    app = FastAPI(
        title="Cascade Verifiers",
        version=__version__,
        description="Reward and verifier service for Cascade RL (math, code, IF, RM, SWE).",
        lifespan=lifespan,
        default_response_class=_Json,
        telemetry={"tracing": otel, "metrics": otel, "logs": otel},
        # The router's routes themselves, not `include_router`, whose lazy `_IncludedRouter` entry
        # (FastAPI 0.165) would hide the endpoints from whoever lists `app.routes`.
        routes=router.routes,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.openrlhf = OpenRLHFAdapter(engine)
    app.state.status = monitor
    app.add_exception_handler(PayloadTooLarge, _payload_too_large)
    app.add_exception_handler(Overloaded, _overloaded)
    # Added last is outermost: metrics see every request, the ones auth refuses included.
    if settings.server.auth_token is not None:
        app.add_middleware(
            BearerAuth,
            token=settings.server.auth_token.get_secret_value(),
            open_paths=("/health", *status_page.PUBLIC_PATHS),
        )
    endpoints = [route.path for route in router.routes if isinstance(route, APIRoute)]
    app.add_middleware(RequestMetrics, metrics=engine.metrics, endpoints=endpoints)

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


async def _payload_too_large(request: Request, exc: Exception) -> Response:
    return _Json({"detail": str(exc)}, status_code=413)


async def _overloaded(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Overloaded)
    return _Json({"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after_s)})


def _with_prefix(errors: Any, prefix: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{"loc": (*prefix, *e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
