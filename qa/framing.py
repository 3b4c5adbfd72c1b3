"""Request framing a proxy-safe server refuses and h11 accepts: a head with both Content-Length
and Transfer-Encoding (h11 lets chunked win, so a proxy that went by Content-Length and this
server disagree where a request ends: the rest is smuggled in as a second request), and lines
ended by a bare LF instead of CRLF (RFC 9112 allows a server to accept them; a proxy in front
that does not splits the head differently). Both are refused with 400 before uvicorn sees them.

h11 offers no option for either, so the check sits on the connection's receive buffer, where
h11 cuts a head into lines; tests/qa/test_server.py pins it against the h11 in use."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import h11

_HEAD_END = re.compile(rb"\n\r?\n")
_BARE_LF = re.compile(rb"(?<!\r)\n")


def guard_heads(conn: h11.Connection, refuse: Callable[[str], None]) -> None:
    """Refuses (`refuse(reason)`, then h11's RemoteProtocolError: uvicorn answers 400 and closes)
    a request head or trailer that ends a line with a bare LF or frames its body twice."""
    buffer: Any = conn._receive_buffer  # h11's ReceiveBuffer: no public hook
    extract = buffer.maybe_extract_lines

    def checked() -> Any:
        reason = head_fault(bytes(buffer._data[:_head_length(buffer._data)]))
        if reason is not None:
            refuse(reason)
            raise h11.RemoteProtocolError(reason, error_status_hint=400)
        return extract()

    buffer.maybe_extract_lines = checked


def _head_length(data: bytearray) -> int:
    if data[:1] == b"\n" or data[:2] == b"\r\n":
        return 2 if data[:1] == b"\r" else 1
    match = _HEAD_END.search(data)
    return match.end() if match else 0


def head_fault(head: bytes) -> str | None:
    """Why this complete head (up to its blank line) is refused, or None."""
    if _BARE_LF.search(head):
        return "a line of the request head ends in a bare LF; HTTP/1.1 lines end in CRLF"
    names = {line.split(b":", 1)[0].strip().lower() for line in head.split(b"\r\n")[1:] if b":" in line}
    if b"content-length" in names and b"transfer-encoding" in names:
        return "a request with both Content-Length and Transfer-Encoding is ambiguous; send one of them"
    return None
