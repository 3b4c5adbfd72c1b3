"""How `qa serve` runs uvicorn: the settings it maps, and a limit uvicorn lacks, a deadline
for a connection to send its request head (slowloris: thousands of connections that trickle
a header byte at a time would otherwise be held open for ever)."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from qa.framing import guard_heads
from qa.settings import Settings

KEYED = "qa.keyed"  # set in a request's scope["state"] by the app when it holds a valid key
# Seconds: a reader's head or body takes milliseconds. A connection that has taken longer is the one
# closed when a complete request needs its place: a reader mid-body loses it only in that instant.
SLOW = 0.25


class HeadTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head is not complete within
    `head_timeout` seconds of its first byte (or of connecting). Trickling bytes does not extend it.

    And when a complete request arrives with every place under QA_MAX_CONNECTIONS taken, the
    oldest slow connection is closed to make room rather than the request refused: one idle or
    still sending its head after SLOW seconds, or sending the body of a request without a valid
    key after SLOW seconds. Connections that hold the door cannot keep readers out."""

    def __init__(self, *args: Any, head_timeout: float = 10.0, cap: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timeout = head_timeout
        self._cap = cap  # uvicorn's own limit_concurrency stays off: it is applied here, after making room
        self._head_timer: asyncio.TimerHandle | None = None
        self._since = time.monotonic()  # when the present wait (for a head, or for a body) began

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()
        wrap_next_event(self.conn, self._on_event)
        guard_heads(self.conn, self._note_refusal)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm()  # part of a request head so far
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self._since = time.monotonic()
        super().on_response_complete()

    def _note_refusal(self, reason: str) -> None:
        self._refusal = reason

    def send_400_response(self, msg: str) -> None:
        """uvicorn's 400 for a request it cannot parse, in the API's one error shape."""
        rid = uuid.uuid4().hex
        body = json.dumps({"error": {"code": "bad_request", "message": getattr(self, "_refusal", msg),
                                     "request_id": rid}}).encode()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close"), (b"x-request-id", rid.encode())]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=body),
                      h11.EndOfMessage()):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()

    def _on_event(self, event: object) -> None:
        """A request head is complete: its body's clock starts, and it gets a place if one can be freed."""
        if isinstance(event, h11.Request):
            self._since = time.monotonic()
            if self._cap is not None and len(self.connections) > self._cap:
                make_room(self.connections, self, self._cap)
            # uvicorn reads this right after the event: 0 makes it answer 503, None lets the request in.
            self.limit_concurrency = 0 if self._cap is not None and len(self.connections) > self._cap else None

    def slow_since(self, now: float) -> float | None:
        """How long this connection has been slow, or None when it is doing useful work."""
        state = self.conn.their_state
        if state is h11.IDLE and (self.cycle is None or self.cycle.response_complete):
            return now - self._since if now - self._since >= SLOW else None
        keyed = bool(self.cycle and self.cycle.scope.get("state", {}).get(KEYED))
        if state is h11.SEND_BODY and not keyed and now - self._since >= SLOW:
            return now - self._since
        return None

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self._head_timeout, self._expire)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expire(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def make_room(connections: set[Any], newcomer: object, cap: int) -> None:
    """Closes the connections that have been slow the longest until the newcomer is within `cap`
    (none slow: uvicorn answers 503 as before). Connections still sending a head were never
    counted against the cap by uvicorn, so there may be far more of them than `cap`."""
    now = time.monotonic()
    slow = sorted(((since, id(c), c) for c in connections if c is not newcomer and isinstance(c, HeadTimeoutProtocol)
                   and (since := c.slow_since(now)) is not None), reverse=True)
    for _, _, victim in slow[:max(0, len(connections) - cap)]:
        connections.discard(victim)  # at once: uvicorn counts the places right after this
        victim.transport.close()


def wrap_next_event(conn: h11.Connection, observe: Callable[[object], None]) -> None:
    """Lets the protocol see each event h11 parses before uvicorn acts on it."""
    parse = conn.next_event

    def next_event() -> Any:
        event = parse()
        observe(event)
        return event

    conn.next_event = next_event  # type: ignore[method-assign]


def run(settings: Settings, host: str, port: int) -> None:
    protocol = functools.partial(HeadTimeoutProtocol, head_timeout=settings.header_timeout_seconds,
                                 cap=settings.max_connections)
    # The app (built by uvicorn, in each worker) reads its settings from the environment: --host and
    # --port go there too, so that its "ready: http://HOST:PORT" line names the address really bound.
    os.environ.update({"QA_HOST": host, "QA_PORT": str(port)})
    # By import string, so this layer never imports the API layer above it. proxy_headers off:
    # uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 whatever QA_TRUSTED_PROXIES
    # says; the app applies that setting itself.
    # log_config None: uvicorn installs no handlers of its own; the app sets one format for every
    # logger as it starts (QA_LOG_FORMAT). uvicorn's few lines before that are INFO and not shown.
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info", log_config=None,
                workers=settings.workers, proxy_headers=False,
                http=protocol,  # type: ignore[arg-type]
                timeout_keep_alive=5, h11_max_incomplete_event_size=16 * 1024)
