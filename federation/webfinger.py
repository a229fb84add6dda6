"""WebFinger (RFC 7033) and host-meta (RFC 6415): turning `alice@example.com` into an actor URL.

Pure functions over strings: which account a `resource` names, and the documents we answer with.
Mastodon requires every actor to map back to an `acct:` URI that resolves here."""

from __future__ import annotations

import re
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import quoteattr

from federation.media_types import ACTIVITY_JSON

JRD_JSON = "application/jrd+json"
XRD_XML = "application/xrd+xml"
REL_SELF = "self"
REL_PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
# Mastodon's remote-follow: other servers send their users to this template with {uri}.
REL_SUBSCRIBE = "http://ostatus.org/schema/1.0/subscribe"
REL_LRDD = "lrdd"

MAX_RESOURCE_LENGTH = 1024
# A host name or IPv4 address, or a bracketed IPv6 address, with an optional port.
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$")
# Anything but separators, whitespace and control characters: the lookup decides if it exists.
_USERNAME = re.compile(r"^[^\s/@?#\x00-\x1f\x7f]+$")
_ACTOR_PATH = re.compile(r"^/(?:users/|@)([^/]+)/?$")
_INSTANCE_ACTOR_PATH = re.compile(r"^/actor/?$")


class ResourceError(ValueError):
    """The resource names no account we could look up; the message is safe to show."""


class AccountHandle(NamedTuple):
    """`username@domain`, the domain lowercased (usernames keep their case: lookups ignore it)."""

    username: str
    domain: str


def _checked(username: str, domain: str, resource: str) -> AccountHandle:
    domain = domain.lower()
    if not _DOMAIN.match(domain):
        raise ResourceError(f"{resource!r} does not name a valid domain")
    if not _USERNAME.match(username):
        raise ResourceError(f"{resource!r} does not name a valid username")
    return AccountHandle(username, domain)


def _parse_url(resource: str) -> AccountHandle:
    parts = urlsplit(resource)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        raise ResourceError(f"{resource!r} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise ResourceError(f"{resource!r} is not an actor or profile URL")
    domain = parts.netloc.lower()
    if _INSTANCE_ACTOR_PATH.match(parts.path):
        # Mastodon's instance actor lives at /actor and answers to acct:domain@domain.
        return _checked(domain, domain, resource)
    match = _ACTOR_PATH.match(parts.path)
    if not match:
        raise ResourceError(f"{resource!r} is not an actor or profile URL")
    return _checked(unquote(match.group(1)), domain, resource)


def parse_resource(resource: str) -> AccountHandle:
    """The account a WebFinger `resource` names. Accepts `acct:user@domain`, `user@domain`,
    `@user@domain`, an actor URL `https://domain/users/user`, a profile URL
    `https://domain/@user`, and the instance actor URL `https://domain/actor` (its handle is
    `domain@domain`, as on Mastodon). Says nothing about whether the account exists or is local.

    Raises ResourceError for anything else."""
    resource = resource.strip()
    if not resource:
        raise ResourceError("resource is empty")
    if len(resource) > MAX_RESOURCE_LENGTH:
        raise ResourceError("resource is too long")
    if re.match(r"^https?://", resource, re.IGNORECASE):
        return _parse_url(resource)
    handle = re.sub(r"^acct:", "", resource, flags=re.IGNORECASE).removeprefix("@")
    # RFC 7565: the last @ separates the host; an @ inside the user part arrives as %40.
    username, at, domain = handle.rpartition("@")
    if not at or not username or not domain:
        raise ResourceError(f"{resource!r} is not of the form acct:user@domain")
    return _checked(unquote(username), domain, resource)


def actor_jrd(
    *,
    username: str,
    domain: str,
    actor_url: str,
    profile_url: str,
    subscribe_template: str | None = None,
) -> dict[str, Any]:
    """The JRD for a local actor, in Mastodon's shape: `acct:` subject, the actor and profile
    URLs as aliases, the `self` link to the ActivityStreams document."""
    links: list[dict[str, str]] = [
        {"rel": REL_PROFILE_PAGE, "type": "text/html", "href": profile_url},
        {"rel": REL_SELF, "type": ACTIVITY_JSON, "href": actor_url},
    ]
    if subscribe_template is not None:
        links.append({"rel": REL_SUBSCRIBE, "template": subscribe_template})
    return {
        "subject": f"acct:{username}@{domain}",
        "aliases": [actor_url, profile_url],
        "links": links,
    }


def webfinger_template(base_url: str) -> str:
    """The lrdd template host-meta advertises: `{uri}` is replaced by the client."""
    return f"{base_url}/.well-known/webfinger?resource={{uri}}"


def host_meta_xrd(lrdd_template: str) -> str:
    """host-meta as XRD, which older software (and Mastodon's own fallback) reads."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f"  <Link rel={quoteattr(REL_LRDD)} template={quoteattr(lrdd_template)}/>\n"
        "</XRD>\n"
    )


def host_meta_json(lrdd_template: str) -> dict[str, Any]:
    """host-meta as JSON (RFC 6415 §3)."""
    return {"links": [{"rel": REL_LRDD, "template": lrdd_template}]}
