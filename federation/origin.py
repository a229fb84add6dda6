"""Origins, as FEP-fe34 uses them to decide who may speak for an object: an id is trusted only
when it shares its origin (scheme, host and port, as on the web) with the actor or key that
vouches for it."""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an absolute http(s) URL, the host lowercased and the port made
    explicit; None for anything else (relative, another scheme, credentials, a bad port)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return scheme, parts.hostname.lower(), port if port is not None else _DEFAULT_PORTS[scheme]


def host_of(url: str) -> str:
    """The host of an http(s) URL as account domains are written: lowercased, with `:port` only
    when the port is not the scheme's default; "" when `url` is not an absolute http(s) URL."""
    origin = origin_of(url)
    if origin is None:
        return ""
    scheme, host, port = origin
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    return host if port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"


def same_origin(a: str, b: str) -> bool:
    """True when both are absolute http(s) URLs with one scheme, host and port."""
    origin = origin_of(a)
    return origin is not None and origin == origin_of(b)


def same_host(a: str, b: str) -> bool:
    """True when both are absolute http(s) URLs on one host and port, whatever the scheme:
    what Mastodon compares, for servers that mix http and https in their own ids."""
    return host_of(a) != "" and host_of(a) == host_of(b)
