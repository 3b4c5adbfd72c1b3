"""The editors' insights page, /admin/insights, behind the admin key.

A browser sends no Authorization header when an editor follows a link, so the page asks for the
key once, in a form posted to the page (never in a URL, so never in a log or history), and answers
with a session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends
it), Path=/admin, Secure over HTTPS, good for 12 hours. The cookie holds no key: its issue time
and an HMAC of that time under the key, so changing QA_ADMIN_KEY signs every editor out.
`Authorization: Bearer <key>` is accepted too (curl, monitoring). Without either, the page is the
key form and holds no data.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import Service, bearer, get_settings, same_key
from api.insights import DocumentFilter, SinceDays
from api.insights_page import PATH, POLICY, key_form, report_page
from qa.settings import Settings

COOKIE = "qa_admin"
SESSION_SECONDS = 12 * 3600
NO_KEY = "The server has no QA_ADMIN_KEY set, so this page is off."
router = APIRouter(include_in_schema=False)


def session_token(key: str, issued: int) -> str:
    mac = hmac.new(key.encode(), f"qa-admin-session:{issued}".encode(), hashlib.sha256).hexdigest()
    return f"{issued}.{mac}"


def valid_session(token: str | None, key: str, now: float) -> bool:
    issued, _, _ = (token or "").partition(".")
    if not issued.isdigit() or not 0 <= now - int(issued) < SESSION_SECONDS:
        return False
    return same_key(token, session_token(key, int(issued)))  # constant-time, as every key check


AppSettings = Annotated[Settings, Depends(get_settings)]


@router.get(PATH, response_class=HTMLResponse)
def page(request: Request, service: Service, settings: AppSettings, document: DocumentFilter = None,
         since: SinceDays = 30) -> Response:
    admin_key = settings.admin_key
    if admin_key is None:
        return _html(key_form(NO_KEY), 403)
    key = admin_key.get_secret_value()
    if not (same_key(bearer(request), key) or valid_session(request.cookies.get(COOKIE), key, time.time())):
        return _html(key_form(query=request.url.query), 401)
    return _html(report_page(service.insights.report(document, since), document, since))


@router.post(PATH)
async def sign_in(request: Request, settings: AppSettings) -> Response:
    """The key form's post: a session cookie and back to the page (303), or the form again."""
    if settings.admin_key is None:
        return _html(key_form(NO_KEY), 403)
    key = settings.admin_key.get_secret_value()
    if not same_key(await _posted_key(request), key):
        return _html(key_form("That is not the admin key.", request.url.query), 403)
    query = f"?{request.url.query}" if request.url.query else ""
    response = RedirectResponse(PATH + query, status_code=303)
    response.set_cookie(COOKIE, session_token(key, int(time.time())), max_age=SESSION_SECONDS, path="/admin",
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


async def _posted_key(request: Request) -> str | None:
    """The form's `key`; None for a body that is no such form (too many fields, say)."""
    try:
        form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=10)
    except ValueError:
        return None
    return form.get("key", [None])[0]


@router.post("/admin/logout")
def sign_out() -> Response:
    response = RedirectResponse(PATH, status_code=303)
    response.delete_cookie(COOKIE, path="/admin", httponly=True, samesite="strict")
    return response


def _html(body: str, status: int = 200) -> HTMLResponse:
    # Its own policy (the security middleware keeps a response's own): styles by hash, forms to here.
    return HTMLResponse(body, status_code=status, headers={"Content-Security-Policy": POLICY,
                                                           "Cache-Control": "no-store"})
