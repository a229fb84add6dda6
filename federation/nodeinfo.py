"""NodeInfo 2.0 and 2.1 (nodeinfo.diaspora.software): what software a node runs and how big it
is. Crawlers read it, and so do client libraries choosing an API dialect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

SCHEMA_BASE = "http://nodeinfo.diaspora.software/ns/schema/"
NodeInfoVersion = Literal["2.0", "2.1"]
VERSIONS: tuple[NodeInfoVersion, ...] = ("2.0", "2.1")


def schema_url(version: NodeInfoVersion) -> str:
    return f"{SCHEMA_BASE}{version}"


def content_type(version: NodeInfoVersion) -> str:
    """The media type the schema asks documents to be served with."""
    return f'application/json; profile="{schema_url(version)}#"'


def document_path(version: NodeInfoVersion) -> str:
    return f"/nodeinfo/{version}"


@dataclass(frozen=True, slots=True)
class NodeUsage:
    """Counts as the schema defines them: active means signed in within 30 / 180 days."""

    users_total: int
    users_active_month: int
    users_active_halfyear: int
    local_posts: int


@dataclass(frozen=True, slots=True)
class Software:
    """`name` must match `^[a-z0-9-]+$`; repository and homepage appear in 2.1 only."""

    name: str
    version: str
    repository: str | None = None
    homepage: str | None = None


def discovery_document(base_url: str) -> dict[str, Any]:
    """`/.well-known/nodeinfo`: one link per schema version we serve, 2.0 first.
    megalodon takes the first link whose rel is 2.0 or 2.1, so both must carry the same facts."""
    return {
        "links": [
            {"rel": schema_url(version), "href": f"{base_url}{document_path(version)}"}
            for version in VERSIONS
        ]
    }


def nodeinfo_document(
    version: NodeInfoVersion,
    *,
    software: Software,
    node_name: str,
    usage: NodeUsage | None,
    open_registrations: bool = False,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A NodeInfo document. With `usage=None` the counts are withheld: `usage` stays (the schema
    requires it and `usage.users`) but holds no numbers.

    `metadata.upstream.name = "mastodon"` is there for client libraries (megalodon and the apps
    built on it) that refuse a node whose software they do not know unless it says it speaks
    Mastodon's client API."""
    software_document: dict[str, str] = {"name": software.name, "version": software.version}
    if version == "2.1":
        if software.repository:
            software_document["repository"] = software.repository
        if software.homepage:
            software_document["homepage"] = software.homepage
    usage_document: dict[str, Any] = {"users": {}}
    if usage is not None:
        usage_document = {
            "users": {
                "total": usage.users_total,
                "activeMonth": usage.users_active_month,
                "activeHalfyear": usage.users_active_halfyear,
            },
            "localPosts": usage.local_posts,
        }
    return {
        "version": version,
        "software": software_document,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": open_registrations,
        "usage": usage_document,
        "metadata": {"nodeName": node_name, "upstream": {"name": "mastodon"}, **(metadata or {})},
    }
