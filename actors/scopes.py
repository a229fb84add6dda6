"""OAuth scopes as Mastodon defines them: top-level scopes (`read`, `write`, `follow`, `push`,
`profile`, `admin:read`, `admin:write`) and the granular ones they stand for."""

from __future__ import annotations

READ = frozenset(
    f"read:{s}"
    for s in (
        "accounts",
        "blocks",
        "bookmarks",
        "favourites",
        "filters",
        "follows",
        "lists",
        "mutes",
        "notifications",
        "search",
        "statuses",
    )
)
WRITE = frozenset(
    f"write:{s}"
    for s in (
        "accounts",
        "blocks",
        "bookmarks",
        "conversations",
        "favourites",
        "filters",
        "follows",
        "lists",
        "media",
        "mutes",
        "notifications",
        "reports",
        "statuses",
    )
)
# The legacy `follow` scope predates granular scopes and still means these six.
FOLLOW = frozenset(
    {"read:blocks", "read:follows", "read:mutes", "write:blocks", "write:follows", "write:mutes"}
)
ADMIN_READ = frozenset(
    f"admin:read:{s}"
    for s in (
        "accounts",
        "reports",
        "domain_allows",
        "domain_blocks",
        "ip_blocks",
        "email_domain_blocks",
        "canonical_email_blocks",
    )
)
ADMIN_WRITE = frozenset(s.replace("admin:read:", "admin:write:") for s in ADMIN_READ)
TOP_LEVEL = frozenset({"read", "write", "follow", "push", "profile", "admin:read", "admin:write"})
ALL = TOP_LEVEL | READ | WRITE | ADMIN_READ | ADMIN_WRITE


class ScopeError(ValueError):
    pass


def parse_scopes(text: str, *, default: str = "read") -> str:
    """Normalise a requested scope string (space- or plus-separated); unknown scopes raise."""
    parts = text.replace("+", " ").split() or default.split()
    for scope in parts:
        if scope not in ALL:
            raise ScopeError(f"unknown scope {scope!r}")
    return " ".join(dict.fromkeys(parts))


def allows(granted: frozenset[str] | set[str], required: str) -> bool:
    """Does a token with `granted` scopes allow an action needing `required`?"""
    if required in granted:
        return True
    if required in FOLLOW and "follow" in granted:
        return True
    parent = required.rsplit(":", 1)[0]
    return parent != required and parent in granted


def subset(requested: str, allowed: str) -> bool:
    """Are all `requested` scopes covered by an application's `allowed` scopes?"""
    granted = set(allowed.split())
    return all(allows(granted, scope) for scope in requested.split())
