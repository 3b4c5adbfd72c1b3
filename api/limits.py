"""Request limits: a body size enforced while reading (an oversized upload is never held in
memory), text that can be stored and sent back (no lone surrogates), and a deadline for the
response to start."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observability import request_id
from qa import abandon


class BodyLimit:
    """`max_bytes` for document writes; `read_bytes` for everything else (questions, chat,
    feedback), whose largest valid body is far smaller: a 10 MB chat history that is refused
    anyway must not be read and parsed first, or a few parallel ones take hundreds of MB."""

    def __init__(self, app: ASGIApp, max_bytes: int, read_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_bytes = read_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes if is_document_path(scope["path"]) else self.read_bytes
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send, limit)

    async def _reject(self, send: Send, limit: int) -> None:
        # The rest of the body is never read: the connection closes rather than parse it as a request.
        await _error(send, 413, "payload_too_large", f"request body exceeds {limit} bytes", close=True)


# A JSON escape of a UTF-16 surrogate: the only way a lone one gets into a parsed body (raw
# UTF-8 cannot encode one). Rare in real text, so the costly check runs only when one appears.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class TextGuard:
    """422 for a JSON body holding a lone surrogate anywhere (metadata, titles, messages...):
    such a string cannot be encoded as UTF-8, so once stored it would break every response
    that includes it, and the tokenizer raises on it. Runs inside BodyLimit, so the body it
    buffers is already bounded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        message: Message = {"type": "http.request", "more_body": True}
        while message["type"] == "http.request" and message.get("more_body", False):
            message = await receive()
            chunks.append(message.get("body", b""))
        body = b"".join(chunks)
        if _SURROGATE_ESCAPE.search(body) and not _encodable(body):
            await _error(send, 422, "validation_error", "the body holds a lone UTF-16 surrogate (an unpaired "
                         "\\ud800-\\udfff escape); send valid Unicode text")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed or message["type"] != "http.request":
                return await receive() if replayed else message
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _encodable(body: bytes) -> bool:
    try:
        parsed: Any = json.loads(body)
    except (ValueError, RecursionError):
        return True  # not JSON: the route's own validation answers it
    try:
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    except RecursionError:
        return True
    return True


class Deadline:
    """503 `timeout` when a response has not started within `seconds`. The work itself is told
    to stop (qa/abandon.py: at its next checkpoint; Python cannot stop a thread), and whatever
    it sends later is dropped; the client is not kept waiting. A response already streaming is left to finish.

    Not for document writes: the work would go on and be applied after the client was told it
    failed. A write answers with its true outcome, however long it takes (only admins write)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0 or _is_document_write(scope):
            await self.app(scope, receive, send)
            return
        state = {"started": False, "expired": False}

        async def guarded_send(message: Message) -> None:
            if state["expired"]:
                return
            state["started"] = state["started"] or message["type"] == "http.response.start"
            await send(message)

        given_up = threading.Event()
        token = abandon.watch(given_up)  # the task and the threads it starts get a copy of this context
        try:
            task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        finally:
            abandon.unwatch(token)
        done, _ = await asyncio.wait({task}, timeout=self.seconds)
        if task in done or state["started"]:
            await task
            return
        state["expired"] = True
        given_up.set()  # the question's stages stop at the next checkpoint (qa/abandon.py)
        task.add_done_callback(_consume)
        await _error(send, 503, "timeout", f"no answer within {self.seconds:g} s; retry later")


def is_document_path(path: str) -> bool:
    return path == "/documents" or path.startswith("/documents/")


def _is_document_write(scope: Scope) -> bool:
    return scope["method"] in ("POST", "PUT", "DELETE") and is_document_path(scope["path"])


def _consume(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not report it as never retrieved


async def _error(send: Send, status: int, code: str, message: str, close: bool = False) -> None:
    body = json.dumps({"error": {"code": code, "request_id": request_id.get(), "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status,
                "headers": headers + ([(b"connection", b"close")] if close else [])})
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
