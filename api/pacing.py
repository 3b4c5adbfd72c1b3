"""A body deadline for every endpoint, and a bounded share of slow senders without a key.

A body must keep coming: it may take `grace` seconds, plus one more second for every `rate`
bytes received so far. One byte every 2 s is cut after `grace`; a 16 MB document at 64 kB/s
is not. And a request without a valid key whose body is still arriving after FAST seconds
takes one of `share` places per process; with them all taken it is answered at once. So
keyless senders can hold at most `share` connections with bodies, however many they open,
and readers who send at a normal speed never wait for a place."""

from __future__ import annotations

import asyncio
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from qa.server import KEYED

FAST = 2.0  # seconds: a question's body arrives in milliseconds; past this a sender is slow


class SlowBody(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BodyPace:
    def __init__(self, app: ASGIApp, grace: float, rate: int, share: int) -> None:
        self.app = app
        self.grace, self.rate, self.share = grace, rate, share
        self.slow = 0  # keyless requests of this process past FAST with their body unfinished

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        pace = _Pace(self, keyed=bool(scope.get("state", {}).get(KEYED)), receive=receive)
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, pace.receive, tracking_send)
        except SlowBody as exc:
            if not started:
                response = error_response(408, "request_timeout", exc.message, headers={"Connection": "close"})
                await response(scope, receive, send)
        finally:
            pace.leave()


class _Pace:
    """One request's body: its clock, and whether it holds a slow place."""

    def __init__(self, owner: BodyPace, keyed: bool, receive: Receive) -> None:
        self.owner, self.keyed, self._receive = owner, keyed, receive
        self.start = time.monotonic()
        self.seen = 0
        self.holding = False
        self.done = False

    async def receive(self) -> Message:
        if self.done:
            return await self._receive()
        pending = asyncio.ensure_future(self._receive())
        try:
            while True:
                finished, _ = await asyncio.wait({pending}, timeout=self._wait())
                if finished:
                    return self._count(pending.result())
                self._check()
        finally:
            if not pending.done():
                pending.cancel()

    def _wait(self) -> float:
        now = time.monotonic()
        until = self.start + self.owner.grace + self.seen / self.owner.rate
        if not self.keyed and not self.holding:
            until = min(until, self.start + FAST)
        return max(0.0, until - now) + 0.001

    def _check(self) -> None:
        """Called when a wait ran out: take a slow place, or give up on the body."""
        now = time.monotonic()
        if now >= self.start + self.owner.grace + self.seen / self.owner.rate:
            raise SlowBody(f"the request body came too slowly (at least {self.owner.rate} bytes a second after "
                           f"the first {self.owner.grace:g} s)")
        if not self.keyed and not self.holding:
            if self.owner.slow >= self.owner.share:
                raise SlowBody("too many slow requests without a key; send the body at once or retry later")
            self.owner.slow += 1
            self.holding = True

    def _count(self, message: Message) -> Message:
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if not message.get("more_body", False):
                self.done = True
                self.leave()
        else:
            self.leave()
        return message

    def leave(self) -> None:
        if self.holding:
            self.owner.slow -= 1
            self.holding = False
