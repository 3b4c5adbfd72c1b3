"""Work a caller gave up on stops at the next checkpoint. Python cannot stop a thread, so a
question whose deadline passed (the API answered 503 `timeout`) used to run to its end on its
worker thread, taking a core from the readers still waiting. The API sets an event when it gives
up; the question's stages check it between them (spelling, encoding, ranking, deciding) and
raise `Abandoned`, so at most one stage runs on after the deadline."""

from __future__ import annotations

import threading
from contextvars import ContextVar, Token

from qa.errors import NotReady

_given_up: ContextVar[threading.Event | None] = ContextVar("qa_given_up", default=None)


class Abandoned(NotReady):
    """The caller stopped waiting for this work."""


def watch(event: threading.Event) -> Token[threading.Event | None]:
    """Work started in this context from now on (threads started with a copy of it too) checks `event`."""
    return _given_up.set(event)


def unwatch(token: Token[threading.Event | None]) -> None:
    _given_up.reset(token)


def checkpoint() -> None:
    event = _given_up.get()
    if event is not None and event.is_set():
        raise Abandoned("the request was abandoned: its deadline passed")
