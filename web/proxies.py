"""Behind a TLS-terminating reverse proxy (nginx, Caddy, a load balancer) the node sees the
proxy's address and plain HTTP. The proxy says what the client used in `X-Forwarded-For`,
`X-Forwarded-Proto` and `X-Forwarded-Host`; anyone can send those headers, so they are
believed only when the connection comes from a configured proxy network.

What follows from them: `request.remote` (sign-in rate limits count failures per address),
`request.scheme`/`request.secure` and `request.host` (the CSRF origin check compares them to
`Origin`), and `request.url`.

aiohttp-remotes' `XForwardedStrict` was considered: it wants the exact number of hops and
answers 400 to any connection not from a proxy, where a node should simply ignore the
headers of a direct client (health checks, a second, direct listener)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence

from aiohttp import hdrs, web

from web.errors import Handler

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# A host, optionally with a port: what a Host header may hold (no userinfo, path or spaces).
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?")


def _address(text: str) -> Address | None:
    """An address from a forwarding header: `203.0.113.7`, `2001:db8::1`, `[2001:db8::1]`,
    and the `203.0.113.7:5123` / `[2001:db8::1]:5123` forms some load balancers write."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; judge the IPv4 address.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _values(request: web.Request, name: str) -> list[str]:
    """Every comma-separated value of a header, across repeated header lines, in order."""
    return [part.strip() for line in request.headers.getall(name, ()) for part in line.split(",")]


class TrustedProxies:
    """Which peers may speak for the client, and what they said."""

    def __init__(self, networks: Iterable[Network]) -> None:
        self.networks = tuple(networks)

    def trusts(self, address: Address | None) -> bool:
        return address is not None and any(address in network for network in self.networks)

    def client_address(self, peer: Address, forwarded_for: Sequence[str]) -> Address:
        """Walk `X-Forwarded-For` from the right (each proxy appends the address it saw):
        the first address not of a trusted proxy is the client's. Entries further left were
        written by that client and prove nothing. An entry that is no address stops the walk
        at the last proxy that was trusted."""
        client = peer
        for entry in reversed(forwarded_for):
            if not self.trusts(client):
                break
            address = _address(entry)
            if address is None:
                break
            client = address
        return client

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        peer = _address(request.remote or "")
        if peer is None or not self.trusts(peer):
            return await handler(request)
        client = self.client_address(peer, _values(request, hdrs.X_FORWARDED_FOR))
        # Of Proto and Host, the rightmost value is the one our own proxy set.
        scheme, host = request.scheme, request.host
        proto = _values(request, hdrs.X_FORWARDED_PROTO)
        if proto and proto[-1].lower() in ("http", "https"):
            scheme = proto[-1].lower()
        forwarded_host = _values(request, hdrs.X_FORWARDED_HOST)
        if forwarded_host and _HOST.fullmatch(forwarded_host[-1]):
            host = forwarded_host[-1].lower()
        return await handler(request.clone(remote=str(client), scheme=scheme, host=host))
