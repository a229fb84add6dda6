"""What the web layer needs to know, as plain values handed down by `node`."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from actors.site import Site
from federation.http_client import ClientConfig
from outbox.delivery_policy import DeliveryPolicy


@dataclass(frozen=True, slots=True)
class WebConfig:
    site: Site
    media_root: Path = Path("data/media")
    max_body_bytes: int = 1_048_576
    software_version: str = "0.1.0"
    show_usage_counts: bool = True
    # OAuth's resource-owner password grant; some scripts and older apps still use it.
    password_grant: bool = True
    # How this node's HTTP client reaches others (resolve map, SSRF guard, plain HTTP in dev).
    client: ClientConfig = field(default_factory=ClientConfig)
    # How hard deliveries to other nodes are tried before they become dead letters.
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    # Which remote domains federate: `allowlist` (partners only) or `open` (all but blocked).
    federation_mode: str = "allowlist"
    # Reverse proxies whose X-Forwarded-For/-Proto/-Host are believed (web.proxies).
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @property
    def secure_cookies(self) -> bool:
        return self.site.scheme == "https"
