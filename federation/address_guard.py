"""Where the federation client may connect: the admin's resolve map, and a guard against
server-side request forgery (a peer making us fetch `http://169.254.169.254/` or our own
database port).

The guard judges the address actually connected to, not the URL: a DNS name is resolved
once, its non-public answers dropped, and the socket factory refuses any other non-public
address (IP literals never reach a resolver). Addresses in the resolve map are trusted: the
admin configured them (several nodes on loopback in development and tests)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping

from aiohappyeyeballs import AddrInfoType
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: IPv4 inside IPv6


class AddressRefusedError(OSError):
    """A connection to a non-public address was refused. An OSError, so aiohttp carries it
    as the `os_error` of its connector errors; the message is safe to show."""


def is_public_address(address: str) -> bool:
    """Whether `address` (an IP literal, IPv6 without brackets) is a public unicast address:
    not loopback, private, link-local, multicast, reserved, unspecified (`0.0.0.0`, `::`),
    shared (100.64/10), nor an IPv4-mapped, 6to4 or NAT64 IPv6 form of one of those."""
    try:
        ip = ipaddress.ip_address(address.partition("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        # These forms reach an IPv4 host: judge that host (NAT64 sits in reserved ::/8).
        if ip.ipv4_mapped is not None:
            return is_public_address(str(ip.ipv4_mapped))
        if ip in _NAT64:
            return is_public_address(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
        if ip.sixtofour is not None and not is_public_address(str(ip.sixtofour)):
            return False
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED_ADDRESS_SPACE:
        return False
    blocked = (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )
    return ip.is_global and not blocked


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").partition("%")[0])
    except ValueError:
        return False
    return True


class AddressGuard:
    """The connection policy of one client: the resolve map and whether private addresses
    are allowed. Hands aiohttp a resolver and a socket factory that enforce it."""

    def __init__(
        self, resolve: Mapping[str, tuple[str, int]], *, allow_private_addresses: bool
    ) -> None:
        # Keys are `domain` or `domain:port`, as node settings parse them.
        self.resolve = {name.lower().rstrip("."): target for name, target in resolve.items()}
        self.allow_private_addresses = allow_private_addresses
        self._trusted = {(ip, port) for ip, port in self.resolve.values()}

    def mapped(self, host: str, port: int) -> tuple[str, int] | None:
        host = host.lower().rstrip(".")
        return self.resolve.get(f"{host}:{port}") or self.resolve.get(host)

    def allows(self, address: str, port: int) -> bool:
        return (
            self.allow_private_addresses
            or (address, port) in self._trusted
            or is_public_address(address)
        )

    def check_host(self, host: str, port: int) -> None:
        """Refuse an IP-literal URL host early, with a clear message (DNS names are checked
        when resolved). Raises AddressRefusedError."""
        if _is_ip_literal(host) and not self.mapped(host, port):
            address = host.strip("[]")
            if not self.allows(address, port):
                raise AddressRefusedError(f"refusing to connect to non-public address {address}")

    def socket_factory(self, addr_info: AddrInfoType) -> socket.socket:
        """aiohttp's `socket_factory`: the last word on every address before connecting."""
        family, kind, proto, _, address = addr_info
        if not self.allows(str(address[0]), int(address[1])):
            raise AddressRefusedError(f"refusing to connect to non-public address {address[0]}")
        return socket.socket(family=family, type=kind, proto=proto)

    def resolver(self) -> MappedResolver:
        return MappedResolver(self)


class MappedResolver(AbstractResolver):
    """Answers mapped domains with the mapped address and port (aiohttp connects to the port
    a resolver returns, so `http://a.test/` reaches `127.0.0.1:8081` while the Host header
    and the signature still say `a.test`); resolves others with the default resolver and
    drops the addresses the guard forbids."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._default = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        target = self._guard.mapped(host, port)
        if target is not None:
            address, mapped_port = target
            address_family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [
                ResolveResult(
                    hostname=host,
                    host=address,
                    port=mapped_port,
                    family=address_family,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
            ]
        results = await self._default.resolve(host, port, family)
        allowed = [result for result in results if self._guard.allows(result["host"], port)]
        if not allowed:
            raise AddressRefusedError(f"{host} resolves only to non-public addresses")
        return allowed

    async def close(self) -> None:
        await self._default.close()
