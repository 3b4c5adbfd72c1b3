"""How `qa serve` runs uvicorn: the settings it maps, and a limit uvicorn lacks, a deadline
for a connection to send its request head (slowloris: thousands of connections that trickle
a header byte at a time would otherwise be held open for ever)."""

from __future__ import annotations

import asyncio
import functools
import os
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from qa.settings import Settings


class HeadTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head is not complete within
    `head_timeout` seconds of its first byte (or of connecting). Trickling bytes does not extend it."""

    def __init__(self, *args: Any, head_timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timeout = head_timeout
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm()  # part of a request head so far
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

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


def run(settings: Settings, host: str, port: int) -> None:
    protocol = functools.partial(HeadTimeoutProtocol, head_timeout=settings.header_timeout_seconds)
    # The app (built by uvicorn, in each worker) reads its settings from the environment: --host and
    # --port go there too, so that its "ready: http://HOST:PORT" line names the address really bound.
    os.environ.update({"QA_HOST": host, "QA_PORT": str(port)})
    # By import string, so this layer never imports the API layer above it. proxy_headers off:
    # uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 whatever QA_TRUSTED_PROXIES
    # says; the app applies that setting itself.
    # log_config None: uvicorn installs no handlers of its own; the app sets one format for every
    # logger as it starts (QA_LOG_FORMAT). uvicorn's few lines before that are INFO and not shown.
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level="info", log_config=None,
                workers=settings.workers, proxy_headers=False, limit_concurrency=settings.max_connections,
                http=protocol,  # type: ignore[arg-type]
                timeout_keep_alive=5, h11_max_incomplete_event_size=16 * 1024)
