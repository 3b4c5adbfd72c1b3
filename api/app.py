"""The FastAPI application factory. The model and index load in the lifespan, never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from api import access, chat, errors, observability, routes, widget
from api.limits import BodyLimit
from qa.service import QAService
from qa.settings import Settings


def create_app(settings: Settings | None = None, service: QAService | None = None) -> FastAPI:
    """Build the app. `service` lets tests inject one built with a fake embedder."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        observability.configure_logging()
        owned = service is None
        app.state.service = service or await run_in_threadpool(QAService.open, settings)
        try:
            yield
        finally:
            if owned:
                app.state.service.close()
            app.state.service = None

    app = FastAPI(title="Article QA", version="0.1.0", lifespan=lifespan,
                  description="Extractive question answering over news articles.")
    app.state.settings = settings
    app.state.service = service  # an injected service is usable even without the lifespan
    app.state.metrics = observability.Metrics()
    app.state.limiter = access.RateLimiter.parse(settings.rate_limit)
    errors.install(app)
    app.include_router(routes.router)
    app.include_router(chat.router)
    app.include_router(widget.router)
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type", "Authorization"], allow_credentials=False)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(observability.RequestContext, metrics=app.state.metrics)
    return app
