"""Who may read, and how often: optional read keys and per-key / per-client rate limits."""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import deque
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.deps import get_settings
from qa.settings import Settings

WINDOWS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}


class RateLimiter:
    """Sliding window per client: at most `limit` requests in any `window` seconds."""

    def __init__(self, limit: int, window: float, max_clients: int = 100_000) -> None:
        self.limit, self.window, self._max = limit, window, max_clients
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, spec: str | None) -> RateLimiter | None:
        if not spec:
            return None
        count, unit = spec.split("/")
        return cls(int(count), WINDOWS[unit])

    def retry_after(self, client: str, now: float | None = None) -> float:
        """0 when the request may go ahead (and is counted), else seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return self.window - (now - hits[0])
            hits.append(now)
            if len(self._hits) > self._max:  # forget idle clients rather than grow without bound
                self._hits = {k: v for k, v in self._hits.items() if v and now - v[-1] < self.window}
            return 0.0


def client_address(request: Request, settings: Settings) -> str:
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for")
    # Only a proxy we run may say who the client is; anyone else could claim any address.
    if forwarded and peer in settings.trusted_proxies:
        return forwarded.split(",")[0].strip() or peer
    return peer


def client_identity(request: Request, settings: Settings) -> str:
    """Who is asking, for limits: the read key when one is sent (only its hash is kept), else
    the client address."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    key = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return f"key:{hash(key)}" if key else f"ip:{client_address(request, settings)}"


async def require_reader(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> None:
    # Read keys are optional (off unless QA_API_KEYS is set), so this reads the header itself
    # rather than declaring a security scheme the schema would then call mandatory.
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    key = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    if settings.api_keys:
        valid = key is not None and any(
            hmac.compare_digest(key.encode(), k.get_secret_value().encode()) for k in settings.api_keys)
        from_widget_page = request.headers.get("origin") in settings.cors_origins
        if not valid and not from_widget_page:
            if key is None:
                raise HTTPException(401, "this server needs 'Authorization: Bearer <key>' for reading",
                                    headers={"WWW-Authenticate": "Bearer"})
            raise HTTPException(403, "the key is not valid")
    limiter: RateLimiter | None = request.app.state.limiter
    if limiter is None:
        return
    wait = limiter.retry_after(client_identity(request, settings))
    if wait > 0:
        raise HTTPException(429, "too many requests; retry later", headers={"Retry-After": str(math.ceil(wait))})


Reader = Depends(require_reader)
