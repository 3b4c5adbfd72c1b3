"""Who may send a request, decided from its head alone (method, path, headers), before a byte of
its body is read: a write without the admin key is refused at once, so it cannot hold a
connection while it trickles a body, and a 16 MB keyless upload is never read. The routes'
own dependencies check again (a second line, never the only one).

Each endpoint is in one lane (docs/security.md, "Who may call what"):
- open: health probes, the API's own description and assets, the widget script, CORS preflights;
- page: the demo, preview and editors' pages a browser opens without a header; they show text,
  so they are rate-limited per address, but need no key;
- read: everything else (questions, feedback, document reads, suggestions, metrics, bot
  endpoints): a read key when QA_API_KEYS is set (the admin key counts as one, a widget key from
  an allowed origin too), and QA_RATE_LIMIT;
- admin: document writes, the feedback listing and GET /insights: QA_ADMIN_KEY.
The editors' page (/admin/insights) is a page here: it checks the admin key from its form or
session cookie itself."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from fastapi import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.access import charge, check_reader, is_read_key
from api.deps import check_admin
from api.errors import HTTP_CODES, error_response
from api.limits import is_document_path
from api.security import DOCS_ASSETS
from qa.server import KEYED  # the flag qa serve's connections read: a keyed body is never cut for room
from qa.settings import Settings

_OPEN = frozenset({"/healthz", "/readyz", "/docs", "/openapi.json", "/widget.js", "/favicon.ico"})
_SELF_COUNTED = frozenset({"/mcp"})
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Lane(enum.Enum):
    OPEN = "open"
    PAGE = "page"
    READ = "read"
    ADMIN = "admin"


def lane(method: str, path: str) -> Lane:
    """The lane of a request; an unknown path is a read (a 404 then costs what a read costs)."""
    if method == "OPTIONS" or path in _OPEN or path.startswith(DOCS_ASSETS + "/"):
        return Lane.OPEN
    if (is_document_path(path) and method in _WRITES) or (path == "/feedback" and method == "GET") \
            or path == "/insights":
        return Lane.ADMIN
    # The editors' page takes the admin key from its own form or session cookie, never a header:
    # a page for the gate (counted per address), checked by the page itself.
    if path == "/" or path.startswith(("/preview/", "/admin/")):
        return Lane.PAGE
    return Lane.READ


class HeadGate:
    """Refuses from the head: 401/403 for a missing or wrong key, 429 past the read budget, 400
    for a client address that is not one. A refused request's body is never read, and the
    answer says `Connection: close`, so the rest of it is not parsed as another request."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            self._admit(request, lane(scope["method"], scope["path"]))
        except HTTPException as exc:
            await _refuse(scope, receive, send, exc.status_code, str(exc.detail), exc.headers)
            return
        await self.app(scope, receive, send)

    def _admit(self, request: Request, which: Lane) -> None:
        if which is Lane.ADMIN:
            check_admin(request, self.settings)
        elif which is Lane.READ:
            check_reader(request, self.settings)
        # /mcp counts its tool calls itself (a handshake or a tool list costs nothing), as /ask/batch
        # adds its further questions.
        if which in (Lane.READ, Lane.PAGE) and request.url.path not in _SELF_COUNTED:
            charge(request, self.settings, 1)
        if which is Lane.ADMIN or is_read_key(request, self.settings):
            request.scope.setdefault("state", {})[KEYED] = True


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str,
                  headers: Mapping[str, str] | None = None) -> None:
    response = error_response(status, HTTP_CODES.get(status, "error"), message,
                              headers={**(headers or {}), "Connection": "close"})
    await response(scope, receive, send)
