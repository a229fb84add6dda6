"""What the web layer needs to know, as plain values handed down by `node`."""

from __future__ import annotations

from dataclasses import dataclass

from actors.site import Site


@dataclass(frozen=True, slots=True)
class WebConfig:
    site: Site
    max_body_bytes: int = 1_048_576
    software_version: str = "0.1.0"
    show_usage_counts: bool = True

    @property
    def secure_cookies(self) -> bool:
        return self.site.scheme == "https"
