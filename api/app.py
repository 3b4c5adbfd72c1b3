"""The FastAPI application factory. The model and index load in the lifespan, never at import."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from types import FrameType

from fastapi import FastAPI
from starlette.routing import Route

from api import access, admin, chat, errors, insights, mcp, observability, routes, security, widget
from api.addresses import TrustedProxies
from api.deps import loaded_service
from api.gate import HeadGate
from api.limits import BodyLimit, Deadline, TextGuard
from api.pacing import BodyPace
from qa.errors import StoreUnavailable
from qa.readiness import Readiness
from qa.service import QAService
from qa.settings import Settings

log = logging.getLogger("api")


def create_app(settings: Settings | None = None, service: QAService | None = None) -> FastAPI:
    """Build the app. `service` lets tests inject one built with a fake embedder."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        observability.configure_logging(settings.log_format)
        async with tools.running(), _loaded(app, settings, service):
            with _writes_stopped_on_signal(app):
                yield

    app = FastAPI(title="Article QA", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Extractive question answering over news articles.")
    tools = mcp.Endpoint(settings, lambda: loaded_service(app.state))
    security.install_docs(app)
    app.state.settings = settings
    app.state.service = service  # an injected service is usable even without the lifespan
    app.state.load_error = None
    app.state.readiness = None
    app.state.metrics = observability.Metrics()
    app.state.limiters = access.Limiters(settings)
    errors.install(app)
    app.include_router(routes.router)
    app.include_router(chat.router)
    app.include_router(widget.router)
    app.include_router(insights.router)
    app.include_router(admin.router)
    app.router.routes.append(Route("/mcp", tools, include_in_schema=False))  # for agents: docs/mcp.md
    # Innermost first. TextGuard is the first to read a body: everything outside it decides from
    # the head (HeadGate) or watches the body go by (BodyPace, BodyLimit).
    app.add_middleware(TextGuard)
    app.add_middleware(BodyPace, grace=settings.body_timeout_seconds, rate=settings.min_body_rate,
                       share=settings.max_slow_connections)
    app.add_middleware(HeadGate, settings=settings)
    app.add_middleware(errors.JsonCORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type", "Authorization"], allow_credentials=False)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, read_bytes=settings.max_read_body_bytes)
    app.add_middleware(Deadline, seconds=settings.request_timeout_seconds)
    app.add_middleware(security.SecurityHeaders)
    app.add_middleware(observability.RequestContext, metrics=app.state.metrics)
    if settings.trusted_proxies:
        # uvicorn's own middleware (run here, not by the server, so that it follows this setting and
        # nothing else): the client is the rightmost X-Forwarded-For address no trusted proxy added,
        # and it must be an IP address (api/addresses.py).
        app.add_middleware(TrustedProxies, trusted_hosts=settings.trusted_proxies)
    return app


@asynccontextmanager
async def _loaded(app: FastAPI, settings: Settings, service: QAService | None) -> AsyncIterator[None]:
    """The service while the app runs: the injected one, or one loaded in the background (/healthz
    answers at once, /readyz says 503 until the model is loaded and the index verified or rebuilt)."""
    if service is not None:
        yield
        return
    log.info("loading the model and the index (answers start with the line 'ready: ...')")
    if settings.workers > 1:  # /readyz answers for every worker of the server (qa/readiness.py)
        app.state.readiness = Readiness(settings.data_dir / "ready", settings.workers)
    stop = threading.Event()
    loader = threading.Thread(target=_load, args=(app, settings, stop), name="qa-loader", daemon=True)
    loader.start()
    try:
        yield
    finally:
        stop.set()
        loader.join()
        if app.state.readiness is not None:
            app.state.readiness.clear()
        if app.state.service is not None:
            app.state.service.close()
            app.state.service = None


@contextmanager
def _writes_stopped_on_signal(app: FastAPI) -> Iterator[None]:
    """uvicorn answers SIGTERM or SIGINT by waiting for every request in flight, a document write's
    included (up to a minute for a large one). Its handler is chained here so the write's
    preparation stops first: the shutdown waits for that write's 503, not for its work. Only
    where uvicorn itself handles signals (the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(sig: int, frame: FrameType | None) -> None:
        if app.state.service is not None:
            app.state.service.ingest.stop()
        chained = previous[signal.Signals(sig)]
        if callable(chained):
            chained(sig, frame)

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def ready_line(settings: Settings, documents: int) -> str:
    """Said once the service answers (/ask no longer 503): where, and over how many articles."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # bound everywhere: here too
    host = f"[{host}]" if ":" in host else host
    return f"ready: http://{host}:{settings.port} ({documents} article{'' if documents == 1 else 's'})"


def _load(app: FastAPI, settings: Settings, stop: threading.Event) -> None:
    """Load until it works: a database that is down may come back, and a failed model export is
    cleaned up and tried again, so the service recovers without a restart."""
    delay = 1.0
    while not stop.is_set():
        try:
            app.state.service = QAService.open(settings)
            app.state.load_error = None
            if app.state.readiness is not None:
                app.state.readiness.mark()
            log.info("%s", ready_line(settings, app.state.service.stats()["documents"]))
            return
        except StoreUnavailable as exc:
            app.state.load_error = type(exc).__name__
            log.warning("database unavailable (%s); retrying in %.0f s", exc, delay)
        except Exception as exc:  # the process stays up so /readyz can say so; details go to the log
            first = app.state.load_error is None
            app.state.load_error = type(exc).__name__
            log.error("could not load the model and index (%s); retrying in %.0f s", exc, delay, exc_info=first)
        stop.wait(delay)
        delay = min(delay * 2, 60.0)
