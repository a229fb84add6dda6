"""Federation policy as pure decisions: which remote domain a node talks to, given its mode and
the rules its admins wrote. Storage of the rules lives in `actors.partners`.

Modes: `allowlist` (the default: only domains an admin allowed) and `open` (everyone but the
blocked). A block covers the domain and every subdomain (as Mastodon's domain blocks do); an
allow names one domain exactly, so allowing `example.com` does not let `evil.example.com` in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

MODES = ("allowlist", "open")
ALLOW = "allow"
BLOCK = "block"
# `suspend` cuts a domain off; `silence` keeps federating but marks the domain for moderation
# (kept out of public views by the layers that show content); `noop` (Mastodon's) records the
# domain, for its reject_media/reject_reports flags, and limits nothing.
SEVERITIES = ("suspend", "silence", "noop")

_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"(?=[^:]{{1,253}}(:|$)){_LABEL}(\.{_LABEL})*(:[0-9]{{1,5}})?")


class DomainError(ValueError):
    """Not a domain a policy can name; the message is safe to show."""


@dataclass(frozen=True, slots=True)
class DomainRule:
    domain: str
    policy: str
    severity: str = "suspend"


def normalise_domain(text: str) -> str:
    """`Example.COM.` → `example.com`; internationalised names become their ASCII (IDNA) form.
    A port is kept (`localhost:8081` is its own node). Raises DomainError for anything else,
    including URLs and handles, so a typo never becomes a rule that matches nothing."""
    domain = text.strip().lower().rstrip(".")
    host, colon, port = domain.partition(":")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise DomainError(f"{text!r} is not a domain name") from None
    domain = f"{host}{colon}{port}"
    if not _DOMAIN.fullmatch(domain) or (port and not 1 <= int(port) <= 65535):
        raise DomainError(f"{text!r} is not a domain name (like social.example.com)")
    return domain


def covering_domains(domain: str) -> list[str]:
    """The domain and each parent a block on which covers it, nearest first:
    `a.b.example.com` → [a.b.example.com, b.example.com, example.com]. A port-qualified
    domain comes first as written, then its host's (`localhost:8081`, `localhost`)."""
    host, colon, _port = domain.partition(":")
    labels = host.split(".")
    parents = [".".join(labels[i:]) for i in range(len(labels))]
    if colon:
        return [domain, *parents]
    return parents


def decide(mode: str, domain: str, rules: Mapping[str, DomainRule]) -> bool:
    """Whether `domain` (normalised) may federate, given the rules that name it or a parent
    (`rules` keyed by domain; others are ignored). Raises ValueError for an unknown mode."""
    if mode not in MODES:
        raise ValueError(f"unknown federation mode {mode!r}")
    for candidate in covering_domains(domain):
        rule = rules.get(candidate)
        if rule is not None and rule.policy == BLOCK and rule.severity == "suspend":
            return False
    if mode == "open":
        return True
    exact = rules.get(domain)
    # A silenced (or noop) domain is one the admins know and chose to keep: it still federates.
    return exact is not None and (exact.policy == ALLOW or exact.severity != "suspend")
