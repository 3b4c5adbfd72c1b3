"""Dependencies shared by the routes: the service and the admin key check. Async because they
never block: FastAPI runs a sync dependency in the thread pool, one thread hop each per request."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import State

from qa.errors import NotReady
from qa.service import QAService
from qa.settings import Settings

# Declares the scheme in the OpenAPI document (Swagger's "Authorize"); the header itself is read
# by `bearer` below, the one parser of it, so read keys, widget keys and the admin key accept the
# same forms.
_bearer = HTTPBearer(auto_error=False, description="QA_ADMIN_KEY")


def bearer(request: Request) -> str | None:
    """The key of an `Authorization: Bearer <key>` header (scheme in any case), or None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def same_key(given: str | None, key: str) -> bool:
    """Whether `given` is `key`, compared in constant time: the response's timing must not reveal
    how much of a key was right. Every key check (admin, read, the editors' page) comes here."""
    return given is not None and hmac.compare_digest(given.encode("utf-8", "surrogatepass"), key.encode())


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_service(request: Request) -> QAService:
    return loaded_service(request.app.state)


def loaded_service(state: State) -> QAService:
    """The app's service, or NotReady saying why there is none yet (the routes' and /mcp's)."""
    service: QAService | None = getattr(state, "service", None)
    if service is None:
        error = getattr(state, "load_error", None)
        if error == "StoreUnavailable":
            raise NotReady("the database is unavailable; the service keeps retrying")
        if error:
            raise NotReady("the service could not load its model or index; see the server log")
        raise NotReady("the model and index are still loading; retry shortly")
    return service


async def require_admin(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    _: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> None:
    check_admin(request, settings)


def check_admin(request: Request, settings: Settings) -> None:
    if settings.admin_key is None:
        raise HTTPException(403, "admin endpoints (writes, feedback, insights) are off: no QA_ADMIN_KEY is set")
    key = bearer(request)
    if key is None:
        raise HTTPException(401, "missing 'Authorization: Bearer <key>' header",
                            headers={"WWW-Authenticate": "Bearer"})
    if not same_key(key, settings.admin_key.get_secret_value()):
        raise HTTPException(403, "this needs the admin key (QA_ADMIN_KEY); the key given is not it")

Service = Annotated[QAService, Depends(get_service)]
Admin = Depends(require_admin)
