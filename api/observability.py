"""Request ids, JSON logs and Prometheus metrics, all per app instance (no global registry)."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from typing import TextIO

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("qa_http_requests_total", "HTTP requests", ["route", "method", "status"],
                                registry=self.registry)
        self.latency = Histogram("qa_http_request_seconds", "HTTP request latency", ["route", "method"],
                                 registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10))
        self.answers = Counter("qa_answers_total", "Questions answered or abstained on", ["outcome"],
                               registry=self.registry)
        self.writes = Counter("qa_document_writes_total", "Document writes", ["operation"], registry=self.registry)
        self.sentences = Gauge("qa_index_sentences", "Sentences stored and searchable", registry=self.registry)
        self.documents = Gauge("qa_documents", "Stored documents", registry=self.registry)
        self.cache = Gauge("qa_answer_cache_lookups", "Answer cache lookups since the start, by result", ["result"],
                           registry=self.registry)


class RequestContext:
    """Gives every request an id (the client's X-Request-ID when sane), echoes it in the
    response, exposes it to logs and error bodies, and records the request's metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode(errors="replace")
        rid = given if _VALID_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        token = request_id.set(rid)
        sent = {"status": 0}
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Answered here rather than by Starlette's outermost handler, which re-raises, so that
            # uvicorn would drop the connection and the error would go out without a request id.
            if sent["status"]:
                raise
            await _last_resort(exc, send_with_id)
            sent["status"] = 422 if isinstance(exc, RecursionError) else 500
        finally:
            # The template keeps labels bounded; path_format drops converters ({id:document_path} -> {id}).
            matched = scope.get("route")
            route = getattr(matched, "path_format", None) or getattr(matched, "path", "unmatched")
            self.metrics.requests.labels(route, scope["method"], str(sent["status"] or 500)).inc()
            self.metrics.latency.labels(route, scope["method"]).observe(time.perf_counter() - started)
            request_id.reset(token)


async def _last_resort(exc: Exception, send: Send) -> None:
    if isinstance(exc, RecursionError):  # json and parsers recurse: input nested too deeply
        status, code, message = 422, "validation_error", "the input is nested too deeply"
    else:
        logging.getLogger("api").error("unhandled error", exc_info=exc)  # the traceback stays in the log
        status, code, message = 500, "internal_error", "the service could not complete the request"
    body = json.dumps({"error": {"code": code, "request_id": request_id.get(), "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                 "message": record.getMessage(), "request_id": request_id.get()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """One line for a person at a terminal: time, level, message (and the request id inside a request)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(message)s", datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = request_id.get()
        return line if rid == "-" else f"{line} [{rid}]"


# Loggers whose INFO lines mislead on a healthy start. faiss.loader tries the AVX512 and AVX2 builds
# first and reports each missing one as "Could not load library ... ModuleNotFoundError", which
# reads as an error. uvicorn.error says "Application startup complete" and "Uvicorn running on ..."
# while the model is still loading (/ask answers 503 for seconds more): the service's own
# "ready: http://..." line says when answers work. The MCP SDK says "Terminating session: None" after
# every stateless /mcp request (the access log has the request). Their warnings and errors still show.
QUIETED = ("faiss.loader", "uvicorn.error", "mcp")
# uvicorn's loggers come with handlers of their own (another format): their lines go through the root's.
UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


def resolve_format(setting: str, stream: TextIO | None = None) -> str:
    """`plain` or `json`: `auto` is plain on a terminal and JSON otherwise."""
    if setting != "auto":
        return setting
    stream = stream if stream is not None else sys.stderr
    return "plain" if stream.isatty() else "json"


def configure_logging(fmt: str = "auto", stream: TextIO | None = None) -> None:
    """One format for every line the process writes, the service's and uvicorn's alike."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if resolve_format(fmt, stream) == "json" else PlainFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    for name in UVICORN:
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    for name in QUIETED:
        logging.getLogger(name).setLevel(logging.WARNING)
