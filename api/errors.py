"""One JSON error shape for every 4xx and 5xx: {"error": {"code", "message", "details"?}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from api.observability import request_id
from qa.errors import (
    BadInput,
    Busy,
    Conflict,
    CorruptFile,
    DocumentNotFound,
    EmbedderUnavailable,
    NotReady,
    StorageFull,
    StoreError,
    StoreUnavailable,
)

log = logging.getLogger("api")

STATUS_CODES: dict[type[Exception], tuple[int, str]] = {
    DocumentNotFound: (404, "not_found"),
    BadInput: (422, "bad_input"),
    Conflict: (409, "conflict"),
    NotReady: (503, "not_ready"),
    Busy: (503, "busy"),
    EmbedderUnavailable: (503, "not_ready"),
    CorruptFile: (500, "storage_error"),
    StoreUnavailable: (503, "unavailable"),
    StorageFull: (507, "insufficient_storage"),
}
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
              422: "validation_error", 429: "rate_limited", 503: "not_ready"}


def error_response(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None, openai: dict[str, str] | None = None) -> JSONResponse:
    """`openai`: the fields OpenAI's errors add (`type`, `param`), for the bot endpoints: an OpenAI
    client reads them, and our own `code` and `message` are OpenAI's names too."""
    body: dict[str, Any] = {"code": code, "message": message, "request_id": request_id.get(), **(openai or {})}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def described(exc: StoreError) -> tuple[int, str, str] | None:
    """A domain error's status, code and the message a client may see (None: not one we know).
    The HTTP routes' and the MCP tools' (`api.mcp`) alike."""
    for kind, (status, code) in STATUS_CODES.items():
        if isinstance(exc, kind):
            if status >= 500 and not isinstance(exc, NotReady | Busy | StorageFull):  # their text is ours to show
                log.error("%s: %s", code, exc)
                return status, code, "the service could not complete the request"
            return status, code, str(exc)
    return None


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    found = described(exc) if isinstance(exc, StoreError) else None
    wait = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Busy) else None
    return error_response(*found, headers=wait) if found else await _unexpected(request, exc)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [_json_syntax(e, exc.body) if e.get("type") == "json_invalid" else
               {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "message": e.get("msg", "")}
               for e in exc.errors()]
    summary = "; ".join(f"{d['field'] or 'body'}: {d['message']}" for d in details[:5])
    return error_response(422, "validation_error", f"invalid request: {summary}", details)


def _json_syntax(error: dict[str, Any], document: object) -> dict[str, Any]:
    """A body that is not JSON: FastAPI puts the character offset where the field name goes
    (`body.12`). Said as a place a person finds in their request instead: line, column, and the
    parser's reason."""
    loc = error.get("loc", ())
    offset = loc[-1] if loc and isinstance(loc[-1], int) else None
    reason = str((error.get("ctx") or {}).get("error", "JSON decode error"))
    if offset is None or not isinstance(document, str):
        return {"field": "body", "message": f"not valid JSON: {reason}"}
    line = document.count("\n", 0, offset) + 1
    column = offset - (document.rfind("\n", 0, offset) + 1) + 1
    where = f"line {line}, column {column} (character {offset})"
    return {"field": "body", "message": f"not valid JSON at {where}: {reason}", "line": line, "column": column}


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Log the traceback for operators; never send it to clients.
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "the service could not complete the request")


class JsonCORSMiddleware(CORSMiddleware):
    """Starlette's CORS handling, with a refused preflight in the one error shape rather than
    plain text."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = error_response(400, "bad_request", bytes(response.body).decode() or "Disallowed CORS request")
        for name in ("vary",):  # keep caches apart per Origin, as Starlette does
            if name in response.headers:
                refused.headers[name] = response.headers[name]
        return refused


def install(app: FastAPI) -> None:
    app.add_exception_handler(StoreError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
