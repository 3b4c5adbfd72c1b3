"""Client addresses as one canonical text each, so that one client is one budget: `2001:DB8::1`,
`2001:0db8:0000::1` and `2001:db8::1` are one address, `::ffff:1.2.3.4` is `1.2.3.4`, and an IPv6
client counts by its /64 (what one subscriber is given: any of its 2^64 addresses is the same
client). A forwarded address that is not one (`garbage`, `01.2.3.4`) is refused, never a budget."""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.errors import error_response


class NotAnAddress(ValueError):
    pass


def parse(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address `host` names (IPv4-mapped IPv6 as IPv4); leading zeros and anything else refused."""
    try:
        address = ipaddress.ip_address(host.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        raise NotAnAddress(f"not an IP address: {host[:60]!r}") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def budget_key(host: str) -> str:
    """The name a client's budgets are kept under: its address, or its /64 for IPv6. A peer that
    is not an IP address (a Unix socket, a test client) keeps its name."""
    try:
        address = parse(host)
    except NotAnAddress:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class TrustedProxies(ProxyHeadersMiddleware):
    """uvicorn's X-Forwarded-For handling (the rightmost address no trusted proxy added), with the
    address it picks required to be one, and written canonically: 400 when it is not."""

    def __init__(self, app: ASGIApp, trusted_hosts: list[str]) -> None:
        self.inner = app
        super().__init__(self._checked, trusted_hosts=trusted_hosts)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] == "http":
            scope.setdefault("state", {})["qa.peer"] = scope.get("client")
        await super().__call__(scope, receive, send)  # type: ignore[arg-type]

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and client and client != scope["state"].get("qa.peer"):  # from the header
            try:
                scope["client"] = (str(parse(client[0])), client[1])
            except NotAnAddress as exc:
                await error_response(400, "bad_request", f"X-Forwarded-For: {exc}",
                                     headers={"Connection": "close"})(scope, receive, send)
                return
        await self.inner(scope, receive, send)
