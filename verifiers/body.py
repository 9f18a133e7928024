"""Reading a JSON request body: the size limit, then orjson, then a lenient fallback.

`json_body` is the FastAPI dependency every POST endpoint takes its body from. The one request size
limit is `server.max_body_bytes` (64 MiB by default): a body over it is refused with 413 before it
is read whole, whether it declares its length or is sent chunked. Bodies are parsed with orjson
(the hot path is thousands of small OpenRLHF requests per second); a string holding a lone UTF-16
surrogate (a legal JSON escape that a tokenizer's partial decode can produce) is decoded leniently
instead, the surrogate replaced, because a hostile model output must become a verdict, not a 4xx.
Raw bytes that are not UTF-8 are a broken client: 422 with the offset.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError

from verifiers.errors import PayloadTooLarge


async def json_body(request: Request) -> Any:
    """The request's JSON body; raises PayloadTooLarge (413) or RequestValidationError (422)."""
    limit: int = request.app.state.settings.server.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(limit, int(declared))
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(limit, None)
        chunks.append(chunk)
    return parse_json(b"".join(chunks))


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
