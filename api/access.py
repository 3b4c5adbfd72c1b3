"""Who may read, and how often: optional read keys, public widget keys, and rate limits per
identity. Only a valid key is an identity; anything else counts as the client address, so a
made-up bearer token buys neither a new rate-limit budget nor a new conversation quota."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import deque
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from pydantic import SecretStr

from api.addresses import budget_key
from api.deps import bearer, get_settings, same_key
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

    def retry_after(self, client: str, now: float | None = None, cost: int = 1) -> float:
        """0 when a request costing `cost` may go ahead (and is counted), else seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) + cost > self.limit:
                return self.window - (now - hits[0]) if hits else self.window
            hits.extend([now] * cost)
            if len(self._hits) > self._max:  # forget idle clients rather than grow without bound
                self._hits = {k: v for k, v in self._hits.items() if v and now - v[-1] < self.window}
            return 0.0

    def check(self, client: str, cost: int = 1) -> None:
        wait = self.retry_after(client, cost=cost)
        if wait > 0:
            raise HTTPException(429, "too many requests; retry later",
                                headers={"Retry-After": str(math.ceil(wait))})


class Limiters:
    """The app's limiters, one per lane: reads, widget reads, feedback."""

    def __init__(self, settings: Settings) -> None:
        self.reads = RateLimiter.parse(settings.rate_limit)
        self.widget = RateLimiter.parse(settings.widget_rate_limit)
        self.feedback = RateLimiter.parse(settings.feedback_rate_limit)


def client_address(request: Request) -> str:
    # A trusted proxy's X-Forwarded-For was already applied by the proxy-headers middleware
    # (rightmost address no trusted proxy added); nothing else may claim an address. Canonical,
    # an IPv6 client by its /64: one client, one budget, however it writes its address.
    return budget_key(request.client.host) if request.client else "unknown"


def fingerprint(key: str) -> str:
    """A stable, non-reversible name for a key: the same in every worker process (unlike
    `hash()`, which is salted per process), and a log or table never holds the key itself."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _matches(key: str | None, keys: list[SecretStr]) -> bool:
    return any(same_key(key, k.get_secret_value()) for k in keys)


def is_read_key(request: Request, settings: Settings) -> bool:
    """A read key, or the admin key (whoever may write may read)."""
    admin = [settings.admin_key] if settings.admin_key is not None else []
    return _matches(bearer(request), [*settings.api_keys, *admin])


def is_widget_request(request: Request, settings: Settings) -> bool:
    """A public widget key, sent from a page on an allowed origin or from the service's own demo
    page. The key is public and the Origin header can be forged by a script: this lane only has
    its own, lower budget."""
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return (origin in settings.cors_origins or origin == own) and _matches(bearer(request), settings.widget_keys)


def client_identity(request: Request, settings: Settings) -> str:
    """Who is asking, for limits and conversation quotas: a valid read key (its fingerprint),
    else the client address."""
    key = bearer(request)
    return f"key:{fingerprint(key)}" if key and is_read_key(request, settings) else f"ip:{client_address(request)}"


def limiters(request: Request) -> Limiters:
    found: Limiters = request.app.state.limiters
    return found


async def require_reader(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> None:
    # The request was checked and counted from its head already (api/gate.py); this second check
    # counts nothing.
    check_reader(request, settings)


def check_reader(request: Request, settings: Settings) -> None:
    """401 or 403 unless the caller may read: /ask's key check, and /mcp's (`api.mcp`)."""
    # Read keys are optional (off unless QA_API_KEYS is set), so this reads the header itself
    # rather than declaring a security scheme the schema would then call mandatory.
    if settings.api_keys and not is_widget_request(request, settings) and not is_read_key(request, settings):
        if bearer(request) is None:
            raise HTTPException(401, "this server needs 'Authorization: Bearer <key>' for reading",
                                headers={"WWW-Authenticate": "Bearer"})
        raise HTTPException(403, "the key is not valid")


def charge(request: Request, settings: Settings, cost: int) -> None:
    """Count `cost` requests against the caller's read lane (a batch counts each question)."""
    lanes = limiters(request)
    limiter = lanes.widget if is_widget_request(request, settings) and not is_read_key(request, settings) \
        else lanes.reads
    if limiter is not None and cost > 0:
        limiter.check(client_identity(request, settings), cost)


async def require_feedback(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> None:
    """Feedback writes rows: its own budget per identity, on top of the read check."""
    limiter = limiters(request).feedback
    if limiter is not None:
        limiter.check(client_identity(request, settings))


Reader = Depends(require_reader)
FeedbackWriter = Depends(require_feedback)
